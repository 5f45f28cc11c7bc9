"""Read models: a volunteer's visits (and for the home page their next ones, the open places they can take,
and which visits of a list are theirs), a visit's roster (for coordinators, for hosts, as rows for CSV and
the API), a company's team with their hours, and what a coordinator chooses from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from accounts.models import Company, Role, User
from events.models import RoleSlot, SlotRole, Visit, VisitStatus
from events.queries import CARD
from volunteers.calendar_events import Lead, lead_instructors
from volunteers.models import ACTIVE_STATUSES, Signup, SignupStatus
from volunteers.registration import people_query
from volunteers.signups import overlapping_signups, requirements_met, signup_window_open_sql
from volunteers.waitlist import waitlist_positions


@dataclass
class ComingVisits:
    """A volunteer's coming signups, for the "My visits" page (which pages the past ones: `past_visits`)."""

    upcoming: list[Signup]
    #: signup id -> waitlist position, for the waiting ones
    positions: dict[int, int]


@dataclass
class MyVisits(ComingVisits):
    """One volunteer's coming signups and the ones they took part in, for the API."""

    past: list[Signup]


#: past signups worth showing: the visit happened (cancelled and waitlisted ones never did for them)
_PAST_STATUSES = (SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.NO_SHOW)


def _mine(user: User) -> Select:
    """The person's signups that "My visits" may show, with their visits joined."""
    return (
        select(Signup)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(
            Signup.user_id == user.id,
            or_(
                Signup.status != SignupStatus.CANCELLED,
                # ended by the visit's cancellation: shown so the volunteer sees it was called off
                and_(Visit.status == VisitStatus.CANCELLED, Signup.cancelled_at == Visit.cancelled_at),
            ),
        )
        .options(lazyload(Signup.user))  # the person is the one asking
    )


def coming_visits(session: Session, user: User, now: datetime) -> ComingVisits:
    """A volunteer's coming visits (confirmed or waiting, or called off), soonest first."""
    signups = session.scalars(_mine(user).where(Visit.ends_at > now).order_by(Visit.starts_at, Signup.id)).all()
    upcoming = [s for s in signups if s.is_active or s.visit.status == VisitStatus.CANCELLED]
    return ComingVisits(upcoming=upcoming, positions=waitlist_positions(session, upcoming))


def past_visits(user: User, now: datetime) -> Select:
    """The visits a volunteer took part in, the latest first: a list that grows every year, paged by the page."""
    return (
        _mine(user)
        .where(Visit.ends_at <= now, Signup.status.in_(_PAST_STATUSES))
        .order_by(Visit.starts_at.desc(), Signup.id.desc())
    )


def my_visits(session: Session, user: User, now: datetime) -> MyVisits:
    """A volunteer's coming visits (confirmed or waiting) and the ones they took part in."""
    coming = coming_visits(session, user, now)
    return MyVisits(coming.upcoming, coming.positions, past=list(session.scalars(past_visits(user, now))))


@dataclass
class NextVisits:
    """The first of a volunteer's coming signups, for the home page."""

    signups: list[Signup]
    #: signup id -> waitlist position, for the waiting ones
    positions: dict[int, int]
    #: whether more are coming than shown
    more: bool


def next_visits(session: Session, user: User, now: datetime, *, limit: int = 5) -> NextVisits:
    """A volunteer's active signups (a place or a place in the queue) in visits not over yet, soonest first."""
    signups = list(
        session.scalars(
            select(Signup)
            .join(Visit, Signup.visit_id == Visit.id)
            .where(Signup.user_id == user.id, Signup.status.in_(ACTIVE_STATUSES), Visit.ends_at > now)
            .order_by(Visit.starts_at, Signup.id)
            .limit(limit + 1)
            .options(lazyload(Signup.user), joinedload(Signup.visit).options(*CARD))
        )
    )
    shown = signups[:limit]
    return NextVisits(signups=shown, positions=waitlist_positions(session, shown), more=len(signups) > limit)


