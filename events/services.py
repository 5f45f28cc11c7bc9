"""Rules for schools and visits. Services flush and never commit; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import Role, User
from accounts.services import set_roles
from core.errors import DomainError, Problems
from core.i18n import SPOKEN_LANGUAGES
from core.timeutil import in_zone, is_valid_timezone
from events import signals, visit_kits
from events.models import Lesson, RoleSlot, SatelliteSchool, School, SlotRole, Visit, VisitStatus
from kits.models import KitType

# ---------------------------------------------------------------- schools

SCHOOL_FIELDS = (
    "name",
    "province",
    "prefecture",
    "county",
    "township",
    "address",
    "timezone",
    "travel_notes",
    "connectivity_notes",
)

#: what says where a school's visits take place (and in which time zone)
PLACE_FIELDS = ("name", "province", "prefecture", "county", "township", "address", "timezone")


def _check_school(values: dict) -> None:
    if "timezone" in values and not is_valid_timezone(values["timezone"]):
        raise DomainError("invalid_timezone", field="timezone")


def create_school(session: Session, values: dict, *, hosts: list[User] = (), now: datetime) -> School:
    """Create a school from the given fields (see SCHOOL_FIELDS).

    Raises: invalid_timezone.
    """
    _check_school(values)
    school = School(**{k: v for k, v in values.items() if k in SCHOOL_FIELDS}, created_at=now)
    school.hosts = [_as_host(h) for h in hosts]
    session.add(school)
    session.flush()
    return school


def update_school(session: Session, school: School, values: dict, *, hosts: list[User] | None = None) -> School:
    """Change a school's fields; `hosts`, when given, replaces the host list.

    Raises: invalid_timezone.
    """
    _check_school(values)
    before = {name: getattr(school, name) for name in PLACE_FIELDS}
    for key, value in values.items():
        if key in SCHOOL_FIELDS:
            setattr(school, key, value)
    if any(getattr(school, name) != old for name, old in before.items()):
        # The place of the school's coming visits changed: their calendar SEQUENCE rises with it.
        session.execute(
            update(Visit)
            .where(Visit.school_id == school.id, Visit.status.in_((VisitStatus.DRAFT, VisitStatus.PUBLISHED)))
            .values(revision=Visit.revision + 1)
        )
    if hosts is not None:
        school.hosts = [_as_host(h) for h in hosts]
    session.flush()
    return school


def _as_host(user: User) -> User:
    # Being named a school's host gives the account the host role.
    if Role.HOST not in user.roles:
        set_roles(user, user.roles | {Role.HOST})
    return user


def archive_school(session: Session, school: School, *, now: datetime) -> School:
    """Stop offering a school for new visits; its visits stay as they are. Raises no domain error."""
    school.archived_at = school.archived_at or now
    session.flush()
    return school


def restore_school(session: Session, school: School) -> School:
    """Offer an archived school for new visits again. Raises no domain error."""
    school.archived_at = None
    session.flush()
    return school


# ---------------------------------------------------------------- visits
#
# The dataclasses below are the one definition of a visit's input: the services copy them
# onto rows field by field, and the form and the API build them from fields of the same names.
# A new lesson field goes into the model, LessonData, the form's row and the API schema.


@dataclass
class SlotData:
    """A role slot: how many volunteers of a role, and what they need."""

    role: SlotRole
    capacity: int
    requires_training: bool = False
    required_language: str | None = None
    #: what the role does and brings; empty: the role's usual text (events.models.ROLE_DESCRIPTIONS)
    description: str = ""
    id: int | None = None  #: an existing slot to update; None creates one

    def __post_init__(self) -> None:
        # "Any language" arrives as an empty choice from the form.
        self.required_language = self.required_language or None


@dataclass
class LessonData:
    """A lesson at the host school, in UTC."""

    title: str
    grade: int
    starts_at: datetime
    ends_at: datetime
    students_expected: int = 0
    kit_type_id: int | None = None
    classroom: str = ""
    spare_kits: int = 0
    id: int | None = None


@dataclass
class SatelliteData:
    """A school watching the visit's livestream."""

    school_id: int
    students_expected: int = 0
    id: int | None = None


@dataclass
class VisitData:
    """A visit with its child lists; times in UTC."""

    school_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    signup_opens_at: datetime | None = None
    signup_closes_at: datetime | None = None
    meeting_point: str = ""
    what_to_bring: str = ""
    livestream_url: str = ""
    notes: str = ""
    cancel_cutoff_hours: int = 24
    slots: list[SlotData] = field(default_factory=list)
    lessons: list[LessonData] = field(default_factory=list)
    satellites: list[SatelliteData] = field(default_factory=list)
    hub_id: int | None = None  #: where the lessons' kits come from; None: the default hub


