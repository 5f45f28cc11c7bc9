"""`flask backup`: a consistent copy of the SQLite database, taken while others write, that restores whole."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, func, insert, select

from accounts.models import Role, User
from accounts.services import invite, issue_api_token, request_password_reset
from app import create_app
from core.backup import BackupError, backup_database
from core.db import configure_sqlite
from events.models import Visit
from extensions import db
from kits.models import KitType
from tests import conftest
from volunteers.models import Signup
from volunteers.signups import sign_up

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }


@pytest.fixture
def programme(db_session, now, make_user, make_visit, make_kit_type):
    """Rows in as many tables as the services fill: people, companies, schools, visits, signups, mail, tokens."""
    admin = make_user(Role.ADMIN, email="office@example.com")
    coordinator = make_user(Role.COORDINATOR, email="coordinator@example.com")
    volunteer = make_user(Role.VOLUNTEER, email="volunteer@example.com", company=coordinator.company)
    visit = make_visit(kit_type=make_kit_type(name="Water rockets"), title="火箭日 Rocket day", lessons=2)
    sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteer, now=now)
    issue_api_token(db_session, admin, now)
    request_password_reset(db_session, volunteer.email, now)
    invite(db_session, email="new@example.com", role=Role.HOST, invited_by=admin, school=visit.school, now=now)
    db_session.commit()
    return visit


def _restored_app(path, tmp_path, clock):
    return create_app(conftest.test_config(f"sqlite:///{path}", tmp_path, clock))


@sqlite_only
def test_a_backup_taken_during_an_open_write_restores_every_committed_row(
    app, runner, programme, tmp_path, clock, make_school
):
    make_school(name="Backup primary school")
    before = _counts()
    school_name, signup_status = programme.school.name, db.session.scalar(select(Signup.status))
    assert sum(1 for n in before.values() if n) >= 8, before  # the copy is compared on real data
    writer = sqlite3.connect(db.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM signup")  # uncommitted while the backup runs
    target = tmp_path / "backups" / "scivisit.sqlite3"
    target.parent.mkdir()
    try:
        result = runner.invoke(args=["backup", str(target)])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    assert list(target.parent.iterdir()) == [target]  # no temporary file left beside it

    restored = _restored_app(target, tmp_path, clock)
    with restored.app_context():
        assert _counts() == before
        assert set(db.session.scalars(select(User.email))) >= {
            "office@example.com",
            "coordinator@example.com",
            "volunteer@example.com",
        }
        visit = db.session.scalar(select(Visit))
        assert visit.title == "火箭日 Rocket day"
        assert visit.school.name == school_name
        assert [lesson.title for lesson in sorted(visit.lessons, key=lambda x: x.id)] == ["Lesson 1", "Lesson 2"]
        signup = db.session.scalar(select(Signup))
        assert signup.user.email == "volunteer@example.com"
        assert signup.status == signup_status
        db.session.remove()
        db.engine.dispose()


@sqlite_only
def test_a_backup_taken_while_others_keep_writing_holds_whole_transactions(app, runner, tmp_path, clock, now):
    """Every transaction of the writer adds two kit types: a consistent copy holds an even number."""
    engine = create_engine(db.engine.url)
    configure_sqlite(engine)
    stop, written = threading.Event(), threading.Event()
    commits = []

    def keep_writing():
        n = 0
        while not stop.is_set():
            with engine.begin() as conn:
                for half in ("a", "b"):
                    conn.execute(insert(KitType).values(name=f"writer {n} {half}", created_at=now))
            n += 1
            commits.append(n)
            if n >= 20:
                written.set()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        assert written.wait(timeout=60)
        result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
        during = len(commits)
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    assert result.exit_code == 0, result.output

    check = sqlite3.connect(tmp_path / "copy.sqlite3")
    try:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        copied = check.execute("SELECT count(*) FROM kit_type").fetchone()[0]
    finally:
        check.close()
    assert copied % 2 == 0 and copied >= 40
    assert copied <= 2 * during


@sqlite_only
def test_a_backup_never_replaces_a_file_unless_forced(app, runner, tmp_path, make_user):
    make_user(email="kept@example.com")
    target = tmp_path / "existing.sqlite3"
    target.write_bytes(b"yesterday's backup")

    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code != 0
    assert "already exists" in result.output and "--force" in result.output
    assert target.read_bytes() == b"yesterday's backup"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".existing")] == []

    result = runner.invoke(args=["backup", "--force", str(target)])
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("SELECT email FROM user_account").fetchall() == [("kept@example.com",)]
    finally:
        copy.close()


@sqlite_only
def test_a_backup_of_a_database_that_does_not_exist_is_refused_without_creating_one(app, tmp_path):
    missing = tmp_path / "nowhere.sqlite3"
    with pytest.raises(BackupError, match="no SQLite database"):
        backup_database(f"sqlite:///{missing}", tmp_path / "copy.sqlite3")
    assert not missing.exists() and not (tmp_path / "copy.sqlite3").exists()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_backup_of_postgresql_points_to_pg_dump(app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output and "pg_restore" in result.output
    assert not (tmp_path / "copy.sqlite3").exists()


def _no_hard_links(error: BaseException):
    def link(*args, **kwargs):
        raise error

    return link


@sqlite_only
@pytest.mark.parametrize(
    "error",
    [
        PermissionError(errno.EPERM, "Operation not permitted"),  # what Linux says on FAT and exFAT
        OSError(errno.EOPNOTSUPP, "Operation not supported"),
        NotImplementedError("no hard links here"),
    ],
    ids=["EPERM", "EOPNOTSUPP", "not-implemented"],
)
def test_a_backup_on_a_filesystem_without_hard_links_is_made_by_an_exclusive_create(
    app, runner, tmp_path, make_user, monkeypatch, error
):
    make_user(email="kept@example.com")
    monkeypatch.setattr(os, "link", _no_hard_links(error))
    target = tmp_path / "backups" / "copy.sqlite3"
    target.parent.mkdir()

    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert list(target.parent.iterdir()) == [target]
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT email FROM user_account").fetchall() == [("kept@example.com",)]
    finally:
        copy.close()

    result = runner.invoke(args=["backup", str(target)])  # and still never over an existing file
    assert result.exit_code != 0
    assert "already exists" in result.output and "Traceback" not in result.output


@sqlite_only
def test_without_hard_links_a_file_that_appears_during_the_backup_is_not_replaced(app, runner, tmp_path, monkeypatch):
    target = tmp_path / "backups" / "copy.sqlite3"
    target.parent.mkdir()

    def someone_else_writes_it_then_no_link(*args, **kwargs):
        target.write_bytes(b"another backup")
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", someone_else_writes_it_then_no_link)
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert target.read_bytes() == b"another backup"
    assert list(target.parent.iterdir()) == [target]


@sqlite_only
def test_a_backup_that_cannot_be_written_is_a_one_line_error_not_a_traceback(app, runner, tmp_path, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    result = runner.invoke(args=["backup", str(tmp_path / "missing" / "copy.sqlite3")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: ") and "does not exist" in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output

    backups = tmp_path / "backups"
    backups.mkdir()
    monkeypatch.setattr(os, "link", _no_hard_links(PermissionError(errno.EPERM, "Operation not permitted")))
    monkeypatch.setattr(os, "replace", disk_full)
    result = runner.invoke(args=["backup", str(backups / "copy.sqlite3")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: ") and "No space left on device" in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert list(backups.iterdir()) == [], "neither the claimed name nor the temporary file is left"
