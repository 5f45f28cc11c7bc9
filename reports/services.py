"""The figures of the impact reports, from SQL aggregates: a handful of GROUP BY statements per table,
however many visits, signups and check-ins there are.

What counts (the dashboard's notes say the same to its readers):

- A **visit completed** is a visit with status completed that starts within the period (its start's day in
  the programme's zone: see `reports.periods`).
- **Schools reached** are the distinct host schools and satellite schools (watching the livestream) of those
  visits.
- **Students reached** add the students attended, as the host recorded them, of every lesson and satellite
  school of those visits. A visit with a lesson or satellite school whose number was never recorded is
  counted in `visits_without_student_counts`; its recorded numbers still count, nothing is estimated.
- **Volunteer minutes** add `Signup.attended_minutes`, the minutes between check-in and check-out
  (`checkin.hours`). A visit without a single check-in (held before check-in existed, or never scanned) adds
  no minutes and is counted in `visits_without_checkins` instead of an invented figure.
- **Active volunteers** are the distinct people whose signup for those visits is attended.

Each table compares a row with the same row in the previous period of the same length. A row of the region
table belongs to the visit's host school: a satellite school elsewhere counts under the host's region. A row of
the company table counts the visits (and their schools and students) in which at least one of the company's
people attended, and only the company's own people's hours, so the company rows of a visit shared by two
companies add up to more than the headline.

- **Kits delivered** add `VisitKit.received`, the kits the school counted on arrival, of those visits: kits shipped
  but not yet confirmed count as 0 (a difference between shipped and received counts what arrived). **Kits
  consumed** add `VisitKit.consumed`. The **value of kits delivered** (in fen) adds each kit type's kits received
  times its `KitType.unit_value_fen`, whoever gave them. The **value of donated kits delivered** follows the
  donor trail (kits.lots): the kits each shipment to a visit took from donations (not from purchases), each at
  its donation's own value per kit (`value_fen / quantity` of the received movement), times the share of that
  kit type's shipped kits the school counted on arrival (received / shipped: a kit lost on the way takes its
  share of every lot with it); rounded half up to whole fen once, on the total. These join the students'
  per-visit aggregate (`_per_visit`) and are summed in the same statement, so the kits add no statement to a
  table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, Float, Select, and_, case, cast, distinct, func, literal, select, union
from sqlalchemy.orm import Session, aliased

from accounts.models import Company, User
from checkin.models import Attendance
from core.errors import DomainError
from events.models import Lesson, SatelliteSchool, School, Visit, VisitStatus
from kits.models import KitType, Movement, MovementKind, MovementLot, VisitKit
from reports.periods import Period
from volunteers.models import Signup, SignupStatus

CURRENT, PREVIOUS = "current", "previous"
#: the tables a report can be broken down into (the API's `group_by`, and the volunteers of a company)
GROUPINGS = ("company", "region", "province", "school", "month", "volunteer")


@dataclass
class Figures:
    """A row's figures for one period; counts and minutes are integers."""

    visits: int = 0
    schools: int = 0
    students: int = 0
    volunteer_minutes: int = 0
    volunteers: int = 0
    visits_without_checkins: int = 0
    visits_without_student_counts: int = 0
    #: kits the schools confirmed as received (not yet confirmed: 0), and consumed
    kits_delivered: int = 0
    kits_consumed: int = 0
    #: kits received times each kit type's value, in fen
    kit_value_fen: int = 0
    #: the donated kits among those received, at each donation's value per kit, in fen
    donated_value_fen: int = 0
    #: the lessons of the visits (at their host schools)
    lessons: int = 0

    @property
    def minutes_per_volunteer(self) -> int:
        """Whole minutes per active volunteer, rounded half up (0 without volunteers)."""
        return (2 * self.volunteer_minutes + self.volunteers) // (2 * self.volunteers) if self.volunteers else 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)} | {
            "minutes_per_volunteer": self.minutes_per_volunteer
        }


@dataclass
class Row:
    """One row of a table: what it is about (`key`, named by `labels`) and its figures now and before."""

    key: tuple
    labels: dict[str, object]
    current: Figures = field(default_factory=Figures)
    previous: Figures = field(default_factory=Figures)


@dataclass
class Table:
    grouping: str
    period: Period
    rows: list[Row]


@dataclass(frozen=True)
class Scope:
    """Whose activity a report counts: everyone's, one company's people's, one person's or one school's visits."""

    company_id: int | None = None
    user_id: int | None = None
    school_id: int | None = None


EVERYONE = Scope()

# ---------------------------------------------------------------- per-visit aggregates


def _period_of(starts_at: ColumnElement, period: Period) -> ColumnElement:
    return case((starts_at >= period.start, literal(CURRENT)), else_=literal(PREVIOUS))


