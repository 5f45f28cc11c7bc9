"""The stock API: hubs, stock per hub and kit type, recording movements, verifying the ledger."""

from __future__ import annotations

from sqlalchemy import func, select, text

from accounts.models import Role
from kits.models import Hub, Movement
from tests.api.helpers import assert_error


def movement(client, headers, **body):
    return client.post("/api/v1/stock/movements", json=body, headers=headers)


def test_admin_lists_and_adds_hubs_the_default_one_first(client, admin, main_hub):
    created = client.post("/api/v1/hubs", json={"name": "Xichang", "address": "Sichuan"}, headers=admin)
    assert created.status_code == 201, created.get_json()
    assert created.get_json() == {
        "id": created.get_json()["id"],
        "name": "Xichang",
        "address": "Sichuan",
        "active": True,
    }
    page = client.get("/api/v1/hubs", headers=admin).get_json()
    assert [h["name"] for h in page["items"]] == [main_hub.name, "Xichang"] and page["total"] == 2


def test_a_hub_name_is_taken_once_and_a_blank_one_is_refused(client, admin, main_hub):
    assert_error(client.post("/api/v1/hubs", json={"name": main_hub.name}, headers=admin), 409, "name_taken")
    error = assert_error(client.post("/api/v1/hubs", json={"name": "  "}, headers=admin), 422, "validation_error")
    assert set(error["errors"]) == {"name"}


def test_received_kits_go_to_the_default_hub_and_show_in_the_stock(client, admin, db_session, kit, main_hub):
    response = movement(client, admin, kind="received", kit_type_id=kit.id, quantity=12, party="Star Tech")
    assert response.status_code == 201, response.get_json()
    [made] = response.get_json()["movements"]
    assert (made["kind"], made["hub_id"], made["quantity"], made["value_fen"]) == ("received", main_hub.id, 12, 42000)
    assert made["id"] == 1 and len(made["hash"]) == 64 and made["created_at"] == "2026-05-12T17:30:00+00:00"
    stock = client.get("/api/v1/stock", headers=admin).get_json()
    assert stock["items"] == [
        {
            "hub_id": main_hub.id,
            "hub_name": main_hub.name,
            "kit_type_id": kit.id,
            "kit_type_name": kit.name,
            "on_hand": 12,
            "reserved": 0,
            "available": 12,
            "low_stock_threshold": 5,
            "low": False,
        }
    ]
    assert db_session.scalar(select(func.count()).select_from(Movement)) == 1


def test_each_manual_kind_through_the_api(client, admin, kit, main_hub, other_hub, stocked):
    stocked(10)
    off = movement(client, admin, kind="written_off", kit_type_id=kit.id, quantity=1, reason="Wet")
    assert off.status_code == 201, off.get_json()
    moved = movement(client, admin, kind="transferred", kit_type_id=kit.id, quantity=4, to_hub_id=other_hub.id)
    assert [m["kind"] for m in moved.get_json()["movements"]] == ["transferred_out", "transferred_in"]
    counted = movement(client, admin, kind="adjusted", kit_type_id=kit.id, hub_id=other_hub.id, counted=3)
    assert counted.get_json()["movements"][0]["on_hand_delta"] == -1
    answer = client.get(f"/api/v1/stock?hub_id={other_hub.id}", headers=admin)
    assert answer.status_code == 200, answer.get_json()
    rows = answer.get_json()["items"]
    assert [(r["on_hand"], r["available"], r["low"]) for r in rows] == [(3, 3, True)]
    rows = client.get(f"/api/v1/stock?hub_id={main_hub.id}", headers=admin).get_json()["items"]
    assert [r["on_hand"] for r in rows] == [5]


def test_a_movement_that_would_overdraw_is_409_insufficient_stock(client, admin, db_session, kit, stocked):
    stocked(2)
    error = assert_error(
        movement(client, admin, kind="written_off", kit_type_id=kit.id, quantity=3, reason="Lost"),
        409,
        "insufficient_stock",
    )
    assert error["field"] == "quantity"
    assert db_session.scalar(select(func.count()).select_from(Movement)) == 1


