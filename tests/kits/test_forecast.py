"""The kit forecast: scheduled lessons' needs per week against available stock, the first day short and what
to order, on a page and in the API, in a constant number of statements."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import Role
from events.forecast import forecast
from events.models import VisitStatus
from kits import stock


@pytest.fixture
def balloon(make_kit_type):
    """Three students share a kit: a lesson of 30 needs 10."""
    return make_kit_type(name="Fireproof balloon kit", students_per_kit=3)


def _receive(db_session, now, kit, quantity, hub=None):
    stock.receive(
        db_session,
        kit_type_id=kit.id,
        quantity=quantity,
        party="Star Tech",
        hub_id=hub.id if hub else None,
        actor=None,
        now=now,
    )
    db_session.commit()


@pytest.fixture
def scheduled(db_session, now, main_hub, balloon, make_visit):
    """15 kits; a visit on Saturday 16 May holds 10; one on Saturday 23 May (two lessons, 20 kits) holds 5
    and misses 15; then 8 more kits arrive, which cover 5 of them: 7 short from 23 May."""
    _receive(db_session, now, balloon, 15)
    make_visit(days_ahead=3, kit_type=balloon)
    make_visit(days_ahead=10, kit_type=balloon, lessons=2)
    make_visit(days_ahead=17, kit_type=balloon, status=VisitStatus.CANCELLED)
    make_visit(days_ahead=60, kit_type=balloon, status=VisitStatus.DRAFT)  # after the eighth week
    _receive(db_session, now, balloon, 8)


def _kit(result, kit):
    return next(row for row in result.kit_types if row.kit_type_id == kit.id)


def test_forecast_gives_each_weeks_demand_the_first_day_short_and_what_to_order(db_session, now, scheduled, balloon):
    result = forecast(db_session, now=now)
    assert result.starts_on == date(2026, 5, 11)  # the Monday of 13 May in Shanghai
    row = _kit(result, balloon)
    assert row.available == 8
    first, second, third = row.weeks[:3]
    assert (first.needed, first.held, first.missing, first.short) == (10, 10, 0, 0)
    assert (second.needed, second.held, second.missing, second.short) == (20, 5, 15, 7)
    assert third.needed == 0  # cancelled
    assert sum(week.needed for week in row.weeks) == 30  # the visit in July is beyond the eighth week
    assert row.first_short_on == date(2026, 5, 23)
    assert row.to_order == 7


def test_a_draft_visit_counts_and_stock_covering_everything_orders_nothing(
    db_session, now, main_hub, balloon, make_visit
):
    _receive(db_session, now, balloon, 50)
    make_visit(days_ahead=20, kit_type=balloon, status=VisitStatus.DRAFT)
    row = _kit(forecast(db_session, now=now), balloon)
    assert row.weeks[3].needed == 10 and row.weeks[3].held == 10
    assert (row.first_short_on, row.to_order, row.available) == (None, 0, 40)


def test_stock_at_another_hub_does_not_cover_a_hubs_lessons(db_session, now, scheduled, balloon, other_hub):
    _receive(db_session, now, balloon, 100, hub=other_hub)
    everywhere = _kit(forecast(db_session, now=now), balloon)
    assert (everywhere.available, everywhere.to_order) == (108, 7)
    there = _kit(forecast(db_session, now=now, hub_id=other_hub.id), balloon)
    assert (there.available, there.to_order, there.first_short_on) == (100, 0, None)
    assert sum(week.needed for week in there.weeks) == 0


def test_forecast_page_says_what_runs_short_in_words(client, login, coordinator, scheduled):
    login(coordinator)
    response = client.get("/kits/forecast", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Fireproof balloon kit" in page
    assert "runs short on May 23, 2026; order 7." in page
    assert "Short by 7 kits" in page
    assert page.count("No lessons need kits this week.") == 6


def test_forecast_api_answers_per_kit_type_and_week(client, admin, scheduled, balloon):
    body = client.get("/api/v1/forecast", headers=admin).get_json()
    row = next(kit for kit in body["kit_types"] if kit["kit_type_id"] == balloon.id)
    assert body["starts_on"] == "2026-05-11" and body["hub_id"] is None
    assert (row["first_short_on"], row["to_order"], row["available"]) == ("2026-05-23", 7, 8)
    assert row["weeks"][1] == {"starts_on": "2026-05-18", "needed": 20, "held": 5, "missing": 15, "short": 7}
    assert len(row["weeks"]) == 8


def test_forecast_takes_the_same_statements_as_visits_grow(
    client, login, make_user, make_visit, make_kit_type, main_hub, count_statements
):
    login(make_user(Role.ADMIN))
    kits = [make_kit_type(), make_kit_type()]

    def grow(n: int, start: int) -> None:
        for i in range(n):
            make_visit(days_ahead=start + i, kit_type=kits[i % 2], lessons=2)

    grow(2, 2)
    few = [count_statements(client, path) for path in ("/kits/forecast", "/api/v1/forecast")]
    grow(12, 10)
    many = [count_statements(client, path) for path in ("/kits/forecast", "/api/v1/forecast")]
    assert many == few
