"""Every figure of the reports' services against the hand-worked numbers of tests/reports/expected.py."""

from __future__ import annotations

import pytest

from reports import services
from reports.services import Scope
from tests.reports import expected
from tests.reports.conftest import PERIOD


def _as_tuple(figures) -> tuple:
    return tuple(getattr(figures, name) for name in expected.FIELDS)


def _table(db_session, grouping, label, scope=services.EVERYONE) -> dict:
    table = services.breakdown(db_session, grouping, PERIOD, scope)
    return {label(row): (_as_tuple(row.current), _as_tuple(row.previous)) for row in table.rows}


def test_headline_figures_match_the_hand_worked_totals(db_session, world):
    row = services.totals(db_session, PERIOD)
    assert _as_tuple(row.current) == expected.TOTAL
    assert _as_tuple(row.previous) == expected.TOTAL_PREVIOUS


@pytest.mark.parametrize(
    ("grouping", "label", "answer"),
    [
        ("company", lambda row: row.labels["company"], expected.COMPANY),
        (
            "region",
            lambda row: (row.labels["province"], row.labels["prefecture"], row.labels["county"]),
            expected.REGION,
        ),
        ("province", lambda row: row.labels["province"], expected.PROVINCE),
        ("school", lambda row: row.labels["school"], expected.SCHOOL),
        ("month", lambda row: row.labels["month"], expected.MONTH),
    ],
)
def test_each_table_matches_the_hand_worked_figures(db_session, world, grouping, label, answer):
    table = _table(db_session, grouping, label)
    assert table == answer
    assert list(table) == list(answer)  # in the order the pages show


def test_a_companys_people_and_totals_count_only_its_own_people(db_session, world):
    scope = Scope(company_id=world.star.id)
    assert _table(db_session, "volunteer", lambda row: row.labels["volunteer"], scope) == expected.STAR_VOLUNTEERS
    row = services.totals(db_session, PERIOD, scope)
    assert (_as_tuple(row.current), _as_tuple(row.previous)) == expected.COMPANY["星辰科技"]


def test_minutes_per_volunteer_round_half_up(db_session, world):
    assert services.totals(db_session, PERIOD).current.minutes_per_volunteer == 300  # 900 / 3
    assert services.Figures(volunteer_minutes=5, volunteers=2).minutes_per_volunteer == 3  # 2.5


def test_an_unknown_grouping_is_bad_request(db_session):
    from core.errors import DomainError

    with pytest.raises(DomainError) as caught:
        services.breakdown(db_session, "colour", PERIOD)
    assert (caught.value.code, caught.value.field) == ("bad_request", "group_by")


def test_lessons_given_are_counted_per_school_and_in_total(db_session, world):
    total = services.totals(db_session, PERIOD)
    assert (total.current.lessons, total.previous.lessons) == expected.LESSONS["total"]
    table = services.breakdown(db_session, "school", PERIOD)
    by_school = {row.labels["school"]: (row.current.lessons, row.previous.lessons) for row in table.rows}
    assert by_school == {name: lessons for name, lessons in expected.LESSONS.items() if name != "total"}
    school_a = services.totals(db_session, PERIOD, Scope(school_id=world.a.id))
    assert (school_a.current.lessons, school_a.previous.lessons) == expected.LESSONS["美姑县第一小学"]


def test_fractions_of_fen_are_rounded_half_up_once_and_float_noise_is_dropped():
    from decimal import Decimal

    from reports.services import whole_fen

    assert whole_fen(64800.00000000001) == 64800 == whole_fen(64799.99999999999)
    assert (whole_fen(0.5), whole_fen(Decimal("2.5")), whole_fen(2.4999), whole_fen(0)) == (1, 3, 2, 0)
