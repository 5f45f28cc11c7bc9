"""Database behaviour that must hold on SQLite as on PostgreSQL.

SQLite allows one writer at a time. A transaction that begins with a plain (deferred) BEGIN,
reads, and then writes must upgrade its lock; if another connection wrote in between, SQLite
answers "database is locked" at once, whatever the busy timeout. So a transaction that may
write begins with BEGIN IMMEDIATE, taking the write lock first and queueing on the busy timeout.
For requests this is decided in one place, the engine's "begin" event (SQLAlchemy's documented
recipe for pysqlite transactions), so no view can forget it:

- a request whose method may change data (POST, PUT, PATCH, DELETE) begins every transaction
  immediately;
- a request whose method cannot (GET, HEAD, OPTIONS) reads from a snapshot with a deferred
  BEGIN, so pages never wait for writers; it may not write at all (a flush with changes raises,
  on every database) unless it declared it first with `begin_write`.

Work outside a request (CLI commands, the mail thread, scripts and tests) begins deferred, so
that reading holds no lock; what reads and then writes there calls `begin_write` first, and what
begins with a write (a conditional UPDATE, as the outbox does) needs nothing.
"""

from __future__ import annotations

import enum
import time

from flask import has_request_context, request
from sqlalchemy import Enum, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, scoped_session

from core.cache import announces_on_commit

#: Execution option asking SQLite to take the write lock when the transaction begins.
BEGIN_IMMEDIATE = "scivisit_begin_immediate"
#: `Session.info` key: this session declared (with `begin_write`) that it writes.
WRITES = "scivisit_writes"
#: DBAPI connection `info` key: the current transaction began with BEGIN IMMEDIATE.
_IMMEDIATE = "scivisit_immediate"

#: PostgreSQL's INTEGER: ids and counts beyond it fail in the database (SQLite cannot even bind some), so a value
#: from outside is checked against it before it reaches a query
MAX_INT = 2**31 - 1


def is_database_id(value: int) -> bool:
    """Whether a number from outside can be a row's id: positive and within the database's INTEGER (beyond it,
    PostgreSQL fails the query and SQLite cannot even bind it)."""
    return 0 < value <= MAX_INT


#: methods that cannot change data (RFC 9110 "safe"): their requests read only
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def in_safe_request() -> bool:
    """Whether this is a request whose method promises not to change anything."""
    return has_request_context() and request.method in SAFE_METHODS


def _begins_immediately(conn) -> bool:
    if conn.get_execution_options().get(BEGIN_IMMEDIATE):
        return True
    return has_request_context() and request.method not in SAFE_METHODS


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
        immediate = _begins_immediately(conn)
        conn.info[_IMMEDIATE] = immediate
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: a pooled connection unused this long (seconds) is checked before use: a server restarted or a firewall that
#: dropped it meanwhile costs a fresh connection, not a failed request
IDLE_CHECK_SECONDS = 10.0
#: pool record `info` key: when the connection went back to the pool (time.monotonic())
_RETURNED = "scivisit_returned"