def _window(period: Period, scope: Scope) -> Select:
    """The ids of the visits a report counts: completed, starting in the period or the previous one (at the scope's
    school). Every per-visit aggregate reads only these, so a report reads the rows of its own range, however many
    years the programme has run."""
    query = select(Visit.id).where(
        Visit.status == VisitStatus.COMPLETED,
        Visit.starts_at >= period.previous.start,
        Visit.starts_at < period.end,
    )
    if scope.school_id is not None:
        query = query.where(Visit.school_id == scope.school_id)
    return query


def _students_per_visit(model, window: Select):
    """Per visit, how many lessons (or satellite schools) it had, their students attended and how many lack their
    number."""
    return (
        select(
            model.visit_id,
            func.count().label("count"),
            func.coalesce(func.sum(model.students_attended), 0).label("students"),
            (func.count() - func.count(model.students_attended)).label("unrecorded"),
        )
        .where(model.visit_id.in_(window))
        .group_by(model.visit_id)
        .subquery()
    )


def _kits_per_visit(window: Select):
    """Per visit, the kits received (unconfirmed: 0), consumed, and the value received in fen."""
    received = func.coalesce(VisitKit.received, 0)
    return (
        select(
            VisitKit.visit_id,
            func.sum(received).label("delivered"),
            func.sum(VisitKit.consumed).label("consumed"),
            func.sum(received * KitType.unit_value_fen).label("value_fen"),
        )
        .join(KitType, KitType.id == VisitKit.kit_type_id)
        .where(VisitKit.visit_id.in_(window))
        .group_by(VisitKit.visit_id)
        .subquery()
    )


def _donated_per_visit(window: Select):
    """Per visit, the value in fen of the donated kits the school received: per kit type, the lots its shipments
    took from donations at each donation's value per kit, times received / shipped (unconfirmed: 0). Not
    rounded: the table rounds its sums."""
    shipment, source = aliased(Movement), aliased(Movement)
    lot_value = cast(MovementLot.quantity * source.value_fen, Float) / source.quantity
    shipped_value = (
        select(
            shipment.visit_id,
            shipment.kit_type_id,
            func.sum(lot_value).label("value"),
        )
        .join(MovementLot, MovementLot.movement_id == shipment.id)
        .join(source, source.id == MovementLot.source_id)
        .where(
            shipment.visit_id.in_(window),
            shipment.kind == MovementKind.SHIPPED,
            source.donated.is_(True),
            source.quantity > 0,
        )
        .group_by(shipment.visit_id, shipment.kit_type_id)
        .subquery("donated_shipped")
    )
    share = cast(func.coalesce(VisitKit.received, 0), Float) / VisitKit.shipped
    return (
        select(VisitKit.visit_id, func.sum(shipped_value.c.value * share).label("value_fen"))
        .join(
            shipped_value,
            and_(shipped_value.c.visit_id == VisitKit.visit_id, shipped_value.c.kit_type_id == VisitKit.kit_type_id),
        )
        .where(VisitKit.visit_id.in_(window), VisitKit.shipped > 0)
        .group_by(VisitKit.visit_id)
        .subquery("donated")
    )


def _per_visit(period: Period, scope: Scope):
    """One row per completed visit of the period or the previous one: its period, school, start, students
    reached, whether any lesson or satellite lacks its students, whether anyone checked in, its kits."""
    window = _window(period, scope)
    lessons, satellites = _students_per_visit(Lesson, window), _students_per_visit(SatelliteSchool, window)
    kits, donated = _kits_per_visit(window), _donated_per_visit(window)
    checkins = (
        select(Attendance.visit_id).where(Attendance.visit_id.in_(window)).group_by(Attendance.visit_id).subquery()
    )
    query = (
        select(
            Visit.id.label("visit_id"),
            Visit.school_id,
            Visit.starts_at,
            _period_of(Visit.starts_at, period).label("period"),
            (func.coalesce(lessons.c.students, 0) + func.coalesce(satellites.c.students, 0)).label("students"),
            func.coalesce(lessons.c.count, 0).label("lessons"),
            case(
                (func.coalesce(lessons.c.unrecorded, 0) + func.coalesce(satellites.c.unrecorded, 0) > 0, 1), else_=0
            ).label("unrecorded"),
            case((checkins.c.visit_id.is_(None), 1), else_=0).label("no_checkins"),
            func.coalesce(kits.c.delivered, 0).label("kits_delivered"),
            func.coalesce(kits.c.consumed, 0).label("kits_consumed"),
            func.coalesce(kits.c.value_fen, 0).label("kit_value_fen"),
            func.coalesce(donated.c.value_fen, 0).label("donated_value_fen"),
        )
        .outerjoin(lessons, lessons.c.visit_id == Visit.id)
        .outerjoin(satellites, satellites.c.visit_id == Visit.id)
        .outerjoin(checkins, checkins.c.visit_id == Visit.id)
        .outerjoin(kits, kits.c.visit_id == Visit.id)
        .outerjoin(donated, donated.c.visit_id == Visit.id)
        .where(Visit.id.in_(window))
    )
    return query.subquery("per_visit")


