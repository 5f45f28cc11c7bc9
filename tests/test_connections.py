"""Pooled PostgreSQL connections that died while idle (a database restart, a firewall's timeout) cost a fresh
connection, not a failed request; a busy server does not pay a round trip per request to find out."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from core import db as core_db

pytestmark = [pytest.mark.parametrize("database_url", ["postgresql"], indirect=True), pytest.mark.own_app]


def _kill_the_apps_connections(url: str) -> int:
    """Terminate every other session on the app's database, as a restart would; how many there were."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    return killed


def test_an_idle_connection_that_died_is_replaced_before_use(app, client, database_url, monkeypatch):
    assert client.get("/readyz").status_code == 200
    assert _kill_the_apps_connections(database_url) >= 1
    monkeypatch.setattr(core_db, "IDLE_CHECK_SECONDS", 0.0)  # every connection counts as idle
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok"


def test_a_connection_used_a_moment_ago_is_not_pinged_and_dying_in_use_costs_one_request(
    app, client, database_url, monkeypatch
):
    # Never idle long enough to be checked: no ping precedes its use, so the dead connection is found in use.
    monkeypatch.setattr(core_db, "IDLE_CHECK_SECONDS", 3600.0)
    assert client.get("/readyz").status_code == 200
    _kill_the_apps_connections(database_url)
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").status_code == 200
