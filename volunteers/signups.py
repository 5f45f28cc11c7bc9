"""Signing up: places and the waitlist, cancelling (and what it would do, for the page that asks first)
and promotion, moves and no-shows, and what visit changes do to signups (the receivers of events'
signals, connected by create_app).

Callers on SQLite begin the transaction with the write lock (core.db.begin_write); every unsafe
request does so before its view runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from accounts.models import TrainingStatus, User
from core.errors import DomainError
from events import signals
from events.models import RoleSlot, Visit, VisitStatus
from volunteers.access import can_change_signup, manages_rosters, overrides_rules, signup_refusal
from volunteers.models import ACTIVE_STATUSES, Signup, SignupStatus
from volunteers.notices import notify_signup
from volunteers.signals import place_confirmed
from volunteers.waitlist import join_queue, leave_queue, lock_slot, release_place, take_place, waitlist_position


def _meets_requirements(user: User, slot: RoleSlot) -> bool:
    if slot.requires_training and user.training_status != TrainingStatus.COMPLETED:
        return False
    return not (slot.required_language and slot.required_language not in (user.languages or []))


def requirements_met(user: User) -> ColumnElement[bool]:
    """`_meets_requirements` as SQL over RoleSlot, for lists of the places a volunteer can take."""
    language = or_(
        RoleSlot.required_language.is_(None),
        RoleSlot.required_language == "",
        RoleSlot.required_language.in_(user.languages or []),
    )
    if user.training_status == TrainingStatus.COMPLETED:
        return language
    return and_(RoleSlot.requires_training.is_(False), language)


def overlapping_signups(user: User, visit_id, starts_at, ends_at) -> Select:
    """This person's active signups in other visits, not cancelled, whose times overlap the given ones
    (values, or the columns of a visit in an enclosing query)."""
    other = aliased(Visit)
    return (
        select(Signup)
        .join(other, Signup.visit_id == other.id)
        .where(
            Signup.user_id == user.id,
            Signup.status.in_(ACTIVE_STATUSES),
            Signup.visit_id != visit_id,
            other.status != VisitStatus.CANCELLED,
            other.starts_at < ends_at,
            other.ends_at > starts_at,
        )
    )


def _conflicting_signup(session: Session, user: User, visit: Visit) -> Signup | None:
    """An active signup of this person in another visit whose times overlap this one."""
    return session.scalars(overlapping_signups(user, visit.id, visit.starts_at, visit.ends_at).limit(1)).first()


def active_signup(session: Session, user: User, visit_id: int) -> Signup | None:
    return session.scalars(
        select(Signup).where(Signup.user_id == user.id, Signup.visit_id == visit_id, Signup.status.in_(ACTIVE_STATUSES))
    ).first()


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
    Raises: not_found, forbidden (see volunteers.access.signup_refusal), visit_not_open,
    already_signed_up, signup_closed, requirement_missing, time_conflict.
    """
    by = by or volunteer
    slot = session.get(RoleSlot, slot_id)
    if slot is None:
        raise DomainError("not_found")
    refusal = signup_refusal(by, volunteer)
    if refusal is not None:
        raise DomainError(refusal, field="volunteer_id" if refusal == "not_found" else None)
    if slot.visit.status != VisitStatus.PUBLISHED:
        raise DomainError("visit_not_open")
    existing = active_signup(session, volunteer, slot.visit_id)
    if existing is not None:
        if existing.slot_id == slot.id:
            return existing, False
        raise DomainError("already_signed_up")
    # One person's signups queue on their account row (PostgreSQL; SQLite's write lock already
    # serialises), so two overlapping visits asked for at once cannot both pass the conflict check.
    session.execute(select(User.id).where(User.id == volunteer.id).with_for_update())
    override = by.id != volunteer.id and bool(override_reason.strip())
    if not override:
        _check_rules(session, slot, volunteer, now)
    try:
        signup = _take_place_or_queue(session, slot, volunteer, by, override_reason.strip() if override else "", now)
    except IntegrityError:
        # The same person's other request got there first: answer with what it made.
        existing = active_signup(session, volunteer, slot.visit_id)
        if existing is not None and existing.slot_id == slot.id:
            return existing, False
        raise DomainError("already_signed_up") from None
    # the counters the place or queue changed; the slot's visit stays loaded (refreshing the whole slot let it
    # go, and the notice loaded it and its school's hosts again)
    session.refresh(slot, ["taken", "waitlisted", "waitlist_seq"])
    notify_signup(
        session, signup, "signup_confirmed" if signup.status == SignupStatus.CONFIRMED else "signup_waitlisted", now
    )
    if signup.status == SignupStatus.CONFIRMED:
        place_confirmed.send(signup, session=session, now=now)
    return signup, True


