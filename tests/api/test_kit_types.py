"""Kit types: everyone signed in reads them, programme coordinators add them."""

from __future__ import annotations

from tests.api.helpers import assert_error


def test_admin_adds_a_kit_type(client, admin):
    body = {
        "name": "Water rocket kit",
        "description": "Bottle, fins, nozzle",
        "students_per_kit": 4,
        "consumable": False,
        "unit_value_fen": 3550,
        "low_stock_threshold": 10,
        "lesson_plan_url": "https://plans.example.com/rockets",
    }
    response = client.post("/api/v1/kit-types", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created == {"id": created["id"], **body}


def test_a_kit_type_needs_only_a_name(client, admin):
    created = client.post("/api/v1/kit-types", json={"name": "Magnets"}, headers=admin).get_json()
    assert (created["students_per_kit"], created["consumable"], created["unit_value_fen"]) == (1, True, 0)


def test_a_second_kit_type_of_the_same_name_is_a_conflict(client, admin, make_kit_type):
    make_kit_type(name="Magnets")
    error = assert_error(client.post("/api/v1/kit-types", json={"name": " Magnets "}, headers=admin), 409, "name_taken")
    assert error["field"] == "name"


def test_bad_kit_type_fields_are_a_validation_error(client, admin):
    cases = [
        ("students_per_kit", 0),
        ("unit_value_fen", -1),
        ("unit_value_fen", 2**31),
        ("low_stock_threshold", -3),
        ("consumable", "perhaps"),
        ("lesson_plan_url", "javascript:alert(1)"),
        ("lesson_plan_url", "not a link"),
        ("name", ""),
        ("name", 12),
    ]
    for field, value in cases:
        body = {"name": "Magnets", field: value}
        error = assert_error(client.post("/api/v1/kit-types", json=body, headers=admin), 422, "validation_error")
        assert set(error["errors"]) == {field}, (field, value)


def test_signed_in_people_list_kit_types_by_name(client, make_user, bearer, make_kit_type):
    for name in ("Telescope", "Circuits", "Microscope"):
        make_kit_type(name=name)
    page = client.get("/api/v1/kit-types?per_page=2", headers=bearer(make_user())).get_json()
    assert [k["name"] for k in page["items"]] == ["Circuits", "Microscope"]
    assert page["total"] == 3
    page_two = client.get("/api/v1/kit-types?per_page=2&page=2", headers=bearer(make_user())).get_json()
    assert [k["name"] for k in page_two["items"]] == ["Telescope"]
