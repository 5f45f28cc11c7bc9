"""An account kept by each server process under what proved who is calling, so that a request finds its account
without a query: an API call under its bearer token's hash (never the token), a signed-in page under its session's
id (the account's id and session nonce, which the signed session cookie carries). A scan at the school gate above
all: on PostgreSQL the lookup (token, account, roles) was a fifth of a scan's CPU, and every signed-in page read
its account again.

Each process keeps the accounts it looked up as detached ORM objects, with the shared data version (core.cache)
read before the lookup. Every request reads the version (one small Redis read) and takes the kept account only
while it is unchanged: any write to the tables below, in any process, raises it after its commit, so a revoked
token, a disabled account, a changed role or a logout everywhere (a new session nonce) is seen by the very next
request. An account is also kept for ACCOUNT_KEPT seconds at most, for writes that bypass the app.

A kept account joins the request's session as SQLAlchemy's caching recipe does, `Session.merge(load=False)`:
persistent, with its roles, and no SQL. Without a shared cache (no CACHE_REDIS_URL, the SQLite default), or when
Redis cannot be reached, every request looks its account up.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from accounts.models import User, UserRole
from core.cache import process_keeper, shared_cache

#: the tables whose writes make a kept account stale
WATCHED_TABLES = frozenset({"api_token", "user_account", "user_role"})
#: seconds an account is kept at most
ACCOUNT_KEPT = 300
#: accounts kept by one process at most
ACCOUNTS_KEPT = 1000


#: the accounts' keeper in each process (core.cache.SharedCache.kept_here)
_KEEPER = ("accounts", ACCOUNTS_KEPT, ACCOUNT_KEPT)


def account_for(session: Session, key: str, look_up: Callable[[], User | None]) -> User | None:
    """The account kept under `key` (a token's hash, a session's id), else the one `look_up` finds, kept from now
    on (None: no such account)."""
    user, version = kept_account(session, key)
    if user is None:
        user = look_up()
        if user is not None:
            keep_account(key, user, version)
    return user


def kept_account(session: Session, key: str) -> tuple[User | None, int | None]:
    """The account kept under `key` (a token's hash, a session's id), made persistent in `session`, while it
    holds; and the data version to keep a freshly looked-up one with (None: nothing is kept)."""
    keeper, version = process_keeper(*_KEEPER)
    if keeper is None:
        return None, None
    kept = keeper.get(key, version)
    if kept is None:
        return None, version
    return session.merge(kept, load=False), version


def keep_account(key: str, user: User, version: int | None) -> None:
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
    cache.kept_here(*_KEEPER).put(key, copy, version)
