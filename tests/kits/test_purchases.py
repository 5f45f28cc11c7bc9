"""Kits bought, not donated: a received movement that says so, keeps the ledger verifiable, takes its place in
first in, first out, and has no donor trail, no public listing and no part in the value of donated kits."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, text

from events import visit_kits
from kits import stock
from kits.ledger import canonical, verify_ledger
from kits.models import DonationTrail, Movement, MovementKind, MovementLot
from tests.api.helpers import assert_error

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def bought(db_session, now, kit, main_hub, coordinator):
    """12 kits bought from a supplier, committed."""
    movement = stock.receive(
        db_session,
        kit_type_id=kit.id,
        quantity=12,
        party="Science Supplies Ltd",
        donated=False,
        actor=coordinator,
        now=now,
    )
    db_session.commit()
    return movement


def test_a_purchase_is_received_with_donated_false_in_its_hash_and_a_donation_without_it(db_session, bought, stocked):
    given = stocked(3)
    assert (bought.donated, given.donated) == (False, True)
    bought_content = json.loads(canonical({column: getattr(bought, column) for column in _columns()}))
    given_content = json.loads(canonical({column: getattr(given, column) for column in _columns()}))
    assert bought_content["donated"] is False
    # a donation's canonical form is the one every movement had before purchases existed
    assert "donated" not in given_content
    result = verify_ledger(db_session)
    assert (result.ok, result.checked) == (True, 2)


def test_turning_a_purchase_into_a_donation_behind_the_apps_back_is_caught(db_session, bought, stocked):
    stocked(3)
    db_session.execute(text("UPDATE movement SET donated = :yes WHERE id = :id"), {"yes": True, "id": bought.id})
    db_session.commit()
    result = verify_ledger(db_session)
    assert (result.ok, result.problem, result.first_bad_id) == (False, "edited", bought.id)


def test_a_purchase_is_a_lot_but_has_no_trail_and_no_donor_to_mail(db_session, now, kit, bought, coordinator):
    lots = db_session.execute(select(MovementLot.source_id, MovementLot.quantity)).all()
    assert lots == [(bought.id, 12)]
    assert db_session.scalar(select(func.count()).select_from(DonationTrail)) == 0
    with pytest.raises(Exception) as caught:
        stock.receive(
            db_session,
            kit_type_id=kit.id,
            quantity=1,
            party="Science Supplies Ltd",
            donated=False,
            donor_email="sales@example.org",
            actor=coordinator,
            now=now,
        )
    assert (caught.value.code, caught.value.field) == ("purchase_has_no_donor", "donor_email")


def test_first_in_first_out_takes_bought_kits_before_a_later_donation(
    db_session, now, kit, bought, stocked, coordinator, make_visit
):
    gift = stocked(10)
    visit = make_visit(kit_type=kit, title="Rocket day")
    visit_kits.ship(db_session, visit, {"kit_type_id": kit.id, "quantity": 8}, actor=coordinator, now=now)
    db_session.commit()
    shipped = db_session.scalar(
        select(Movement).where(Movement.visit_id == visit.id, Movement.kind == MovementKind.SHIPPED)
    )
    taken = db_session.execute(
        select(MovementLot.source_id, MovementLot.quantity).where(MovementLot.movement_id == shipped.id)
    ).all()
    assert taken == [(bought.id, 8)]
    assert gift.id != bought.id


def test_correcting_a_purchase_keeps_it_a_purchase(db_session, now, bought, coordinator):
    [correction] = stock.correct(db_session, bought.id, reason="Typed twice", actor=coordinator, now=now)
    db_session.commit()
    assert (correction.donated, correction.party) == (False, "Science Supplies Ltd")
    assert verify_ledger(db_session).ok


def test_the_api_records_a_purchase_and_refuses_a_donor_email_with_it(client, admin, kit, main_hub):
    body = {"kind": "received", "kit_type_id": kit.id, "quantity": 4, "party": "Science Supplies Ltd"}
    response = client.post("/api/v1/stock/movements", json={**body, "donated": False}, headers=admin)
    assert response.status_code == 201, response.get_json()
    [made] = response.get_json()["movements"]
    assert made["donated"] is False
    given = client.post("/api/v1/stock/movements", json=body, headers=admin).get_json()["movements"][0]
    assert given["donated"] is True
    refused = client.post(
        "/api/v1/stock/movements",
        json={**body, "donated": False, "donor_email": "sales@example.org"},
        headers=admin,
    )
    assert assert_error(refused, 422, "purchase_has_no_donor")["field"] == "donor_email"
    wrong = client.post("/api/v1/stock/movements", json={**body, "donated": "maybe"}, headers=admin)
    assert wrong.status_code == 422 and "donated" in json.dumps(wrong.get_json())


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_the_form_records_a_purchase_the_ledger_says_so_and_offers_no_trail(
    client, login, coordinator, db_session, kit, main_hub, headers
):
    login(coordinator)
    form = client.get("/kits/movements/new?kind=received", headers=headers).get_data(as_text=True)
    label = "Bought, not donated" if headers is EN else "购买所得，非捐赠"
    assert label in form
    response = client.post("/kits/movements/new", data=_purchase_form(kit, main_hub), headers=headers)
    assert response.status_code == 302
    made = db_session.scalar(select(Movement))
    assert (made.donated, made.party) == (False, "Science Supplies")
    ledger = client.get("/kits/ledger", headers=headers).get_data(as_text=True)
    assert ("Supplier (kits bought)" if headers is EN else "供应商（购买）") in ledger
    assert f"/kits/movements/{made.id}/trail" not in ledger
    assert client.get(f"/kits/movements/{made.id}/trail", headers=headers).status_code == 404


def test_the_form_keeps_a_donor_email_given_with_a_purchase_and_says_what_is_wrong(
    client, login, coordinator, db_session, kit, main_hub
):
    login(coordinator)
    data = {**_purchase_form(kit, main_hub), "donor_email": "sales@example.org"}
    response = client.post("/kits/movements/new", data=data, headers=EN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Kits bought have no donor to mail a trail to" in html
    assert 'value="sales@example.org"' in html
    assert db_session.scalar(select(func.count()).select_from(Movement)) == 0


def test_the_transparency_page_lists_donations_not_purchases(client, db_session, bought, stocked):
    stocked(5, party="Star Tech Foundation")
    page = client.get("/transparency", headers=EN).get_data(as_text=True)
    assert "Star Tech Foundation" in page
    assert "Science Supplies Ltd" not in page
    exported = client.get("/transparency.csv", headers=EN)
    assert exported.status_code == 200
    text = exported.get_data(as_text=True)
    assert "Star Tech Foundation" in text and "Science Supplies Ltd" not in text


def _purchase_form(kit, hub) -> dict:
    """The movement form filled in for 3 kits bought from a supplier."""
    return {
        "kind": "received",
        "kit_type_id": kit.id,
        "hub_id": hub.id,
        "quantity": 3,
        "party": "Science Supplies",
        "bought": "y",
    }


def _columns() -> list[str]:
    return [column.name for column in Movement.__table__.columns]


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (EN, ("Donor Star Tech Foundation", "Carrier SF Express", "Tracking number SF100020")),
        (ZH, ("捐赠方 Star Tech Foundation", "承运商 SF Express", "运单号 SF100020")),
    ],
    ids=["en", "zh"],
)
def test_the_ledger_names_each_partys_part_donor_supplier_or_carrier(
    client, login, coordinator, db_session, now, kit, bought, stocked, make_visit, headers, words
):
    stocked(10)
    visit = make_visit(kit_type=kit, title="Rocket day")
    values = {"kit_type_id": kit.id, "quantity": 2, "carrier": "SF Express", "tracking_number": "SF100020"}
    visit_kits.ship(db_session, visit, values, actor=coordinator, now=now)
    db_session.commit()
    login(coordinator)
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get("/kits/ledger", headers=headers).get_data(as_text=True)).split())
    for shown in words:
        assert shown in text
    assert "Donor or supplier SF Express" not in text and "Reason SF100020" not in text
