"""Lots and the donor's trail: kits leave a hub first in, first out by donation; a transfer carries its lots;
a school's consumed and returned kits come from what was shipped to it; each donation has a public trail at
a secret address, shown to coordinators with a QR code and mailed to the donor when an address is given."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from events import visit_kits
from kits import lots, stock
from kits.models import Movement, MovementKind, MovementLot
from mail.models import OutboxMessage
from tests.checkin.svg_qr import decode_svg

EN = {"Accept-Language": "en"}


def _lots(db_session, movement_id: int) -> dict[int, int]:
    rows = db_session.execute(
        select(MovementLot.source_id, MovementLot.quantity).where(MovementLot.movement_id == movement_id)
    )
    return dict(rows.all())


def _last(db_session, kind: MovementKind) -> Movement:
    return db_session.scalar(select(Movement).where(Movement.kind == kind).order_by(Movement.id.desc()).limit(1))


@pytest.fixture
def gifts(stocked):
    """Two donations of 10 at the main hub: the older one's kits leave first."""
    return stocked(10, party="Star Tech Foundation"), stocked(10, party="Blue Sky Charity")


def test_kits_leave_a_hub_oldest_donation_first(db_session, now, kit, gifts, coordinator):
    first, second = gifts
    stock.write_off(db_session, kit_type_id=kit.id, quantity=7, reason="Wet", actor=coordinator, now=now)
    assert _lots(db_session, _last(db_session, MovementKind.WRITTEN_OFF).id) == {first.id: 7}
    stock.write_off(db_session, kit_type_id=kit.id, quantity=5, reason="Lost", actor=coordinator, now=now)
    assert _lots(db_session, _last(db_session, MovementKind.WRITTEN_OFF).id) == {first.id: 3, second.id: 2}


def test_a_transfer_carries_its_lots_and_a_reversed_receipt_takes_its_own_kits(
    db_session, now, kit, gifts, coordinator, other_hub
):
    first, second = gifts
    out, into = stock.transfer(
        db_session, kit_type_id=kit.id, quantity=5, to_hub_id=other_hub.id, actor=coordinator, now=now
    )
    assert _lots(db_session, out.id) == _lots(db_session, into.id) == {first.id: 5}
    (reversal,) = stock.correct(db_session, second.id, reason="Entered twice", actor=coordinator, now=now)
    assert _lots(db_session, reversal.id) == {second.id: 10}  # not the older gift's 5 first


def test_shipped_consumed_and_returned_kits_keep_their_donations(db_session, now, kit, gifts, coordinator, make_visit):
    first, second = gifts
    stock.write_off(db_session, kit_type_id=kit.id, quantity=6, reason="Wet", actor=coordinator, now=now)
    visit = make_visit(kit_type=kit)  # 30 students, 4 a kit: 8 kits
    visit_kits.ship(db_session, visit, {"kit_type_id": kit.id, "quantity": 8}, actor=coordinator, now=now)
    assert _lots(db_session, _last(db_session, MovementKind.SHIPPED).id) == {first.id: 4, second.id: 4}
    visit_kits.confirm_arrival(db_session, visit, {"kit_type_id": kit.id, "received": 8}, actor=coordinator, now=now)
    use = {"kit_type_id": kit.id, "consumed": 5, "returned": 3, "hub_id": None}
    visit_kits.record_use(db_session, visit, use, actor=coordinator, now=now)
    assert _lots(db_session, _last(db_session, MovementKind.CONSUMED).id) == {first.id: 4, second.id: 1}
    assert _lots(db_session, _last(db_session, MovementKind.RETURNED).id) == {second.id: 3}
    db_session.commit()


def test_the_trail_shows_every_movement_to_the_classroom_at_a_secret_address(
    client, db_session, now, kit, gifts, coordinator, make_visit, make_school
):
    first, _second = gifts
    visit = make_visit(kit_type=kit, school=make_school(name="Liangshan Primary School"), title="Rocket day")
    visit_kits.ship(db_session, visit, {"kit_type_id": kit.id, "quantity": 8}, actor=coordinator, now=now)
    visit_kits.confirm_arrival(db_session, visit, {"kit_type_id": kit.id, "received": 8}, actor=coordinator, now=now)
    use = {"kit_type_id": kit.id, "consumed": 8, "returned": 0, "hub_id": None}
    visit_kits.record_use(db_session, visit, use, actor=coordinator, now=now)
    db_session.commit()
    secret = lots.trail_secret(first.id)
    assert len(secret) == 22
    page = client.get(f"/trail/{secret}", headers=EN).get_data(as_text=True)
    assert "Star Tech Foundation gave 10 kits (Water rocket kit)" in page
    assert "Rocket day" in page and "Liangshan Primary School" in page
    assert "Lesson “Lesson 1”, grade 4" in page and "30 students" in page
    assert "2 kits of this gift are still at a hub." in page and "8 were used up in lessons." in page
    assert coordinator.name not in page
    assert client.get(f"/trail/{secret[:-1]}x").status_code == 404
    assert client.get(f"/trail/{lots.trail_secret(_second.id)}").status_code == 200


def test_coordinators_see_the_trail_link_and_a_qr_code_that_scans_to_it(client, login, coordinator, gifts):
    first, _ = gifts
    login(coordinator)
    assert f"/kits/movements/{first.id}/trail" in client.get("/kits/ledger").get_data(as_text=True)
    page = client.get(f"/kits/movements/{first.id}/trail", headers=EN).get_data(as_text=True)
    link = re.search(r'href="(http[^"]+/trail/[^"]+)"', page).group(1)
    assert link.endswith(lots.trail_secret(first.id))
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert decode_svg(svg) == [link]


def test_the_donor_is_mailed_the_trail_when_an_address_is_given(client, login, coordinator, kit, main_hub, db_session):
    login(coordinator)
    form = {
        "kind": "received",
        "kit_type_id": kit.id,
        "hub_id": main_hub.id,
        "quantity": 12,
        "party": "Star Tech Foundation",
        "donor_email": "gifts@startech.example",
    }
    response = client.post("/kits/movements/new", data=form, headers=EN)
    assert response.status_code == 302
    (message,) = db_session.scalars(select(OutboxMessage).where(OutboxMessage.template == "donation_trail"))
    assert message.recipient == "gifts@startech.example"
    movement = _last(db_session, MovementKind.RECEIVED)
    assert lots.trail_secret(movement.id) in message.body
    assert "We received 12 kits (Water rocket kit)" in message.body
    assert "gifts@startech.example" not in str(movement.__dict__)


def test_without_an_address_no_mail_is_sent(db_session, gifts):
    assert db_session.scalars(select(OutboxMessage).where(OutboxMessage.template == "donation_trail")).all() == []


def test_the_api_mails_the_trail_in_the_language_asked_for(client, admin, kit, db_session):
    body = {
        "kind": "received",
        "kit_type_id": kit.id,
        "quantity": 3,
        "party": "Star Tech Foundation",
        "donor_email": "gifts@startech.example",
        "locale": "zh_CN",
    }
    assert client.post("/api/v1/stock/movements", json=body, headers=admin).status_code == 201
    (message,) = db_session.scalars(select(OutboxMessage).where(OutboxMessage.template == "donation_trail"))
    assert "感谢" in message.subject and "/trail/" in message.body
