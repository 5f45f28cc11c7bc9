"""Hours from check-in to check-out, closed at the end, corrected with a reason; students recorded after."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Role
from checkin.hours import StudentCounts, correct_attendance, minutes_counted, record_students
from checkin.models import Attendance, Direction
from core.errors import DomainError
from events.models import VisitStatus
from events.services import SatelliteData, complete_visit
from volunteers.models import SignupStatus
from volunteers.rosters import company_team


def test_hours_run_from_check_in_to_check_out_within_the_visit_and_its_margins(db_session, gate, scan_at):
    signup, ticket = gate.volunteer()
    scan_at(gate.host, ticket.secret, gate.during(10))
    scan_at(gate.host, ticket.secret, gate.during(6 * 60 - 20), direction=Direction.OUT)
    attendance = db_session.get(Attendance, signup.id)
    assert minutes_counted(attendance, gate.visit) == 6 * 60 - 30
    attendance.checked_in_at = gate.during(-5 * 60)  # hours before anyone could scan: the margin bounds it
    assert minutes_counted(attendance, gate.visit) == 2 * 60 + 6 * 60 - 20


def test_completing_the_visit_closes_whoever_is_still_in_at_its_end_and_counts_the_minutes(db_session, gate, scan_at):
    stayed, stayed_ticket = gate.volunteer("Stayed")
    left, left_ticket = gate.volunteer("Left early")
    absent, _ = gate.volunteer("Never came")
    scan_at(gate.host, stayed_ticket.secret, gate.during(0))
    scan_at(gate.host, left_ticket.secret, gate.during(30))
    scan_at(gate.host, left_ticket.secret, gate.during(90), direction=Direction.OUT)

    complete_visit(db_session, gate.visit, now=gate.during(7 * 60))
    db_session.commit()

    still_in = db_session.get(Attendance, stayed.id)
    assert (still_in.checked_out_at, still_in.closed_at_end) == (gate.visit.ends_at, True)
    assert db_session.get(Attendance, left.id).closed_at_end is False
    assert (stayed.status, stayed.attended_minutes) == (SignupStatus.ATTENDED, 6 * 60)
    assert (left.status, left.attended_minutes) == (SignupStatus.ATTENDED, 60)
    assert (absent.status, absent.attended_minutes) == (SignupStatus.CONFIRMED, None)


def test_company_hours_come_from_check_ins_once_the_visit_is_completed(db_session, gate, scan_at, make_company):
    company = make_company()
    _, ticket = gate.volunteer(company=company)
    scan_at(gate.host, ticket.secret, gate.during(0))
    scan_at(gate.host, ticket.secret, gate.during(150), direction=Direction.OUT)
    complete_visit(db_session, gate.visit, now=gate.during(7 * 60))
    db_session.commit()
    team = company_team(db_session, company, gate.during(7 * 60))
    assert team.total_minutes == 150 and team.total_hours == 2.5


def test_a_coordinator_corrects_the_times_with_a_reason_that_is_kept(db_session, now, gate, make_user):
    signup, _ = gate.volunteer()
    admin = make_user(Role.ADMIN)
    complete_visit(db_session, gate.visit, now=gate.during(7 * 60))
    db_session.commit()
    for who, reason, code in ((gate.host, "came by bus", "forbidden"), (admin, "  ", "reason_required")):
        with pytest.raises(DomainError) as refused:
            correct_attendance(
                db_session,
                signup,
                checked_in_at=gate.during(0),
                checked_out_at=gate.during(60),
                reason=reason,
                by=who,
                now=now,
            )
        assert refused.value.code == code
    with pytest.raises(DomainError) as backwards:
        correct_attendance(
            db_session,
            signup,
            checked_in_at=gate.during(60),
            checked_out_at=gate.during(0),
            reason="x",
            by=admin,
            now=now,
        )
    assert backwards.value.code == "end_before_start"

    fixed = correct_attendance(
        db_session,
        signup,
        checked_in_at=gate.during(15),
        checked_out_at=gate.during(195),
        reason="Phone had no signal at the gate; the lead instructor saw her arrive.",
        by=admin,
        now=now,
    )
    db_session.commit()
    assert (fixed.corrected_by_id, fixed.correction_reason[:5]) == (admin.id, "Phone")
    assert (signup.status, signup.attended_minutes) == (SignupStatus.ATTENDED, 180)


def test_the_host_records_students_and_the_visit_completes_when_every_lesson_has_its_number(
    db_session, now, make_user, make_school, make_visit
):
    host = make_user(Role.HOST)
    school = make_school(hosts=[host])
    satellite_school = make_school()

    visit = make_visit(school=school, days_ahead=2, lessons=2, satellites=[SatelliteData(satellite_school.id, 20)])
    after = visit.ends_at + timedelta(minutes=10)
    first, second = visit.lessons
    sat = visit.satellites[0]

    with pytest.raises(DomainError) as early:
        record_students(db_session, visit, StudentCounts({first.id: 28}, {}), by=host, now=visit.ends_at - timedelta(1))
    assert early.value.code == "visit_not_over"
    with pytest.raises(DomainError) as stranger:
        record_students(db_session, visit, StudentCounts({first.id: 28}, {}), by=make_user(Role.HOST), now=after)
    assert stranger.value.code == "forbidden"
    with pytest.raises(DomainError) as negative:
        record_students(db_session, visit, StudentCounts({first.id: -1}, {}), by=host, now=after)
    assert negative.value.code == "validation_error"

    record_students(db_session, visit, StudentCounts({first.id: 28}, {sat.id: 19}), by=host, now=after)
    assert visit.status == VisitStatus.PUBLISHED  # one lesson still has no number
    record_students(db_session, visit, StudentCounts({second.id: 31}, {}), by=host, now=after)
    db_session.commit()
    assert visit.status == VisitStatus.COMPLETED
    assert (first.students_attended, second.students_attended, sat.students_attended) == (28, 31, 19)
