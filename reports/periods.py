"""Report periods: a range of days in the programme's zone, the previous period of the same length, and
the months they cover.

Every report counts a visit on the day, and in the month, of its start in the programme's zone
(Asia/Shanghai), whatever the school's own zone. One boundary for every row is what lets the per-school,
per-region and per-month tables add up to the headline figures; a school keeping another zone (Asia/Urumqi,
two hours behind Beijing) sees a visit starting after 22:00 on the last evening of its month counted in the
next month, which the dashboard says under the month table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core.errors import DomainError
from core.timeutil import DEFAULT_TZ, in_zone, local_to_utc

#: the zone of every report's days and months
PROGRAMME_TZ = DEFAULT_TZ
#: the longest range a report covers (the month table's CASE has a branch per month)
MAX_DAYS = 366 * 10
#: a range not given ends today and starts on the first of the month eleven months earlier
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class Month:
    """One month of a period: its first day, and where its days begin and end within the period (UTC), now
    and in the previous period."""

    first: date
    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime

    @property
    def key(self) -> str:
        return self.first.strftime("%Y-%m")


@dataclass(frozen=True)
class Period:
    """Days `first` to `last`, both included, in the programme's zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return local_to_utc(self.first, time(0), PROGRAMME_TZ)

    @property
    def end(self) -> datetime:
        return local_to_utc(self.last + timedelta(days=1), time(0), PROGRAMME_TZ)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def previous(self) -> Period:
        """The period of the same number of days just before this one."""
        last = self.first - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last)

    @property
    def months(self) -> list[Month]:
        """The months the period touches, the first and last cut to it; each with the same stretch of days one
        period earlier (what a month row is compared with)."""
        shift = self.previous.start - self.start
        months = []
        first = self.first.replace(day=1)
        while first <= self.last:
            following = (first + timedelta(days=32)).replace(day=1)
            start = max(self.start, local_to_utc(first, time(0), PROGRAMME_TZ))
            end = min(self.end, local_to_utc(following, time(0), PROGRAMME_TZ))
            months.append(Month(first, start, end, start + shift, end + shift))
            first = following
        return months


def default_period(now: datetime) -> Period:
    """Today and the eleven months before it, from the first of the earliest month."""
    today = in_zone(now, PROGRAMME_TZ).date()
    first = today.replace(day=1)
    for _ in range(DEFAULT_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period(first, today)


def period_of(first: date | None, last: date | None, now: datetime) -> Period:
    """The period from the dates asked for; a missing one comes from the default period.

    Raises: validation_error (field `to` before `from`, or a range of over ten years).
    """
    default = default_period(now)
    period = Period(first or default.first, last or default.last)
    if period.last < period.first:
        raise DomainError("end_before_start", field="to")
    if period.days > MAX_DAYS:
        raise DomainError("validation_error", field="from")
    return period
