"""How transactions begin (core.db): every request that may change data holds SQLite's write lock
from its first statement, pages read without it, and a page that writes without saying so fails."""

from __future__ import annotations

import sqlite3

import pytest
from flask import request
from sqlalchemy import select

from accounts.models import Company
from core.db import begin_write
from extensions import db

#: the tests add routes of their own
pytestmark = pytest.mark.own_app


def _others_can_write(app) -> bool:
    """Whether another connection could take the write lock right now."""
    other = sqlite3.connect(db.engine.url.database, timeout=0.05, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        other.close()


@pytest.fixture
def probe(app):
    """A route that reads, then tells whether another connection could write meanwhile."""

    def view():
        db.session.execute(select(Company.id)).all()  # the transaction has begun
        return {"others_can_write": _others_can_write(app), "method": request.method}

    app.add_url_rule("/_probe", "probe", view, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    return "/_probe"


#: SQLite's write lock (PostgreSQL locks rows, and needs none of this)
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@sqlite_only
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_request_that_may_write_holds_the_write_lock_from_its_first_read(app, client, probe, method):
    answer = client.open(probe, method=method)
    assert answer.status_code == 200
    assert answer.json == {"others_can_write": False, "method": method}


@sqlite_only
def test_a_page_reads_without_the_write_lock(app, client, probe):
    answer = client.get(probe)
    assert answer.json == {"others_can_write": True, "method": "GET"}


@sqlite_only
def test_work_outside_a_request_reads_without_the_lock_until_it_declares_a_write(app, db_session):
    db_session.execute(select(Company.id)).all()
    assert _others_can_write(app)
    begin_write(db_session)  # a read transaction is ended and begun again with the lock
    db_session.execute(select(Company.id)).all()
    assert not _others_can_write(app)
    db_session.rollback()
    assert _others_can_write(app)


def test_a_page_that_writes_without_declaring_it_fails_on_every_database(app, client, caplog):
    def careless():
        db.session.add(Company(name="Made by a GET", join_code="GETGETGET"))
        db.session.commit()
        return "written"

    app.add_url_rule("/_careless", "careless", careless)

    answer = client.get("/_careless")

    assert answer.status_code == 500
    assert "GET /_careless writes without begin_write()" in caplog.text
    assert db.session.scalar(select(Company).where(Company.name == "Made by a GET")) is None


def test_a_page_that_declares_its_write_may_write(app, client):
    def declared():
        begin_write(db.session)
        db.session.add(Company(name="Declared by a GET", join_code="DECLARED1"))
        db.session.commit()
        return "written"

    app.add_url_rule("/_declared", "declared", declared)

    assert client.get("/_declared").status_code == 200
    assert db.session.scalar(select(Company.name).where(Company.name == "Declared by a GET"))


@sqlite_only
def test_cli_commands_that_read_then_write_declare_it(app, runner, monkeypatch):
    """seed-demo, create-user and send-reminders read and then write while the app may be serving."""
    seen = []
    real = begin_write

    def spy(session):
        seen.append(True)
        real(session)
        seen.append(not _others_can_write(app))

    monkeypatch.setattr("cli.begin_write", spy)
    for args in (
        ["seed-demo"],
        ["send-reminders"],
        ["create-user", "--email", "c@example.com", "--name", "C", "--role", "admin", "--password", "x7-Kq!vRt-p2mZ"],
    ):
        seen.clear()
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert seen == [True, True], args