def open_places(user: User, now: datetime) -> Select:
    """Visits in which this volunteer could take a place now, soonest first: published, signup open, a free
    place in a role whose requirements they meet, at a time they are not busy, and not theirs already."""
    free_slot = (
        select(RoleSlot.id)
        .where(RoleSlot.visit_id == Visit.id, RoleSlot.taken < RoleSlot.capacity, requirements_met(user))
        .exists()
    )
    theirs = (
        select(Signup.id)
        .where(Signup.visit_id == Visit.id, Signup.user_id == user.id, Signup.status.in_(ACTIVE_STATUSES))
        .exists()
    )
    busy = overlapping_signups(user, Visit.id, Visit.starts_at, Visit.ends_at).exists()
    return (
        select(Visit)
        .where(Visit.status == VisitStatus.PUBLISHED, signup_window_open_sql(now), free_slot, ~theirs, ~busy)
        .order_by(Visit.starts_at, Visit.id)
        .options(*CARD)
    )


def own_signups(session: Session, user: User, visit_ids: list[int]) -> dict[int, Signup]:
    """visit id -> this person's active signup in it, for the given visits (one query)."""
    if not visit_ids:
        return {}
    rows = session.scalars(
        select(Signup)
        .where(Signup.user_id == user.id, Signup.visit_id.in_(visit_ids), Signup.status.in_(ACTIVE_STATUSES))
        # A mark names the role; the visit and the person are on the page already.
        .options(lazyload(Signup.visit), lazyload(Signup.user))
    )
    return {signup.visit_id: signup for signup in rows}


#: how the roster orders people within a role: those with a place first, then the waitlist in order
_ROSTER_ORDER = {
    SignupStatus.CONFIRMED: 0,
    SignupStatus.ATTENDED: 0,
    SignupStatus.NO_SHOW: 1,
    SignupStatus.WAITLISTED: 2,
}


@dataclass
class RosterSlot:
    slot: RoleSlot
    signups: list[Signup]


@dataclass
class Roster:
    slots: list[RosterSlot]
    #: signup id -> waitlist position, for the waiting ones
    positions: dict[int, int]


def visit_roster(session: Session, visit: Visit) -> Roster:
    """Everyone with a place, a place in the queue or a record in the visit, by role (for coordinators)."""
    signups = session.scalars(
        select(Signup)
        .where(Signup.visit_id == visit.id, Signup.status != SignupStatus.CANCELLED)
        .order_by(Signup.queue_number, Signup.created_at, Signup.id)
        .options(selectinload(Signup.assigned_by), joinedload(Signup.user).joinedload(User.company))
    ).all()
    by_slot: dict[int, list[Signup]] = {slot.id: [] for slot in visit.slots}
    for signup in sorted(signups, key=lambda s: _ROSTER_ORDER[s.status]):
        by_slot.setdefault(signup.slot_id, []).append(signup)
    return Roster(
        slots=[RosterSlot(slot=slot, signups=by_slot[slot.id]) for slot in visit.slots],
        positions=waitlist_positions(session, list(signups)),
    )


@dataclass(frozen=True)
class RosterRow:
    """One person on a visit's full roster: what the CSV file, the API and reports list."""

    signup: Signup
    role: SlotRole
    #: place in the slot's waitlist (1 is next); None when not waiting
    position: int | None

    @property
    def user(self) -> User:
        return self.signup.user


def roster_rows(session: Session, visit: Visit) -> list[RosterRow]:
    """The full roster as rows, by role, those with a place first, then the waitlist in order."""
    roster = visit_roster(session, visit)
    return [
        RosterRow(signup=signup, role=part.slot.role, position=roster.positions.get(signup.id))
        for part in roster.slots
        for signup in part.signups
    ]


@dataclass(frozen=True)
class TeamMember:
    """What a school host may know about a volunteer: a first name, a role, and the lead's phone."""

    role: SlotRole
    first_name: str
    #: only for the lead instructor, so the school can reach the team on the day
    phone: str | None


def host_roster(session: Session, visit: Visit) -> list[TeamMember]:
    """The team coming to (or that came to) the school, with nothing personal beyond the rules above."""
    signups = session.scalars(
        select(Signup)
        .where(Signup.visit_id == visit.id, Signup.status.in_((SignupStatus.CONFIRMED, SignupStatus.ATTENDED)))
        .order_by(Signup.slot_id, Signup.confirmed_at, Signup.id)
    ).all()
    return [
        TeamMember(
            role=s.slot.role,
            first_name=s.user.first_name,
            phone=s.user.phone if s.slot.role == SlotRole.LEAD_INSTRUCTOR else None,
        )
        for s in signups
    ]


#: signups that hold a place in a visit: the volunteer is (or was) part of its team on the day
_PLACE_STATUSES = (SignupStatus.CONFIRMED, SignupStatus.ATTENDED)


