"""The kit forecast: for the next FORECAST_WEEKS weeks, what scheduled lessons still need of each kit type
against the stock available now, the first day each kit type runs short, and how many to order.

It lives in the events layer because it reads lessons (their days, their visit's status) and kits may not
import events (tests/test_layers.py); the reservation rows (kits.models.KitReservation) carry what each
lesson needs, holds and misses but not its day, so this module joins them to lessons and asks kits for
stock (kits.stock.stock_rows). Two statements whatever the data: one SQL aggregate of lessons' needs per
hub, kit type and lesson start, and the stock counters.

The rule. A lesson's reserved and shipped kits are already set aside, so what it still needs is its
shortfall; lessons of draft and published visits (not cancelled or completed) starting from `now` to the
end of the eighth week (weeks start on Monday in Asia/Shanghai; the first is the one holding `now`) take
those kits, in the order they start, from the kits available at their visit's hub. The first lesson that
finds too few gives the day the kit type runs short, and what is missing at the end is what to order.
Kits at one hub do not cover lessons served by another: with all hubs, a kit type's days and numbers are
those of its hubs added up (the earliest day; the sum to order), so a transfer may cover part of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.timeutil import DEFAULT_TZ, in_zone, local_to_utc
from events.models import Lesson, Visit, VisitStatus
from kits.models import KitReservation
from kits.stock import stock_rows

FORECAST_WEEKS = 8
#: weeks are counted in the programme's zone
FORECAST_ZONE = DEFAULT_TZ
#: lessons of these visits take kits
SCHEDULED = (VisitStatus.DRAFT, VisitStatus.PUBLISHED)


@dataclass
class WeekDemand:
    """One kit type in one week: kits its lessons need, already hold (reserved or shipped), still miss,
    and how many of those the available stock will not cover (`short`)."""

    starts_on: date
    needed: int = 0
    held: int = 0
    missing: int = 0
    short: int = 0


@dataclass
class KitForecast:
    """One kit type over the forecast's weeks."""

    kit_type_id: int
    kit_type_name: str
    #: kits available now (on hand, not reserved) at the hubs in scope
    available: int
    weeks: list[WeekDemand]
    #: the day (in FORECAST_ZONE) of the first lesson available stock will not cover, or None
    first_short_on: date | None = None
    #: kits to get so that every lesson in the forecast has what it needs
    to_order: int = 0

    @property
    def needed(self) -> int:
        return sum(week.needed for week in self.weeks)


@dataclass
class Forecast:
    starts_on: date
    hub_id: int | None
    kit_types: list[KitForecast] = field(default_factory=list)

    @property
    def weeks(self) -> list[date]:
        return [self.starts_on + timedelta(weeks=n) for n in range(FORECAST_WEEKS)]

    def in_week(self, index: int) -> list[tuple[KitForecast, WeekDemand]]:
        """The kit types lessons need in the `index`-th week, with that week's demand."""
        return [(kit, kit.weeks[index]) for kit in self.kit_types if kit.weeks[index].needed]

    @property
    def short(self) -> list[KitForecast]:
        return [kit for kit in self.kit_types if kit.to_order]


def week_start(now: datetime) -> date:
    """The Monday (in FORECAST_ZONE) of the week holding `now`."""
    today = in_zone(now, FORECAST_ZONE).date()
    return today - timedelta(days=today.weekday())


def forecast(session: Session, *, now: datetime, hub_id: int | None = None) -> Forecast:
    """Demand per kit type and week against available stock, at one hub or at all (see the module's rule)."""
    first = week_start(now)
    end = local_to_utc(first + timedelta(weeks=FORECAST_WEEKS), time(0, 0), FORECAST_ZONE)
    result = Forecast(first, hub_id)
    by_type: dict[int, KitForecast] = {}
    pools: dict[tuple[int, int], int] = {}
    for row in stock_rows(session, hub_id=hub_id):
        pools[(row.hub_id, row.kit_type_id)] = row.available
        kit = by_type.get(row.kit_type_id)
        if kit is None:
            weeks = [WeekDemand(day) for day in result.weeks]
            kit = by_type[row.kit_type_id] = KitForecast(row.kit_type_id, row.kit_type_name, 0, weeks)
        kit.available += row.available
    reservation = KitReservation
    statement = (
        select(
            reservation.hub_id,
            reservation.kit_type_id,
            Lesson.starts_at,
            func.sum(reservation.needed),
            func.sum(reservation.reserved + reservation.shipped),
            func.sum(reservation.shortfall),
        )
        .join(Lesson, Lesson.id == reservation.lesson_id)
        .join(Visit, Visit.id == Lesson.visit_id)
        .where(Visit.status.in_(SCHEDULED), Lesson.starts_at >= now, Lesson.starts_at < end)
        .group_by(reservation.hub_id, reservation.kit_type_id, Lesson.starts_at)
        .order_by(Lesson.starts_at, reservation.hub_id, reservation.kit_type_id)
    )
    if hub_id is not None:
        statement = statement.where(reservation.hub_id == hub_id)
    for hub, kit_type_id, starts_at, needed, held, missing in session.execute(statement):
        kit = by_type.get(kit_type_id)
        if kit is None:  # a kit type at an inactive hub: no stock row, nothing available
            continue
        day = in_zone(starts_at, FORECAST_ZONE).date()
        week = kit.weeks[min((day - first).days // 7, FORECAST_WEEKS - 1)]
        week.needed, week.held, week.missing = week.needed + needed, week.held + held, week.missing + missing
        pool = pools.get((hub, kit_type_id), 0)
        short = min(missing, max(missing - pool, 0))
        pools[(hub, kit_type_id)] = max(pool - missing, 0)
        if short:
            week.short += short
            kit.to_order += short
            kit.first_short_on = kit.first_short_on or day
    result.kit_types = sorted(by_type.values(), key=lambda kit: kit.kit_type_name)
    return result
