"""Account pages: login, logout, language, passwords, invitations, rate limits, cookies."""

from __future__ import annotations

import re

import pytest

from accounts.models import Invitation, Role, User
from mail.models import OutboxMessage
from tests.conftest import PASSWORD, csrf_token_from, statements_run


def test_login_page_is_translated_and_has_labelled_fields(client):
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<label for="email">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert '<html lang="en">' in page
    zh = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh
    assert "<h1>登录</h1>" in zh
    assert '<label for="email">邮箱</label>' in zh


def test_wrong_password_and_unknown_email_show_the_same_message(client, make_user):
    user = make_user()
    wrong = client.post(
        "/login", data={"email": user.email, "password": "nope-nope"}, headers={"Accept-Language": "en"}
    )
    unknown = client.post(
        "/login", data={"email": "ghost@example.com", "password": "nope-nope"}, headers={"Accept-Language": "en"}
    )
    assert wrong.status_code == unknown.status_code == 422
    assert "The email or password is not right." in wrong.get_data(as_text=True)
    assert "The email or password is not right." in unknown.get_data(as_text=True)
    assert user.email in wrong.get_data(as_text=True)  # input kept


def test_login_starts_a_fresh_session_and_follows_only_local_next(client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "attacker"
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert "planted" not in session
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": "/profile"})
    assert response.headers["Location"] == "/profile"


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_logout_ends_the_session(client, make_user, login):
    login(make_user())
    assert client.get("/profile").status_code == 200
    client.post("/logout")
    assert client.get("/profile").status_code == 302


def test_protected_page_sends_anonymous_visitors_to_login_and_back(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/profile")


def test_language_switch_is_remembered_on_the_account(client, make_user, login, db_session):
    user = make_user()
    login(user)
    client.post("/language", data={"locale": "en", "next": "/profile"})
    assert db_session.get(User, user.id).locale == "en"
    page = client.get("/profile", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "My profile" in page


def test_language_switch_works_for_visitors_and_ignores_unknown_languages(client):
    client.post("/language", data={"locale": "en"})
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    client.post("/language", data={"locale": "xx"})
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_accept_language_english_is_honoured_and_chinese_is_the_default(client):
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in english
    assert '<html lang="zh-CN">' in client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in client.get("/login").get_data(as_text=True)


def test_password_change_keeps_this_session_and_ends_others(app, make_user):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    for c in (here, elsewhere):
        c.post("/login", data={"email": user.email, "password": PASSWORD})
    response = here.post(
        "/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a-new-long-passphrase",
            "confirm": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302


def test_password_change_shows_the_error_next_to_the_field(client, make_user, login):
    login(make_user(locale="en"))
    response = client.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": "password123", "confirm": "password123"},
        headers={"Accept-Language": "en"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="new_password-error"[^>]*>This password is too common', page)


def test_forgot_password_says_the_same_for_known_and_unknown_emails(client, make_user, db_session):
    user = make_user()
    known = client.post("/password/forgot", data={"email": user.email}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "ghost@example.com"}, follow_redirects=True)
    assert known.get_data(as_text=True).count("flash") == unknown.get_data(as_text=True).count("flash")
    assert db_session.query(OutboxMessage).count() == 1


def _statements_of(call) -> tuple[object, list[str]]:
    with statements_run(transaction_control=True) as seen:
        return call(), seen


def test_asking_for_a_reset_runs_the_same_statements_and_answers_the_same_for_known_and_unknown_emails(
    app, make_user, db_session
):
    """Nothing a client can see, the time included, may tell whether the address has an account."""
    make_user(email="known@example.com")
    app.test_client().post("/password/forgot", data={"email": "warm-up@example.com"})  # templates, translations
    answers, statements = [], []
    for email in ("known@example.com", "ghost@example.com"):
        client = app.test_client()
        response, seen = _statements_of(lambda: client.post("/password/forgot", data={"email": email}))  # noqa: B023
        answers.append((response.status_code, response.headers["Location"], response.get_data(), _page_of(client)))
        statements.append(seen)
    known, unknown = statements
    assert known == unknown, (known, unknown)  # the very same SQL, in the same order
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/login")
    assert [m.recipient for m in db_session.query(OutboxMessage)] == ["known@example.com"]


def _page_of(client) -> str:
    """The login page the reset request leads to, with its flash, without the per-session CSRF token."""
    html = client.get("/login").get_data(as_text=True)
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", html)


def test_reset_link_sets_a_new_password_once(client, make_user, db_session):
    user = make_user()
    client.post("/password/forgot", data={"email": user.email})
    body = db_session.query(OutboxMessage).one().body
    path = re.search(r"http://scivisit.test(/password/reset/\S+)", body).group(1)
    assert client.get(path).status_code == 200
    response = client.post(path, data={"new_password": "fresh-long-passphrase", "confirm": "fresh-long-passphrase"})
    assert response.status_code == 302
    assert client.get(path).status_code == 410
    assert client.post("/login", data={"email": user.email, "password": "fresh-long-passphrase"}).status_code == 302


def test_unknown_reset_link_is_gone(client):
    assert client.get("/password/reset/not-a-token").status_code == 410


def test_admin_invites_a_host_who_then_registers(client, make_user, make_school, login, db_session, app):
    admin = make_user(Role.ADMIN)
    school = make_school()
    login(admin)
    response = client.post(
        "/admin/invitations", data={"email": "teacher@school.cn", "role": "host", "school": school.id, "company": 0}
    )
    assert response.status_code == 302
    body = db_session.query(OutboxMessage).filter_by(recipient="teacher@school.cn").one().body
    path = re.search(r"http://scivisit.test(/invitation/\S+)", body).group(1)
    guest = app.test_client()
    assert guest.get(path).status_code == 200
    response = guest.post(path, data={"name": "陈老师", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    host = db_session.query(User).filter_by(email="teacher@school.cn").one()
    assert host.roles == {Role.HOST}
    assert host in school.hosts
    assert guest.get(path).status_code == 410


def test_invitation_for_a_host_without_a_school_is_shown_again_with_the_error(client, make_user, login, db_session):
    login(make_user(Role.ADMIN, locale="en"))
    response = client.post(
        "/admin/invitations",
        data={"email": "teacher@school.cn", "role": "host", "school": 0, "company": 0},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose a school for this host." in page
    assert 'value="teacher@school.cn"' in page
    assert db_session.query(Invitation).count() == 0


def test_withdrawn_invitation_no_longer_opens(client, make_user, make_company, login, db_session, app):
    login(make_user(Role.ADMIN))
    company = make_company()
    client.post(
        "/admin/invitations", data={"email": "c@corp.com", "role": "coordinator", "company": company.id, "school": 0}
    )
    invitation = db_session.query(Invitation).one()
    body = db_session.query(OutboxMessage).one().body
    path = re.search(r"http://scivisit.test(/invitation/\S+)", body).group(1)
    assert client.post(f"/admin/invitations/{invitation.id}/revoke").status_code == 302
    assert app.test_client().get(path).status_code == 410


limits_on = pytest.mark.app_config(
    RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_IP="5 per minute"
)


@limits_on
def test_login_is_limited_per_account_with_a_clear_429_page(limited_app, make_user):
    client = limited_app.test_client()
    user = make_user()
    statuses = [
        client.post(
            "/login", data={"email": user.email, "password": "wrong-wrong"}, headers={"Accept-Language": "en"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]


@limits_on
def test_login_is_limited_per_ip_across_accounts(limited_app):
    client = limited_app.test_client()
    statuses = [
        client.post("/login", data={"email": f"p{i}@example.com", "password": "wrong-wrong"}).status_code
        for i in range(6)
    ]
    assert statuses[-1] == 429
    assert statuses[:5] == [422] * 5


@limits_on
def test_registration_is_rate_limited_too(limited_app, make_company):
    client = limited_app.test_client()
    statuses = [
        client.post("/register", data={"email": f"x{i}@example.com", "join_code": "WRONG"}).status_code
        for i in range(6)
    ]
    assert statuses[-1] == 429


def test_csrf_token_is_required_on_forms(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    user = make_user()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_login_keeps_the_language_being_read_for_mail_but_not_as_the_person_s_choice(client, make_user, db_session):
    user = make_user()
    assert user.locale is None
    client.post("/login", data={"email": user.email, "password": PASSWORD}, headers={"Accept-Language": "en"})
    user = db_session.get(User, user.id)
    assert (user.locale, user.last_locale, user.mail_locale) == (None, "en", "en")


def test_an_email_with_a_nul_is_refused_next_to_the_field_and_logs_no_one_in(client, make_user):
    """PostgreSQL cannot hold NUL in text; the login form refuses it before any query (it was a 500)."""
    user = make_user()
    for email in ("a\x00b@x.org", f"{user.email}\x00"):
        response = client.post("/login", data={"email": email, "password": PASSWORD}, headers={"Accept-Language": "en"})
        assert response.status_code == 422
        error = re.search(r'id="email-error">(.*?)</p>', response.get_data(as_text=True), re.S)
        assert error and "cannot be saved" in error.group(1)
        with client.session_transaction() as session:
            assert "_user_id" not in session


def test_a_next_link_with_control_characters_is_forgotten_not_an_error_no_one_can_see(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": "/profile\x00\x1b"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