def _check_visit(session: Session, data: VisitData, visit: Visit | None) -> School:
    """Every rule a visit must meet, reported together with the field at fault.

    Raises: not_found, school_archived, end_before_start, visit_not_single_day,
    signup_window_invalid, validation_error, school_busy, duplicate_role, capacity_too_small,
    slot_has_signups, capacity_below_taken, lesson_outside_visit, unknown_kit_type,
    satellite_is_host, duplicate_satellite.
    """
    school = session.get(School, data.school_id)
    if school is None:
        raise DomainError("not_found", field="school_id")
    problems = Problems()
    _check_school_and_times(session, problems, school, data, visit)
    _check_slots(problems, data.slots, visit)
    _check_lessons(session, problems, data, visit)
    _check_satellites(session, problems, data)
    visit_kits.check_hub(session, problems, data, visit)
    problems.raise_if_any()
    return school


def _check_school_and_times(
    session: Session, problems: Problems, school: School, data: VisitData, visit: Visit | None
) -> None:
    """An open school (a visit may stay at one archived since), one day there, a sound window, no clash."""
    if school.is_archived and (visit is None or visit.school_id != school.id):
        problems.add("school_archived", "school_id")
    if data.ends_at <= data.starts_at:
        problems.add("end_before_start", "ends_at")
    elif in_zone(data.starts_at, school.timezone).date() != in_zone(data.ends_at, school.timezone).date():
        problems.add("visit_not_single_day", "ends_at")
    _check_signup_window(problems, data)
    if not 0 <= data.cancel_cutoff_hours <= 24 * 30:
        problems.add("validation_error", "cancel_cutoff_hours")
    if data.ends_at > data.starts_at and _overlapping_visit(session, school.id, data, visit) is not None:
        problems.add("school_busy", "starts_at")


def _check_signup_window(problems: Problems, data: VisitData) -> None:
    """Signup opens before it closes, and closes (by default at the start) before the visit ends."""
    opens, closes = data.signup_opens_at, data.signup_closes_at or data.starts_at
    if (opens is not None and opens >= closes) or closes > data.ends_at:
        problems.add("signup_window_invalid", "signup_closes_at" if data.signup_closes_at else "signup_opens_at")


def _check_slots(problems: Problems, slots: list[SlotData], visit: Visit | None) -> None:
    """One slot per role, each with room for its signups; a slot with signups is not dropped."""
    existing = {slot.id: slot for slot in visit.slots} if visit else {}
    seen_roles: set[SlotRole] = set()
    for i, slot in enumerate(slots):
        if slot.role in seen_roles:
            problems.add("duplicate_role", f"slots-{i}-role")
        seen_roles.add(slot.role)
        _check_slot(problems, f"slots-{i}-", slot, existing.get(slot.id))
    kept = {slot.id for slot in slots if slot.id is not None}
    for slot in existing.values():
        if slot.id not in kept and (slot.taken > 0 or slot.waitlisted > 0):
            problems.add("slot_has_signups", "slots")


def _check_slot(problems: Problems, prefix: str, slot: SlotData, current: RoleSlot | None) -> None:
    """One slot against the row it updates (`current`, None for a new slot)."""
    if slot.capacity < 1:
        problems.add("capacity_too_small", prefix + "capacity")
    if slot.id is not None and current is None:
        problems.add("not_found", prefix + "role")
    elif current is not None and (current.taken or current.waitlisted) and slot.role != current.role:
        problems.add("slot_has_signups", prefix + "role")
    elif current is not None and slot.capacity < current.taken:
        problems.add("capacity_below_taken", prefix + "capacity")
    if slot.required_language and slot.required_language not in SPOKEN_LANGUAGES:
        problems.add("validation_error", prefix + "required_language")


def _check_lessons(session: Session, problems: Problems, data: VisitData, visit: Visit | None) -> None:
    """Each lesson within the visit's times, with a known kit type."""
    existing = {lesson.id for lesson in visit.lessons} if visit else set()
    for i, lesson in enumerate(data.lessons):
        if lesson.id is not None and lesson.id not in existing:
            problems.add("not_found", f"lessons-{i}-title")
        if lesson.ends_at <= lesson.starts_at:
            problems.add("end_before_start", f"lessons-{i}-ends_at")
        elif lesson.starts_at < data.starts_at or lesson.ends_at > data.ends_at:
            problems.add("lesson_outside_visit", f"lessons-{i}-starts_at")
        if lesson.kit_type_id is not None and session.get(KitType, lesson.kit_type_id) is None:
            problems.add("unknown_kit_type", f"lessons-{i}-kit_type_id")


