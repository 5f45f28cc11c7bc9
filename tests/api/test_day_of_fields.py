"""The API reads and writes what to bring and each role's description, like the visit form."""

from __future__ import annotations

from tests.api.helpers import visit_body


def test_a_visit_is_created_and_changed_with_what_to_bring_and_role_descriptions(client, admin, make_school):
    body = visit_body(
        make_school(),
        what_to_bring="雨衣 A raincoat",
        slots=[
            {"role": "driver", "capacity": 2, "description": "带驾驶证 Bring your licence"},
            {"role": "assistant", "capacity": 3},
        ],
    )
    response = client.post("/api/v1/visits", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    visit = response.get_json()
    assert visit["what_to_bring"] == "雨衣 A raincoat"
    driver, assistant = visit["slots"]
    assert driver["description"] == driver["description_shown"] == "带驾驶证 Bring your licence"
    assert assistant["description"] == ""
    assert assistant["description_shown"]  # the role's usual text

    response = client.patch(f"/api/v1/visits/{visit['id']}", json={"what_to_bring": "Lunch"}, headers=admin)
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert changed["what_to_bring"] == "Lunch"
    assert changed["slots"][0]["description"] == "带驾驶证 Bring your licence"  # untouched when slots are not sent


def test_an_empty_description_is_shown_as_the_roles_usual_text(client, admin, make_school):
    visit = client.post("/api/v1/visits", json=visit_body(make_school()), headers=admin).get_json()
    english = client.get(f"/api/v1/visits/{visit['id']}", headers={**admin, "Accept-Language": "en"}).get_json()
    [lead] = english["slots"]
    assert lead["description"] == ""
    assert lead["description_shown"].startswith("Leads the lessons and the team on the day.")


def test_a_description_longer_than_2000_characters_is_refused(client, admin, make_school):
    body = visit_body(make_school(), slots=[{"role": "driver", "capacity": 1, "description": "x" * 2001}])
    response = client.post("/api/v1/visits", json=body, headers=admin)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