def check_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has been idle, instead of before every use.

    SQLAlchemy's `pool_pre_ping` costs a round trip on every checkout, a fifth of a check-in scan's. A busy
    server reuses its connections within milliseconds, so a connection that went bad while idle is the
    common case this still catches; one that fails in use invalidates the pool (SQLAlchemy's disconnect
    handling), so a database restart under load costs each process one failed request. SQLite has no
    connection to lose.
    """
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check_if_idle(dbapi_connection, record, _proxy):
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < IDLE_CHECK_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except engine.dialect.loaded_dbapi.Error as error:
            # the pool throws this connection away and checks out another (SQLAlchemy's documented recipe)
            raise DisconnectionError() from error


def end_reads_with_commit(app, session: scoped_session) -> None:
    """On PostgreSQL, a safe request's read transaction ends with COMMIT instead of the ROLLBACK of the session's
    removal, so the connection keeps its prepared statements.

    psycopg prepares a statement on the server after its fifth run on a connection (`prepare_threshold`), and
    PostgreSQL then runs it without parsing or, once its generic plan proves as good, planning: for the joined
    selects of a signed-in page, planning is most of the database's work. But psycopg forgets every prepared
    statement at a ROLLBACK (connection.rollback() clears its cache and deallocates them), and a request's
    session ends that way when it is removed: so they were never used. A COMMIT of a transaction that wrote
    nothing changes nothing; the pool's own reset then finds the connection idle and sends nothing.

    Only a safe request, ending without an exception, whose session has nothing pending and declared no write
    (`begin_write`: its view commits or rolls back itself). A transaction whose statement failed in a handler
    that caught it is aborted on the server, which answers its COMMIT by rolling back. It runs at the request's
    teardown, before the app context's, where Flask-SQLAlchemy removes the session.
    """
    with app.app_context():
        if session.get_bind().dialect.name != "postgresql":
            return

    @app.teardown_request
    def _commit_reads(error: BaseException | None) -> None:
        if error is not None or not in_safe_request() or not session.registry.has():
            return
        current = session()
        transaction = current.get_transaction()
        if (
            transaction is None
            or current.info.get(_CONNECTED) is not transaction  # it never used the database
            or current.info.get(WRITES)
            or current.new
            or current.dirty
            or current.deleted
            or not current.is_active  # a failed flush waits for its rollback
            or current.connection().invalidated  # lost in use: only a rollback lets it reconnect
        ):
            return
        current.commit()


def _refuse_writes_in_safe_requests(flushing: Session, _context, _instances) -> None:
    if not (flushing.new or flushing.dirty or flushing.deleted):
        return
    if in_safe_request() and not flushing.info.get(WRITES):
        raise RuntimeError(f"{request.method} {request.path} writes without begin_write()")


def forbid_writes_in_safe_requests(session: scoped_session) -> None:
    """A GET (HEAD, OPTIONS) request that writes without `begin_write` fails loudly, on every database.

    On SQLite its deferred transaction could not take the write lock safely; everywhere, a safe
    method that changes data surprises caches, link prefetchers and mail scanners. Idempotent:
    every app built on the same `db` shares its session factory.
    """
    if not event.contains(session, "before_flush", _refuse_writes_in_safe_requests):
        event.listen(session, "before_flush", _refuse_writes_in_safe_requests)


def begin_write(session: Session) -> None:
    """Declare that this transaction writes: on SQLite, hold the write lock from its start.

    A request that may change data begins so already; a command or thread that reads and then
    writes (or a GET request that must write, rarely right) calls this before reading what the
    write depends on.
    """
    if isinstance(session, scoped_session):
        session = session()
    session.info[WRITES] = True
    if session.in_transaction():
        if session.get_bind().dialect.name != "sqlite" or session.connection().info.get(_IMMEDIATE):
            return
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must come before any change in the transaction")
        # A read transaction holds a snapshot that may be stale by the time it wants to write:
        # end it and start again with the lock.
        session.commit()
    session.connection(execution_options={BEGIN_IMMEDIATE: True})


#: Session.info key: the session transaction that has taken its connection (SessionEvents.after_begin)
_CONNECTED = "scivisit_connected"
#: Session.info key: the session transaction that runs statement by statement
_ALONE = "scivisit_statement_by_statement"


@event.listens_for(Session, "after_begin")
def _connected(session: Session, transaction, _connection) -> None:
    session.info[_CONNECTED] = transaction


def statement_by_statement(session: Session) -> bool:
    """On PostgreSQL, run the rest of this session's work without a transaction, each statement committed by
    itself, if it has not used the database yet; returns whether it does.

    Only for work whose one write is a single statement (atomic by itself) and whose reads need no common
    snapshot (under READ COMMITTED each statement takes its own anyway): it saves the round trips of BEGIN and
    COMMIT, a twentieth of a check-in scan's time. The session's commit then has nothing left to commit, and the
    connection goes back to the pool with its usual isolation. On SQLite nothing changes (BEGIN IMMEDIATE is
    what queues its writers).
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name != "postgresql":
        return False
    if session.in_transaction() and session.info.get(_CONNECTED) is session.get_transaction():
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    session.info[_ALONE] = session.get_transaction()
    return True


def nothing_to_commit(session: Session) -> bool:
    """Whether this session's work ran statement by statement, so every statement has committed itself, and it
    holds nothing a commit would still do: no pending change, no write the shared cache must announce. Then a
    commit would only keep books, and the request's end gives the connection back."""
    if isinstance(session, scoped_session):
        session = session()
    if session.info.get(_ALONE) is not session.get_transaction() or session.get_transaction() is None:
        return False
    return not (session.new or session.dirty or session.deleted or announces_on_commit(session))


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum stored as its value in a VARCHAR with a CHECK, the same on SQLite and PostgreSQL."""
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=30)


#: (dialect, model, conflict_on, value keys) -> its INSERT .. ON CONFLICT DO NOTHING, built once
_INSERTS_OR_IGNORE: dict[tuple, object] = {}


def insert_or_ignore(session: Session, model, values: dict, *, conflict_on: list[str]) -> bool:
    """INSERT a row unless one with the same `conflict_on` key exists: True when it was inserted.

    `ON CONFLICT DO NOTHING` on SQLite and PostgreSQL alike, so a race for one key is decided by the
    database (one insert wins, the others insert nothing) without an error that aborts the transaction.

    A Core INSERT on the model's table with `values` as its parameters, built once per call site and
    kept, so a hot path (a check-in scan) neither rebuilds it nor computes its cache key again; the
    column defaults apply as for the ORM, and pending changes are flushed first as autoflush would.
    """
    if isinstance(session, scoped_session):
        session = session()
    dialect = session.get_bind().dialect.name
    key = (dialect, model, tuple(conflict_on), tuple(values))
    statement = _INSERTS_OR_IGNORE.get(key)
    if statement is None:
        statement = _insert_or_ignore_statement(dialect, model.__table__, key[2], key[3])
        _INSERTS_OR_IGNORE[key] = statement
    if session.autoflush:
        session.flush()  # nothing to do, and cheap, when nothing is pending
    return session.execute(statement, values).rowcount > 0


def _insert_or_ignore_statement(dialect: str, table, conflict_on: tuple[str, ...], names: tuple[str, ...]):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    unknown = [name for name in names if name not in table.c]
    if unknown:  # Core would ignore a parameter that is not a column: say so rather than lose the value
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    # SQLAlchemy 2.1 reports an INSERT's rowcount only when asked to keep it (-1 otherwise, on psycopg)
    return (
        insert(table).on_conflict_do_nothing(index_elements=list(conflict_on)).execution_options(preserve_rowcount=True)
    )
