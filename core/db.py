"""Database behaviour that must hold on SQLite as on PostgreSQL."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

#: Execution option asking SQLite to take the write lock when the transaction begins.
BEGIN_IMMEDIATE = "scivisit_begin_immediate"


def configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, a busy timeout, and BEGIN under our control rather than pysqlite's."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling would issue BEGIN lazily and never IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(BEGIN_IMMEDIATE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def begin_write(session: Session) -> None:
    """Start the session's transaction holding SQLite's write lock (a no-op elsewhere).

    Call it before reading anything that a scarce write depends on, so two writers queue on
    the busy timeout instead of failing with "database is locked" when one upgrades its lock.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        bind = session.get_bind()
        if bind.dialect.name == "sqlite":
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("begin_write() must come before any change in the transaction")
            # A read transaction (loading the user, say) holds a snapshot that may be stale
            # by the time it wants to write: end it and start again with the lock.
            session.commit()
        else:
            return
    session.connection(execution_options={BEGIN_IMMEDIATE: True})


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum stored as its value in a VARCHAR with a CHECK, the same on SQLite and PostgreSQL."""
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=30)
