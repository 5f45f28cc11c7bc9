"""core.db.statement_by_statement: on PostgreSQL, work that has not used the database yet runs each statement
committed by itself (no BEGIN, no COMMIT); never once a transaction has begun, never on SQLite; and the
connection goes back to the pool as it was."""

from __future__ import annotations

from sqlalchemy import insert, select, text, update

from core.db import nothing_to_commit, statement_by_statement
from events.models import School
from extensions import db
from mail.models import OutboxMessage
from tests.conftest import outbox_rows_committed


def _row(marker: str) -> dict:
    return {"recipient": "a@example.org", "subject": marker, "body": ""}


def test_on_postgresql_each_statement_commits_by_itself_before_the_commit(app, database_url):
    with app.app_context():
        session = db.session()
        used = statement_by_statement(session)
        session.execute(insert(OutboxMessage.__table__).values(**_row("alone")))

        if database_url.startswith("postgresql"):
            assert used
            assert session.connection().connection.driver_connection.autocommit
            assert outbox_rows_committed(database_url, "alone") == 1  # seen by another connection before any commit
        else:
            assert not used  # SQLite: BEGIN IMMEDIATE stays what queues writers
            assert outbox_rows_committed(database_url, "alone") == 0
        session.commit()


def test_once_the_work_has_used_the_database_it_stays_in_its_transaction(app, database_url):
    with app.app_context():
        session = db.session()
        session.scalar(select(1))

        assert not statement_by_statement(session)

        session.execute(insert(OutboxMessage.__table__).values(**_row("inside")))
        assert outbox_rows_committed(database_url, "inside") == 0
        session.rollback()
        assert outbox_rows_committed(database_url, "inside") == 0


def test_the_connection_goes_back_to_the_pool_transactional(app, database_url):
    with app.app_context():
        session = db.session()
        statement_by_statement(session)
        session.scalar(select(1))
        session.commit()

        session.execute(insert(OutboxMessage.__table__).values(**_row("later")))
        if database_url.startswith("postgresql"):
            assert not session.connection().connection.driver_connection.autocommit
        session.rollback()

        assert outbox_rows_committed(database_url, "later") == 0


def test_work_done_statement_by_statement_has_nothing_left_to_commit(app, database_url):
    with app.app_context():
        session = db.session()
        alone = statement_by_statement(session)
        session.execute(insert(OutboxMessage.__table__).values(**_row("done")))

        assert nothing_to_commit(session) == alone == database_url.startswith("postgresql")
        session.add(OutboxMessage(**_row("pending")))
        assert not nothing_to_commit(session)  # an ORM change still waits for its flush and commit
        session.rollback()


def test_a_write_the_shared_cache_must_announce_is_left_to_the_commit(app, cache, database_url, make_school):
    school = make_school(name="Announced Primary")
    db.session.commit()
    with app.app_context():
        session = db.session()
        statement_by_statement(session)
        session.execute(text("SELECT 1"))
        assert nothing_to_commit(session) == database_url.startswith("postgresql")

        session.execute(update(School).where(School.id == school.id).values(name="Renamed Primary"))

        assert not nothing_to_commit(session)  # its commit raises the data version every process reads
        session.commit()


def test_a_transaction_that_began_normally_always_commits(app):
    with app.app_context():
        session = db.session()
        session.scalar(select(1))
        assert not nothing_to_commit(session)
        session.rollback()
