"""What pages and the API read about schools and visits: the lists a person may see, visit cards as one row of
columns, the landings' lists, and the choices forms offer. Reads only: the rules that change them are in
events.services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, null, select
from sqlalchemy.orm import Session, aliased, selectinload

from accounts.models import Role, User, UserRole
from core.db import is_database_id
from events.access import can_plan, hosted_school_ids, visible_schools, visible_visits
from events.models import RoleSlot, School, Visit, VisitStatus, region_of


@dataclass
class VisitFilter:
    when: str = ""  #: "upcoming", "past" or "" for both
    school_id: int | None = None
    province: str = ""
    status: VisitStatus | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None


#: a visit lies within one day at its school (events.services), so one that has not ended started less than this
#: long ago (a day of 25 hours at most, where clocks go back): the bound lets the index on starts_at find the
#: visits to come without reading every visit of the past first
LONGEST_VISIT = timedelta(days=2)


def not_ended(now: datetime) -> ColumnElement[bool]:
    """Visits that have not ended by `now`, as the index on their start finds them."""
    return and_(Visit.starts_at > now - LONGEST_VISIT, Visit.ends_at >= now)


def ended(now: datetime) -> ColumnElement[bool]:
    """Visits that have ended by `now` (and so started before it), as the index on their start finds them."""
    return and_(Visit.starts_at < now, Visit.ends_at < now)


def list_visits(user: User | None, filters: VisitFilter, now: datetime) -> Select:
    """The visits this person may see, filtered, soonest first (latest first for the past)."""
    query = visible_visits(user)
    if filters.when == "upcoming":
        query = query.where(not_ended(now)).order_by(Visit.starts_at, Visit.id)
    elif filters.when == "past":
        query = query.where(ended(now)).order_by(Visit.starts_at.desc(), Visit.id.desc())
    else:
        query = query.order_by(Visit.starts_at.desc(), Visit.id.desc())
    if filters.school_id:
        query = query.where(Visit.school_id == filters.school_id)
    if filters.province:  # the school joined only for this: a page's count need not read the visits' schools
        query = query.join(Visit.school).where(School.province == filters.province)
    if filters.status:
        query = query.where(Visit.status == filters.status)
    if filters.starts_from:
        query = query.where(Visit.starts_at >= filters.starts_from)
    if filters.starts_before:
        query = query.where(Visit.starts_at < filters.starts_before)
    return query.options(selectinload(Visit.slots))


#: what a visit in the API's list shows besides its own columns and its school: its lessons and satellite schools
VISIT_ITEM = (selectinload(Visit.lessons), selectinload(Visit.satellites))


#: the tables what anyone may see of visits comes from (the public list, a visit's page, the API's list): a write to
#: any of them makes the pages kept for anonymous visitors stale (core.kept_pages)
PUBLIC_TABLES = frozenset({"visit", "school", "role_slot", "signup", "lesson", "kit_type", "satellite_school"})


def public_visits(now: datetime) -> Select:
    """Published visits that have not ended: what anyone may see."""
    return (
        select(Visit)
        .where(Visit.status == VisitStatus.PUBLISHED, not_ended(now))
        .order_by(Visit.starts_at, Visit.id)
        .options(selectinload(Visit.slots))
    )


# The landings (the home page of each role; a volunteer's part comes from volunteers.rosters).

#: what a visit's card shows besides its own columns and its school: its places (from its slots)
CARD = (selectinload(Visit.slots),)

#: a visit's places still open: its slots' capacity less the places taken (taken never passes capacity)
PLACES_OPEN = (
    select(func.coalesce(func.sum(RoleSlot.capacity - RoleSlot.taken), 0))
    .where(RoleSlot.visit_id == Visit.id)
    .correlate(Visit)
    .scalar_subquery()
)


#: a visit's places: its slots' capacity
PLACES_TOTAL = (
    select(func.coalesce(func.sum(RoleSlot.capacity), 0))
    .where(RoleSlot.visit_id == Visit.id)
    .correlate(Visit)
    .scalar_subquery()
)


@dataclass(frozen=True, slots=True)
class CardSchool:
    """A visit's school as its card names it."""

    name: str
    timezone: str
    region: str


@dataclass(frozen=True, slots=True)
class VisitCard:
    """A visit as a list's card shows it (templates/events/_visit_card.html), read as one row of columns
    instead of as the visit's graph of rows (its school, its hosts, its slots)."""

    id: int
    title: str
    status: VisitStatus
    starts_at: datetime
    ends_at: datetime
    school: CardSchool
    places_left: int
    places_total: int

    @classmethod
    def of(cls, row) -> VisitCard:
        """The card of a row of visit_cards."""
        school = CardSchool(
            row.card_school_name,
            row.card_school_timezone,
            region_of(row.card_province, row.card_prefecture, row.card_county, row.card_township),
        )
        return cls(
            row.id, row.title, row.status, row.starts_at, row.ends_at, school, row.card_places_left, row.card_places
        )