def test_rules_the_services_check_are_their_codes(client, admin, kit, main_hub, stocked):
    stocked(2)
    cases = [
        ({"kind": "written_off", "quantity": 1, "reason": " "}, 422, "movement_reason_required"),
        ({"kind": "received", "quantity": 1, "party": ""}, 422, "party_required"),
        ({"kind": "transferred", "quantity": 1, "to_hub_id": main_hub.id}, 422, "same_hub"),
        ({"kind": "transferred", "quantity": 1, "to_hub_id": 99999}, 422, "unknown_hub"),
        ({"kind": "received", "quantity": 1, "party": "X", "hub_id": 99999}, 422, "unknown_hub"),
    ]
    for body, status, code in cases:
        assert_error(movement(client, admin, kit_type_id=kit.id, **body), status, code)
    assert_error(movement(client, admin, kind="adjusted", kit_type_id=99999, counted=1), 422, "unknown_kit_type")


def test_bad_movement_bodies_are_validation_errors_naming_the_field(client, admin, kit):
    cases = [
        ({"kind": "borrowed", "quantity": 1}, {"kind"}),
        ({"kind": "received", "party": "X"}, {"quantity"}),
        ({"kind": "received", "party": "X", "quantity": 0}, {"quantity"}),
        ({"kind": "received", "party": "X", "quantity": "3"}, {"quantity"}),
        ({"kind": "received", "party": "X", "quantity": 1.5}, {"quantity"}),
        ({"kind": "received", "party": "X", "quantity": 1, "value_fen": -1}, {"value_fen"}),
        ({"kind": "adjusted"}, {"counted"}),
        ({"kind": "adjusted", "counted": -1}, {"counted"}),
        ({"kind": "transferred", "quantity": 1}, {"to_hub_id"}),
        ({"kind": "written_off", "quantity": 1, "reason": "a\x00b"}, {"reason"}),
    ]
    for body, fields in cases:
        error = assert_error(movement(client, admin, kit_type_id=kit.id, **body), 422, "validation_error")
        assert set(error["errors"]) == fields, body
    response = client.post(
        "/api/v1/stock/movements", data="{not json", headers={**admin, "Content-Type": "application/json"}
    )
    assert_error(response, 400, "bad_request")


def test_only_programme_coordinators_use_the_stock_api(client, make_user, bearer, kit):
    for role in (Role.VOLUNTEER, Role.COORDINATOR, Role.HOST):
        headers = bearer(make_user(role))
        assert client.get("/api/v1/stock", headers=headers).status_code == 403
        assert client.get("/api/v1/ledger/verify", headers=headers).status_code == 403
        body = {"kind": "received", "kit_type_id": kit.id, "quantity": 1, "party": "X"}
        assert movement(client, headers, **body).status_code == 403
    assert client.get("/api/v1/stock").status_code == 401


def test_verify_answers_ok_with_the_head_then_names_the_first_bad_movement(client, admin, db_session, stocked):
    first = stocked(5)
    second = stocked(3)
    answer = client.get("/api/v1/ledger/verify", headers=admin).get_json()
    assert answer == {"ok": True, "checked": 2, "first_bad_id": None, "head": second.hash, "problem": None}
    db_session.execute(text("UPDATE movement SET value_fen = 1 WHERE id = :id"), {"id": first.id})
    db_session.commit()
    answer = client.get("/api/v1/ledger/verify", headers=admin).get_json()
    assert answer == {"ok": False, "checked": 0, "first_bad_id": 1, "head": second.hash, "problem": "edited"}


def test_verifying_through_the_api_is_a_read(client, admin, db_session, stocked):
    from kits.ledger import head_state

    stocked(5)
    assert client.get("/api/v1/ledger/verify", headers=admin).get_json()["ok"]
    db_session.expire_all()
    assert head_state(db_session).verified_at is None


def test_an_inactive_hub_takes_no_movements(client, admin, db_session, kit, other_hub):
    db_session.get(Hub, other_hub.id).active = False
    db_session.commit()
    body = {"kind": "received", "kit_type_id": kit.id, "quantity": 1, "party": "X", "hub_id": other_hub.id}
    assert_error(movement(client, admin, **body), 409, "hub_inactive")
