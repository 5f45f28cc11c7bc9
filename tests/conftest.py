"""Fixtures and factories. Every test gets a fresh database: SQLite always, PostgreSQL too
when TEST_DATABASE_URL is set (and in CI, where REQUIRE_POSTGRES=1 makes its absence a failure)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import tempfile
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from accounts.models import Role
from accounts.services import create_company, create_user, create_user_with_password_hash, hash_password
from app import create_app
from calendars import models as _calendar_models  # noqa: F401
from checkin import models as _checkin_models  # noqa: F401
from core.timeutil import DEFAULT_TZ, ensure_aware, in_zone, local_to_utc
from events.models import SlotRole, VisitStatus
from events.services import LessonData, SlotData, VisitData, create_school, create_visit, publish_visit
from extensions import db, limiter
from kits.models import KitType
from mail import models as _mail_models  # noqa: F401  (every table, for the PostgreSQL schema)
from reports import models as _reports_models  # noqa: F401
from volunteers import models as _volunteers_models  # noqa: F401

PASSWORD = "correct-horse-battery-staple"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
_pg_schema_ready = False

#: The instant every test starts at: Tuesday 12 May 2026, 17:30 UTC, which is already 01:30 on
#: Wednesday 13 May at a school in China. Chosen so that the UTC date and the school's date
#: differ (a helper that takes "today" in UTC, or in the machine's zone, puts a visit on the
#: wrong day and its test fails at once instead of at some hours of the day), and so that no
#: zone the tests use changes its clocks for months either way (China keeps none; Europe and
#: the Americas are on summer time from March to October). A weekday in term time.
START = datetime(2026, 5, 12, 17, 30, tzinfo=UTC)


class Clock:
    """The app's clock in tests (its `CLOCK` setting): stands still at `now` until a test moves it.

    Requests (`g.now`), CLI commands, the mail thread and row timestamps all read it, so a test
    moves time for all of them at once with `clock.advance(hours=2)` or `clock.set(when)`.
    """

    def __init__(self, start: datetime = START) -> None:
        self.now = ensure_aware(start)

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> datetime:
        self.now = ensure_aware(when)
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward (or back, with negative values) by `timedelta(**delta)`."""
        return self.set(self.now + timedelta(**delta))


def _flag(name: str) -> bool:
    return os.environ.get(name) == "1"


def test_config(database_url: str, tmp_path, clock: Clock | None = None) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_BACKEND": "console",
        "BASE_URL": "http://scivisit.test",
        "SERVER_NAME": None,
        # scrypt costs ~0.3 s a hash; the rules under test do not depend on the cost
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # never the wall clock: an app made without the `clock` fixture stands still at START
        "CLOCK": clock if clock is not None else Clock(),
    }


def postgres_url() -> str:
    """The PostgreSQL database of this test process: one per pytest-xdist worker, created on demand."""
    from sqlalchemy.engine import make_url

    from config import normalise_database_url

    url = make_url(normalise_database_url(POSTGRES_URL))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url.render_as_string(hide_password=False)
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    """An empty schema for the next test: built once per process, then emptied with DELETE.

    DELETE on the few rows a test leaves takes milliseconds where TRUNCATE of every table took
    over half a second (it swaps each table's files); the sequences restart at 1 as before.
    """
    global _pg_schema_ready
    engine = _postgres_engine(url)
    with engine.begin() as conn:
        if not _pg_schema_ready:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            db.metadata.create_all(conn)
            _pg_schema_ready = True
            return
        sequences = conn.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))
        statements = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables)]
        restarts = [f"setval('\"{name}\"', 1, false)" for (name,) in sequences]
        if restarts:
            statements.append("SELECT " + ", ".join(restarts))
        conn.exec_driver_sql("; ".join(statements))


@functools.cache
def _postgres_engine(url: str):
    """The engine that empties the database between tests: one connection kept open for the process (a new one
    for each test cost more than the emptying), pinged first because a test may have terminated it."""
    return create_engine(url, pool_size=1, pool_pre_ping=True)


@functools.cache
def _sqlite_template() -> Path:
    """An empty SQLite database with the whole schema, made once per process; each test copies it."""
    path = Path(tempfile.mkdtemp(prefix="scivisit-schema-")) / "template.sqlite3"
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    db.metadata.create_all(engine)
    engine.dispose()
    return path


