"""Trying the app with `make run`: links on the port it serves, the demo logins every time, the demo
reset, and mail printed apart from the access log."""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

import tests.conftest as conftest
from accounts.models import Company, User
from accounts.services import rotate_join_code
from app import create_app
from config import from_environment
from core.urls import external_url
from demo import COMPANIES, DEMO_PASSWORD, PEOPLE
from mail.services import console_transport, queue_message

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- BASE_URL follows PORT


def test_base_url_defaults_to_the_port_the_app_is_served_on(monkeypatch, tmp_path):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8000")
    assert from_environment(tmp_path)["BASE_URL"] == "http://127.0.0.1:8000"
    monkeypatch.delenv("PORT")
    assert from_environment(tmp_path)["BASE_URL"] == "http://127.0.0.1:5000"


def test_a_base_url_that_is_set_wins_over_the_port(monkeypatch, tmp_path):
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setenv("BASE_URL", "https://scivisit.example.org")
    assert from_environment(tmp_path)["BASE_URL"] == "https://scivisit.example.org"
    monkeypatch.setenv("BASE_URL", "")  # set but empty, as `BASE_URL= make run` leaves it
    assert from_environment(tmp_path)["BASE_URL"] == "http://127.0.0.1:8000"


def test_on_port_8000_the_links_in_mail_and_the_coordinator_s_registration_link_lead_there(monkeypatch, tmp_path):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setenv("SCIVISIT_INSTANCE", str(tmp_path / "instance"))
    config = conftest.test_config(f"sqlite:///{tmp_path / 'links.sqlite3'}", tmp_path)  # no query: links only
    del config["BASE_URL"]  # as `make run` starts it: from the environment
    app = create_app(config)
    with app.test_request_context():
        assert external_url("volunteers.register", join_code="DEMSTAR234") == (
            "http://127.0.0.1:8000/register?join_code=DEMSTAR234"
        )
        assert external_url("accounts.reset_password", token="t").startswith("http://127.0.0.1:8000/")


