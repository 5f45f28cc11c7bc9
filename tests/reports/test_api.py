"""GET /api/v1/reports/summary and /api/v1/me/hours against the hand-worked figures."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.api.helpers import assert_error
from tests.reports import expected

RANGE = "from=2026-01-01&to=2026-03-31"


def _figures(answer: dict) -> tuple:
    return tuple(answer[name] for name in expected.FIELDS)


def _pair(row: dict) -> tuple:
    return _figures(row["current"]), _figures(row["previous"])


def test_summary_gives_the_hand_worked_totals_and_periods(client, world, make_user, bearer):
    body = client.get(f"/api/v1/reports/summary?{RANGE}", headers=bearer(make_user(Role.ADMIN))).get_json()
    assert body["period"] == {
        "from": "2026-01-01",
        "to": "2026-03-31",
        "previous_from": "2025-10-03",
        "previous_to": "2025-12-31",
    }
    assert _pair(body["totals"]) == (expected.TOTAL, expected.TOTAL_PREVIOUS)
    assert body["totals"]["current"]["minutes_per_volunteer"] == 300  # 900 / 3
    # kits: V1 9 + 20, V2 not confirmed (0), V3 6; consumed 7 + 18 + 4; 9 × 12550 + 20 × 3000 + 6 × 3000 fen
    current = body["totals"]["current"]
    assert (current["kits_delivered"], current["kits_consumed"], current["kit_value_fen"]) == (35, 29, 190950)
    assert current["donated_value_fen"] == 104800  # V1 89800 + V3 15000 (tests/reports/conftest.py)
    assert (body["group_by"], body["rows"]) == (None, [])


@pytest.mark.parametrize(
    ("group_by", "key", "answer"),
    [
        ("company", lambda g: g["company"], expected.COMPANY),
        ("region", lambda g: (g["province"], g["prefecture"], g["county"]), expected.REGION),
        ("school", lambda g: g["school"], expected.SCHOOL),
        ("month", lambda g: g["month"], expected.MONTH),
    ],
)
def test_summary_by_each_grouping_gives_the_hand_worked_rows(client, world, make_user, bearer, group_by, key, answer):
    response = client.get(f"/api/v1/reports/summary?{RANGE}&group_by={group_by}", headers=bearer(make_user(Role.ADMIN)))
    assert response.status_code == 200
    rows = {key(row["group"]): _pair(row) for row in response.get_json()["rows"]}
    assert rows == answer


def test_summary_names_schools_and_companies_by_id_too(client, world, make_user, bearer):
    headers = bearer(make_user(Role.ADMIN))
    rows = client.get(f"/api/v1/reports/summary?{RANGE}&group_by=school", headers=headers).get_json()["rows"]
    assert {row["group"]["school_id"] for row in rows} == {world.a.id, world.b.id, world.c.id}
    rows = client.get(f"/api/v1/reports/summary?{RANGE}&group_by=company", headers=headers).get_json()["rows"]
    assert [row["group"]["company_id"] for row in rows] == [world.star.id, world.green.id]


@pytest.mark.parametrize("group_by", ["colour", "volunteer", "province", ""])
def test_a_bad_group_by_is_a_400_json_error(client, world, make_user, bearer, group_by):
    response = client.get(f"/api/v1/reports/summary?group_by={group_by}", headers=bearer(make_user(Role.ADMIN)))
    error = assert_error(response, 400, "bad_request")
    assert error["field"] == "group_by"


def test_summary_refuses_dates_the_wrong_way_round(client, world, make_user, bearer):
    response = client.get(
        "/api/v1/reports/summary?from=2026-03-01&to=2026-02-01", headers=bearer(make_user(Role.ADMIN))
    )
    assert assert_error(response, 422, "end_before_start")["field"] == "to"
    response = client.get("/api/v1/reports/summary?from=yesterday", headers=bearer(make_user(Role.ADMIN)))
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.COORDINATOR, Role.HOST])
def test_summary_is_for_programme_coordinators(client, world, make_user, bearer, role):
    assert_error(client.get("/api/v1/reports/summary", headers=bearer(make_user(role))), 403, "forbidden")
    assert_error(client.get("/api/v1/reports/summary"), 401, "unauthorized")


def test_my_hours_lists_the_callers_visits_and_sums(client, world, bearer):
    body = client.get("/api/v1/me/hours", headers=bearer(world.s1)).get_json()
    # s1: P0 45, P2 90, V1 240, V2 120, V5 100
    assert (body["minutes"], body["hours"], body["visits"], body["visits_without_checkins"]) == (595, "9.9", 5, 0)
    assert [line["minutes"] for line in body["lines"]] == [45, 90, 240, 120, 100]
    assert [line["visit_id"] for line in body["lines"]] == [world.visits[k].id for k in ("P0", "P2", "V1", "V2", "V5")]
    assert body["lines"][2]["school"] == "美姑县第一小学"
    assert body["lines"][2]["starts_at"] == "2026-01-10T01:00:00+00:00"
    body = client.get("/api/v1/me/hours", headers=bearer(world.s2)).get_json()
    # s2: V2 60; V4 without check-in
    assert (body["minutes"], body["visits"], body["visits_without_checkins"]) == (60, 2, 1)
    assert [line["minutes"] for line in body["lines"]] == [60, None]
