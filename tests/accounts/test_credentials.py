"""Sessions and credentials that end when they should, and limits that count every way of guessing."""

from __future__ import annotations

import logging

import pytest

from accounts import services
from accounts.models import ApiToken, PasswordReset
from mail.models import OutboxMessage
from tests.conftest import PASSWORD, REDIS_URL, csrf_token_from

NEW_PASSWORD = "a-brand-new-passphrase"


def _token(db_session, user, now) -> str:
    raw = services.issue_api_token(db_session, user, now)
    db_session.commit()
    return raw


def _reset_link(db_session, user, now) -> str:
    services.request_password_reset(db_session, user.email, now)
    db_session.commit()
    body = db_session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first().body
    return body.split("/password/reset/")[1].split()[0]


def _me(app, headers=None, cookie=None) -> int:
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("session", cookie)
    return client.get("/api/v1/me", headers=headers or {}).status_code


def test_a_session_cookie_copied_before_logout_no_longer_works_after_it(app, client, login, make_user):
    login(make_user())
    copied = client.get_cookie("session").value
    assert _me(app, cookie=copied) == 200
    assert client.post("/logout").status_code == 302
    assert _me(app, cookie=copied) == 401
    assert client.get("/api/v1/me").status_code == 401


def test_changing_the_password_revokes_api_tokens_and_other_reset_links(app, client, login, db_session, now, make_user):
    user = make_user()
    token = _token(db_session, user, now)
    link = _reset_link(db_session, user, now)
    assert _me(app, headers={"Authorization": f"Bearer {token}"}) == 200
    login(user)
    response = client.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _me(app, headers={"Authorization": f"Bearer {token}"}) == 401
    assert app.test_client().get(f"/password/reset/{link}").status_code == 410
    # the session that changed it carries on
    assert client.get("/api/v1/me").status_code == 200
    assert db_session.query(ApiToken).one().revoked_at == now


def test_a_password_reset_revokes_api_tokens_and_the_other_reset_links(app, db_session, now, make_user):
    user = make_user()
    token = _token(db_session, user, now)
    first, second = _reset_link(db_session, user, now), _reset_link(db_session, user, now)
    services.reset_password(db_session, second, NEW_PASSWORD, now)
    db_session.commit()
    assert _me(app, headers={"Authorization": f"Bearer {token}"}) == 401
    assert app.test_client().get(f"/password/reset/{first}").status_code == 410
    assert {reset.used_at for reset in db_session.query(PasswordReset)} == {now}
    assert services.authenticate(db_session, user.email, NEW_PASSWORD).id == user.id


def test_a_bad_bearer_token_is_401_even_with_a_valid_session_cookie(app, client, login, db_session, now, make_user):
    person, other = make_user(name="Cookie Person"), make_user(name="Token Person")
    login(person)
    assert client.get("/api/v1/me").get_json()["name"] == "Cookie Person"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    assert bad.get_json()["error"]["code"] == "unauthorized"
    assert bad.headers["WWW-Authenticate"] == "Bearer"
    # a bad token on a public endpoint is refused too, rather than served as anonymous
    assert client.get("/api/v1/visits", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    # a good token speaks for its own account, whoever's cookie rides along
    good = client.get("/api/v1/me", headers={"Authorization": f"Bearer {_token(db_session, other, now)}"})
    assert good.status_code == 200
    assert good.get_json()["name"] == "Token Person"


def test_a_token_request_with_a_cookie_needs_no_csrf_token_and_a_cookie_alone_still_does(
    app, db_session, now, make_user, make_visit
):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    slot = make_visit().slots[0]
    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert client.post(f"/api/v1/slots/{slot.id}/signups", json={}).status_code == 400  # cookie alone: CSRF
    answer = client.post(
        f"/api/v1/slots/{slot.id}/signups",
        json={},
        headers={"Authorization": f"Bearer {_token(db_session, user, now)}"},
    )
    assert answer.status_code == 201


limits_on = pytest.mark.app_config(
    RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_IP="50 per minute"
)


@limits_on
def test_the_login_form_and_the_token_endpoint_share_one_counter_per_account(limited_app, make_user):
    client = limited_app.test_client()
    user = make_user()
    wrong = {"email": user.email, "password": "wrong-wrong"}
    assert client.post("/login", data=wrong).status_code == 422
    assert client.post("/api/v1/tokens", json=wrong).status_code == 401
    assert client.post("/login", data=wrong).status_code == 422
    assert client.post("/api/v1/tokens", json={**wrong, "password": PASSWORD}).status_code == 429
    assert client.post("/login", data={**wrong, "password": PASSWORD}).status_code == 429
    # another account is not held back
    other = make_user()
    assert client.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 302


@limits_on
def test_a_json_body_to_the_login_form_counts_against_the_account_it_names(limited_app, make_user):
    client = limited_app.test_client()
    user = make_user()
    for _ in range(3):
        assert client.post("/login", json={"email": user.email, "password": "wrong-wrong"}).status_code in (400, 422)
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 429


def test_production_with_memory_rate_limits_warns_at_start_up(caplog, tmp_path, database_url):
    from app import create_app
    from tests.conftest import test_config

    with caplog.at_level(logging.WARNING):
        create_app({**test_config(database_url, tmp_path), "PRODUCTION": True, "RATELIMIT_STORAGE_URI": "memory://"})
    assert any("multiplied by the number of processes" in record.getMessage() for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app({**test_config(database_url, tmp_path), "PRODUCTION": False})
    assert not any("multiplied" in record.getMessage() for record in caplog.records)


#: a Redis address where nothing listens
UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=UNREACHABLE_REDIS)
def test_login_and_tokens_still_answer_when_the_rate_limit_store_is_down_and_readyz_says_so(app, make_user, caplog):
    client = app.test_client()
    user = make_user()
    with caplog.at_level(logging.WARNING):
        assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
        assert (
            app.test_client().post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).status_code
            == 201
        )
    # Flask-Limiter says once per process that it fell back to memory; readiness logs it on every check
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        ready = client.get("/readyz")
    assert any("rate-limit store" in record.getMessage() for record in caplog.records)
    assert ready.status_code == 503
    assert ready.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "rate_limit_store": "unavailable"},
    }


def test_readyz_reports_each_part(client):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "checks": {"database": "ok", "rate_limit_store": "disabled"}}


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL)
def test_readyz_is_ready_with_a_shared_store_that_answers(redis_url, client):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "rate_limit_store": "ok"}


@pytest.mark.app_config(PRODUCTION=True, HSTS_MAX_AGE=86400)
def test_production_responses_carry_strict_transport_security(client):
    assert client.get("/healthz").headers["Strict-Transport-Security"] == "max-age=86400"
    assert client.get("/").headers["Strict-Transport-Security"] == "max-age=86400"


def test_development_responses_carry_no_strict_transport_security(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