def _check_satellites(session: Session, problems: Problems, data: VisitData) -> None:
    """Satellite schools exist, each once, and none is the host school."""
    seen: set[int] = set()
    for i, satellite in enumerate(data.satellites):
        if satellite.school_id == data.school_id:
            problems.add("satellite_is_host", f"satellites-{i}-school_id")
        elif satellite.school_id in seen:
            problems.add("duplicate_satellite", f"satellites-{i}-school_id")
        elif session.get(School, satellite.school_id) is None:
            problems.add("not_found", f"satellites-{i}-school_id")
        seen.add(satellite.school_id)


def _overlapping_visit(session: Session, school_id: int, data: VisitData, visit: Visit | None) -> Visit | None:
    query = select(Visit).where(
        Visit.school_id == school_id,
        Visit.status != VisitStatus.CANCELLED,
        Visit.starts_at < data.ends_at,
        Visit.ends_at > data.starts_at,
    )
    if visit is not None:
        query = query.where(Visit.id != visit.id)
    return session.scalars(query.limit(1)).first()


#: each child list of a visit: its row class, and the unique key that a kept row never changes
_CHILDREN: dict[str, tuple[type, str | None]] = {
    "slots": (RoleSlot, "role"),
    "lessons": (Lesson, None),
    "satellites": (SatelliteSchool, "school_id"),
}


def _copy(row, item) -> None:
    """Set each of the dataclass item's fields on the row (but its id, and the child lists)."""
    for f in fields(item):
        if f.name != "id" and f.name not in _CHILDREN:
            setattr(row, f.name, getattr(item, f.name))


def _as_data(data_class: type, row):
    """A row as its input dataclass: the one definition of which fields are copied."""
    return data_class(**{f.name: getattr(row, f.name) for f in fields(data_class)})


def _sync(session: Session, visit: Visit, attr: str, wanted: list) -> None:
    """Children after an edit: update rows whose id is given, create new ones, drop the rest.

    A row whose unique key (a slot's role, a satellite's school) changes is replaced rather
    than updated, and dropped rows are deleted before new rows are inserted, so that two
    rows swapping keys never collide on the unique constraint midway.
    """
    model, key = _CHILDREN[attr]
    by_id = {row.id: row for row in getattr(visit, attr)}
    kept, fresh = [], []
    for item in wanted:
        row = by_id.get(item.id) if item.id is not None else None
        if row is None or (key is not None and getattr(row, key) != getattr(item, key)):
            row = model()
            fresh.append(row)
        else:
            kept.append(row)
        _copy(row, item)
    setattr(visit, attr, kept)
    session.flush()
    setattr(visit, attr, kept + fresh)


def _apply(session: Session, visit: Visit, data: VisitData, now: datetime) -> None:
    _copy(visit, data)
    visit.title = data.title.strip()
    visit.updated_at = now
    for attr in _CHILDREN:
        _sync(session, visit, attr, getattr(data, attr))
    session.flush()


def create_visit(session: Session, data: VisitData, *, now: datetime) -> Visit:
    """Create a draft visit with its role slots, lessons and satellite schools.

    Raises: the codes of `_check_visit` (not_found, school_archived, end_before_start,
    visit_not_single_day, signup_window_invalid, validation_error, school_busy, duplicate_role,
    capacity_too_small, lesson_outside_visit, unknown_kit_type, satellite_is_host,
    duplicate_satellite).
    """
    _check_visit(session, data, None)
    # its children start empty and known to be: no statement asks the database for them
    visit = Visit(status=VisitStatus.DRAFT, created_at=now, **{attr: [] for attr in _CHILDREN})
    session.add(visit)
    _apply(session, visit, data, now)
    signals.visit_saved.send(visit, session=session, now=now)
    return visit