def _check_rules(session: Session, slot: RoleSlot, volunteer: User, now: datetime) -> None:
    """The rules a volunteer signing up must meet, unless a coordinator overrides them."""
    hurdle = _rule_hurdle(session, slot, volunteer, now)
    if hurdle is not None:
        raise DomainError(hurdle.code)


@dataclass(frozen=True)
class Hurdle:
    """Why a volunteer cannot sign themself up for a role now: the code `sign_up` would raise, and what a
    page needs to say what to do about it."""

    code: str
    #: signup_closed: when signup opens, if it has not yet (None once it has closed)
    opens_at: datetime | None = None
    #: requirement_missing: the role needs the training they have not completed
    needs_training: bool = False
    #: requirement_missing: the language the role needs and they do not speak
    needs_language: str | None = None
    #: time_conflict: their signup in the other visit
    conflict: Signup | None = None


def _rule_hurdle(session: Session, slot: RoleSlot, volunteer: User, now: datetime) -> Hurdle | None:
    """The first rule of `_check_rules` the volunteer does not meet; the one place those rules are written."""
    visit = slot.visit
    if not signup_window_open(visit, now):
        opens = visit.signup_opens_at or visit.published_at
        return Hurdle("signup_closed", opens_at=opens if opens is not None and now < opens else None)
    if not _meets_requirements(volunteer, slot):
        language = slot.required_language
        return Hurdle(
            "requirement_missing",
            needs_training=slot.requires_training and volunteer.training_status != TrainingStatus.COMPLETED,
            needs_language=language if language and language not in (volunteer.languages or []) else None,
        )
    conflict = _conflicting_signup(session, volunteer, visit)
    if conflict is not None:
        return Hurdle("time_conflict", conflict=conflict)
    return None


def signup_hurdle(session: Session, slot: RoleSlot, volunteer: User, now: datetime) -> Hurdle | None:
    """Why `volunteer` signing themself up for `slot` now would be refused, or None when it would succeed
    (with a place, or a place on the waitlist when the role is full).

    The same checks in the same order as `sign_up`, changing nothing, so a page can say before the tap
    what the tap would answer. Codes: forbidden, visit_not_open, already_signed_up, and the rules'
    signup_closed, requirement_missing, time_conflict.
    """
    refusal = signup_refusal(volunteer, volunteer)
    if refusal is not None:
        return Hurdle(refusal)
    if slot.visit.status != VisitStatus.PUBLISHED:
        return Hurdle("visit_not_open")
    existing = active_signup(session, volunteer, slot.visit_id)
    if existing is not None and existing.slot_id != slot.id:
        return Hurdle("already_signed_up")
    if existing is not None:
        return None
    return _rule_hurdle(session, slot, volunteer, now)


def _take_place_or_queue(
    session: Session, slot: RoleSlot, volunteer: User, by: User, override_reason: str, now: datetime
) -> Signup:
    """Under the slot's lock: a confirmed place if one is left, else the next number in the queue."""
    # A new signup's calendar SEQUENCE starts above the person's earlier signups for the visit (cancelled, or
    # moved from another role), so a calendar that showed one of those takes the new one as newer.
    earlier = session.scalar(
        select(func.max(Signup.revision)).where(Signup.user_id == volunteer.id, Signup.visit_id == slot.visit_id)
    )
    with session.begin_nested():
        lock_slot(session, slot.id)
        if take_place(session, slot.id):
            status, queue_number = SignupStatus.CONFIRMED, None
        else:
            status, queue_number = SignupStatus.WAITLISTED, join_queue(session, slot.id)
        signup = Signup(
            slot_id=slot.id,
            visit_id=slot.visit_id,
            user_id=volunteer.id,
            status=status,
            queue_number=queue_number,
            created_at=now,
            updated_at=now,
            confirmed_at=now if status == SignupStatus.CONFIRMED else None,
            assigned_by_id=by.id if by.id != volunteer.id else None,
            override_reason=override_reason,
            revision=0 if earlier is None else earlier + 1,
        )
        session.add(signup)
        session.flush()
    return signup


