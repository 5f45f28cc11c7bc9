"""Tokens, /me, and the three ways of calling the API: bearer token, session cookie, anonymous."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.api.helpers import assert_error
from tests.conftest import PASSWORD, csrf_token_from


def _token(client, email, password=PASSWORD):
    return client.post("/api/v1/tokens", json={"email": email, "password": password})


def test_right_credentials_give_a_token_that_authenticates(client, make_user):
    user = make_user(email="ada@example.com")
    response = _token(client, "ADA@example.com ", PASSWORD)
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert len(token) >= 32
    assert response.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["id"] == user.id


def test_a_wrong_password_is_invalid_credentials(client, make_user):
    user = make_user()
    assert_error(_token(client, user.email, "not-the-password"), 401, "invalid_credentials")


def test_an_unknown_email_is_the_same_invalid_credentials(client):
    assert_error(_token(client, "nobody@example.com"), 401, "invalid_credentials")


def test_a_deactivated_account_gets_no_token(client, make_user, db_session):
    user = make_user()
    user.active = False
    db_session.commit()
    assert_error(_token(client, user.email), 401, "invalid_credentials")


def test_token_request_without_fields_is_a_validation_error(client):
    error = assert_error(client.post("/api/v1/tokens", json={}), 422, "validation_error")
    assert set(error["errors"]) == {"email", "password"}


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_IP="2 per minute", LOGIN_LIMIT_PER_ACCOUNT="50/minute")
def test_token_requests_are_limited_per_address(client, make_user):
    user = make_user()
    assert _token(client, "a@example.com").status_code == 401
    assert _token(client, "b@example.com").status_code == 401
    assert_error(_token(client, user.email), 429, "rate_limited")


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_IP="50 per minute", LOGIN_LIMIT_PER_ACCOUNT="2/minute")
def test_token_requests_are_limited_per_account(client, make_user):
    user = make_user()
    for _ in range(2):
        assert _token(client, user.email, "wrong-password").status_code == 401
    assert_error(_token(client, user.email), 429, "rate_limited")
    assert _token(client, "someone.else@example.com").status_code == 401


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_a_body_too_deep_to_parse_is_a_bad_request_with_limits_on(client):
    response = client.post("/api/v1/tokens", data=b"[" * 100_000, content_type="application/json")
    assert_error(response, 400, "bad_request")


def test_revoking_the_current_token_ends_it(client, make_user, bearer):
    headers = bearer(make_user())
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")
    assert_error(client.delete("/api/v1/tokens/current", headers=headers), 401, "unauthorized")


def test_revoking_one_token_keeps_the_others(client, make_user, bearer):
    user = make_user()
    first, second = bearer(user), bearer(user)
    assert client.delete("/api/v1/tokens/current", headers=first).status_code == 204
    assert client.get("/api/v1/me", headers=second).status_code == 200


def test_revoking_without_a_token_is_unauthorized(client):
    assert_error(client.delete("/api/v1/tokens/current"), 401, "unauthorized")


def test_me_describes_the_signed_in_person(client, make_user, make_company, bearer):
    company = make_company("Acme Robotics")
    user = make_user(
        Role.VOLUNTEER, Role.COORDINATOR, company=company, phone="13800000000", languages=["yi", "english"]
    )
    response = client.get("/api/v1/me", headers=bearer(user))
    assert response.status_code == 200
    assert response.get_json() == {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "phone": "13800000000",
        "roles": ["coordinator", "volunteer"],
        "company": {"id": company.id, "name": "Acme Robotics"},
        "languages": ["yi", "english"],
        "training_status": "none",
        "locale": None,
    }


def test_me_without_a_company_has_null_company(client, make_user, bearer):
    body = client.get("/api/v1/me", headers=bearer(make_user())).get_json()
    assert body["company"] is None
    assert "password_hash" not in body


def test_me_is_unauthorized_for_anonymous_callers(client):
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")


def test_an_unknown_bearer_token_is_unauthorized(client):
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}), 401, "unauthorized")


def test_a_deactivated_accounts_token_stops_working(client, make_user, bearer, db_session):
    user = make_user()
    headers = bearer(user)
    user.active = False
    db_session.commit()
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")


def test_bearer_requests_get_no_session_cookie(client, make_user, bearer):
    response = client.get("/api/v1/me", headers=bearer(make_user()))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_browser_session_authenticates_api_reads(client, make_user, login):
    user = make_user()
    login(user)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["id"] == user.id


def _session_with_csrf(client, user) -> str:
    """Log in through the page; returns a CSRF token of the new session."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return csrf_token_from(client.get("/").get_data(as_text=True))


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_session_write_without_the_csrf_token_is_rejected(client, make_user):
    _session_with_csrf(client, make_user(Role.ADMIN))
    response = client.post("/api/v1/kit-types", json={"name": "Microscope"})
    assert_error(response, 400, "csrf_failed")


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_session_write_with_the_csrf_token_is_accepted(client, make_user):
    token = _session_with_csrf(client, make_user(Role.ADMIN))
    response = client.post("/api/v1/kit-types", json={"name": "Microscope"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_bearer_write_needs_no_csrf_token(client, make_user, bearer):
    response = client.post("/api/v1/kit-types", json={"name": "Microscope"}, headers=bearer(make_user(Role.ADMIN)))
    assert response.status_code == 201


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_session_reads_need_no_csrf_token(client, make_user):
    _session_with_csrf(client, make_user())
    assert client.get("/api/v1/kit-types").status_code == 200