def update_visit(session: Session, visit: Visit, data: VisitData, *, now: datetime) -> Visit:
    """Edit a draft or published visit; slots and lessons not listed are removed.

    Raises: visit_locked, and the codes of `_check_visit` (not_found, school_archived,
    end_before_start, visit_not_single_day, signup_window_invalid, validation_error, school_busy,
    duplicate_role, capacity_too_small, slot_has_signups, capacity_below_taken,
    lesson_outside_visit, unknown_kit_type, satellite_is_host, duplicate_satellite).
    """
    if visit.status in (VisitStatus.CANCELLED, VisitStatus.COMPLETED):
        raise DomainError("visit_locked")
    _check_visit(session, data, visit)
    before = {name: getattr(visit, name) for name in NOTIFIED_FIELDS}
    capacities = {slot.id: slot.capacity for slot in visit.slots}
    _apply(session, visit, data, now)
    changes = {name: (old, getattr(visit, name)) for name, old in before.items() if getattr(visit, name) != old}
    signals.visit_saved.send(visit, session=session, now=now)
    if changes:
        visit.revision += 1
    if changes and visit.status == VisitStatus.PUBLISHED:
        signals.visit_changed.send(visit, session=session, now=now, changes=changes)
    for slot in visit.slots:
        if slot.id in capacities and slot.capacity > capacities[slot.id]:
            signals.places_added.send(slot, session=session, now=now)
    return visit


#: changes volunteers are told about
NOTIFIED_FIELDS = ("starts_at", "ends_at", "school_id", "meeting_point")


def visit_data(visit: Visit) -> VisitData:
    """A visit as input data, so a partial change can be applied on top of it."""
    values = {f.name: getattr(visit, f.name) for f in fields(VisitData) if f.name not in _CHILDREN}
    return VisitData(
        **values,
        slots=[_as_data(SlotData, slot) for slot in visit.slots],
        lessons=[_as_data(LessonData, lesson) for lesson in visit.lessons],
        satellites=[_as_data(SatelliteData, satellite) for satellite in visit.satellites],
    )


_TRANSITIONS = {
    VisitStatus.DRAFT: {VisitStatus.PUBLISHED, VisitStatus.CANCELLED},
    VisitStatus.PUBLISHED: {VisitStatus.COMPLETED, VisitStatus.CANCELLED},
    VisitStatus.COMPLETED: set(),
    VisitStatus.CANCELLED: set(),
}


def _move(visit: Visit, target: VisitStatus) -> None:
    if target not in _TRANSITIONS[visit.status]:
        raise DomainError("invalid_status_transition")
    visit.status = target


def is_in_past(visit: Visit, now: datetime) -> bool:
    """Whether the visit has begun by `now` (its start is at the school, stored in UTC): too late to publish."""
    return visit.starts_at <= now


def publish_visit(session: Session, visit: Visit, *, now: datetime, override_reason: str = "") -> Visit:
    """Make a draft visible to volunteers; signup opens now unless a time was set.

    Raises: invalid_status_transition, visit_in_past (nobody could sign up for a visit that has begun),
    kit_shortfall (lessons short of kits, and no `override_reason`).
    """
    if VisitStatus.PUBLISHED in _TRANSITIONS[visit.status] and is_in_past(visit, now):
        raise DomainError("visit_in_past")
    _move(visit, VisitStatus.PUBLISHED)
    signals.visit_publishing.send(visit, session=session, now=now, override_reason=override_reason)
    visit.published_at = now
    if visit.signup_opens_at is None:
        visit.signup_opens_at = min(now, visit.effective_signup_closes_at)
    visit.updated_at = now
    session.flush()
    return visit


def cancel_visit(session: Session, visit: Visit, *, now: datetime) -> Visit:
    """Cancel a draft or published visit; it stays visible, marked cancelled.

    Raises: invalid_status_transition.
    """
    _move(visit, VisitStatus.CANCELLED)
    visit.cancelled_at = now
    visit.updated_at = now
    visit.revision += 1
    session.flush()
    signals.visit_cancelled.send(visit, session=session, now=now)
    return visit


def can_move(visit: Visit, target: VisitStatus, now: datetime) -> bool:
    """Whether the visit may move to `target` now (which status buttons a coordinator sees)."""
    if target == VisitStatus.COMPLETED and now < visit.ends_at:
        return False
    if target == VisitStatus.PUBLISHED and is_in_past(visit, now):
        return False
    return target in _TRANSITIONS[visit.status]


def is_final(visit: Visit) -> bool:
    """Cancelled and completed visits move no further and cannot be edited."""
    return not _TRANSITIONS[visit.status]


def complete_visit(session: Session, visit: Visit, *, now: datetime) -> Visit:
    """Mark a published visit as done once it has ended.

    Raises: visit_not_over, invalid_status_transition.
    """
    if visit.status == VisitStatus.PUBLISHED and now < visit.ends_at:
        raise DomainError("visit_not_over")
    _move(visit, VisitStatus.COMPLETED)
    visit.updated_at = now
    session.flush()
    signals.visit_completed.send(visit, session=session, now=now)
    return visit
