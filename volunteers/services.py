"""Volunteer rules: registration with a join code, profiles, the people list."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from accounts.models import ApiToken, Company, Role, TrainingStatus, User, UserRole
from accounts.services import company_for_join_code, create_user, hash_password, set_roles
from core.errors import DomainError
from core.i18n import LOCALES, SPOKEN_LANGUAGES
from core.urls import external_url
from events.ical import calendar
from events.models import RoleSlot, SlotRole, Visit, VisitStatus, school_host
from events.signals import places_added, visit_cancelled, visit_changed
from mail.services import queue_message
from volunteers.models import ACTIVE_STATUSES, ReminderSent, Signup, SignupStatus


def _check_languages(languages: list[str]) -> list[str]:
    unknown = [code for code in languages if code not in SPOKEN_LANGUAGES]
    if unknown:
        raise DomainError("validation_error", field="languages")
    return sorted(set(languages))


def register_volunteer(
    session: Session,
    *,
    join_code: str,
    email: str,
    name: str,
    password: str,
    now: datetime,
    phone: str | None = None,
    languages: list[str] | None = None,
    locale: str | None = None,
) -> User:
    """A volunteer registers themself as staff of the company whose join code they have."""
    company = company_for_join_code(session, join_code)
    return create_user(
        session,
        email=email,
        name=name,
        password=password,
        roles={Role.VOLUNTEER},
        company=company,
        phone=phone,
        languages=_check_languages(languages or []),
        locale=locale,
        now=now,
    )


PROFILE_FIELDS = ("name", "phone", "languages", "skills", "locale")


def update_profile(session: Session, user: User, values: dict) -> User:
    """Change what a person may change about themself."""
    if "languages" in values:
        values["languages"] = _check_languages(values["languages"])
    if values.get("locale") not in (None, *LOCALES):
        raise DomainError("validation_error", field="locale")
    for key in PROFILE_FIELDS:
        if key in values:
            value = values[key]
            setattr(user, key, value.strip() if isinstance(value, str) else value)
    user.phone = user.phone or None
    session.flush()
    return user


def set_training(user: User, status: TrainingStatus) -> None:
    user.training_status = status


def people_query(*, role: Role | None = None, company_id: int | None = None, search: str = "") -> Select:
    """Accounts for the admin's list, filtered."""
    query = select(User).order_by(User.name, User.id)
    if role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if company_id:
        query = query.where(User.company_id == company_id)
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where((User.email.like(like)) | (User.name.ilike(like)))
    return query


def companies(session: Session) -> list[Company]:
    return list(session.scalars(select(Company).order_by(Company.name)))


# ---------------------------------------------------------------- signups


def _meets_requirements(user: User, slot: RoleSlot) -> bool:
    if slot.requires_training and user.training_status != TrainingStatus.COMPLETED:
        return False
    return not (slot.required_language and slot.required_language not in (user.languages or []))


def _conflicting_signup(session: Session, user: User, visit: Visit) -> Signup | None:
    """An active signup of this person in another visit whose times overlap this one."""
    return session.scalars(
        select(Signup)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(
            Signup.user_id == user.id,
            Signup.status.in_(ACTIVE_STATUSES),
            Signup.visit_id != visit.id,
            Visit.status != VisitStatus.CANCELLED,
            Visit.starts_at < visit.ends_at,
            Visit.ends_at > visit.starts_at,
        )
        .limit(1)
    ).first()


def active_signup(session: Session, user: User, visit_id: int) -> Signup | None:
    return session.scalars(
        select(Signup).where(Signup.user_id == user.id, Signup.visit_id == visit_id, Signup.status.in_(ACTIVE_STATUSES))
    ).first()


def _lock_slot(session: Session, slot_id: int) -> None:
    """Wait for the slot's row lock (PostgreSQL; on SQLite begin_write already holds the database's).

    Whatever changes a slot's places or queue takes it first, so such changes never interleave:
    a signup that found the slot full cannot join the queue just after a cancellation freed a
    place and found nobody waiting, and one signup cannot be cancelled twice at once.
    """
    session.execute(select(RoleSlot.id).where(RoleSlot.id == slot_id).with_for_update())


