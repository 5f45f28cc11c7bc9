"""A visit's kits in pages and the API: shortfalls on the visit page and the edit form, publishing with a
reason, shipping, the host's count on arrival, recording use, forms kept beside their errors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts.models import Role
from events.models import VisitStatus
from kits import stock
from kits.ledger import verify_ledger
from kits.models import KitReservation, Movement, MovementKind, VisitKit
from tests.kits.conftest import level
from tests.kits.test_pages import EN, ZH, squeeze


@pytest.fixture
def rocket(make_kit_type):
    return make_kit_type(name="Water rocket kit", students_per_kit=4)


@pytest.fixture
def receive(db_session, now, main_hub, coordinator):
    def do(kit, quantity):
        stock.receive(db_session, kit_type_id=kit.id, quantity=quantity, party="Donor", actor=coordinator, now=now)
        db_session.commit()

    return do


@pytest.fixture
def host(make_user):
    return make_user(Role.HOST, name="Hu Host")


@pytest.fixture
def school(make_school, host):
    return make_school(name="Hope Primary", hosts=[host])


def _get(client, path, headers=EN, status=200):
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def test_the_visit_page_warns_of_a_shortfall_and_each_lesson_says_what_it_misses(
    client, login, coordinator, school, rocket, receive, make_visit
):
    receive(rocket, 5)
    visit = make_visit(school=school, status=VisitStatus.DRAFT, kit_type=rocket)
    login(coordinator)

    text = squeeze(_get(client, f"/visits/{visit.id}"))

    assert "The lessons are 3 kits short." in text
    assert "Kits reserved 5 of 8" in text and "Kits missing 3 kits short" in text
    assert f'href="/visits/{visit.id}/publish"' in _get(client, f"/visits/{visit.id}")
    assert "3 kits short (5 of 8)" in squeeze(_get(client, f"/visits/{visit.id}/edit"))


def test_a_volunteer_sees_no_kit_controls(client, login, make_user, school, rocket, receive, make_visit):
    receive(rocket, 5)
    visit = make_visit(school=school, kit_type=rocket)
    login(make_user(Role.VOLUNTEER))

    html = _get(client, f"/visits/{visit.id}")

    assert "kits short" not in html and f"/visits/{visit.id}/kits" not in html
    _get(client, f"/visits/{visit.id}/kits", status=403)


def test_publishing_short_of_kits_asks_for_a_reason_keeps_the_form_and_records_it(
    client, login, coordinator, db_session, school, rocket, receive, make_visit
):
    receive(rocket, 5)
    visit = make_visit(school=school, status=VisitStatus.DRAFT, kit_type=rocket)
    login(coordinator)
    page = squeeze(_get(client, f"/visits/{visit.id}/publish"))
    assert "The lessons are 3 kits short." in page and "Lesson 1: 3 kits short" in page

    refused = client.post(f"/visits/{visit.id}/publish", data={"override_reason": "  "}, headers=EN)
    assert refused.status_code == 422
    assert "Say why the visit can go ahead without these kits." in refused.get_data(as_text=True)
    db_session.refresh(visit)
    assert visit.status == VisitStatus.DRAFT

    done = client.post(f"/visits/{visit.id}/publish", data={"override_reason": "School lends 3"}, headers=EN)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/visits/{visit.id}")
    db_session.refresh(visit)
    assert (visit.status, visit.kits_override_reason) == (VisitStatus.PUBLISHED, "School lends 3")
    assert "Published although kits were short, because: School lends 3" in squeeze(_get(client, f"/visits/{visit.id}"))


def test_the_status_button_refuses_to_publish_a_visit_short_of_kits(
    client, login, coordinator, db_session, school, rocket, make_visit
):
    visit = make_visit(school=school, status=VisitStatus.DRAFT, kit_type=rocket)
    login(coordinator)
    response = client.post(f"/visits/{visit.id}/status", data={"action": "publish"}, headers=EN)
    assert response.status_code == 302
    db_session.refresh(visit)
    assert visit.status == VisitStatus.DRAFT


def test_reserve_again_tops_up_once_stock_arrived(
    client, login, coordinator, db_session, main_hub, school, rocket, receive, make_visit
):
    receive(rocket, 5)
    visit = make_visit(school=school, status=VisitStatus.DRAFT, kit_type=rocket)
    receive(rocket, 3)
    login(coordinator)

    response = client.post(f"/visits/{visit.id}/kits/reserve", headers=EN)

    assert response.status_code == 302
    assert "Every lesson has its kits reserved." in _get(client, response.headers["Location"])
    assert level(db_session, main_hub, rocket) == (8, 8, 0)


def test_admin_ships_host_confirms_and_records_use_through_the_kits_page(
    client, login, coordinator, host, db_session, main_hub, school, rocket, receive, make_visit
):
    receive(rocket, 8)
    visit = make_visit(school=school, kit_type=rocket)
    kits = f"/visits/{visit.id}/kits"
    login(coordinator)
    assert "Ship these kits" in _get(client, kits)
    shipped = client.post(
        f"{kits}/{rocket.id}/ship",
        data={f"ship{rocket.id}-quantity": 8, f"ship{rocket.id}-carrier": "SF Express"},
        headers=EN,
    )
    assert shipped.status_code == 302
    assert level(db_session, main_hub, rocket) == (0, 0, 0)

    login(host)
    page = squeeze(_get(client, kits, ZH))
    assert "确认到货" in page
    arrived = client.post(f"{kits}/{rocket.id}/arrival", data={f"arrival{rocket.id}-received": 7}, headers=EN)
    assert arrived.status_code == 302
    text = squeeze(_get(client, kits))
    assert "Arrived 7 (1 fewer than shipped)" in text and "Ship these kits" not in text

    used = client.post(
        f"{kits}/{rocket.id}/use",
        data={f"use{rocket.id}-consumed": 6, f"use{rocket.id}-returned": 1, f"use{rocket.id}-hub_id": main_hub.id},
        headers=EN,
    )
    assert used.status_code == 302
    journey = db_session.scalar(select(VisitKit).where(VisitKit.visit_id == visit.id))
    db_session.refresh(journey)
    assert (journey.shipped, journey.received, journey.consumed, journey.returned) == (8, 7, 6, 1)
    assert level(db_session, main_hub, rocket) == (1, 0, 1)
    assert verify_ledger(db_session).ok


def test_a_host_cannot_ship(client, login, host, school, rocket, receive, make_visit):
    receive(rocket, 8)
    visit = make_visit(school=school, kit_type=rocket)
    login(host)
    assert "Ship these kits" not in _get(client, f"/visits/{visit.id}/kits")
    response = client.post(f"/visits/{visit.id}/kits/{rocket.id}/ship", data={f"ship{rocket.id}-quantity": 8})
    assert response.status_code == 403


def test_too_many_kits_is_shown_beside_the_field_with_the_input_kept(
    client, login, coordinator, db_session, school, rocket, receive, make_visit
):
    receive(rocket, 8)
    visit = make_visit(school=school, kit_type=rocket)
    login(coordinator)
    response = client.post(
        f"/visits/{visit.id}/kits/{rocket.id}/ship",
        data={f"ship{rocket.id}-quantity": 9, f"ship{rocket.id}-tracking_number": "SF999"},
        headers=EN,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="ship{rocket.id}-quantity-error"' in html
    assert "That is more kits than are reserved for this visit." in html
    assert 'value="9"' in html and 'value="SF999"' in html
    assert db_session.scalar(select(Movement).where(Movement.kind == MovementKind.SHIPPED)) is None


def test_the_visit_form_takes_a_hub(client, login, coordinator, db_session, other_hub, school, rocket, make_visit):
    visit = make_visit(school=school, status=VisitStatus.DRAFT)
    login(coordinator)
    html = _get(client, f"/visits/{visit.id}/edit")
    assert other_hub.name in html and 'name="hub_id"' in html


def test_the_visit_kits_api_gives_the_journey_per_kit_type(
    client, bearer, coordinator, host, make_user, db_session, now, school, rocket, receive, make_visit
):
    from events import visit_kits

    receive(rocket, 10)
    visit = make_visit(school=school, kit_type=rocket)
    visit_kits.ship(db_session, visit, {"kit_type_id": rocket.id, "quantity": 5}, actor=coordinator, now=now)
    db_session.commit()

    body = client.get(f"/api/v1/visits/{visit.id}/kits", headers=bearer(host)).get_json()

    assert body["shortfall"] == 0 and body["hub_id"] == visit.hub_id
    (kit,) = body["kits"]
    assert {
        k: kit[k] for k in ("kit_type_id", "needed", "reserved", "shipped", "received", "consumed", "returned")
    } == {
        "kit_type_id": rocket.id,
        "needed": 8,
        "reserved": 3,
        "shipped": 5,
        "received": None,
        "consumed": 0,
        "returned": 0,
    }
    volunteer = client.get(f"/api/v1/visits/{visit.id}/kits", headers=bearer(make_user(Role.VOLUNTEER)))
    assert volunteer.status_code == 403


def test_the_api_publishes_a_visit_short_of_kits_only_with_a_reason(
    client, admin, db_session, school, rocket, make_visit
):
    visit = make_visit(school=school, status=VisitStatus.DRAFT, kit_type=rocket)

    refused = client.post(f"/api/v1/visits/{visit.id}/publish", headers=admin)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "kit_shortfall"

    done = client.post(f"/api/v1/visits/{visit.id}/publish", json={"override_reason": "Kits on the way"}, headers=admin)
    assert done.status_code == 200 and done.get_json()["status"] == "published"
    assert client.get(f"/api/v1/visits/{visit.id}/kits", headers=admin).get_json()["override_reason"] == (
        "Kits on the way"
    )


def test_a_visit_created_through_the_api_reserves_at_the_default_hub(
    client, admin, db_session, main_hub, school, rocket, receive, now
):
    receive(rocket, 20)
    day = now.replace(hour=1, minute=0, second=0, microsecond=0)
    from datetime import timedelta

    starts = day + timedelta(days=10)
    body = {
        "school_id": school.id,
        "title": "Rockets",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=5)).isoformat(),
        "lessons": [
            {
                "title": "Rockets",
                "grade": 4,
                "starts_at": (starts + timedelta(hours=1)).isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "students_expected": 30,
                "kit_type_id": rocket.id,
            }
        ],
    }
    response = client.post("/api/v1/visits", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["hub_id"] == main_hub.id
    assert db_session.scalar(select(KitReservation.reserved)) == 8


def test_the_api_ships_confirms_and_records_use_with_codes_for_impossible_counts(
    client, admin, bearer, host, make_user, db_session, main_hub, school, rocket, receive, make_visit
):
    receive(rocket, 8)
    visit = make_visit(school=school, kit_type=rocket)
    base = f"/api/v1/visits/{visit.id}/kits/{rocket.id}"
    hosts = bearer(host)

    too_many = client.post(f"{base}/ship", json={"quantity": 9}, headers=admin)
    assert too_many.status_code == 409 and too_many.get_json()["error"]["code"] == "ship_exceeds_reserved"
    assert client.post(f"{base}/ship", json={"quantity": 8}, headers=hosts).status_code == 403
    shipped = client.post(f"{base}/ship", json={"quantity": 8, "carrier": "EMS"}, headers=admin)
    assert shipped.status_code == 200 and shipped.get_json()["kits"][0]["shipped"] == 8

    over = client.post(f"{base}/arrival", json={"received": 9}, headers=hosts)
    assert over.status_code == 422 and over.get_json()["error"]["code"] == "received_exceeds_shipped"
    arrived = client.post(f"{base}/arrival", json={"received": 8}, headers=hosts)
    assert arrived.status_code == 200 and arrived.get_json()["kits"][0]["received"] == 8

    beyond = client.post(f"{base}/use", json={"consumed": 9}, headers=hosts)
    assert beyond.status_code == 422 and beyond.get_json()["error"]["code"] == "kit_count_exceeds_received"
    used = client.post(f"{base}/use", json={"consumed": 5, "returned": 3}, headers=hosts)
    (kit,) = used.get_json()["kits"]
    assert (kit["consumed"], kit["returned"]) == (5, 3)
    assert level(db_session, main_hub, rocket) == (3, 0, 3)
    assert verify_ledger(db_session).ok
    volunteer = bearer(make_user(Role.VOLUNTEER))
    assert client.post(f"{base}/use", json={"consumed": 1}, headers=volunteer).status_code == 403
