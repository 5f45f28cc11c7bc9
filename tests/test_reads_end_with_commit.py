"""core.db.end_reads_with_commit: on PostgreSQL a safe request's read transaction ends with COMMIT, so the
statements psycopg prepared on the connection survive the request and the next requests run them prepared; what a
request wrote without committing, or a transaction the server aborted, is never committed.

The app fixture holds an app context for the whole test, in which Flask-SQLAlchemy's session outlives each request;
`_served` removes the session after each request, as the end of a request's own app context does on a server.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import ProgrammingError

from config import from_environment
from core.db import begin_write
from extensions import db
from mail.models import OutboxMessage
from tests.conftest import outbox_rows_committed

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _served(client, path: str) -> int:
    """GET `path` and end the session as a request's app context does on a server: the status."""
    status = client.get(path).status_code
    db.session.remove()
    return status


def _prepared() -> int:
    """How many statements the pooled connection holds prepared (asked on that connection)."""
    count = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    db.session.remove()
    return count


@pytest.fixture
def one_connection(app):
    """The pooled connections requests use, by identity: the test asserts they were one."""
    used = set()

    def checkout(dbapi_connection, _record, _proxy):
        used.add(id(dbapi_connection))

    db.session.remove()
    event.listen(db.engine, "checkout", checkout)
    yield used
    event.remove(db.engine, "checkout", checkout)


def test_a_page_asked_for_again_runs_statements_the_connection_keeps_prepared(app, client, make_visit, one_connection):
    make_visit(title="Prepared")
    db.session.commit()
    db.session.remove()

    for _ in range(7):  # psycopg prepares a statement at its sixth run on a connection
        assert _served(client, "/") == 200

    assert len(one_connection) == 1
    assert _prepared() > 0


def test_a_read_rolled_back_forgets_what_it_prepared(app, client, make_visit, one_connection):
    """What the commit saves: psycopg's rollback drops every prepared statement (the test that the one above can
    fail)."""
    make_visit(title="Forgotten")
    db.session.commit()
    db.session.remove()
    for _ in range(7):
        _served(client, "/")

    db.session.scalar(text("SELECT 1"))
    db.session.rollback()

    assert len(one_connection) == 1
    assert _prepared() == 0


@pytest.mark.own_app
def test_a_get_that_declared_a_write_and_did_not_commit_leaves_nothing_written(app, client, database_url):
    @app.get("/test/undecided")
    def undecided():
        begin_write(db.session)
        db.session.add(OutboxMessage(recipient="a@example.org", subject="undecided", body=""))
        db.session.flush()
        return "kept back"

    assert _served(client, "/test/undecided") == 200
    assert outbox_rows_committed(database_url, "undecided") == 0


@pytest.mark.own_app
def test_a_get_that_failed_is_rolled_back_notoutbox_rows_committed(app, client, database_url):
    @app.get("/test/failing")
    def failing():
        begin_write(db.session)
        db.session.add(OutboxMessage(recipient="a@example.org", subject="failing", body=""))
        db.session.flush()
        raise RuntimeError("after the flush")

    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    assert _served(client, "/test/failing") == 500
    assert outbox_rows_committed(database_url, "failing") == 0


@pytest.mark.own_app
def test_a_read_whose_statement_failed_ends_quietly_and_the_connection_serves_on(app, client, one_connection):
    """A handler caught the error, so the request ends well, in a transaction PostgreSQL has aborted: its COMMIT
    is answered by a rollback, nothing is raised, and the next request gets a working connection."""

    @app.get("/test/caught")
    def caught():
        try:
            db.session.execute(text("SELECT * FROM no_such_table"))
        except ProgrammingError:
            return "caught"
        return "not reached"

    assert _served(client, "/test/caught") == 200
    assert _served(client, "/healthz") == 200
    assert db.session.scalar(text("SELECT 1")) == 1


@pytest.mark.app_config(SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"prepare_threshold": None}})
def test_with_prepared_statements_turned_off_nothing_is_prepared(app, client, make_visit, one_connection):
    make_visit(title="Unprepared")
    db.session.commit()
    db.session.remove()
    for _ in range(7):
        _served(client, "/")

    assert len(one_connection) == 1
    assert _prepared() == 0


@pytest.mark.parametrize("setting, turned_off", [("false", True), ("true", False), ("", False)])
def test_the_environment_turns_prepared_statements_off_for_postgresql_only(
    setting, turned_off, database_url, monkeypatch, tmp_path
):
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", setting)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert ("connect_args" in from_environment(tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"]) is turned_off
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "other.sqlite3"))
    assert from_environment(tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"] == {}
