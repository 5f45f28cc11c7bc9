"""A bearer token's account kept by each server process, so that an API call, a scan at the school gate above all,
finds who is calling without a query: on PostgreSQL the lookup (token, account, roles) was a fifth of a scan's
CPU.

Each process keeps the accounts it looked up as detached ORM objects under their tokens' hashes (never the
tokens), with the shared data version (core.cache) read before the lookup. Every call reads the version (one small
Redis read) and takes the kept account only while it is unchanged: any write to the tables below, in any process,
raises it after its commit, so a revoked token, a disabled account or a changed role is seen by the very next
call. An account is also kept for ACCOUNT_KEPT seconds at most, for writes that bypass the app.

A kept account joins the request's session as SQLAlchemy's caching recipe does, `Session.merge(load=False)`:
persistent, with its roles, and no SQL. Without a shared cache (no CACHE_REDIS_URL, the SQLite default), or when
Redis cannot be reached, every call looks its token up.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from accounts.models import User, UserRole
from core.cache import shared_cache

#: the tables whose writes make a kept account stale
WATCHED_TABLES = frozenset({"api_token", "user_account", "user_role"})
#: seconds an account is kept at most
ACCOUNT_KEPT = 300
#: accounts kept by one process at most
ACCOUNTS_KEPT = 1000


def _keeper():
    cache = shared_cache()
    if cache is None or not cache.enabled:
        return None, None
    return cache.kept_here("api-accounts", ACCOUNTS_KEPT, ACCOUNT_KEPT), cache.version()


def kept_account(session: Session, token_hash: str) -> tuple[User | None, int | None]:
    """The token's kept account, made persistent in `session`, while it holds; and the data version to keep a
    freshly looked-up one with (None: nothing is kept)."""
    keeper, version = _keeper()
    if keeper is None:
        return None, None
    kept = keeper.get(token_hash, version)
    if kept is None:
        return None, version
    return session.merge(kept, load=False), version


def keep_account(token_hash: str, user: User, version: int | None) -> None:
    """Keep a detached copy of the account just looked up (its columns as loaded, and its roles)."""
    cache = shared_cache()
    if version is None or cache is None:
        return
    loaded = inspect(user).dict
    columns = {attr.key: loaded[attr.key] for attr in inspect(User).column_attrs if attr.key in loaded}
    roles = [UserRole(user_id=user.id, role=row.role) for row in user.role_rows]
    copy = User(**columns, role_rows=roles)
    for obj in (*roles, copy):
        make_transient_to_detached(obj)  # as if loaded from the database, with nothing to flush
    cache.kept_here("api-accounts", ACCOUNTS_KEPT, ACCOUNT_KEPT).put(token_hash, copy, version)
