"""Periods and months in the programme's zone (Beijing time), whatever UTC or the school's zone say."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from core.errors import DomainError
from events.models import VisitStatus
from reports import services
from reports.periods import Period, default_period, period_of
from tests.reports.conftest import beijing


def test_a_period_runs_from_midnight_to_midnight_in_beijing():
    period = Period(date(2026, 1, 1), date(2026, 3, 31))
    assert period.start == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert period.end == datetime(2026, 3, 31, 16, tzinfo=UTC)
    assert (period.days, period.previous) == (90, Period(date(2025, 10, 3), date(2025, 12, 31)))
    assert [m.key for m in period.months] == ["2026-01", "2026-02", "2026-03"]
    assert period.months[1].previous_start == datetime(2025, 11, 2, 16, tzinfo=UTC)  # 02-01 less 90 days: 11-03


def test_the_default_period_is_twelve_months_to_today_in_beijing(now):
    # START is 2026-05-12 17:30 UTC: already 13 May in Beijing
    assert default_period(now) == Period(date(2025, 6, 1), date(2026, 5, 13))


def test_a_range_the_wrong_way_round_or_too_long_is_refused(now):
    with pytest.raises(DomainError) as caught:
        period_of(date(2026, 2, 1), date(2026, 1, 1), now)
    assert (caught.value.code, caught.value.field) == ("end_before_start", "to")
    with pytest.raises(DomainError) as caught:
        period_of(date(2000, 1, 1), date(2026, 1, 1), now)
    assert (caught.value.code, caught.value.field) == ("validation_error", "from")


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Urumqi"])
def test_a_visit_late_on_the_last_evening_of_a_month_counts_in_that_month(db_session, make_school, make_visit, zone):
    school = make_school(timezone=zone)
    late = beijing(date(2026, 1, 31), time(23, 0))  # 15:00 UTC; 21:00 in Urumqi
    early = beijing(date(2026, 2, 1), time(0, 30))  # 2026-01-31 16:30 UTC: already February in Beijing
    for starts in (late, early):
        make_visit(
            school=school, starts_at=starts, ends_at=starts + timedelta(minutes=50), lessons=0,
            status=VisitStatus.COMPLETED,
        )  # fmt: skip
    months = services.breakdown(db_session, "month", Period(date(2026, 1, 1), date(2026, 2, 28))).rows
    assert [(row.key[0], row.current.visits) for row in months] == [("2026-01", 1), ("2026-02", 1)]
    january = services.totals(db_session, Period(date(2026, 1, 1), date(2026, 1, 31)))
    assert january.current.visits == 1