def cancel_signup(session: Session, signup: Signup, *, by: User, now: datetime) -> Signup:
    """Cancel a place or a place in the queue; a freed place goes to the first eligible person waiting.

    The volunteer may cancel until the visit's cutoff; after it only a coordinator may.
    Cancelling an already cancelled signup changes nothing.
    Raises: not_found (not theirs to change), signup_not_active (attended or no-show),
    cancel_cutoff_passed.
    """
    if not can_change_signup(by, signup):
        raise DomainError("not_found")
    lock_slot(session, signup.slot_id)
    session.refresh(signup)  # as it is now: another request may have cancelled or promoted it meanwhile
    if signup.status == SignupStatus.CANCELLED:
        return signup
    if not signup.is_active:
        raise DomainError("signup_not_active")
    if not overrides_rules(by, signup.user) and not can_cancel_self(signup, now):
        raise DomainError("cancel_cutoff_passed")
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    _end(session, signup, SignupStatus.CANCELLED, now)
    if by.id != signup.user_id:
        signup.assigned_by_id = by.id
    session.flush()
    notify_signup(session, signup, "signup_cancelled", now)
    if was_confirmed:
        promote_waiting(session, signup.slot, now)
    return signup


@dataclass(frozen=True)
class CancelOutlook:
    """What cancelling a signup now would do: the page that asks before it says so."""

    #: the volunteer cancels their own signup (not a coordinator for them)
    own: bool
    #: whether `by` may cancel it now; False for a volunteer past the cutoff, who is told whom to ask
    allowed: bool
    #: past the moment until which the volunteer may cancel themself
    late: bool
    cutoff: datetime
    #: the signup's place in its role's queue (1 is next), None when it holds a place
    position: int | None
    #: a freed place goes to the first person waiting who fits the role, and they are told by mail
    place_goes_to_waiting: bool


def cancel_outlook(session: Session, signup: Signup, *, by: User, now: datetime) -> CancelOutlook:
    """Foresee what `cancel_signup` would do, changing nothing.

    Raises: not_found (not theirs to change), signup_not_active (cancelled, attended or no-show).
    """
    if not can_change_signup(by, signup):
        raise DomainError("not_found")
    if not signup.is_active:
        raise DomainError("signup_not_active")
    late = not can_cancel_self(signup, now)
    confirmed = signup.status == SignupStatus.CONFIRMED
    return CancelOutlook(
        own=by.id == signup.user_id,
        allowed=not late or overrides_rules(by, signup.user),
        late=late,
        cutoff=cancel_cutoff_at(signup.visit),
        position=waitlist_position(session, signup),
        place_goes_to_waiting=confirmed and next_in_queue(session, signup.slot) is not None,
    )


def next_in_queue(session: Session, slot: RoleSlot) -> Signup | None:
    """Who a freed place of the slot would go to now: the first person waiting who fits (as `promote_waiting`)."""
    if slot.visit.status != VisitStatus.PUBLISHED:
        return None
    return next((signup for signup in _queue(session, slot) if _may_take_place(session, signup, slot)), None)


def _queue(session: Session, slot: RoleSlot) -> list[Signup]:
    """The people waiting for the slot, first in line first."""
    return list(
        session.scalars(
            select(Signup)
            .where(Signup.slot_id == slot.id, Signup.status == SignupStatus.WAITLISTED)
            .order_by(Signup.queue_number)
        )
    )


def _end(session: Session, signup: Signup, status: SignupStatus, now: datetime) -> bool:
    """End an active signup and give back its place or queue spot; False if it had already ended.

    Takes the slot lock and reads the signup again first, so two requests ending the same
    signup (a cancellation and a visit cancellation, say) give its place back only once.
    """
    lock_slot(session, signup.slot_id)
    session.refresh(signup)
    if not signup.is_active:
        return False
    if signup.status == SignupStatus.CONFIRMED:
        release_place(session, signup.slot_id)
    elif signup.status == SignupStatus.WAITLISTED:
        leave_queue(session, signup.slot_id)
    signup.status = status
    signup.cancelled_at = now if status == SignupStatus.CANCELLED else signup.cancelled_at
    signup.updated_at = now
    signup.revision += 1
    session.flush()
    session.refresh(signup.slot)
    return True


