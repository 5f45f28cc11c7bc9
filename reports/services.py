"""The figures of the impact reports: three statements per report, however many tables it shows and however many
visits, signups and check-ins there are. The database computes each visit's figures (`_per_visit`: students,
lessons, kits, check-ins) and lists the visits' attended people and the schools each reached; every table is then
added up from these rows here, in one pass (`_table`).

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
  share of every lot with it); rounded half up to whole fen once, on the total. These are computed in the
  students' per-visit statement (`_per_visit`), so the kits add no statement.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from sqlalchemy import Float, Select, and_, bindparam, case, cast, func, select, union
from sqlalchemy.orm import Session, aliased

from accounts.models import Company, User
from checkin.models import Attendance
from core.cache import process_keeper
from core.errors import DomainError
from core.kept_pages import FIGURES_SECONDS
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


@dataclass(frozen=True)
class _Shape:
    """Which of a scope's filters a report's statements have: each shape's statements are built once, their
    values bound when they run (`_parameters`)."""

    school: bool
    company: bool
    user: bool


def _shape(scope: Scope) -> _Shape:
    return _Shape(scope.school_id is not None, scope.company_id is not None, scope.user_id is not None)


def _parameters(period: Period, scope: Scope) -> dict:
    return {
        "since": period.previous.start,
        "until": period.end,
        "school_id": scope.school_id,
        "company_id": scope.company_id,
        "user_id": scope.user_id,
    }


# ---------------------------------------------------------------- per-visit aggregates


def _window(shape: _Shape) -> Select:
    """The ids of the visits a report counts: completed, starting from `since` (the previous period's start) until
    `until` (the period's end), at the school `school_id` for a school's report. Every per-visit aggregate reads only
    these, so a report reads the rows of its own range, however many years the programme has run."""
    query = select(Visit.id).where(
        Visit.status == VisitStatus.COMPLETED,
        Visit.starts_at >= bindparam("since", type_=Visit.starts_at.type),
        Visit.starts_at < bindparam("until", type_=Visit.starts_at.type),
    )
    if shape.school:
        query = query.where(Visit.school_id == bindparam("school_id"))
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


@functools.cache
def _per_visit(shape: _Shape) -> Select:
    """One row per completed visit of the period or the previous one: its school (with the region it names), start,
    students reached, whether any lesson or satellite lacks its students, whether anyone checked in, its kits."""
    window = _window(shape)
    lessons, satellites = _students_per_visit(Lesson, window), _students_per_visit(SatelliteSchool, window)
    kits, donated = _kits_per_visit(window), _donated_per_visit(window)
    checkins = (
        select(Attendance.visit_id).where(Attendance.visit_id.in_(window)).group_by(Attendance.visit_id).subquery()
    )
    return (
        select(
            Visit.id.label("visit_id"),
            Visit.starts_at,
            School.id.label("school_id"),
            School.name.label("school"),
            School.province,
            School.prefecture,
            School.county,
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
        .join(School, School.id == Visit.school_id)
        .outerjoin(lessons, lessons.c.visit_id == Visit.id)
        .outerjoin(satellites, satellites.c.visit_id == Visit.id)
        .outerjoin(checkins, checkins.c.visit_id == Visit.id)
        .outerjoin(kits, kits.c.visit_id == Visit.id)
        .outerjoin(donated, donated.c.visit_id == Visit.id)
        .where(Visit.id.in_(window))
    )


@functools.cache
def _attendees(shape: _Shape) -> Select:
    """Attended signups of the report's visits: visit, person (and name), their company (and its name), minutes
    (None without check-ins)."""
    query = (
        select(
            Signup.visit_id,
            Signup.user_id,
            User.name.label("volunteer"),
            User.company_id,
            Company.name.label("company"),
            Signup.attended_minutes.label("minutes"),
        )
        .join(User, User.id == Signup.user_id)
        .outerjoin(Company, Company.id == User.company_id)
        .where(Signup.status == SignupStatus.ATTENDED, Signup.visit_id.in_(_window(shape)))
    )
    if shape.company:
        query = query.where(User.company_id == bindparam("company_id"))
    if shape.user:
        query = query.where(Signup.user_id == bindparam("user_id"))
    if tuple(column.name for column in query.selected_columns) != _Attendee._fields:
        raise RuntimeError("_attendees must select the fields of _Attendee, in order")
    return query


@functools.cache
def _reach(shape: _Shape) -> Select:
    """Every school the report's visits reached: their host schools and their satellite schools."""
    window = _window(shape)
    return union(
        select(Visit.id.label("visit_id"), Visit.school_id).where(Visit.id.in_(window)),
        select(SatelliteSchool.visit_id, SatelliteSchool.school_id).where(SatelliteSchool.visit_id.in_(window)),
    )


# ---------------------------------------------------------------- groupings


#: the per-visit figures a table adds up, as `_per_visit` names them (and `Figures` too, but for `unrecorded` and
#: `no_checkins`)
_ADDED = (
    "students",
    "lessons",
    "unrecorded",
    "no_checkins",
    "kits_delivered",
    "kits_consumed",
    "kit_value_fen",
)
_FIGURE_OF = {"unrecorded": "visits_without_student_counts", "no_checkins": "visits_without_checkins"}


@functools.cache
def _added_at(shape: _Shape) -> slice:
    """Where the figures of _ADDED lie in a row of `_per_visit(shape)`, found by their names (built on first use)."""
    names = [column.name for column in _per_visit(shape).selected_columns]
    first = names.index(_ADDED[0])
    if tuple(names[first : first + len(_ADDED)]) != _ADDED:
        raise RuntimeError("_per_visit must select the figures of _ADDED side by side, in order")
    return slice(first, first + len(_ADDED))


class _Attendee(NamedTuple):
    """An attended signup of the report's visits, as `_attendees` reads it (the same names, in the same order)."""

    visit_id: int
    user_id: int
    volunteer: str
    company_id: int | None
    company: str | None
    minutes: int | None  # None without check-ins


@dataclass(frozen=True)
class _Visit:
    """A visit of the report's range as its tables add it up."""

    row: object  # its row of `_per_visit` (the keys of the tables of visits)
    period: str  # CURRENT or PREVIOUS
    added: tuple[int, ...]  # its figures of _ADDED
    donated: float  # its donated value in fen, not rounded
    schools: frozenset[int]  # the schools it reached
    minutes: int  # its attendees' minutes, and who they are
    people: frozenset[int]


@dataclass(frozen=True)
class _Facts:
    """What every table of a report is added up from, read once per report in three statements: the range's
    visits with their figures, their attended people, the schools each reached. At national scale a year's range
    is some thousands of visits: adding them up here costs milliseconds, where grouping them again in SQL for each
    table took seconds."""

    period: Period
    scoped: bool
    visits: dict[int, _Visit]
    people: list[_Attendee]


def _facts(session: Session, period: Period, scope: Scope) -> _Facts:
    shape, parameters = _shape(scope), _parameters(period, scope)
    reach: dict[int, set[int]] = {}
    for visit_id, school_id in session.execute(_reach(shape), parameters):
        reach.setdefault(visit_id, set()).add(school_id)
    # light tuples: at national scale a year's range holds tens of thousands of attendees
    people = list(map(_Attendee._make, session.execute(_attendees(shape), parameters)))
    minutes: dict[int, int] = {}
    present: dict[int, set[int]] = {}
    for person in people:
        minutes[person.visit_id] = minutes.get(person.visit_id, 0) + (person.minutes or 0)
        present.setdefault(person.visit_id, set()).add(person.user_id)
    start, visits, added = period.start, {}, _added_at(shape)
    for row in session.execute(_per_visit(shape), parameters):
        visit_id = row[0]
        visits[visit_id] = _Visit(
            row,
            CURRENT if row.starts_at >= start else PREVIOUS,
            tuple(map(int, row[added])),
            float(row.donated_value_fen),
            frozenset(reach.get(visit_id, ())),
            minutes.get(visit_id, 0),
            frozenset(present.get(visit_id, ())),
        )
    return _Facts(period, shape.company or shape.user, visits, people)


def _month_key(period: Period) -> Callable[[object], tuple]:
    """The key of the month of the period a visit falls in; a previous-period visit falls in the month whose days,
    one period later, hold its start."""
    spans = [(m.start, m.end, m.key) for m in period.months]
    spans += [(m.previous_start, m.previous_end, m.key) for m in period.months]

    def month(visit) -> tuple:
        return (next((key for start, end, key in spans if start <= visit.starts_at < end), ""),)

    return month


#: a grouping of visits: its key's names, and the key of a visit (a row of `_per_visit`)
_VISIT_KEYS: dict[str, tuple[tuple[str, ...], Callable[[Period], Callable[[object], tuple]]]] = {
    "all": (("all",), lambda period: lambda visit: ("all",)),
    "province": (("province",), lambda period: lambda visit: (visit.province,)),
    "region": (
        ("province", "prefecture", "county"),
        lambda period: lambda visit: (visit.province, visit.prefecture, visit.county),
    ),
    "school": (("school_id", "school"), lambda period: lambda visit: (visit.school_id, visit.school)),
    "month": (("month",), _month_key),
}
#: a grouping of people: its key's names, and the key of a person (an `_Attendee`)
_PERSON_KEYS: dict[str, tuple[tuple[str, ...], Callable[[_Attendee], tuple]]] = {
    "company": (("company_id", "company"), operator.attrgetter("company_id", "company")),
    "volunteer": (("user_id_key", "volunteer"), operator.attrgetter("user_id", "volunteer")),
}


def _table(facts: _Facts, grouping: str) -> list[Row]:
    """A grouping's rows from the report's facts. A visit counts once in each row it belongs to: a row of visits
    (its school, region, month) or of people (the company or volunteer of anyone who attended it). A row's minutes
    and volunteers are its people's at its visits: every attendee for a row of visits, the row's own for a row of
    people. Scoped to a company or a person, a row of visits counts only the visits its people attended."""
    pairs: dict[tuple, set[int]] = {}  # (key, period) -> its visits
    own: dict[tuple, set[_Attendee]] = {}  # for a row of people: (key, period) -> its attendees
    if grouping in _PERSON_KEYS:
        names, key_of_person = _PERSON_KEYS[grouping]
        visits = facts.visits
        for person in facts.people:
            visit = visits.get(person.visit_id)
            if visit is None:
                continue
            at = (key_of_person(person), visit.period)
            if at not in pairs:
                pairs[at], own[at] = set(), set()
            pairs[at].add(person.visit_id)
            own[at].add(person)
    else:
        names, make_key = _VISIT_KEYS[grouping]
        key_of = make_key(facts.period)
        for visit_id, visit in facts.visits.items():
            if facts.scoped and not visit.people:
                continue
            pairs.setdefault((key_of(visit.row), visit.period), set()).add(visit_id)

    rows: dict[tuple, Row] = {}
    for (key, when), visit_ids in pairs.items():
        row = rows.setdefault(key, Row(key, dict(zip(names, key, strict=True))))
        f = row.current if when == CURRENT else row.previous
        visits = [facts.visits[visit_id] for visit_id in visit_ids]
        for name, total in zip(_ADDED, map(sum, zip(*(visit.added for visit in visits), strict=True)), strict=True):
            setattr(f, _FIGURE_OF.get(name, name), total)
        f.visits = len(visits)
        f.donated_value_fen = whole_fen(sum(visit.donated for visit in visits))
        f.schools = len(set().union(*(visit.schools for visit in visits)))
        if (key, when) in own:  # a row of people: only its own people's minutes
            entries = own[(key, when)]
            f.volunteer_minutes = sum(entry.minutes for entry in entries if entry.minutes is not None)
            f.volunteers = len({entry.user_id for entry in entries})
        else:
            f.volunteer_minutes = sum(visit.minutes for visit in visits)
            f.volunteers = len(set().union(*(visit.people for visit in visits)))
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
    return _totals(_facts(session, period, scope))


def _totals(facts: _Facts) -> Row:
    rows = _table(facts, "all")
    return rows[0] if rows else Row(("all",), {"all": "all"})


def breakdown(session: Session, grouping: str, period: Period, scope: Scope = EVERYONE) -> Table:
    """A table of `grouping` rows (one of GROUPINGS) with each row's figures now and in the previous period.
    A row only in the previous period is kept (its figures now are zeros); the month table has every month.

    Raises: bad_request (field `group_by`) for an unknown grouping.
    """
    _check(grouping)
    return _breakdown(_facts(session, period, scope), grouping)


def _check(grouping: str) -> None:
    if grouping not in GROUPINGS:
        raise DomainError("bad_request", field="group_by")


def _breakdown(facts: _Facts, grouping: str) -> Table:
    rows = _table(facts, grouping)
    if grouping == "month":
        found = {row.key[0]: row for row in rows}
        rows = [found.get(m.key) or Row((m.key,), {"month": m.key}) for m in facts.period.months]
    else:
        rows.sort(key=_ORDER[grouping])
    return Table(grouping, facts.period, rows)


def report(session: Session, period: Period, groupings: Sequence[str], scope: Scope = EVERYONE):
    """The headline row and the tables asked for, as (totals, {grouping: table}): three statements, however many
    tables. Raises: bad_request (field `group_by`) for an unknown grouping."""
    for grouping in groupings:
        _check(grouping)
    facts = _facts(session, period, scope)
    return _totals(facts), {g: _breakdown(facts, g) for g in groupings}


#: the reports one process keeps (core.cache.ProcessKept), per period, tables and scope: while no watched table is
#: written (a signup, a visit, a school...), and for FIGURES_SECONDS of the app's clock at most, since a report also
#: counts tables whose writes raise no data version (check-ins and attendance, kits received, the stock ledger): a
#: national programme's year takes over a second to work out (1.2 s of the app's CPU and 0.4 s of PostgreSQL's at
#: scale 100)
REPORTS_KEPT = 32


def kept_report(session: Session, period: Period, groupings: Sequence[str], scope: Scope = EVERYONE, *, now: datetime):
    """`report`, kept by this process while what it shows has not changed (REPORTS_KEPT), `now` being the app's
    clock; worked out each time without a shared cache. The answer is shared: its callers only read it."""
    keeper, version = process_keeper("reports", REPORTS_KEPT, None)
    if keeper is None:
        return report(session, period, groupings, scope)
    name = repr((period, tuple(groupings), scope))
    found = keeper.get_at(name, version, now, timedelta(seconds=FIGURES_SECONDS))
    if found is None:
        found = report(session, period, groupings, scope)
        keeper.put_at(name, found, version, now)
    return found


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