def _attendees(period: Period, scope: Scope):
    """Attended signups of the report's visits: visit, person, their company, minutes (None without check-ins)."""
    query = (
        select(Signup.visit_id, Signup.user_id, User.company_id, Signup.attended_minutes.label("minutes"))
        .join(User, User.id == Signup.user_id)
        .where(Signup.status == SignupStatus.ATTENDED, Signup.visit_id.in_(_window(period, scope)))
    )
    if scope.company_id is not None:
        query = query.where(User.company_id == scope.company_id)
    if scope.user_id is not None:
        query = query.where(Signup.user_id == scope.user_id)
    return query.subquery("attendees")


def _reach(period: Period, scope: Scope):
    """Every school the report's visits reached: their host schools and their satellite schools."""
    window = _window(period, scope)
    return union(
        select(Visit.id.label("visit_id"), Visit.school_id).where(Visit.id.in_(window)),
        select(SatelliteSchool.visit_id, SatelliteSchool.school_id).where(SatelliteSchool.visit_id.in_(window)),
    ).subquery("reach")


# ---------------------------------------------------------------- groupings


@dataclass(frozen=True)
class _Keyed:
    """A grouping's rows: `query` gives the key columns with visit_id (and user_id for people's groupings)."""

    query: Select
    names: tuple[str, ...]
    by_person: bool


def _month_key(starts_at: ColumnElement, period: Period) -> ColumnElement:
    """The month of the period a visit falls in; a previous-period visit falls in the month whose days, one period
    later, hold its start."""
    whens = []
    for month in period.months:
        whens.append((and_(starts_at >= month.start, starts_at < month.end), literal(month.key)))
        whens.append((and_(starts_at >= month.previous_start, starts_at < month.previous_end), literal(month.key)))
    return case(*whens, else_=literal(""))


def _keyed(grouping: str, period: Period, scope: Scope, pv, people) -> _Keyed:
    scoped = scope.company_id is not None or scope.user_id is not None
    if grouping in ("company", "volunteer"):
        if grouping == "company":
            columns = [people.c.company_id.label("company_id"), Company.name.label("company")]
            joined = people.outerjoin(Company, Company.id == people.c.company_id)
        else:
            columns = [people.c.user_id.label("user_id_key"), User.name.label("volunteer")]
            joined = people.join(User, User.id == people.c.user_id)
        query = select(*columns, people.c.visit_id, people.c.user_id).select_from(joined)
        return _Keyed(query, tuple(c.name for c in columns), True)
    columns: list[ColumnElement] = {
        "all": lambda: [literal("all").label("all")],
        "province": lambda: [School.province.label("province")],
        "region": lambda: [
            School.province.label("province"),
            School.prefecture.label("prefecture"),
            School.county.label("county"),
        ],
        "school": lambda: [School.id.label("school_id"), School.name.label("school")],
        "month": lambda: [_month_key(pv.c.starts_at, period).label("month")],
    }[grouping]()
    query = select(*columns, pv.c.visit_id).select_from(pv.join(School, School.id == pv.c.school_id))
    if scoped:
        query = query.where(pv.c.visit_id.in_(select(people.c.visit_id)))
    return _Keyed(query, tuple(c.name for c in columns), False)