def promote_waiting(session: Session, slot: RoleSlot, now: datetime) -> list[Signup]:
    """Fill free places from the waitlist, in order, skipping (not dropping) whoever no longer fits."""
    promoted = []
    if slot.visit.status != VisitStatus.PUBLISHED:
        return promoted
    for signup in _queue(session, slot):
        if not _may_take_place(session, signup, slot):
            continue
        if not take_place(session, slot.id):
            break
        leave_queue(session, slot.id)
        signup.status = SignupStatus.CONFIRMED
        signup.confirmed_at = now
        signup.updated_at = now
        signup.revision += 1
        session.flush()
        notify_signup(session, signup, "signup_promoted", now)
        place_confirmed.send(signup, session=session, now=now)
        promoted.append(signup)
    session.refresh(slot)
    return promoted


def _may_take_place(session: Session, waiting: Signup, slot: RoleSlot) -> bool:
    """Whether a person waiting still fits the role: requirements met, no other visit at the same time."""
    return _meets_requirements(waiting.user, slot) and _conflicting_signup(session, waiting.user, slot.visit) is None


def withdraw(session: Session, signup: Signup, now: datetime) -> None:
    """Give up a signup whatever the cutoff, and hand a freed place to the next person waiting."""
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    if _end(session, signup, SignupStatus.CANCELLED, now) and was_confirmed:
        promote_waiting(session, signup.slot, now)


def move_signup(session: Session, signup: Signup, *, to_slot_id: int, by: User, reason: str, now: datetime) -> Signup:
    """A coordinator moves a volunteer to another slot of the same visit, overriding the rules.

    Raises: forbidden, reason_required, signup_not_active, not_found (a slot of another visit).
    """
    if not manages_rosters(by):
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
    """After the visit has started, a coordinator records that a confirmed volunteer did not come.

    Raises: forbidden, invalid_status_transition (not confirmed), visit_not_started.
    """
    if not manages_rosters(by):
        raise DomainError("forbidden")
    if signup.status != SignupStatus.CONFIRMED:
        raise DomainError("invalid_status_transition")
    if now < signup.visit.starts_at:
        raise DomainError("visit_not_started")
    signup.status = SignupStatus.NO_SHOW
    signup.updated_at = now
    signup.revision += 1
    session.flush()
    return signup


def signup_window_open(visit: Visit, now: datetime) -> bool:
    """Whether volunteers may sign themselves up for this published visit at `now`."""
    opens = visit.signup_opens_at or visit.published_at or now
    return opens <= now < visit.effective_signup_closes_at


def signup_window_open_sql(now: datetime) -> ColumnElement[bool]:
    """`signup_window_open` as SQL over Visit, for lists of the places a volunteer can take."""
    opens = func.coalesce(Visit.signup_opens_at, Visit.published_at)
    closes = func.coalesce(Visit.signup_closes_at, Visit.starts_at)
    return and_(or_(opens.is_(None), opens <= now), closes > now)


def cancel_cutoff_at(visit: Visit) -> datetime:
    """Until this moment a volunteer may cancel their own signup."""
    return visit.starts_at - timedelta(hours=visit.cancel_cutoff_hours)


def can_cancel_self(signup: Signup, now: datetime) -> bool:
    return signup.is_active and now < cancel_cutoff_at(signup.visit)


def _active_signups(session: Session, visit: Visit) -> list[Signup]:
    return list(session.scalars(select(Signup).where(Signup.visit_id == visit.id, Signup.status.in_(ACTIVE_STATUSES))))


def told_if_visit_cancelled(session: Session, visit: Visit) -> int:
    """How many volunteers cancelling the visit would tell by mail: everyone with a place or in a queue."""
    return session.scalar(
        select(func.count()).select_from(Signup).where(Signup.visit_id == visit.id, Signup.status.in_(ACTIVE_STATUSES))
    )


def _on_visit_changed(visit: Visit, *, session: Session, now: datetime, changes: dict) -> None:
    for signup in _active_signups(session, visit):
        notify_signup(session, signup, "visit_changed", now, changes=changes)


def _on_visit_cancelled(visit: Visit, *, session: Session, now: datetime) -> None:
    for signup in _active_signups(session, visit):
        if _end(session, signup, SignupStatus.CANCELLED, now):
            notify_signup(session, signup, "visit_cancelled", now)


def _on_places_added(slot: RoleSlot, *, session: Session, now: datetime) -> None:
    promote_waiting(session, slot, now)


def connect_receivers() -> None:
    """Let visit changes reach signups: notices on a change, cancellations, promotions when places are added."""
    signals.visit_changed.connect(_on_visit_changed)
    signals.visit_cancelled.connect(_on_visit_cancelled)
    signals.places_added.connect(_on_places_added)
