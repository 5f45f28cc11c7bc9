"""The feeds' bodies, and a visit's single download. Each is built in its reader's language and depends on
nothing but the data its change stamp counts (calendars.stamps), so the same data gives the same bytes.

- personal: the person's visits (their latest signup in each): a place CONFIRMED, waiting TENTATIVE, a cancelled
  place or visit CANCELLED for 14 days after the cancellation, then gone; with alarms a day and two hours before.
- school: the school's visits once published, for its hosts, with whom to call on the day.
- company: the visits the company's people are in, saying who and in which role.
- public: published visits (and cancelled ones for 14 days), with no personal data and no street address.

A visit stays in a feed for its HISTORY after its start (calendars.stamps): a year in the private feeds, a month
in the public one; then it leaves, and subscribed calendars drop it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import Row, Select, and_, select
from sqlalchemy.orm import Session, contains_eager, subqueryload

from accounts.models import Company, User, writing_locale
from calendars.models import FeedKind
from calendars.services import feed_title
from calendars.stamps import history, left_by_age, was_public
from core.i18n import DEFAULT_LOCALE
from core.i18n import gettext as _
from events.access import hosted_school_ids, may_host
from events.ical import CANCELLED, calendar, labelled, visit_details, visit_event, visit_status
from events.models import Lesson, RoleSlot, School, SlotRole, Visit, VisitStatus
from volunteers.access import sees_day_of
from volunteers.calendar_events import (
    CANCELLED_SHOWN,
    PLACE_STATUSES,
    cancelled_since,
    day_of_contact,
    lead_instructors,
    signup_calendar,
    signup_event,
)
from volunteers.models import Signup, SignupStatus


def feed_locale(feed: Row) -> str:
    """The language a private feed is written in (`feed`: calendars.services.find_feed's row): its owner's, as
    their mail is."""
    return writing_locale(feed.locale, feed.last_locale) or DEFAULT_LOCALE


def private_feed(session: Session, feed: Row, now: datetime) -> bytes:
    """The body of a private feed (`feed`: calendars.services.find_feed's row) in its owner's language."""
    owner, locale = session.get(User, feed.user_id), feed_locale(feed)
    if feed.kind == FeedKind.SCHOOL:
        return school_feed(session, owner, feed.target_id, locale, now)
    if feed.kind == FeedKind.COMPANY:
        return company_feed(session, owner, feed.target_id, locale, now)
    return personal_feed(session, owner, locale, now)


def _named(title: str) -> str:
    return _("SciVisit: %(title)s", title=title)


def _zones(visits: list[Visit]) -> list[str]:
    return sorted({visit.school.timezone for visit in visits})


def _still_shown(since: datetime | None, now: datetime) -> bool:
    """Not cancelled, or cancelled less than 14 days ago."""
    return since is None or now < since + CANCELLED_SHOWN


def personal_feed(session: Session, owner: User, locale: str, now: datetime) -> bytes:
    """The owner's own visits, as their mail's calendar files show them, with alarms.

    Read as plain rows (`_shown_signups`), not ORM objects: a feed of 500 visits took about 90 ms to load as signups,
    visits, schools, slots and lessons, and takes about 15 ms as rows, for the same events."""
    shown = _shown_signups(session, owner, now)
    shown.sort(key=lambda signup: (signup.visit.starts_at, signup.visit_id))
    leads = lead_instructors(session, _own_visit_ids(owner, now, Signup.status.in_(PLACE_STATUSES)))
    with force_locale(locale):
        events = [signup_event(signup, lead=leads.get(signup.visit_id), alarms=True) for signup in shown]
        name = _named(feed_title(session, FeedKind.PERSONAL, 0))
    return calendar(events, zones=_zones([s.visit for s in shown]), name=name)


@dataclass(slots=True)
class _School:
    """What a person's event shows of a school, with School's own `region`. `hosts` holds the feed's owner where
    they host the school, which is all `volunteers.access.sees_day_of` asks of it here."""

    name: str
    province: str
    prefecture: str
    county: str
    township: str
    address: str
    travel_notes: str
    timezone: str
    updated_at: datetime
    hosts: tuple[User, ...]

    region = property(School.region.fget)


@dataclass(slots=True)
class _Visit:
    """What a person's event shows of a visit (`lessons`: rows with the columns of `_LESSON`)."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    updated_at: datetime
    revision: int
    status: VisitStatus
    cancelled_at: datetime | None
    meeting_point: str
    what_to_bring: str
    school: _School
    lessons: list[Row] = field(default_factory=list)


@dataclass(slots=True)
class _Slot:
    role: SlotRole
    description: str

    description_shown = property(RoleSlot.description_shown.fget)


@dataclass(slots=True)
class _Signup:
    """A signup as `volunteers.calendar_events.signup_event` reads it (the columns of `_SIGNUP` first)."""

    id: int
    visit_id: int
    status: SignupStatus
    revision: int
    updated_at: datetime
    cancelled_at: datetime | None
    slot: _Slot
    visit: _Visit
    user: User
    user_id: int


def _columns(model, row_class, *, leaving_out: tuple[str, ...]) -> tuple:
    """The columns of `model` named by `row_class`'s fields, in their order (those `leaving_out` are not columns):
    a row class and the columns it is made from cannot drift apart."""
    return tuple(getattr(model, f.name) for f in fields(row_class) if f.name not in leaving_out)


_SIGNUP = _columns(Signup, _Signup, leaving_out=("slot", "visit", "user", "user_id"))
_SLOT = _columns(RoleSlot, _Slot, leaving_out=())
_VISIT = _columns(Visit, _Visit, leaving_out=("id", "school", "lessons"))
_SCHOOL = (Visit.school_id, *_columns(School, _School, leaving_out=("hosts",)))
_SLOT_AT, _VISIT_AT = len(_SIGNUP), len(_SIGNUP) + len(_SLOT)
_SCHOOL_AT = _VISIT_AT + len(_VISIT)  # the school's id, then its columns
_LESSON = (Lesson.visit_id, Lesson.starts_at, Lesson.ends_at, Lesson.title, Lesson.grade, Lesson.classroom)


def _shown_signups(session: Session, owner: User, now: datetime) -> list[_Signup]:
    """The owner's latest signup at each visit still in their feed (a later signup, moved or signed up again,
    wins) that is not long cancelled, with its slot, visit, school and lessons: two statements (three for a
    host) however many visits."""
    rows = session.execute(
        select(*_SIGNUP, *_SLOT, *_VISIT, *_SCHOOL)
        .join(Visit, Signup.visit_id == Visit.id)
        .join(School, Visit.school_id == School.id)
        .join(RoleSlot, Signup.slot_id == RoleSlot.id)
        .where(Signup.user_id == owner.id, _recent(FeedKind.PERSONAL, now))
        .order_by(Signup.visit_id, Signup.id)
    ).all()
    latest = {row.visit_id: row for row in rows}
    hosted = set(session.scalars(hosted_school_ids(owner))) if may_host(owner) and latest else set()
    schools: dict[int, _School] = {}
    signups = []
    for row in latest.values():
        school_id = row[_SCHOOL_AT]
        school = schools.get(school_id)
        if school is None:
            hosts = (owner,) if school_id in hosted else ()
            school = schools[school_id] = _School(*row[_SCHOOL_AT + 1 :], hosts=hosts)
        slot, visit = _Slot(*row[_SLOT_AT:_VISIT_AT]), _Visit(row.visit_id, *row[_VISIT_AT:_SCHOOL_AT], school=school)
        signup = _Signup(*row[:_SLOT_AT], slot=slot, visit=visit, user=owner, user_id=owner.id)
        if _still_shown(cancelled_since(signup), now):
            signups.append(signup)
    if signups:
        visits = {signup.visit_id: signup.visit for signup in signups}
        for lesson in session.execute(
            select(*_LESSON)
            .where(Lesson.visit_id.in_(_own_visit_ids(owner, now)))
            .order_by(Lesson.visit_id, Lesson.starts_at, Lesson.id)
        ):
            if lesson.visit_id in visits:  # not a visit cancelled long ago
                visits[lesson.visit_id].lessons.append(lesson)
    return signups


def _own_visit_ids(owner: User, now: datetime, *where) -> Select:
    """The visits the owner signed up to that are still in their feed by age, as a subquery: a statement that
    reads by it has the same text whatever the visits, so PostgreSQL keeps it prepared (a list of 500 ids made
    each a new statement, which psycopg parsed again every time)."""
    return (
        select(Signup.visit_id)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(Signup.user_id == owner.id, _recent(FeedKind.PERSONAL, now), *where)
    )


def _recent(kind: FeedKind | None, now: datetime):
    """Visits still in a feed of `kind` (None: the public one) by age."""
    return ~left_by_age(now - history(kind))


def _public_visits(where) -> Select:
    return select(Visit).where(was_public(), where).order_by(Visit.starts_at, Visit.id)


def _not_long_cancelled(now: datetime):
    return (Visit.status != VisitStatus.CANCELLED) | (Visit.cancelled_at > now - CANCELLED_SHOWN)


def _changed_at(visit: Visit) -> datetime:
    return max(visit.updated_at, visit.school.updated_at)


def school_feed(session: Session, owner: User, school_id: int, locale: str, now: datetime) -> bytes:
    """The school's visits once published, for its host: the street address and whom to call on the day."""
    school = session.get(School, school_id)
    visits = session.scalars(
        _public_visits(
            and_(Visit.school_id == school_id, _not_long_cancelled(now), _recent(FeedKind.SCHOOL, now))
        ).options(subqueryload(Visit.lessons))
    ).all()
    leads = lead_instructors(session, [visit.id for visit in visits])
    with force_locale(locale):
        events = []
        for visit in visits:
            day_of, lead, changed = sees_day_of(owner, visit, None), leads.get(visit.id), _changed_at(visit)
            lines = visit_details(visit, day_of=day_of)
            if day_of and visit.status != VisitStatus.CANCELLED:
                lines += day_of_contact(lead, owner)
                changed = max(changed, lead.updated_at) if lead is not None else changed
            events.append(_event(visit, lines, address=day_of, changed_at=changed))
        name = _named(feed_title(session, FeedKind.SCHOOL, school_id))
    return calendar(events, zones=_zones(visits), name=name, zone=school.timezone)


def company_feed(session: Session, owner: User, company_id: int, locale: str, now: datetime) -> bytes:
    """The visits the company's people are in, for its coordinator: who goes, in which role."""
    company = session.get(Company, company_id)
    signups = session.scalars(
        select(Signup)
        .join(User, User.id == Signup.user_id)
        .join(Signup.visit)
        .where(User.company_id == company_id, _recent(FeedKind.COMPANY, now))
        .order_by(Signup.visit_id, Signup.id)
        .options(contains_eager(Signup.visit).subqueryload(Visit.lessons))
    ).all()
    by_visit: dict[int, list[Signup]] = defaultdict(list)
    for signup in signups:
        by_visit[signup.visit_id].append(signup)
    with force_locale(locale):
        shown = []
        for group in by_visit.values():
            visit = group[0].visit
            going = [s for s in group if s.status != SignupStatus.CANCELLED]
            cancelled = visit.status == VisitStatus.CANCELLED
            if not (going or cancelled) or not _still_shown(visit.cancelled_at if cancelled else None, now):
                continue
            lines = visit_details(visit, day_of=False)
            if going and not cancelled:
                lines.append(_("Going from %(company)s", company=company.name))
                lines += [f"• {_who(signup)}" for signup in going]
            changed = max(_changed_at(visit), *(max(s.updated_at, s.user.updated_at) for s in group))
            shown.append((visit, _event(visit, lines, address=False, changed_at=changed)))
        name = _named(feed_title(session, FeedKind.COMPANY, company_id))
    shown.sort(key=lambda pair: (pair[0].starts_at, pair[0].id))
    return calendar([event for _visit, event in shown], zones=_zones([visit for visit, _event in shown]), name=name)


def _who(signup: Signup) -> str:
    role = signup.slot.role.label
    if signup.status != SignupStatus.CONFIRMED:
        role = f"{role} · {signup.status.label}"
    return labelled(signup.user.name, role)


def programme_feed(session: Session, now: datetime) -> bytes:
    """Published visits of the last month and to come, and cancelled ones for 14 days: no personal data, no street
    address; in Chinese."""
    visits = session.scalars(
        _public_visits(and_(_not_long_cancelled(now), _recent(None, now))).options(subqueryload(Visit.lessons))
    ).all()
    with force_locale(DEFAULT_LOCALE):
        events = [
            _event(visit, visit_details(visit, day_of=False), address=False, changed_at=_changed_at(visit))
            for visit in visits
        ]
        name = _named(_("Programme"))
    return calendar(events, zones=_zones(visits), name=name)


def _event(visit: Visit, lines: list[str], *, address: bool, changed_at: datetime):
    """A visit as itself (not anyone's place in it): the SEQUENCE is the visit's revision."""
    return visit_event(
        visit,
        status=visit_status(visit),
        sequence=visit.revision,
        changed_at=changed_at,
        description=lines,
        address=address,
    )


def visit_download(session: Session, visit: Visit, viewer: User | None, locale: str) -> bytes:
    """One visit to import where a phone cannot subscribe: for a volunteer signed up to it, their own event (as
    in their feed and mail); for anyone else the visit itself, with the day's details for those who may see
    them. The same UID and SEQUENCE as the feeds."""
    if viewer is not None:
        own = session.scalars(
            select(Signup).where(Signup.user_id == viewer.id, Signup.visit_id == visit.id).order_by(Signup.id.desc())
        ).first()
        if own is not None:
            return signup_calendar(session, own, locale)
    day_of = sees_day_of(viewer, visit, None)
    lead = lead_instructors(session, [visit.id]).get(visit.id) if day_of else None
    with force_locale(locale):
        lines = visit_details(visit, day_of=day_of)
        if day_of and visit_status(visit) != CANCELLED:
            lines += day_of_contact(lead, viewer)
        event = _event(visit, lines, address=day_of, changed_at=_changed_at(visit))
    return calendar([event], zones=[visit.school.timezone])