def empty_sqlite_database(path: Path) -> str:
    """A fresh SQLite database at `path` holding the schema (a copy of the template); gives its URL."""
    shutil.copyfile(_sqlite_template(), path)
    return f"sqlite:///{path}"


@functools.cache
def _sqlite_path() -> Path:
    """Where this test process keeps its SQLite database: one path, a fresh copy of the template per test."""
    return Path(tempfile.mkdtemp(prefix="scivisit-test-")) / "test.sqlite3"


def _fresh_sqlite() -> str:
    path = _sqlite_path()
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)  # a new file: a connection something leaked keeps the old one
    return empty_sqlite_database(path)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """The database under test, empty; the PostgreSQL run is mandatory in CI."""
    if request.param == "sqlite":
        return _fresh_sqlite()
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (for example postgresql://postgres@127.0.0.1:5432/test)")
    url = postgres_url()
    _reset_postgres(url)
    return url


#: the Redis that CI starts; tests that need one are mandatory in CI (REQUIRE_REDIS=1), else skip without it
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis that answers, for the tests of what the server's processes share through it."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        if _flag("REQUIRE_REDIS"):
            pytest.fail(f"REQUIRE_REDIS=1 but Redis does not answer at {REDIS_URL}: {error}")
        pytest.skip(f"needs Redis at {REDIS_URL} (CI starts it): {error}")
    return REDIS_URL


@pytest.fixture
def cache(app, redis_url):
    """The app's shared cache on Redis, under a prefix of this test's own; put back as it was afterwards."""
    import redis

    from core.cache import SharedCache

    prefix = f"test-{uuid.uuid4().hex}"
    before = app.extensions["scivisit_cache"]
    app.extensions["scivisit_cache"] = shared = SharedCache(redis_url, prefix, before.watched)
    yield shared
    app.extensions["scivisit_cache"] = before
    store = redis.Redis.from_url(redis_url)
    keys = list(store.scan_iter(f"{prefix}:*"))
    if keys:
        store.delete(*keys)


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as a server does: its own session, its own `g`.

    The test's session commits what the test set up before the request (as a real setup would
    be committed) and forgets what it had loaded afterwards, so assertions read what the request
    really committed; a view that forgets to commit fails its test.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        # Read the whole body and close it inside the request's context, as a server does: a file
        # response nobody reads would otherwise stay open (a ResourceWarning, an error in this suite).
        kwargs.setdefault("buffered", True)
        try:
            with self.application.app_context():
                return super().open(*args, **kwargs)
        finally:
            db.session.expire_all()


#: database URL -> an app made for it and its settings as made; tests without settings of their own share it
_SHARED_APPS: dict[str, tuple] = {}


@pytest.fixture
def app(request, database_url, tmp_path, monkeypatch, clock):
    """The app on a fresh database, on the test's clock; `@pytest.mark.app_config(KEY=value)` overrides settings.

    Making an app takes longer than most tests (Werkzeug compiles every route), so the tests of a
    process share one per database unless they set settings of their own (`app_config`) or change the
    app itself (`own_app`). Each test still gets an empty database and its own clock; the settings a
    test changes are put back after it.
    """
    monkeypatch.setenv("SCIVISIT_INSTANCE", str(tmp_path / "instance"))
    overrides = {}
    for marker in request.node.iter_markers("app_config"):
        overrides = {**marker.kwargs, **overrides}
    settings = {**test_config(database_url, tmp_path, clock), **overrides}
    if overrides or request.node.get_closest_marker("own_app"):
        application, made_with = create_app(settings), None
    else:
        if database_url not in _SHARED_APPS:
            made = create_app(settings)
            _SHARED_APPS[database_url] = (made, dict(made.config))
        application, made_with = _SHARED_APPS[database_url]
        application.config.update({**made_with, "CLOCK": clock})
        # The limiter is one object for every app, and an app made since may have switched it on.
        limiter.enabled = application.config["RATELIMIT_ENABLED"]
    application.test_client_class = IsolatedClient
    try:
        with application.app_context():
            yield application
            db.session.remove()
            db.engine.dispose()
    finally:
        if made_with is not None:
            application.config.clear()
            application.config.update(made_with)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_app(request, tmp_path, monkeypatch, clock):
    """The app over a database it cannot open: a SQLite file in a missing directory, a PostgreSQL port
    nothing listens on (psycopg is enough; no server is needed)."""
    monkeypatch.setenv("SCIVISIT_INSTANCE", str(tmp_path / "instance"))
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'missing' / 'scivisit.sqlite3'}"
    else:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test"
    application = create_app(test_config(url, tmp_path, clock))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    return db.session


