"""Every failure is the JSON error body with the right status: bad input never gives HTML or a 500."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers import assert_error, visit_body


def _post_raw(client, headers, data: bytes | str, content_type: str = "application/json"):
    return client.post("/api/v1/kit-types", data=data, content_type=content_type, headers=headers)


def test_a_body_that_is_not_json_is_a_bad_request(client, admin):
    cases = {
        "truncated": b'{"name": "Magnets",',
        "single quotes": b"{'name': 'Magnets'}",
        "not UTF-8": b"\xff\xfe not utf-8",
        "5000-digit number": b'{"name": "Magnets", "students_per_kit": ' + b"9" * 5000 + b"}",
        "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    }
    for data in cases.values():
        assert_error(_post_raw(client, admin, data), 400, "bad_request")


def test_a_missing_body_is_a_validation_error_naming_the_required_fields(client, admin):
    error = assert_error(client.post("/api/v1/kit-types", headers=admin), 422, "validation_error")
    assert set(error["errors"]) == {"name"}


def test_a_form_encoded_body_is_a_validation_error(client, admin):
    response = _post_raw(client, admin, "name=Magnets", "application/x-www-form-urlencoded")
    assert "name" in assert_error(response, 422, "validation_error")["errors"]


def test_a_body_that_is_not_an_object_is_a_validation_error(client, admin):
    for body in [[], "Magnets", 42, None]:
        assert_error(_post_raw(client, admin, json.dumps(body)), 422, "validation_error")


def test_unknown_fields_are_a_validation_error(client, admin):
    error = assert_error(
        client.post("/api/v1/kit-types", json={"name": "Magnets", "colour": "red"}, headers=admin),
        422,
        "validation_error",
    )
    assert set(error["errors"]) == {"colour"}


def test_text_the_database_cannot_store_is_a_validation_error(client, admin):
    for name in ["Mag\x00nets", "Mag\ud800nets"]:
        data = json.dumps({"name": name})  # ensure_ascii sends the lone surrogate as an escape
        assert set(assert_error(_post_raw(client, admin, data), 422, "validation_error")["errors"]) == {"name"}


def test_non_finite_numbers_are_a_validation_error(client, admin):
    for value in ["NaN", "Infinity", "1e400", "-1e400"]:
        data = f'{{"name": "Magnets", "students_per_kit": {value}}}'
        error = assert_error(_post_raw(client, admin, data), 422, "validation_error")
        assert set(error["errors"]) == {"students_per_kit"}, value


def test_nested_wrong_types_are_reported_per_item(client, admin, make_school):
    body = visit_body(make_school(), slots=[{"role": "assistant", "capacity": "many"}, "not-a-slot"], lessons={})
    error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "validation_error")
    assert set(error["errors"]["slots"]) == {"0", "1"}
    assert "lessons" in error["errors"]


def test_an_unknown_api_path_is_a_json_not_found(client):
    assert_error(client.get("/api/v1/rockets"), 404, "not_found")


def test_a_wrong_method_is_a_json_method_not_allowed(client):
    assert_error(client.put("/api/v1/kit-types"), 405, "method_not_allowed")


def test_anonymous_writes_are_unauthorized_before_the_body_is_read(client):
    assert_error(_post_raw(client, {}, b"{not json"), 401, "unauthorized")


def test_a_wrong_role_is_forbidden_before_the_body_is_read(client, make_user, bearer):
    assert_error(_post_raw(client, bearer(make_user()), b"{not json"), 403, "forbidden")


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_IP="1 per minute")
def test_too_many_requests_is_a_json_rate_limited(client):
    client.post("/api/v1/tokens", json={"email": "a@example.com", "password": "x"})
    response = client.post("/api/v1/tokens", json={"email": "a@example.com", "password": "x"})
    assert_error(response, 429, "rate_limited")
    assert "Retry-After" in response.headers


def test_an_unexpected_failure_is_a_json_internal_error(client, make_user, bearer, monkeypatch):
    import kits.services

    def broken(session):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(kits.services, "list_kit_types", broken)
    response = client.get("/api/v1/kit-types", headers=bearer(make_user()))
    assert_error(response, 500, "internal_error")
    assert "on fire" not in response.get_data(as_text=True)


def test_unknown_paths_under_the_api_are_json_not_found_for_every_method(client, admin):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/v1/nope", "/api/v1/visits/nope/deeper"):
            for headers in ({}, admin):
                assert_error(client.open(path, method=method, headers=headers), 404, "not_found")


def test_methods_a_collection_does_not_have_are_json_method_not_allowed(client, admin):
    for method in ("DELETE", "PATCH", "PUT", "PROPFIND"):
        for headers in ({}, admin):
            assert_error(client.open("/api/v1/visits", method=method, headers=headers), 405, "method_not_allowed")


def test_a_method_not_allowed_lists_the_allowed_methods(client, admin):
    """RFC 9110: a 405 carries Allow, also when the body is the API's JSON error."""
    for method, path, allowed in (
        ("PATCH", "/api/v1/me", {"GET", "HEAD", "OPTIONS"}),
        ("DELETE", "/api/v1/kit-types", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("GET", "/api/v1/tokens", {"OPTIONS", "POST"}),
    ):
        for headers in ({}, admin):
            response = client.open(path, method=method, headers=headers)
            assert_error(response, 405, "method_not_allowed")
            assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_control_characters_are_refused_in_any_text_but_tabs_and_line_breaks_are_kept(client, admin):
    headers = {**admin, "Accept-Language": "en"}
    for description in ["Magnets\x1b[2J", "Magnets\x7f", "Mag\x08nets"]:
        body = {"name": "Magnets", "description": description}
        error = assert_error(client.post("/api/v1/kit-types", json=body, headers=headers), 422, "validation_error")
        assert set(error["errors"]) == {"description"}
        assert "cannot be saved" in error["errors"]["description"][0]
    body = {"name": "Magnets", "description": "Two kinds:\r\n\tbar and ring"}
    response = client.post("/api/v1/kit-types", json=body, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["description"] == "Two kinds:\r\n\tbar and ring"
