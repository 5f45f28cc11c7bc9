"""Application set-up: configuration, production safety, error pages, headers, SQLite settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import create_app
from config import from_environment, normalise_database_url
from extensions import db


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_always_uses_psycopg_3(given, used):
    assert normalise_database_url(given) == used


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SCIVISIT_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        from_environment(tmp_path)


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SCIVISIT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = from_environment(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["MAIL_BACKEND"] == "smtp"


def test_development_secret_key_is_random_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SCIVISIT_ENV", raising=False)
    first = from_environment(tmp_path)["SECRET_KEY"]
    second = from_environment(tmp_path)["SECRET_KEY"]
    other = from_environment(tmp_path / "elsewhere")["SECRET_KEY"]
    assert first == second != other
    assert len(first) >= 40


@pytest.mark.own_app  # it adds a route
def test_an_unexpected_error_shows_a_translated_page_without_a_traceback(app, client):
    @app.get("/boom")
    def boom():
        raise ValueError("secret internals")

    response = client.get("/boom", headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_pages_send_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_sqlite_runs_with_foreign_keys_wal_and_a_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIVISIT_INSTANCE", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "TESTING": True})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        db.engine.dispose()


def test_begin_write_takes_the_sqlite_write_lock_at_once(tmp_path, monkeypatch):
    """A second writer waits on BEGIN IMMEDIATE instead of failing later with 'database is locked'."""
    import sqlite3

    from core.db import begin_write

    monkeypatch.setenv("SCIVISIT_INSTANCE", str(tmp_path))
    path = tmp_path / "lock.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        db.create_all()
        begin_write(db.session)
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
        db.engine.dispose()


def test_create_user_command_makes_the_first_admin(runner, db_session):
    from accounts.models import Role, User

    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Boss@Example.org",
            "--name",
            "Programme Office",
            "--role",
            "admin",
            "--password",
            "a-long-admin-passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db_session.query(User).filter_by(email="boss@example.org").one()
    assert user.roles == {Role.ADMIN}


def test_create_user_command_prompts_for_the_password_and_refuses_weak_ones(runner):
    result = runner.invoke(
        args=["create-user", "--email", "a@example.org", "--name", "A", "--role", "volunteer"],
        input="password1\npassword1\n",
    )
    assert result.exit_code != 0
    assert "password_too_common" in result.output


def test_seed_demo_loads_once_with_every_role_and_five_regions(runner, db_session):
    from accounts.models import Role, User
    from events.models import School, Visit, VisitStatus

    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@scivisit.demo" in first.output
    counts = (db_session.query(User).count(), db_session.query(Visit).count())
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert (db_session.query(User).count(), db_session.query(Visit).count()) == counts
    roles = set().union(*(u.roles for u in db_session.query(User)))
    assert roles == set(Role)
    assert len({s.county for s in db_session.query(School)}) >= 5
    statuses = {v.status for v in db_session.query(Visit)}
    assert statuses == set(VisitStatus)


def test_the_demos_past_visits_took_their_kits_to_the_classroom(runner, db_session, client):
    from events.models import Visit, VisitStatus
    from kits.ledger import verify_ledger
    from kits.models import VisitKit

    assert runner.invoke(args=["seed-demo"]).exit_code == 0

    rows = db_session.query(VisitKit, Visit.status).join(Visit, Visit.id == VisitKit.visit_id).all()
    assert rows and {status for _, status in rows} == {VisitStatus.COMPLETED}
    journeys = [journey for journey, _ in rows]
    for journey in journeys:
        assert journey.shipped > 0 and journey.received is not None
        assert journey.consumed + journey.returned == journey.received  # nothing left at the school
    assert sorted(journey.shipped - journey.received for journey in journeys)[-1] == 1  # one kit lost on the way
    assert verify_ledger(db_session).ok
    page = client.get("/transparency", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Mars rover science day" in page and "arrived" in page


def test_ids_beyond_the_databases_integer_in_page_paths_are_not_found(client):
    assert client.get("/visits/99999999999999999999").status_code == 404
    assert client.get("/visits/2147483648").status_code == 404
    assert client.get("/schools/99999999999999999999").status_code == 404
    assert client.get("/api/v1/visits/99999999999999999999").status_code == 404
    assert client.get("/").status_code == 200


def test_an_unknown_role_filter_on_the_people_list_is_ignored(client, login, make_user):
    from accounts.models import Role

    login(make_user(Role.ADMIN, name="Ada Admin"))
    response = client.get("/people/?role=x")
    assert response.status_code == 200
    assert "Ada Admin" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [" ", "%20%20", "%E2%80%A8", "%09"])
def test_a_blank_looking_role_filter_on_the_people_list_is_ignored_too(client, login, make_user, role):
    """WTForms' Optional() took a blank-looking value for an empty one and dropped the "not a choice" error."""
    from accounts.models import Role

    login(make_user(Role.ADMIN, name="Ada Admin"))
    response = client.get(f"/people/?role={role}")
    assert response.status_code == 200
    assert "Ada Admin" in response.get_data(as_text=True)


def test_a_page_number_beyond_the_databases_integer_is_an_empty_page_not_an_error(client, login, make_user, make_visit):
    from accounts.models import Role

    login(make_user(Role.ADMIN))
    make_visit(title="Kite day")
    for path in ("/", "/visits/", "/schools/", "/people/", "/admin/outbox", "/admin/invitations"):
        for page in ("99999999999999999999", "9223372036854775808", "100001", "-99999999999999999999", "x"):
            response = client.get(f"{path}?page={page}")
            assert response.status_code == 200, (path, page)
    assert "Kite day" not in client.get("/visits/?page=99999999999999999999").get_data(as_text=True)
    assert "Kite day" in client.get("/visits/?page=-1").get_data(as_text=True)


def test_a_method_a_page_does_not_have_is_405_with_the_allowed_methods(client):
    """RFC 9110: a 405 lists the methods the resource has in Allow."""
    for method, path, allowed in (
        ("DELETE", "/login", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("GET", "/logout", {"OPTIONS", "POST"}),
        ("PUT", "/visits/", {"GET", "HEAD", "OPTIONS"}),
    ):
        response = client.open(path, method=method)
        assert response.status_code == 405
        assert response.mimetype == "text/html"
        assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