@pytest.fixture
def clock() -> Clock:
    """The clock the app reads, starting at START; move it, never sleep."""
    return Clock(START)


@pytest.fixture
def now(clock) -> datetime:
    """The instant the test starts at (the clock's start; it stays put when the clock moves)."""
    return clock.now


# ---------------------------------------------------------------- worlds built once


#: (name, database kind) -> what a world's build returned, and every table's rows right after it
_WORLDS: dict[tuple[str, str], tuple[object, list[tuple[object, list[dict]]]]] = {}


def built_once(name: str, build):
    """What `build()` returns (plain data: ids, emails, secrets), building it into the test's empty database the first
    time per process and database kind, and later copying the rows it made back in instead: one statement per table
    where building through the services takes hundreds (a world of schools, visits, people and signups made for
    each of hundreds of tests took most of their time). The database then holds exactly what `build()` left.

    The world is kept by `name` and dialect alone: `build()` must make the same rows whatever test first asks for
    it, so it may not depend on a test's own `app_config`, clock or parameters (give such a world a name of its
    own)."""
    engine = db.engine
    key = (name, engine.dialect.name)
    if key not in _WORLDS:
        made = build()
        db.session.commit()
        with engine.connect() as conn:
            rows = [
                (table, [row._asdict() for row in conn.execute(table.select())]) for table in db.metadata.sorted_tables
            ]
        _WORLDS[key] = (made, [(table, table_rows) for table, table_rows in rows if table_rows])
        return made
    made, tables = _WORLDS[key]
    db.session.remove()
    with engine.begin() as conn:
        for table, table_rows in tables:
            conn.execute(table.insert(), table_rows)
            if engine.dialect.name == "postgresql" and "id" in table.c and table.c.id.autoincrement is not False:
                quoted = f'"{table.name}"'
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{quoted}', 'id'), max(id)) FROM {quoted}"))
    return made


# ---------------------------------------------------------------- factories


@pytest.fixture
def make_company(db_session, now):
    counter = iter(range(1, 10_000))

    def make(name: str | None = None):
        company = create_company(db_session, name or f"Company {next(counter)}", now)
        db_session.commit()
        return company

    return make


@pytest.fixture
def make_user(db_session, now, make_company):
    counter = iter(range(1, 10_000))

    def make(*roles: Role, email: str | None = None, name: str | None = None, company=None, **kwargs):
        roles = set(roles) or {Role.VOLUNTEER}
        n = next(counter)
        if Role.COORDINATOR in roles and company is None:
            company = make_company()
        password = kwargs.pop("password", PASSWORD)
        account = dict(email=email or f"person{n}@example.com", name=name or f"Person {n}", roles=roles, now=now)
        if password == PASSWORD:
            # the suite's own password, strong enough (zxcvbn takes about 12 ms a check): hashed once per method
            account["password_hash"] = _password_hash()
            user = create_user_with_password_hash(db_session, **account, company=company, **kwargs)
        else:
            user = create_user(db_session, **account, password=password, company=company, **kwargs)
        db_session.commit()
        return user

    return make


#: hashing method -> PASSWORD hashed with it
_PASSWORD_HASHES: dict[str, str] = {}


def _password_hash() -> str:
    from flask import current_app

    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _PASSWORD_HASHES:
        _PASSWORD_HASHES[method] = hash_password(PASSWORD)
    return _PASSWORD_HASHES[method]


