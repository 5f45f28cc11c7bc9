"""Accounts created by programme coordinators."""

from __future__ import annotations

from accounts.models import User
from tests.api.helpers import assert_error

STRONG = "violet-otter-kettle-91"


def _body(**overrides) -> dict:
    return {"email": "Li.Wei@Example.com", "name": "Li Wei", "password": STRONG, "roles": ["volunteer"], **overrides}


def test_admin_creates_an_account_that_can_sign_in(client, admin, make_company):
    company = make_company("Acme")
    body = _body(
        roles=["volunteer", "coordinator"], company_id=company.id, phone="13800000000", languages=["yi", "mandarin"]
    )
    response = client.post("/api/v1/volunteers", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    person = response.get_json()
    assert person == {
        "id": person["id"],
        "email": "li.wei@example.com",
        "name": "Li Wei",
        "phone": "13800000000",
        "roles": ["coordinator", "volunteer"],
        "company": {"id": company.id, "name": "Acme"},
        "languages": ["mandarin", "yi"],
        "training_status": "none",
        "locale": None,
    }
    token = client.post("/api/v1/tokens", json={"email": "li.wei@example.com", "password": STRONG})
    assert token.status_code == 201


def test_the_password_never_comes_back(client, admin, db_session):
    response = client.post("/api/v1/volunteers", json=_body(), headers=admin)
    text = response.get_data(as_text=True)
    assert response.status_code == 201
    assert STRONG not in text
    assert db_session.get(User, response.get_json()["id"]).password_hash not in text


def test_roles_default_to_volunteer(client, admin):
    body = _body()
    del body["roles"]
    assert client.post("/api/v1/volunteers", json=body, headers=admin).get_json()["roles"] == ["volunteer"]


def test_a_taken_email_is_a_conflict(client, admin, make_user):
    make_user(email="li.wei@example.com")
    assert_error(client.post("/api/v1/volunteers", json=_body(), headers=admin), 409, "email_taken")


def test_weak_passwords_break_a_rule(client, admin):
    for password, code in [("short", "password_too_short"), ("password123", "password_too_common")]:
        error = assert_error(client.post("/api/v1/volunteers", json=_body(password=password), headers=admin), 422, code)
        assert error["field"] == "password"


def test_a_company_coordinator_needs_a_company(client, admin):
    body = _body(roles=["coordinator"])
    assert_error(client.post("/api/v1/volunteers", json=body, headers=admin), 422, "company_required")


def test_an_unknown_company_is_not_found(client, admin):
    error = assert_error(
        client.post("/api/v1/volunteers", json=_body(company_id=424242), headers=admin), 404, "not_found"
    )
    assert error["field"] == "company_id"


def test_bad_person_fields_are_a_validation_error(client, admin):
    cases = [
        ("email", "not-an-email"),
        ("roles", ["astronaut"]),
        ("roles", "admin"),
        ("languages", ["klingon"]),
        ("name", ""),
        ("phone", "1" * 33),
        ("password", "p" * 129),
        ("company_id", 0),
    ]
    for field, value in cases:
        response = client.post("/api/v1/volunteers", json=_body(**{field: value}), headers=admin)
        assert set(assert_error(response, 422, "validation_error")["errors"]) == {field}, (field, value)