def _take_place(session: Session, slot_id: int) -> bool:
    """Take one confirmed place if one is left: a conditional UPDATE, so two can never take the last."""
    result = session.execute(
        update(RoleSlot)
        .where(RoleSlot.id == slot_id, RoleSlot.taken < RoleSlot.capacity)
        .values(taken=RoleSlot.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_place(session: Session, slot_id: int) -> None:
    session.execute(
        update(RoleSlot)
        .where(RoleSlot.id == slot_id, RoleSlot.taken > 0)
        .values(taken=RoleSlot.taken - 1)
        .execution_options(synchronize_session=False)
    )


def _join_queue(session: Session, slot_id: int) -> int:
    """The next waitlist number of the slot, handed out by the database."""
    return session.execute(
        update(RoleSlot)
        .where(RoleSlot.id == slot_id)
        .values(waitlist_seq=RoleSlot.waitlist_seq + 1, waitlisted=RoleSlot.waitlisted + 1)
        .returning(RoleSlot.waitlist_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _leave_queue(session: Session, slot_id: int) -> None:
    session.execute(
        update(RoleSlot)
        .where(RoleSlot.id == slot_id, RoleSlot.waitlisted > 0)
        .values(waitlisted=RoleSlot.waitlisted - 1)
        .execution_options(synchronize_session=False)
    )


def waitlist_position(session: Session, signup: Signup) -> int | None:
    """1 for the first person waiting in the slot, and so on; None when not waiting."""
    if signup.status != SignupStatus.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Signup)
        .where(
            Signup.slot_id == signup.slot_id,
            Signup.status == SignupStatus.WAITLISTED,
            Signup.queue_number < signup.queue_number,
        )
    )
    return (ahead or 0) + 1


def waitlist_positions(session: Session, signups: list[Signup]) -> dict[int, int]:
    """Positions of many waiting signups in one query."""
    waiting = [s for s in signups if s.status == SignupStatus.WAITLISTED]
    if not waiting:
        return {}
    rank = func.row_number().over(partition_by=Signup.slot_id, order_by=Signup.queue_number).label("position")
    ranked = (
        select(Signup.id, rank)
        .where(Signup.slot_id.in_({s.slot_id for s in waiting}), Signup.status == SignupStatus.WAITLISTED)
        .subquery()
    )
    wanted = {s.id for s in waiting}
    return {row.id: row.position for row in session.execute(select(ranked)) if row.id in wanted}


def sign_up(
    session: Session,
    *,
    slot_id: int,
    volunteer: User,
    now: datetime,
    by: User | None = None,
    override_reason: str = "",
) -> tuple[Signup, bool]:
    """Sign a volunteer up for a role slot: a confirmed place, or the waitlist when it is full.

    Returns (signup, created). Asking again for the same slot returns the same signup.
    A coordinator (`by` an admin, or the volunteer's company coordinator) may override the
    window, the requirements and time conflicts, giving a reason.
    Callers on SQLite begin the transaction with core.db.begin_write.
    """
    slot = session.get(RoleSlot, slot_id)
    if slot is None:
        raise DomainError("not_found")
    visit = slot.visit
    by = by or volunteer
    acting_for_other = by.id != volunteer.id
    if acting_for_other and not can_sign_up_for(by, volunteer):
        raise DomainError("forbidden")
    override = acting_for_other and bool(override_reason.strip())
    if visit.status != VisitStatus.PUBLISHED:
        raise DomainError("visit_not_open")
    existing = active_signup(session, volunteer, visit.id)
    if existing is not None:
        if existing.slot_id == slot.id:
            return existing, False
        raise DomainError("already_signed_up")
    if not volunteer.active:
        raise DomainError("not_found")
    # One person's signups queue on their account row (PostgreSQL; SQLite's write lock already
    # serialises), so two overlapping visits asked for at once cannot both pass the conflict check.
    session.execute(select(User.id).where(User.id == volunteer.id).with_for_update())
    if not override:
        if not signup_window_open(visit, now):
            raise DomainError("signup_closed")
        if not _meets_requirements(volunteer, slot):
            raise DomainError("requirement_missing")
        if _conflicting_signup(session, volunteer, visit) is not None:
            raise DomainError("time_conflict")
    try:
        with session.begin_nested():
            _lock_slot(session, slot.id)
            if _take_place(session, slot.id):
                status, queue_number = SignupStatus.CONFIRMED, None
            else:
                status, queue_number = SignupStatus.WAITLISTED, _join_queue(session, slot.id)
            signup = Signup(
                slot_id=slot.id,
                visit_id=visit.id,
                user_id=volunteer.id,
                status=status,
                queue_number=queue_number,
                created_at=now,
                updated_at=now,
                confirmed_at=now if status == SignupStatus.CONFIRMED else None,
                assigned_by_id=by.id if acting_for_other else None,
                override_reason=override_reason.strip() if override else "",
            )
            session.add(signup)
            session.flush()
    except IntegrityError:
        # The same person's other request got there first: answer with what it made.
        existing = active_signup(session, volunteer, visit.id)
        if existing is not None and existing.slot_id == slot.id:
            return existing, False
        raise DomainError("already_signed_up") from None
    session.refresh(slot)
    notify_signup(session, signup, "signup_confirmed" if status == SignupStatus.CONFIRMED else "signup_waitlisted", now)
    return signup, True


def can_sign_up_for(actor: User, volunteer: User) -> bool:
    """Admins sign anyone up; a company coordinator signs up their own company's people."""
    if actor.is_admin:
        return True
    return Role.COORDINATOR in actor.roles and actor.company_id is not None and actor.company_id == volunteer.company_id


def cancel_signup(session: Session, signup: Signup, *, by: User, now: datetime) -> Signup:
    """Cancel a place or a place in the queue; a freed place goes to the first eligible person waiting.

    The volunteer may cancel until the visit's cutoff; after it only a coordinator may.
    """
    is_self = by.id == signup.user_id
    if not is_self and not can_sign_up_for(by, signup.user):
        raise DomainError("forbidden")
    _lock_slot(session, signup.slot_id)
    session.refresh(signup)  # as it is now: another request may have cancelled or promoted it meanwhile
    if not signup.is_active:
        return signup
    cutoff = signup.visit.starts_at - timedelta(hours=signup.visit.cancel_cutoff_hours)
    if is_self and not can_sign_up_for(by, signup.user) and now >= cutoff:
        raise DomainError("cancel_cutoff_passed")
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    _end(session, signup, SignupStatus.CANCELLED, now)
    if not is_self:
        signup.assigned_by_id = by.id
    session.flush()
    notify_signup(session, signup, "signup_cancelled", now)
    if was_confirmed:
        promote_waiting(session, signup.slot, now)
    return signup


def _end(session: Session, signup: Signup, status: SignupStatus, now: datetime) -> bool:
    """End an active signup and give back its place or queue spot; False if it had already ended.

    Takes the slot lock and reads the signup again first, so two requests ending the same
    signup (a cancellation and a visit cancellation, say) give its place back only once.
    """
    _lock_slot(session, signup.slot_id)
    session.refresh(signup)
    if not signup.is_active:
        return False
    if signup.status == SignupStatus.CONFIRMED:
        _release_place(session, signup.slot_id)
    elif signup.status == SignupStatus.WAITLISTED:
        _leave_queue(session, signup.slot_id)
    signup.status = status
    signup.cancelled_at = now if status == SignupStatus.CANCELLED else signup.cancelled_at
    signup.updated_at = now
    session.flush()
    session.refresh(signup.slot)
    return True


def promote_waiting(session: Session, slot: RoleSlot, now: datetime) -> list[Signup]:
    """Fill free places from the waitlist, in order, skipping (not dropping) whoever no longer fits."""
    promoted = []
    if slot.visit.status != VisitStatus.PUBLISHED:
        return promoted
    waiting = session.scalars(
        select(Signup)
        .where(Signup.slot_id == slot.id, Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.queue_number)
    ).all()
    for signup in waiting:
        if not _meets_requirements(signup.user, slot) or _conflicting_signup(session, signup.user, slot.visit):
            continue
        if not _take_place(session, slot.id):
            break
        _leave_queue(session, slot.id)
        signup.status = SignupStatus.CONFIRMED
        signup.confirmed_at = now
        signup.updated_at = now
        session.flush()
        notify_signup(session, signup, "signup_promoted", now)
        promoted.append(signup)
    session.refresh(slot)
    return promoted


def move_signup(session: Session, signup: Signup, *, to_slot_id: int, by: User, reason: str, now: datetime) -> Signup:
    """A coordinator moves a volunteer to another slot of the same visit, overriding the rules."""
    if not by.is_admin:
        raise DomainError("forbidden")
    if not reason.strip():
        raise DomainError("reason_required", field="reason")
    if not signup.is_active:
        raise DomainError("signup_not_active")
    target = session.get(RoleSlot, to_slot_id)
    if target is None or target.visit_id != signup.visit_id:
        raise DomainError("not_found", field="slot")
    if target.id == signup.slot_id:
        return signup
    old_slot = signup.slot
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    if not _end(session, signup, SignupStatus.CANCELLED, now):
        raise DomainError("signup_not_active")
    moved, _ = sign_up(session, slot_id=target.id, volunteer=signup.user, now=now, by=by, override_reason=reason)
    if was_confirmed:
        promote_waiting(session, old_slot, now)
    return moved


def mark_no_show(session: Session, signup: Signup, *, by: User, now: datetime) -> Signup:
    """After the visit has started, a coordinator records that a confirmed volunteer did not come."""
    if not by.is_admin:
        raise DomainError("forbidden")
    if signup.status != SignupStatus.CONFIRMED:
        raise DomainError("invalid_status_transition")
    if now < signup.visit.starts_at:
        raise DomainError("visit_not_started")
    signup.status = SignupStatus.NO_SHOW
    signup.updated_at = now
    session.flush()
    return signup


#: messages that carry the visit as a calendar file, so calendars add, move or remove it
_WITH_CALENDAR = {"signup_confirmed", "signup_promoted", "visit_changed", "visit_cancelled"}


def notify_signup(session: Session, signup: Signup, template: str, now: datetime, **context) -> None:
    """Mail the volunteer about their signup, in their language, with the visit as .ics where useful."""
    visit = signup.visit
    attachments = []
    if template in _WITH_CALENDAR:
        attachments.append(
            {"filename": "visit.ics", "content_type": "text/calendar", "content": calendar([visit], now).decode()}
        )
    queue_message(
        session,
        recipient=signup.user.email,
        template=template,
        locale=signup.user.locale,
        now=now,
        attachments=attachments,
        signup=signup,
        visit=visit,
        position=waitlist_position(session, signup),
        link=external_url("events.visit", visit_id=visit.id),
        contact=current_app.config["PROGRAMME_CONTACT"],
        **context,
    )


# ---------------------------------------------------------------- what visits tell volunteers


def _active_signups(session: Session, visit: Visit) -> list[Signup]:
    return list(session.scalars(select(Signup).where(Signup.visit_id == visit.id, Signup.status.in_(ACTIVE_STATUSES))))


@visit_changed.connect
def _on_visit_changed(visit: Visit, *, session: Session, now: datetime, changes: dict) -> None:
    for signup in _active_signups(session, visit):
        notify_signup(session, signup, "visit_changed", now, changes=changes)


@visit_cancelled.connect
def _on_visit_cancelled(visit: Visit, *, session: Session, now: datetime) -> None:
    for signup in _active_signups(session, visit):
        if _end(session, signup, SignupStatus.CANCELLED, now):
            notify_signup(session, signup, "visit_cancelled", now)


@places_added.connect
def _on_places_added(slot: RoleSlot, *, session: Session, now: datetime) -> None:
    promote_waiting(session, slot, now)


# ---------------------------------------------------------------- reminders


def send_reminders(session: Session, now: datetime) -> int:
    """Queue each due reminder exactly once; returns how many were queued.

    A reminder is due `h` hours before the start for every h in REMINDER_HOURS. When several
    are due at once (cron was down), only the nearest is sent and the others count as sent.
    The unique (signup, kind) row decides, so concurrent runs cannot send one twice.
    """
    hours = sorted(current_app.config["REMINDER_HOURS"])
    if not hours:
        return 0
    horizon = now + timedelta(hours=max(hours))
    due = session.scalars(
        select(Signup)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(
            Signup.status == SignupStatus.CONFIRMED,
            Visit.status == VisitStatus.PUBLISHED,
            Visit.starts_at > now,
            Visit.starts_at <= horizon,
        )
        .order_by(Signup.id)
    ).all()
    queued = 0
    for signup in due:
        applicable = [h for h in hours if signup.visit.starts_at - timedelta(hours=h) <= now]
        sent = set(session.scalars(select(ReminderSent.kind).where(ReminderSent.signup_id == signup.id)))
        fresh = [h for h in applicable if str(h) not in sent]
        if not fresh:
            continue
        nearest = min(applicable)
        try:
            with session.begin_nested():
                for h in fresh:
                    session.add(ReminderSent(signup_id=signup.id, kind=str(h), sent_at=now))
                session.flush()
        except IntegrityError:
            continue  # another run claimed it
        if nearest in fresh:
            queue_message(
                session,
                recipient=signup.user.email,
                template="signup_reminder",
                locale=signup.user.locale,
                now=now,
                signup=signup,
                visit=signup.visit,
                # the time really left: a late signup or a late run must not be told "48 hours"
                hours=max(1, round((signup.visit.starts_at - now) / timedelta(hours=1))),
                link=external_url("events.visit", visit_id=signup.visit_id),
            )
            queued += 1
    return queued


# ---------------------------------------------------------------- what the signup pages show


def signup_window_open(visit: Visit, now: datetime) -> bool:
    """Whether volunteers may sign themselves up for this published visit at `now`."""
    opens = visit.signup_opens_at or visit.published_at or now
    return opens <= now < visit.effective_signup_closes_at


def cancel_cutoff_at(visit: Visit) -> datetime:
    """Until this moment a volunteer may cancel their own signup."""
    return visit.starts_at - timedelta(hours=visit.cancel_cutoff_hours)


def can_cancel_self(signup: Signup, now: datetime) -> bool:
    return signup.is_active and now < cancel_cutoff_at(signup.visit)


@dataclass
class MyVisits:
    """One volunteer's signups for the "My visits" page."""

    upcoming: list[Signup]
    past: list[Signup]
    #: signup id -> waitlist position, for the waiting ones
    positions: dict[int, int]


#: past signups worth showing: the visit happened (cancelled and waitlisted ones never did for them)
_PAST_STATUSES = (SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.NO_SHOW)


def my_visits(session: Session, user: User, now: datetime) -> MyVisits:
    """A volunteer's coming visits (confirmed or waiting) and the ones they took part in."""
    signups = session.scalars(
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
        .order_by(Visit.starts_at, Signup.id)
    ).all()
    upcoming = [
        s for s in signups if s.visit.ends_at > now and (s.is_active or s.visit.status == VisitStatus.CANCELLED)
    ]
    past = [s for s in signups if s.status in _PAST_STATUSES and s.visit.ends_at <= now]
    past.reverse()  # the latest first
    return MyVisits(upcoming=upcoming, past=past, positions=waitlist_positions(session, upcoming))


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


def upcoming_slots(session: Session, now: datetime) -> list[RoleSlot]:
    """Role slots of published visits that have not started, soonest first, for a coordinator to choose from."""
    return list(
        session.scalars(
            select(RoleSlot)
            .join(Visit, RoleSlot.visit_id == Visit.id)
            .where(Visit.status == VisitStatus.PUBLISHED, Visit.starts_at > now)
            .order_by(Visit.starts_at, Visit.id, RoleSlot.id)
            .options(contains_eager(RoleSlot.visit))
            .limit(500)
        )
    )


def assignable_people(session: Session) -> list[User]:
    """Active volunteers an admin can put into a slot by hand."""
    return list(session.scalars(people_query(role=Role.VOLUNTEER).where(User.active.is_(True))))


@dataclass
class Colleague:
    """A company's person as their company coordinator sees them."""

    user: User
    upcoming: list[Signup]
    #: minutes of attended visits
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class CompanyTeam:
    people: list[Colleague]
    positions: dict[int, int]
    #: minutes of attended visits of everyone who is or was with the company, deleted accounts included
    total_minutes: int

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
    for signup in signups:
        if signup.is_active and signup.visit.ends_at > now:
            upcoming.setdefault(signup.user_id, []).append(signup)
        elif signup.status == SignupStatus.ATTENDED:
            # Until check-in exists, an attended visit counts in full, from its start to its end.
            length = signup.visit.ends_at - signup.visit.starts_at
            minutes[signup.user_id] = minutes.get(signup.user_id, 0) + int(length.total_seconds() // 60)
    waiting = [s for group in upcoming.values() for s in group]
    return CompanyTeam(
        people=[Colleague(user=m, upcoming=upcoming.get(m.id, []), minutes=minutes.get(m.id, 0)) for m in members],
        positions=waitlist_positions(session, waiting),
        total_minutes=sum(minutes.values()),
    )


# ---------------------------------------------------------------- privacy


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def personal_data(session: Session, user: User) -> dict:
    """Everything SciVisit keeps about a person, for them to download."""
    signups = session.scalars(
        select(Signup)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(Signup.user_id == user.id)
        .order_by(Visit.starts_at, Signup.id)
    ).all()
    company = user.company
    return {
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "phone": user.phone,
            "languages": list(user.languages or []),
            "skills": user.skills,
            "training_status": user.training_status.value,
            "locale": user.locale,
            "roles": sorted(role.value for role in user.roles),
            "created_at": _iso(user.created_at),
        },
        "company": {"id": company.id, "name": company.name} if company else None,
        "signups": [
            {
                "id": s.id,
                "role": s.slot.role.value,
                "status": s.status.value,
                "created_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
                "cancelled_at": _iso(s.cancelled_at),
                "override_reason": s.override_reason,
                "visit": {
                    "id": s.visit.id,
                    "title": s.visit.title,
                    "school": s.visit.school.name,
                    "starts_at": _iso(s.visit.starts_at),
                    "ends_at": _iso(s.visit.ends_at),
                    "status": s.visit.status.value,
                },
            }
            for s in signups
        ],
    }


def _withdraw(session: Session, signup: Signup, now: datetime) -> None:
    """Give up a signup whatever the cutoff, and hand a freed place to the next person waiting."""
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    if _end(session, signup, SignupStatus.CANCELLED, now) and was_confirmed:
        promote_waiting(session, signup.slot, now)


def delete_account(session: Session, user: User, now: datetime) -> None:
    """Erase a person at their request: future signups end (places go to those waiting), the rest is anonymised.

    Past signups stay, without a name, so the programme's hours and totals stay true.
    The person is not mailed about the cancellations: they asked for their address to be forgotten.
    """
    future = session.scalars(
        select(Signup)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(Signup.user_id == user.id, Signup.status.in_(ACTIVE_STATUSES), Visit.starts_at > now)
        .order_by(Signup.id)
    ).all()
    for signup in future:
        _withdraw(session, signup, now)
    user.name = "—"
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.phone = None
    user.languages = []
    user.skills = ""
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.active = False
    user.session_nonce = secrets.token_hex(16)
    set_roles(user, user.roles & {Role.VOLUNTEER})
    session.execute(delete(school_host).where(school_host.c.user_id == user.id))
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