def own_place(session: Session, user: User, visit: Visit) -> Signup | None:
    """This person's signup with a place in the visit (confirmed, or attended once scanned in), if any."""
    return session.scalars(
        select(Signup).where(Signup.user_id == user.id, Signup.visit_id == visit.id, Signup.status.in_(_PLACE_STATUSES))
    ).first()


def lead_instructor(session: Session, visit: Visit) -> Lead | None:
    """The visit's lead instructor with a place (the first confirmed, if several): the team's contact on the day."""
    return lead_instructors(session, [visit.id]).get(visit.id)


def upcoming_visits(session: Session, now: datetime, *, limit: int = 200) -> list[Visit]:
    """Published visits that have not started, soonest first, with their roles and schools: what a
    company coordinator chooses from to sign a colleague up (a full role still has its waitlist)."""
    return list(
        session.scalars(
            select(Visit)
            .where(Visit.status == VisitStatus.PUBLISHED, Visit.starts_at > now)
            .order_by(Visit.starts_at, Visit.id)
            .options(selectinload(Visit.slots), joinedload(Visit.school))
            .limit(limit)
        )
    )


def signed_up_ids(session: Session, visit: Visit) -> set[int]:
    """The people with an active signup (a place or a place in the queue) in this visit."""
    return set(
        session.scalars(select(Signup.user_id).where(Signup.visit_id == visit.id, Signup.status.in_(ACTIVE_STATUSES)))
    )


def colleagues(session: Session, company: Company) -> list[User]:
    """A company's active volunteers: whom its coordinator may sign up."""
    return list(session.scalars(people_query(role=Role.VOLUNTEER, company_id=company.id).where(User.active.is_(True))))


def assignable_people(session: Session) -> list[User]:
    """Active volunteers an admin can put into a slot by hand."""
    return list(session.scalars(people_query(role=Role.VOLUNTEER).where(User.active.is_(True))))


@dataclass
class Colleague:
    """A company's person as their company coordinator sees them."""

    user: User
    upcoming: list[Signup]
    #: minutes of attended visits, from their check-ins
    minutes: int
    #: attended visits without a check-in (held before check-in, or nobody scanned): no hours counted
    unrecorded: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class CompanyTeam:
    people: list[Colleague]
    positions: dict[int, int]
    #: minutes of attended visits of everyone who is or was with the company, deleted accounts included
    total_minutes: int
    #: attended visits of theirs without a check-in, whose hours are not counted (as in the impact reports)
    total_unrecorded: int = 0

    @property
    def total_hours(self) -> float:
        return round(self.total_minutes / 60, 1)


def company_team(session: Session, company: Company, now: datetime) -> CompanyTeam:
    """A company's active people with their coming signups and hours, and the company's total, in three queries."""
    members = list(session.scalars(people_query(company_id=company.id).where(User.active.is_(True))))
    signups = session.scalars(
        select(Signup)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(
            Signup.user_id.in_(select(User.id).where(User.company_id == company.id)),
            Signup.status.in_((*ACTIVE_STATUSES, SignupStatus.ATTENDED)),
        )
        .order_by(Visit.starts_at, Signup.id)
    ).all()
    upcoming: dict[int, list[Signup]] = {}
    minutes: dict[int, int] = {}
    unrecorded: dict[int, int] = {}
    for signup in signups:
        if signup.is_active and signup.visit.ends_at > now:
            upcoming.setdefault(signup.user_id, []).append(signup)
        elif signup.status == SignupStatus.ATTENDED:
            # Hours come from check-ins alone (checkin.hours); a visit without any says so rather than guessing.
            if signup.attended_minutes is None:
                unrecorded[signup.user_id] = unrecorded.get(signup.user_id, 0) + 1
            else:
                minutes[signup.user_id] = minutes.get(signup.user_id, 0) + signup.attended_minutes
    waiting = [s for group in upcoming.values() for s in group]
    people = [
        Colleague(
            user=m, upcoming=upcoming.get(m.id, []), minutes=minutes.get(m.id, 0), unrecorded=unrecorded.get(m.id, 0)
        )
        for m in members
    ]
    return CompanyTeam(
        people=people,
        positions=waitlist_positions(session, waiting),
        total_minutes=sum(minutes.values()),
        total_unrecorded=sum(unrecorded.values()),
    )
