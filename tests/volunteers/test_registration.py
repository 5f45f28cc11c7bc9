"""Registering with a join code: the account is made from a link mailed to the address, and the answer
never tells whether the address already has an account."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from accounts.models import PasswordReset, Role, User
from core.db import begin_write
from core.errors import DomainError
from extensions import db
from mail.models import OutboxMessage
from mail.services import render_message
from tests.conftest import PASSWORD, statements_run
from tests.volunteers.conftest import flashes, page
from volunteers import registration
from volunteers.models import PendingRegistration

CONFIRM_LINK = re.compile(r"http://scivisit\.test(/register/confirm/\S+)")
CSRF = re.compile(r'name="csrf_token"[^>]*value="[^"]*"')


def form(company, email: str = "nina@example.com", **values) -> dict:
    return {
        "join_code": company.join_code,
        "name": "Nina Newcomer",
        "email": email,
        "phone": "13800001234",
        "languages": ["mandarin", "english"],
        "password": PASSWORD,
        "confirm": PASSWORD,
        **values,
    }


def mail_to(db_session, email: str) -> OutboxMessage:
    return db_session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)).one()


def confirm_path(db_session, email: str) -> str:
    return CONFIRM_LINK.search(mail_to(db_session, email).body).group(1)


def users_with(db_session, email: str) -> int:
    return db_session.scalar(select(func.count()).select_from(User).where(User.email == email))


def statements_during(call) -> tuple[object, list[str]]:
    with statements_run(transaction_control=True) as seen:
        result = call()
    return result, seen


# ---------------------------------------------------------------- a new address


def test_a_new_address_gets_a_confirmation_link_and_no_account_yet(client, make_company, db_session, now):
    company = make_company()
    response = client.post("/register", data=form(company, email=" Nina@Example.com "))
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/sent"
    assert users_with(db_session, "nina@example.com") == 0

    pending = db_session.scalars(select(PendingRegistration)).one()
    assert pending.email == "nina@example.com"
    assert (pending.name, pending.phone, pending.company_id) == ("Nina Newcomer", "13800001234", company.id)
    assert pending.languages == ["english", "mandarin"]
    assert pending.locale == "en"  # the language the form was read in
    assert pending.password_hash != PASSWORD and check_password_hash(pending.password_hash, PASSWORD)
    assert pending.expires_at == now + timedelta(hours=48)

    message = mail_to(db_session, "nina@example.com")
    assert message.template == "confirm_registration"
    assert message.subject == "Confirm your SciVisit registration"
    assert "Hello Nina Newcomer," in message.body
    assert company.name in message.body and "48 hours" in message.body
    token = confirm_path(db_session, "nina@example.com").rsplit("/", 1)[1]
    assert token not in pending.token_hash  # only the hash is kept


def test_the_check_your_email_page_says_what_to_do_next(client):
    html = page(client.get("/register/sent"))
    assert "<h1>Check your email</h1>" in html
    assert "We have sent a message to the address you entered." in html


def test_opening_the_link_only_shows_a_button_and_pressing_it_creates_the_account_and_signs_in(
    client, make_company, db_session
):
    company = make_company(name="Rocket Works")
    client.post("/register", data=form(company))
    path = confirm_path(db_session, "nina@example.com")

    # Mail scanners open links: opening one changes nothing.
    html = page(client.get(path))
    assert "<h1>Confirm your registration</h1>" in html
    assert "nina@example.com" in html and "Rocket Works" in html
    assert f'<form method="post" action="{path}"' in html
    assert users_with(db_session, "nina@example.com") == 0

    response = client.post(path)
    assert response.headers["Location"] == "/"
    assert "Welcome, Nina Newcomer! Your volunteer account is ready." in flashes(client, response)
    assert client.get("/api/v1/me").status_code == 200  # signed in

    user = db_session.scalars(select(User).where(User.email == "nina@example.com")).one()
    assert (user.company_id, user.roles, user.languages) == (company.id, {Role.VOLUNTEER}, ["english", "mandarin"])
    # The form was read in English, which the phone asked for: kept for mail, not as the person's choice.
    assert (user.phone, user.locale, user.last_locale) == ("13800001234", None, "en")
    assert db_session.scalars(select(PendingRegistration)).one().used_at is not None
    client.post("/logout")
    assert client.post("/login", data={"email": "nina@example.com", "password": PASSWORD}).status_code == 302


def test_a_used_link_is_gone(client, make_company, db_session):
    client.post("/register", data=form(make_company()))
    path = confirm_path(db_session, "nina@example.com")
    assert client.post(path).status_code == 302
    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 410
    assert users_with(db_session, "nina@example.com") == 1


def test_a_link_expires_after_the_configured_hours(client, make_company, db_session, clock):
    client.post("/register", data=form(make_company()))
    path = confirm_path(db_session, "nina@example.com")
    clock.advance(hours=47, minutes=59)
    assert client.get(path).status_code == 200
    clock.advance(minutes=1)
    response = client.get(path)
    assert response.status_code == 410
    assert "This link is not valid or has expired." in page(response)
    assert client.post(path).status_code == 410
    assert users_with(db_session, "nina@example.com") == 0


def test_an_unknown_link_is_gone(client):
    assert client.get("/register/confirm/not-a-token").status_code == 410
    assert client.post("/register/confirm/not-a-token").status_code == 410


def test_registering_forgets_expired_registrations(client, make_company, db_session, clock):
    company = make_company()
    client.post("/register", data=form(company, email="first@example.com"))
    clock.advance(hours=48)
    client.post("/register", data=form(company, email="second@example.com"))
    assert db_session.scalars(select(PendingRegistration.email)).all() == ["second@example.com"]


def test_confirming_when_an_account_appeared_meanwhile_says_to_log_in(client, make_company, make_user, db_session):
    company = make_company()
    target = "/visits/?when=past"
    client.post("/register", data=form(company, next=target))
    path = confirm_path(db_session, "nina@example.com")
    make_user(email="nina@example.com", name="Made By The Office")

    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/visits/?when%3Dpast"
    assert "An account with this email already exists. Please log in." in flashes(client, response)
    assert users_with(db_session, "nina@example.com") == 1
    assert db_session.scalars(select(User.name).where(User.email == "nina@example.com")).one() == "Made By The Office"
    assert client.get("/api/v1/me").status_code == 401  # nobody signed in


def test_two_registrations_of_one_address_make_one_account(client, make_company, db_session):
    company = make_company()
    client.post("/register", data=form(company))
    client.post("/register", data=form(company, name="Nina Again"))
    first, second = [
        CONFIRM_LINK.search(m.body).group(1)
        for m in db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    ]
    assert client.post(second).status_code == 302
    client.post("/logout")
    response = client.post(first)
    assert response.headers["Location"] == "/login"
    assert users_with(db_session, "nina@example.com") == 1


def test_two_confirmations_racing_for_one_address_make_one_account_and_the_other_hears_email_taken(
    app, database_url, make_company, db_session, now
):
    """On PostgreSQL both can find the address free; the unique email lets one through, the other gets a code.

    (On SQLite the second waits for the first one's write lock, then finds the account: the same answer.)
    """
    company = make_company()
    tokens = []
    for name in ("First Click", "Second Click"):
        registration.register_volunteer(
            db_session, join_code=company.join_code, email="race@example.com", name=name, password=PASSWORD, now=now
        )
        db_session.commit()
        latest = db_session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
        tokens.append(CONFIRM_LINK.search(latest).group(1))
    first, second = (path.rsplit("/", 1)[1] for path in tokens)
    db_session.rollback()  # end this session's read: on SQLite it would hold a snapshot, or the write lock

    outcome: dict[str, object] = {}
    with Session(db.engine) as one, Session(db.engine) as other:
        begin_write(one)  # as the confirmation's POST begins (on SQLite: with the write lock)
        registration.confirm_registration(one, first, now)  # inserted, not yet committed

        def confirm_other():
            try:
                begin_write(other)
                registration.confirm_registration(other, second, now)
                other.commit()
                outcome["result"] = "created"
            except DomainError as error:
                other.rollback()
                outcome["result"] = error.code
            except Exception as error:  # reported by the assertion below, never lost in the thread
                outcome["result"] = error

        thread = threading.Thread(target=confirm_other)
        thread.start()
        if database_url.startswith("postgresql"):
            _wait_until_a_statement_waits_for_a_lock(thread)
        one.commit()
        thread.join(timeout=60)
    assert outcome == {"result": "email_taken"}
    assert db_session.scalars(select(User.name).where(User.email == "race@example.com")).all() == ["First Click"]


def _wait_until_a_statement_waits_for_a_lock(thread: threading.Thread) -> None:
    """Until the other confirmation's INSERT queues behind the first one's uncommitted row."""
    deadline = time.monotonic() + 30
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline and thread.is_alive():
            waiting = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            if waiting:
                return
            watcher.rollback()
            time.sleep(0.01)
    pytest.fail("the second confirmation never waited for the first one's row")


# ---------------------------------------------------------------- an address that has an account


def _strip_csrf(html: str) -> str:
    return CSRF.sub('name="csrf_token" value=""', html)


def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_a_mail(
    app, client, make_company, make_user, db_session
):
    company = make_company()
    owner = make_user(email="owner@example.com", name="Olga Owner", company=company, locale="zh_CN")
    owner_hash = owner.password_hash

    new = client.post("/register", data=form(company, email="fresh@example.com"))
    new_page = client.get(new.headers["Location"])
    taken = app.test_client()
    taken.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    other_password = {"password": "another-long-passphrase", "confirm": "another-long-passphrase"}
    known = taken.post("/register", data=form(company, email="Owner@example.com", **other_password))
    known_page = taken.get(known.headers["Location"])

    assert (known.status_code, known.headers["Location"]) == (new.status_code, new.headers["Location"])
    assert known.get_data() == new.get_data()
    assert (known_page.status_code, _strip_csrf(page(known_page))) == (
        new_page.status_code,
        _strip_csrf(page(new_page)),
    )

    # Nothing changed for the account, nothing waits to be confirmed for it.
    db_session.expire_all()
    assert db_session.get(User, owner.id).password_hash == owner_hash
    assert users_with(db_session, "owner@example.com") == 1
    assert db_session.scalars(select(PendingRegistration.email)).all() == ["fresh@example.com"]

    # The owner hears of it, in their own language, with a way to log in and a working reset link.
    message = mail_to(db_session, "owner@example.com")
    assert message.template == "registration_account_exists"
    with force_locale("zh_CN"):
        assert message.subject == gettext("Someone tried to register on SciVisit with your email")
    assert message.body.startswith("Olga Owner，您好：")
    assert "http://scivisit.test/login\n" in message.body
    assert "/register/confirm/" not in message.body
    reset = re.search(r"http://scivisit\.test(/password/reset/\S+)", message.body).group(1)
    assert db_session.scalars(select(PasswordReset.user_id)).all() == [owner.id]
    assert client.get(reset).status_code == 200


def test_the_owner_s_login_link_keeps_the_page_the_registration_came_from(client, make_company, make_user, db_session):
    company = make_company()
    make_user(email="owner@example.com")
    client.post("/register", data=form(company, email="owner@example.com", next="/my/visits"))
    assert "http://scivisit.test/login?next=/my/visits\n" in mail_to(db_session, "owner@example.com").body


def test_registering_runs_the_same_statements_for_a_new_and_a_known_address(
    app, client, make_company, make_user, db_session
):
    """The time a registration takes must not tell either: both do the same work, statement for statement."""
    company = make_company()
    make_user(email="owner@example.com", company=company)
    client.post("/register", data=form(company, email="warm-up@example.com"))  # templates, translations

    new_form, known_form = form(company), form(company, email="owner@example.com")
    new, new_statements = statements_during(lambda: client.post("/register", data=new_form))
    known, known_statements = statements_during(lambda: client.post("/register", data=known_form))
    assert new.status_code == known.status_code == 302
    assert len(new_statements) == len(known_statements), (new_statements, known_statements)
    # Statement for statement: the same kind of each, in the same order (only the token row's table differs).
    assert [s.split()[0] for s in new_statements] == [s.split()[0] for s in known_statements]


# ---------------------------------------------------------------- what still answers on the form


def test_password_rules_still_answer_on_the_form_whoever_the_address_belongs_to(
    client, make_company, make_user, db_session
):
    company = make_company()
    make_user(email="owner@example.com")
    for email in ("fresh@example.com", "owner@example.com"):
        short = client.post("/register", data=form(company, email=email, password="abc", confirm="abc"))
        assert short.status_code == 422
        common = client.post("/register", data=form(company, email=email, password="password1", confirm="password1"))
        assert common.status_code == 422
        assert re.search(r'id="password-error"[^>]*>This password is too common', page(common))
        assert f'value="{email}"' in page(common)  # what was typed is kept
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db_session.scalar(select(func.count()).select_from(PendingRegistration)) == 0


def test_an_unknown_language_is_refused_on_the_form(client, make_company, db_session):
    response = client.post("/register", data=form(make_company(), languages=["klingon"]))
    assert response.status_code == 422
    assert db_session.scalar(select(func.count()).select_from(PendingRegistration)) == 0


def test_an_invalid_join_code_answers_on_the_form_as_before(client, make_company, make_user, db_session):
    make_company()
    make_user(email="owner@example.com")
    for email in ("fresh@example.com", "owner@example.com"):
        response = client.post("/register", data=form(make_company(), email=email, join_code="WRONGCODE2"))
        assert response.status_code == 422
        assert "This join code is not valid. Ask your company coordinator." in page(response)
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# ---------------------------------------------------------------- the messages in both languages

GREETING = {"en": "Hello {name},", "zh_CN": "{name}，您好："}


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_registration_messages_read_in_english_and_chinese(app, locale):
    confirm = render_message(
        "confirm_registration",
        locale,
        name="刘洋",
        company="Rocket Works",
        link="http://scivisit.test/register/confirm/TOKEN",
        hours=48,
    )
    exists = render_message(
        "registration_account_exists",
        locale,
        name="刘洋",
        login_link="http://scivisit.test/login",
        reset_link="http://scivisit.test/password/reset/TOKEN",
        minutes=60,
    )
    with force_locale(locale):
        subjects = (
            gettext("Confirm your SciVisit registration"),
            gettext("Someone tried to register on SciVisit with your email"),
        )
    assert (confirm[0], exists[0]) == subjects
    for _subject, body in (confirm, exists):
        assert body.startswith(GREETING[locale].format(name="刘洋"))
        assert "{{" not in body and "%(" not in body
    assert "http://scivisit.test/register/confirm/TOKEN" in confirm[1] and "Rocket Works" in confirm[1]
    assert "http://scivisit.test/login" in exists[1] and "http://scivisit.test/password/reset/TOKEN" in exists[1]
