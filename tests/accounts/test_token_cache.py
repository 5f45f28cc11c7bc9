"""A bearer token's account kept by the server process (accounts.token_cache): the next call finds who is calling
without a query, and never after a revoked token, a disabled account, a changed role or a write by another
process; without Redis every call looks its token up."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from accounts import token_cache
from accounts.models import Role, User
from accounts.services import issue_api_token, revoke_api_token, set_roles
from core.cache import ProcessKept, SharedCache
from extensions import db
from tests.conftest import REDIS_URL, statements_run


@pytest.fixture
def caller(db_session, make_user, now):
    """A coordinator, their raw token and its bearer headers."""
    user = make_user(Role.ADMIN, name="Li Na")
    token = issue_api_token(db_session, user, now)
    db_session.commit()
    return user, token, {"Authorization": f"Bearer {token}"}


def _counting(client, path: str, headers: dict):
    """GET `path`: the response and the SQL statements it ran."""
    with statements_run(transaction_control=True) as seen:
        return client.get(path, headers=headers), seen


def _looks_up_a_token(statements: list[str]) -> bool:
    return any("api_token" in statement for statement in statements)


def test_the_next_call_finds_its_account_without_a_query(cache, client, caller):
    _, _, headers = caller
    first, statements = _counting(client, "/api/v1/me", headers)
    assert first.status_code == 200 and _looks_up_a_token(statements)

    again, statements = _counting(client, "/api/v1/me", headers)

    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert statements == []  # /me reads nothing else: the whole call ran no SQL


def test_a_kept_account_has_its_roles_and_loads_the_rest_when_asked(cache, client, caller, make_company, db_session):
    user, _, headers = caller
    user.company = make_company("Acme")
    db_session.commit()
    assert client.get("/api/v1/hubs", headers=headers).status_code == 200

    # what the admin-only list needs (the roles) came kept; the account's company loads when read
    again, statements = _counting(client, "/api/v1/hubs", headers)

    assert again.status_code == 200
    assert not _looks_up_a_token(statements)
    kept = cache.kept_here("accounts", token_cache.ACCOUNTS_KEPT, token_cache.ACCOUNT_KEPT)
    assert kept.get(next(iter(kept._kept)), cache.version()).roles == {Role.ADMIN}
    with client.application.app_context():
        merged, _ = token_cache.kept_account(db.session, next(iter(kept._kept)))
        assert merged in db.session and merged.company.name == "Acme"
        db.session.rollback()


def test_a_revoked_token_is_refused_at_its_next_call(cache, client, caller):
    _, _, headers = caller
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204

    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"


def test_a_disabled_account_is_refused_at_its_next_call(cache, client, caller, db_session):
    user, _, headers = caller
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    db_session.get(User, user.id).active = False
    db_session.commit()

    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_role_taken_away_counts_at_the_next_call(cache, client, caller, db_session):
    user, _, headers = caller
    assert client.get("/api/v1/hubs", headers=headers).status_code == 200

    set_roles(db_session.get(User, user.id), {Role.VOLUNTEER})
    db_session.commit()

    assert client.get("/api/v1/hubs", headers=headers).status_code == 403


def test_a_revocation_by_another_process_counts_at_the_next_call(cache, client, caller, database_url, now):
    _, token, headers = caller
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    # Another server process revokes it: its own database connection and its own cache client, same Redis.
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("UPDATE api_token SET revoked_at = created_at"))
    engine.dispose()
    SharedCache(REDIS_URL, cache.prefix, cache.watched).data_changed()

    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert not revoke_api_token(db.session, token, now)  # it was revoked indeed


def test_a_write_behind_the_apps_back_counts_once_the_account_is_too_old_to_keep():
    clock = [0.0]
    kept = ProcessKept(size=10, longest=token_cache.ACCOUNT_KEPT, clock=lambda: clock[0])
    kept.put("token-hash", "account", version=7)

    clock[0] = token_cache.ACCOUNT_KEPT
    assert kept.get("token-hash", 7) == "account"
    assert kept.get("token-hash", 8) is None  # any write the app made since

    clock[0] = token_cache.ACCOUNT_KEPT + 0.001
    assert kept.get("token-hash", 7) is None


def test_a_process_keeps_so_many_accounts_and_lets_the_oldest_go_first():
    kept = ProcessKept(size=2, longest=60)
    for name in ("a", "b", "c"):
        kept.put(name, name.upper(), version=1)

    assert [kept.get(name, 1) for name in ("a", "b", "c")] == [None, "B", "C"]
    assert kept.get("b", None) is None  # no version (no Redis): nothing kept is trusted


def test_without_redis_every_call_looks_its_token_up_and_is_answered(app, client, caller, caplog):
    _, _, headers = caller
    before = app.extensions["scivisit_cache"]
    app.extensions["scivisit_cache"] = SharedCache("redis://127.0.0.1:9/0", "unreachable", before.watched)
    try:
        with caplog.at_level(logging.WARNING, logger="core.cache"):
            answers = [_counting(client, "/api/v1/me", headers) for _ in range(2)]
    finally:
        app.extensions["scivisit_cache"] = before

    assert [response.status_code for response, _ in answers] == [200, 200]
    assert all(_looks_up_a_token(statements) for _, statements in answers)
    assert "shared cache unreachable" in caplog.text


def test_without_a_shared_cache_every_call_looks_its_token_up(client, caller):
    _, _, headers = caller
    answers = [_counting(client, "/api/v1/me", headers) for _ in range(2)]

    assert [response.status_code for response, _ in answers] == [200, 200]
    assert all(_looks_up_a_token(statements) for _, statements in answers)
