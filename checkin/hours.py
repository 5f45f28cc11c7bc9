"""Hours and attendance after the visit: volunteers' time from their scans, corrections with a reason,
students attended as the host records them, and the visit completed once they are in.

Hours run from check-in to check-out, counted within the visit's time plus the scan margins (two hours
each side). A volunteer not checked out is closed at the visit's end when the visit is completed, and
marked so. The minutes land on the signup (`Signup.attended_minutes`), which the company pages count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from checkin.access import can_scan
from checkin.models import Attendance
from checkin.scans import EARLY, LATE_CHECKOUT
from core.errors import DomainError
from events import signals
from events.access import can_plan
from events.models import Visit, VisitStatus
from events.services import complete_visit
from volunteers.models import Signup, SignupStatus

#: the longest a correction may make a day: a visit is one day
MAX_CORRECTION_MINUTES = 24 * 60


def minutes_counted(attendance: Attendance, visit: Visit) -> int:
    """Minutes from check-in to check-out (the visit's end while still in), within the visit's time and margins."""
    start = max(attendance.checked_in_at, visit.starts_at - EARLY)
    end = min(attendance.checked_out_at or visit.ends_at, visit.ends_at + LATE_CHECKOUT)
    return max(0, int((end - start).total_seconds() // 60))


def close_attendance(session: Session, visit: Visit, now: datetime) -> int:
    """At completion: close whoever is still in at the visit's end, and give every attended signup its minutes.

    Returns how many were closed at the end.
    """
    closed = 0
    rows = session.execute(
        select(Attendance, Signup)
        .join(Signup, Signup.id == Attendance.signup_id)
        .where(Attendance.visit_id == visit.id)
    ).all()
    for attendance, signup in rows:
        if attendance.checked_out_at is None:
            attendance.checked_out_at = max(visit.ends_at, attendance.checked_in_at)
            attendance.closed_at_end = True
            closed += 1
        _count(signup, attendance, visit, now)
    session.flush()
    return closed


def _count(signup: Signup, attendance: Attendance, visit: Visit, now: datetime) -> None:
    if signup.status in (SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.NO_SHOW):
        signup.status = SignupStatus.ATTENDED
        signup.attended_minutes = minutes_counted(attendance, visit)
        signup.updated_at = now


def correct_attendance(
    session: Session,
    signup: Signup,
    *,
    checked_in_at: datetime,
    checked_out_at: datetime,
    reason: str,
    by: User,
    now: datetime,
) -> Attendance:
    """A programme coordinator sets when a volunteer came and left, with a reason that is kept.

    Raises: forbidden, reason_required, end_before_start, validation_error (more than a day).
    """
    if not can_plan(by):
        raise DomainError("forbidden")
    if not reason.strip():
        raise DomainError("reason_required", field="reason")
    if checked_out_at <= checked_in_at:
        raise DomainError("end_before_start", field="checked_out_at")
    if (checked_out_at - checked_in_at).total_seconds() > MAX_CORRECTION_MINUTES * 60:
        raise DomainError("validation_error", field="checked_out_at")
    if signup.status not in (SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.NO_SHOW):
        raise DomainError("signup_not_active")
    attendance = session.get(Attendance, signup.id)
    if attendance is None:
        attendance = Attendance(signup_id=signup.id, visit_id=signup.visit_id, checked_in_at=checked_in_at)
        session.add(attendance)
    attendance.checked_in_at = checked_in_at
    attendance.checked_out_at = checked_out_at
    attendance.closed_at_end = False
    attendance.corrected_by_id = by.id
    attendance.corrected_at = now
    attendance.correction_reason = reason.strip()
    if signup.visit.status == VisitStatus.COMPLETED:
        _count(signup, attendance, signup.visit, now)
    session.flush()
    return attendance


@dataclass
class StudentCounts:
    """Students attended, as the host enters them: lesson id -> count, satellite id -> count."""

    lessons: dict[int, int]
    satellites: dict[int, int]


def record_students(session: Session, visit: Visit, counts: StudentCounts, *, by: User, now: datetime) -> Visit:
    """The host (or a programme coordinator) records students attended per lesson and satellite school;
    once every lesson has its number, a published visit becomes completed (closing the check-ins).

    Raises: forbidden, visit_not_over, visit_locked (cancelled), validation_error (a negative number or a
    lesson of another visit).
    """
    if not can_scan(by, visit):  # the people at the gate count the students too
        raise DomainError("forbidden")
    if visit.status == VisitStatus.CANCELLED:
        raise DomainError("visit_locked")
    if now < visit.ends_at:
        raise DomainError("visit_not_over")
    lessons = {lesson.id: lesson for lesson in visit.lessons}
    satellites = {satellite.id: satellite for satellite in visit.satellites}
    for ids, known, field in ((counts.lessons, lessons, "lessons"), (counts.satellites, satellites, "satellites")):
        for key, number in ids.items():
            if key not in known or number is None or number < 0:
                raise DomainError("validation_error", field=field)
    for key, number in counts.lessons.items():
        lessons[key].students_attended = number
    for key, number in counts.satellites.items():
        satellites[key].students_attended = number
    visit.updated_at = now
    session.flush()
    if visit.status == VisitStatus.PUBLISHED and all(lesson.students_attended is not None for lesson in visit.lessons):
        complete_visit(session, visit, now=now)
    return visit


def _on_visit_completed(visit: Visit, *, session: Session, now: datetime) -> None:
    close_attendance(session, visit, now)


def connect_receivers() -> None:
    """A completed visit closes its check-ins and counts its volunteers' minutes, in the same transaction."""
    signals.visit_completed.connect(_on_visit_completed)