def test_make_run_passes_the_port_to_the_server_and_the_demo_logins(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {**os.environ, "PORT": "8000"}
    out = subprocess.run(["make", "-n", "run"], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    server = next(line for line in out.splitlines() if " run --host" in line)
    assert "PORT=8000 " in server and "--port 8000" in server
    assert any("PORT=8000 " in line and "seed-demo" in line for line in out.splitlines())


# ---------------------------------------------------------------- the demo logins, every time


def _logins_in(output: str) -> list[str]:
    return re.findall(r"\S+@scivisit\.demo", output)


def test_seed_demo_on_an_empty_database_loads_it_and_prints_the_logins(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Demo data loaded. Logins (password for all: {DEMO_PASSWORD}):")
    assert _logins_in(result.output) == [email for email, *_ in PEOPLE]
    for name, code in COMPANIES:
        assert f"join code {code} registers volunteers of {name}" in result.output
    assert "Log in at http://scivisit.test/login" in result.output


def test_seed_demo_again_shows_the_logins_and_the_join_codes_as_they_are_now(runner, db_session, now):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    users = db_session.query(User).count()
    company = db_session.scalar(select(Company).where(Company.name == COMPANIES[0][0]))
    new_code = rotate_join_code(db_session, company, now)
    db_session.commit()

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"Demo data in use. Logins (password for all: {DEMO_PASSWORD}, unless changed since):"
    )
    assert "  admin                  admin@scivisit.demo" in result.output
    assert _logins_in(result.output) == [email for email, *_ in PEOPLE]
    assert f"join code {new_code} registers volunteers of {COMPANIES[0][0]}" in result.output
    assert COMPANIES[0][1] not in result.output  # the rotated code no longer works: not shown
    assert f"join code {COMPANIES[1][1]}" in result.output
    assert "Log in at http://scivisit.test/login" in result.output
    assert db_session.query(User).count() == users  # nothing loaded twice


def test_seed_demo_on_a_database_with_other_data_says_it_did_not_load_the_demo(runner, make_user, db_session):
    make_user(email="someone@example.org")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "The database holds other data, so the demo was not loaded." in result.output
    assert "make demo-reset" in result.output
    assert "Logins" not in result.output and not _logins_in(result.output)
    assert db_session.query(User).count() == 1


# ---------------------------------------------------------------- make demo-reset


def _make(target: str, instance: Path, **env) -> subprocess.CompletedProcess:
    """`make target` as a developer runs it, on the default database of `instance`."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PORT", "BASE_URL", "MAKEFLAGS")}
    # scrypt costs ~0.3 s a hash; what is under test does not depend on it
    environment.update(SCIVISIT_INSTANCE=str(instance), PASSWORD_HASH_METHOD="pbkdf2:sha256:1000", **env)
    return subprocess.run(
        ["make", "--no-print-directory", target], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )


def test_demo_reset_deletes_the_default_sqlite_database_and_loads_the_demo_again(tmp_path):
    instance = tmp_path / "instance"
    first = _make("demo-reset", instance)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Demo data loaded." in first.stdout and "admin@scivisit.demo" in first.stdout
    database = instance / "scivisit.sqlite3"
    with sqlite3.connect(database) as conn:  # someone tried the app and renamed the admin
        conn.execute("UPDATE user_account SET name = 'Tried it' WHERE email = 'admin@scivisit.demo'")
    conn.close()

    second = _make("demo-reset", instance)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Demo data loaded." in second.stdout
    conn = sqlite3.connect(database)
    try:
        names = conn.execute("SELECT name FROM user_account WHERE email = 'admin@scivisit.demo'").fetchall()
    finally:
        conn.close()
    assert names == [("王芳 Wang Fang",)]


def test_demo_reset_refuses_when_database_url_names_another_database(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    default = instance / "scivisit.sqlite3"
    default.write_bytes(b"kept")
    result = _make("demo-reset", instance, DATABASE_URL="postgresql://scivisit@db.internal/scivisit")
    assert result.returncode != 0
    assert "DATABASE_URL is set, so nothing was deleted" in result.stderr
    assert default.read_bytes() == b"kept"
    assert "seed-demo" not in result.stdout


# ---------------------------------------------------------------- mail printed on the terminal


class Recorder(io.StringIO):
    """A stream that remembers each write on its own."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def _email(to: str = "nina@example.com") -> EmailMessage:
    email = EmailMessage()
    email["To"] = to
    email["Subject"] = "Confirm your SciVisit registration"
    email.set_content("Hello Nina,\n\nhttp://127.0.0.1:8000/register/confirm/abc\n")
    email.add_attachment(b"BEGIN:VCALENDAR", maintype="text", subtype="calendar", filename="visit.ics")
    return email


def test_console_mail_is_one_write_of_one_block_between_two_rules():
    stream = Recorder()
    console_transport(_email(), stream)
    assert len(stream.writes) == 1, "one write per message: nothing from another thread can land inside it"
    lines = stream.writes[0].split("\n")
    assert lines[0] == ""  # a blank line apart from whatever came before
    assert lines[1] == "=== mail to nina@example.com " + "=" * (72 - 29)
    assert lines[2:5] == ["Subject: Confirm your SciVisit registration", "", "Hello Nina,"]
    assert "http://127.0.0.1:8000/register/confirm/abc" in lines  # alone on its line, to copy
    assert "[attached: visit.ics (text/calendar)]" in lines
    assert lines[-3].startswith("=== end of mail to nina@example.com ===")
    assert stream.writes[0].endswith("=\n\n")


def test_console_mail_goes_to_stdout_and_not_to_stderr_where_the_access_log_is(capsys):
    console_transport(_email())
    out, err = capsys.readouterr()
    assert "=== mail to nina@example.com" in out and "Hello Nina," in out
    assert err == ""


@pytest.mark.app_config(MAIL_BACKEND="console")
def test_send_mail_prints_each_message_as_a_block_on_stdout_and_nothing_on_stderr(runner, db_session, now):
    for name in ("Ada", "Bo"):
        queue_message(
            db_session,
            recipient=f"{name.lower()}@example.com",
            template="password_reset",
            locale="en",
            now=now,
            name=name,
            minutes=60,
            link=f"http://scivisit.test/reset/{name}",
        )
    db_session.commit()
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    blocks = re.findall(r"=== mail to (\S+) =+\n(.*?)\n=== end of mail to \1 =+\n", result.stdout, re.S)
    assert [to for to, _ in blocks] == ["ada@example.com", "bo@example.com"]
    assert all(body.startswith("Subject: Reset your SciVisit password\n\nHello ") for _, body in blocks)
    assert "http://scivisit.test/reset/Bo" in blocks[1][1]
    assert result.stdout.rstrip().endswith("sent 2, failed 0")
