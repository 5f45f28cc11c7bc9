"""The public transparency page and its CSV: donations, where kits went, students reached, the ledger's
head and last verification, and no personal data."""

from __future__ import annotations

import csv
import io

import pytest

from events import visit_kits
from events.models import VisitStatus
from kits import stock

EN = {"Accept-Language": "en"}


@pytest.fixture
def journey(db_session, now, kit, stocked, coordinator, make_visit, make_school):
    """40 kits from a foundation (one gift of 5 corrected); a visit used 8 of them: shipped, arrived, consumed."""
    stocked(40, party="Star Tech Foundation")
    mistake = stocked(5, party='=HYPERLINK("x")')
    stock.correct(db_session, mistake.id, reason="Typed twice", actor=coordinator, now=now)
    school = make_school(name="Liangshan Primary School")
    visit = make_visit(school=school, kit_type=kit, title="Rocket day")
    visit_kits.ship(db_session, visit, {"kit_type_id": kit.id, "quantity": 8}, actor=coordinator, now=now)
    visit_kits.confirm_arrival(db_session, visit, {"kit_type_id": kit.id, "received": 8}, actor=coordinator, now=now)
    hidden = make_visit(kit_type=kit, title="Draft day", status=VisitStatus.DRAFT)
    visit_kits.ship(db_session, hidden, {"kit_type_id": kit.id, "quantity": 8}, actor=coordinator, now=now)
    db_session.commit()
    return visit


def test_anyone_sees_donations_and_where_kits_went_without_names_of_people(client, journey, coordinator):
    response = client.get("/transparency", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Star Tech Foundation" in page and "Water rocket kit" in page
    assert "CN¥1,400.00" in page  # 40 kits at 35.00
    assert "(entered by mistake and corrected)" in page
    assert "Liangshan Primary School" in page and "Rocket day" in page
    assert "8 kits shipped, 8 arrived." in page
    assert "30 students reached" in page
    assert "Draft day" not in page
    assert coordinator.name not in page and coordinator.email not in page
    assert "The ledger has not been checked yet." in page


def test_the_page_shows_the_head_hash_and_the_last_verification(client, login, journey, coordinator, db_session):
    from kits.ledger import head_state

    login(coordinator)
    client.post("/kits/ledger/verify")
    page = client.get("/transparency", headers=EN).get_data(as_text=True)
    head = head_state(db_session)
    assert head.hash in page
    assert f"all {head.count} movements matched" in page


def test_the_csv_has_the_same_records_formula_safe_with_a_byte_order_mark(client, journey):
    response = client.get("/transparency.csv", headers=EN)
    assert response.status_code == 200
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Record", "Date", "Donor"]
    donations = [row for row in rows if row[0] == "donation"]
    assert [row[2] for row in donations] == ['\'=HYPERLINK("x")', "Star Tech Foundation"]
    assert donations[0][-1] == "yes" and donations[1][6:8] == ["40", "140000"]
    (delivery,) = [row for row in rows if row[0] == "delivery"]
    assert delivery[3:12] == [
        "Liangshan Primary School",
        "Rocket day",
        "Water rocket kit",
        "8",
        "",
        "8",
        "0",
        "0",
        "30",
    ]


def test_every_school_page_and_the_footer_link_to_it(client, login, coordinator, make_school):
    login(coordinator)
    school = make_school()
    page = client.get(f"/schools/{school.id}", headers=EN).get_data(as_text=True)
    assert page.count('href="/transparency"') == 2


def test_the_page_takes_the_same_statements_as_donations_and_deliveries_grow(
    client, db_session, now, kit, stocked, coordinator, make_visit, count_statements
):
    def grow(n: int, start: int) -> None:
        for i in range(n):
            stocked(8, party=f"Donor {start + i}")
            visit = make_visit(kit_type=kit, days_ahead=start + i)
            visit_kits.ship(db_session, visit, {"kit_type_id": kit.id, "quantity": 8}, actor=coordinator, now=now)
        db_session.commit()

    grow(1, 2)
    few = [count_statements(client, path) for path in ("/transparency", "/transparency.csv")]
    grow(5, 10)
    assert [count_statements(client, path) for path in ("/transparency", "/transparency.csv")] == few
