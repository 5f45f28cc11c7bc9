"""The OpenAPI document is generated from the code, valid, and complete."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

SPEC_PATH = "/api/v1/openapi.json"


def _spec(client) -> dict:
    response = client.get(SPEC_PATH)
    assert response.status_code == 200
    return response.get_json()


def test_the_openapi_document_is_valid_openapi_3(client):
    spec = _spec(client)
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_api_route_is_documented(app, client):
    paths = _spec(client)["paths"]
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/") and rule.rule != SPEC_PATH]
    assert routes
    for rule in routes:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in paths, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {path}"


def test_times_are_documented_as_date_times_and_enums_by_value(client):
    schemas = _spec(client)["components"]["schemas"]
    assert schemas["Visit"]["properties"]["starts_at"]["format"] == "date-time"
    assert "lead_instructor" in schemas["Slot"]["properties"]["role"]["enum"]


def test_errors_are_documented_with_the_error_schema(client):
    spec = _spec(client)
    create_visit = spec["paths"]["/api/v1/visits"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422"} <= set(create_visit)
    assert "Error" in spec["components"]["schemas"]


def test_public_operations_need_no_credentials(client):
    paths = _spec(client)["paths"]
    assert paths["/api/v1/tokens"]["post"]["security"] == []
    assert {} in paths["/api/v1/visits"]["get"]["security"]


def test_documented_errors_add_no_wrapper_that_runs_on_every_request():
    from api_schemas import ApiBlueprint

    blp = ApiBlueprint("errors_doc", __name__)

    def view():
        return "ok"

    assert blp.errors(400, 409)(view) is view
    assert set(view._apidoc["response"]["responses"]) == {400, 409}


def test_the_document_is_built_once_and_answered_304_to_its_etag(client, monkeypatch):
    from apispec import APISpec

    first = client.get(SPEC_PATH)
    monkeypatch.setattr(APISpec, "to_dict", lambda self: pytest.fail("the document was built again"))
    again = client.get(SPEC_PATH)
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    unchanged = client.get(SPEC_PATH, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    assert unchanged.data == b""