#: the school a card names (aliased: a list's own query may join the visit's school already), joined outer so
#: that PostgreSQL leaves the join out where nothing reads it (the page's count); every visit has its school
_CARD_SCHOOL = aliased(School, name="card_school")
#: what a card reads, built once (building the labelled columns took longer than running the query)
_CARD_COLUMNS = (
    Visit.id,
    Visit.title,
    Visit.status,
    Visit.starts_at,
    Visit.ends_at,
    _CARD_SCHOOL.name.label("card_school_name"),
    _CARD_SCHOOL.timezone.label("card_school_timezone"),
    _CARD_SCHOOL.province.label("card_province"),
    _CARD_SCHOOL.prefecture.label("card_prefecture"),
    _CARD_SCHOOL.county.label("card_county"),
    _CARD_SCHOOL.township.label("card_township"),
    PLACES_OPEN.label("card_places_left"),
    PLACES_TOTAL.label("card_places"),
)


def visit_cards(query: Select) -> Select:
    """The visits of `query` (a select of Visit, filtered and ordered) as the columns their cards show, one row
    a visit (VisitCard.of makes each a card): its places are added up by the database, for the page's rows only."""
    return query.with_only_columns(*_CARD_COLUMNS).outerjoin(_CARD_SCHOOL, _CARD_SCHOOL.id == Visit.school_id)


def visits_needing_volunteers(now: datetime) -> Select:
    """A programme coordinator's landing: drafts and published visits not yet started, those with the
    most places still open first, then the soonest."""
    return (
        select(Visit)
        .where(Visit.status.in_((VisitStatus.DRAFT, VisitStatus.PUBLISHED)), Visit.starts_at > now)
        .order_by(PLACES_OPEN.desc(), Visit.starts_at, Visit.id)
        .options(*CARD)
    )


def hosted_visits(user: User, now: datetime) -> Select:
    """A school host's landing: every visit to the schools they host, drafts and cancelled ones too;
    those not over yet first, soonest first, then the past ones, latest first."""
    over = case((Visit.ends_at < now, 1), else_=0)
    return (
        select(Visit)
        .where(Visit.school_id.in_(hosted_school_ids(user)))
        # Within the coming ones the second key orders them; within the past ones it is NULL for all.
        .order_by(over, case((Visit.ends_at < now, null()), else_=Visit.starts_at), Visit.starts_at.desc(), Visit.id)
        .options(*CARD)
    )


def hosted_school_count(session: Session, user: User) -> int:
    """How many schools this person hosts."""
    return session.scalar(select(func.count()).select_from(hosted_school_ids(user).subquery())) or 0


def visits_with_open_places(now: datetime) -> Select:
    """A company coordinator's landing: published visits not yet started with a place still open, soonest
    first (a coordinator signs colleagues up, and may override the signup window and requirements)."""
    return (
        select(Visit)
        .where(Visit.status == VisitStatus.PUBLISHED, Visit.starts_at > now, PLACES_OPEN > 0)
        .order_by(Visit.starts_at, Visit.id)
        .options(*CARD)
    )


def provinces(session: Session) -> list[str]:
    return list(session.scalars(select(School.province).distinct().order_by(School.province)))


def _schools_offered(*, include_archived: bool) -> Select:
    """Schools as forms offer them (name, province, zone), by province and name."""
    query = select(School).order_by(School.province, School.name)
    return query if include_archived else query.where(School.archived_at.is_(None))


def schools_for_choice(session: Session, *, include_archived: bool = False) -> list[School]:
    """The schools a form offers: one statement, however many schools."""
    return list(session.scalars(_schools_offered(include_archived=include_archived)))


#: more schools than this, and the visit list's school filter offers them a region at a time
SCHOOLS_AT_ONCE = 100


def schools_for_filter(
    session: Session, *, include_archived: bool, province: str | None, chosen: int | None
) -> tuple[list[School], bool]:
    """The schools the visit list's filter offers, and whether it holds back the rest until a region is chosen.

    A chosen region offers its own schools; no region, every school while there are at most SCHOOLS_AT_ONCE (a
    national programme has thousands: a select no phone can use, and the page's largest part). The school already
    chosen (`chosen`, from the query string) is always offered, so the form keeps showing the filter the list
    applies."""
    query = _schools_offered(include_archived=include_archived)
    if province:
        schools, held_back = list(session.scalars(query.where(School.province == province))), False
    else:
        schools = list(session.scalars(query.limit(SCHOOLS_AT_ONCE + 1)))
        held_back = len(schools) > SCHOOLS_AT_ONCE
        if held_back:
            schools = []
    if chosen is not None and is_database_id(chosen) and all(school.id != chosen for school in schools):
        school = session.scalar(query.where(School.id == chosen))
        if school is not None:
            schools.append(school)
    return schools, held_back


def count_visits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Visit)) or 0


def list_schools(user: User, *, include_archived: bool = False) -> Select:
    """The schools a person may see, with their hosts (the list names them); archived ones are left out of a
    coordinator's list unless asked for."""
    query = visible_schools(user).options(selectinload(School.hosts)).order_by(School.province, School.name, School.id)
    if can_plan(user) and not include_archived:
        query = query.where(School.archived_at.is_(None))
    return query


def host_candidates(session: Session, school: School | None = None) -> list[User]:
    """Who can be named a school's host: accounts with the host role, and the school's current hosts."""
    condition = User.active.is_(True) & User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.HOST))
    if school is not None and school.hosts:
        condition = condition | User.id.in_([host.id for host in school.hosts])
    return list(session.scalars(select(User).where(condition).order_by(User.name, User.id)))