@pytest.fixture
def make_school(db_session, now):
    counter = iter(range(1, 10_000))

    def make(*, hosts=(), **values):
        n = next(counter)
        defaults = {
            "name": f"School {n}",
            "province": "四川省",
            "prefecture": "凉山彝族自治州",
            "county": "美姑县",
            "timezone": "Asia/Shanghai",
        }
        school = create_school(db_session, {**defaults, **values}, hosts=list(hosts), now=now)
        db_session.commit()
        return school

    return make


@pytest.fixture
def make_kit_type(db_session):
    counter = iter(range(1, 10_000))

    def make(**values):
        kit = KitType(**{"name": f"Kit {next(counter)}", "students_per_kit": 4, **values})
        db_session.add(kit)
        db_session.commit()
        return kit

    return make


def school_date(days_ahead: int = 14, tz: str = DEFAULT_TZ):
    """The date at a school in zone `tz`, `days_ahead` days after the test's start (START, the `now` fixture)."""
    return in_zone(START, tz).date() + timedelta(days=days_ahead)


def school_day(days_ahead: int = 14, at: time = time(9, 0), tz: str = DEFAULT_TZ) -> datetime:
    """A wall-clock time at a school `days_ahead` days from the test's today there, as UTC."""
    return local_to_utc(school_date(days_ahead, tz), at, tz)


@pytest.fixture
def make_visit(db_session, now, make_school):
    def make(
        *,
        school=None,
        status: VisitStatus = VisitStatus.PUBLISHED,
        days_ahead: int = 14,
        capacity: int = 3,
        roles=(SlotRole.LEAD_INSTRUCTOR,),
        lessons: int = 1,
        kit_type=None,
        title: str = "火星车科学日 Mars rover day",
        **extra,
    ):
        school = school or make_school()
        starts = school_day(days_ahead, time(9, 0), school.timezone)
        ends = starts + timedelta(hours=6)
        data = VisitData(
            school_id=school.id,
            title=title,
            starts_at=extra.pop("starts_at", starts),
            ends_at=extra.pop("ends_at", ends),
            slots=[SlotData(role=role, capacity=capacity) for role in roles],
            lessons=[
                LessonData(
                    title=f"Lesson {i + 1}",
                    grade=4,
                    starts_at=starts + timedelta(hours=i + 1),
                    ends_at=starts + timedelta(hours=i + 2),
                    students_expected=30,
                    kit_type_id=kit_type.id if kit_type else None,
                )
                for i in range(lessons)
            ],
            **extra,
        )
        # Past visits cannot be created through the rules' "now"; the factory is the clock.
        visit = create_visit(db_session, data, now=now)
        if status in (VisitStatus.PUBLISHED, VisitStatus.COMPLETED, VisitStatus.CANCELLED):
            # Lessons with kits and no stock are short of kits: the factory publishes them anyway, saying so.
            published_at = min(now, visit.starts_at - timedelta(days=1))
            publish_visit(db_session, visit, now=published_at, override_reason="Test factory: no kit stock")
        if status == VisitStatus.COMPLETED:
            visit.status = VisitStatus.COMPLETED
        if status == VisitStatus.CANCELLED:
            visit.status = VisitStatus.CANCELLED
            visit.cancelled_at = now
        db_session.commit()
        return visit

    return make


@pytest.fixture
def login(client):
    """Log a user in through the real login form."""

    def do(user, password: str = PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


#: the statements that open, close or nest a transaction, which `statements_run` leaves out
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")


@contextmanager
def statements_run(*, transaction_control: bool = False):
    """The SQL statements the block runs, in order (transaction control left out unless asked for):
    `with statements_run() as seen:`."""
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        if transaction_control or not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped PostgreSQL or browser test is a failure, not a pass."""
    if not (REQUIRE_POSTGRES or _flag("REQUIRE_BROWSER")):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"FAILED: {len(skipped)} test(s) skipped while the CI requires every test to run")
        session.exitstatus = 1


def pytest_unconfigure(config):
    """Cancel the timers libraries leave behind (limits' in-memory rate-limit storage starts one
    per app), so the run ends at once. Under `faketime` (libfaketime 0.9.10) their timed waits
    never end, and Python waits for them at exit."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


def outbox_rows_committed(database_url: str, subject: str) -> int:
    """How many outbox rows with this subject another connection sees: what was committed."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM outbox_message WHERE subject = :s"), {"s": subject})
    finally:
        engine.dispose()