def _table(session: Session, grouping: str, period: Period, scope: Scope) -> list[Row]:
    """Three statements: the visits' figures (with their kits), the people's, the schools reached; merged by key."""
    pv = _per_visit(period, scope)
    people = _attendees(period, scope)
    keyed = _keyed(grouping, period, scope, pv, people)
    k = keyed.query.subquery("keyed")
    keys = [k.c[name] for name in keyed.names]
    pairs = select(*keys, k.c.visit_id).distinct().subquery("pairs")
    pair_keys = [pairs.c[name] for name in keyed.names]

    visit_figures = session.execute(
        select(
            *pair_keys,
            pv.c.period,
            func.count().label("visits"),
            func.coalesce(func.sum(pv.c.students), 0),
            func.coalesce(func.sum(pv.c.no_checkins), 0),
            func.coalesce(func.sum(pv.c.unrecorded), 0),
            func.coalesce(func.sum(pv.c.kits_delivered), 0),
            func.coalesce(func.sum(pv.c.kits_consumed), 0),
            func.coalesce(func.sum(pv.c.kit_value_fen), 0),
            func.coalesce(func.sum(pv.c.lessons), 0),
            func.coalesce(func.sum(pv.c.donated_value_fen), 0),
        )
        .select_from(pairs.join(pv, pv.c.visit_id == pairs.c.visit_id))
        .group_by(*pair_keys, pv.c.period)
    ).all()
    person_join = people.c.visit_id == k.c.visit_id
    if keyed.by_person:
        person_join = and_(person_join, people.c.user_id == k.c.user_id)
    person_source = select(*keys, k.c.visit_id, people.c.user_id, people.c.minutes).select_from(
        k.join(people, person_join)
    )
    if keyed.by_person:
        person_source = person_source.distinct()
    ps = person_source.subquery("people_keyed")
    ps_keys = [ps.c[name] for name in keyed.names]
    person_figures = session.execute(
        select(
            *ps_keys,
            pv.c.period,
            func.coalesce(func.sum(ps.c.minutes), 0),
            func.count(distinct(ps.c.user_id)),
        )
        .select_from(ps.join(pv, pv.c.visit_id == ps.c.visit_id))
        .group_by(*ps_keys, pv.c.period)
    ).all()
    reach = _reach(period, scope)
    school_figures = session.execute(
        select(*pair_keys, pv.c.period, func.count(distinct(reach.c.school_id)))
        .select_from(
            pairs.join(pv, pv.c.visit_id == pairs.c.visit_id).join(reach, reach.c.visit_id == pairs.c.visit_id)
        )
        .group_by(*pair_keys, pv.c.period)
    ).all()

    n = len(keyed.names)
    rows: dict[tuple, Row] = {}

    def figures(record) -> Figures:
        key = tuple(record[:n])
        row = rows.setdefault(key, Row(key, dict(zip(keyed.names, key, strict=True))))
        return row.current if record[n] == CURRENT else row.previous

    for record in visit_figures:
        f = figures(record)
        (
            f.visits,
            f.students,
            f.visits_without_checkins,
            f.visits_without_student_counts,
            f.kits_delivered,
            f.kits_consumed,
            f.kit_value_fen,
            f.lessons,
        ) = (int(v) for v in record[n + 1 : -1])
        f.donated_value_fen = whole_fen(record[-1])
    for record in person_figures:
        f = figures(record)
        f.volunteer_minutes, f.volunteers = (int(v) for v in record[n + 1 :])
    for record in school_figures:
        figures(record).schools = int(record[n + 1])
    return list(rows.values())


_ORDER: dict[str, Callable[[Row], tuple]] = {
    "company": lambda row: (row.labels["company"] is None, row.labels["company"] or ""),
    "volunteer": lambda row: (row.labels["volunteer"], row.key),
    "region": lambda row: (row.labels["province"], row.labels["prefecture"], row.labels["county"]),
    "province": lambda row: (row.labels["province"],),
    "school": lambda row: (row.labels["school"], row.key),
}


def totals(session: Session, period: Period, scope: Scope = EVERYONE) -> Row:
    """The headline figures of a period and of the previous one."""
    rows = _table(session, "all", period, scope)
    return rows[0] if rows else Row(("all",), {"all": "all"})


def breakdown(session: Session, grouping: str, period: Period, scope: Scope = EVERYONE) -> Table:
    """A table of `grouping` rows (one of GROUPINGS) with each row's figures now and in the previous period.
    A row only in the previous period is kept (its figures now are zeros); the month table has every month.

    Raises: bad_request (field `group_by`) for an unknown grouping.
    """
    if grouping not in GROUPINGS:
        raise DomainError("bad_request", field="group_by")
    rows = _table(session, grouping, period, scope)
    if grouping == "month":
        found = {row.key[0]: row for row in rows}
        rows = [found.get(m.key) or Row((m.key,), {"month": m.key}) for m in period.months]
    else:
        rows.sort(key=_ORDER[grouping])
    return Table(grouping, period, rows)


def report(session: Session, period: Period, groupings: Sequence[str], scope: Scope = EVERYONE):
    """The headline row and the tables asked for, as (totals, {grouping: table})."""
    return totals(session, period, scope), {g: breakdown(session, g, period, scope) for g in groupings}


def hours(minutes: int) -> Decimal:
    """Minutes as hours to a tenth, rounded half up: how every page, export and certificate shows them."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def whole_fen(value) -> int:
    """A sum of fractions of fen (a float on SQLite, a number on PostgreSQL) as whole fen, rounded half up; the
    float's last bits are dropped first, so 64800.00000000001 and 64799.99999999999 both give 64800."""
    return int(Decimal(repr(float(value))).quantize(Decimal("0.000001")).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(value_fen: int) -> Decimal:
    """Fen as yuan with two decimals, exactly: how the exports write money."""
    return (Decimal(value_fen) / 100).quantize(Decimal("0.01"))
