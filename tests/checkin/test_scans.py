"""Scanning in and out: every reason code, a ticket counted once, a scan id answered once, four statements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from checkin import scans
from checkin.models import Attendance, Direction, Scan
from checkin.tickets import reissue_ticket
from core.errors import DomainError
from events.services import cancel_visit
from tests.conftest import statements_run
from volunteers import signups

IN, OUT = Direction.IN, Direction.OUT


def test_a_host_checks_a_volunteer_in_and_out_and_both_times_are_kept(db_session, gate, scan_at):
    signup, ticket = gate.volunteer()
    came = scan_at(gate.host, f"https://scivisit.example.org/t/{ticket.secret}", gate.during(-30))
    assert (came.reason, came.signup.id) == ("ok", signup.id)
    assert came.shows_person and came.signup.user.name == "Zhang Wei"
    left = scan_at(gate.host, ticket.secret, gate.during(300), direction=OUT)
    assert left.reason == "ok"
    attendance = db_session.get(Attendance, signup.id)
    assert (attendance.checked_in_at, attendance.checked_out_at) == (gate.during(-30), gate.during(300))


def test_a_ticket_scanned_twice_counts_once(db_session, gate, scan_at):
    _, ticket = gate.volunteer()
    assert scan_at(gate.host, ticket.secret, gate.during(1)).reason == "ok"
    assert scan_at(gate.host, ticket.secret, gate.during(2)).reason == "already_checked_in"
    assert scan_at(gate.host, ticket.secret, gate.during(60), direction=OUT).reason == "ok"
    assert scan_at(gate.host, ticket.secret, gate.during(61), direction=OUT).reason == "already_checked_out"
    assert db_session.get(Attendance, _.id).checked_in_at == gate.during(1)


def test_a_check_out_needs_a_check_in(gate, scan_at):
    _, ticket = gate.volunteer()
    assert scan_at(gate.host, ticket.secret, gate.during(10), direction=OUT).reason == "not_checked_in"


@pytest.mark.parametrize(
    ("minutes", "direction", "reason"),
    [
        (-121, IN, "too_early"),
        (-119, IN, "ok"),
        (6 * 60 + 1, IN, "too_late"),  # the visit lasts six hours
        (6 * 60, IN, "ok"),
    ],
)
def test_check_in_opens_two_hours_before_the_start_and_closes_at_the_end(gate, scan_at, minutes, direction, reason):
    _, ticket = gate.volunteer()
    assert scan_at(gate.host, ticket.secret, gate.during(minutes), direction=direction).reason == reason


def test_check_out_stays_open_two_hours_after_the_end(gate, scan_at):
    _, ticket = gate.volunteer()
    scan_at(gate.host, ticket.secret, gate.during(0))
    assert scan_at(gate.host, ticket.secret, gate.during(8 * 60 + 1), direction=OUT).reason == "too_late"
    assert scan_at(gate.host, ticket.secret, gate.during(8 * 60), direction=OUT).reason == "ok"


def test_unknown_revoked_and_mistyped_tickets_are_refused(db_session, now, gate, scan_at):
    signup, ticket = gate.volunteer()
    assert scan_at(gate.host, "https://scivisit.example.org/t/AAAAAAAAAAAAAAAAAAAAAA", gate.during()).reason == (
        "unknown_ticket"
    )
    assert scan_at(gate.host, "not a ticket at all", gate.during()).reason == "unknown_ticket"
    reissue_ticket(db_session, signup, now)
    db_session.commit()
    refused = scan_at(gate.host, ticket.secret, gate.during())
    assert refused.reason == "revoked" and refused.shows_person  # the host may see whose old ticket it is

    other, other_ticket = gate.volunteer("Li Na")
    signups.cancel_signup(db_session, other, by=other.user, now=now)
    db_session.commit()
    assert scan_at(gate.host, other_ticket.secret, gate.during()).reason == "revoked"


def test_a_short_code_works_only_for_its_own_visit(db_session, gate, scan_at, make_visit):
    signup, ticket = gate.volunteer()
    elsewhere = make_visit(school=gate.school, days_ahead=5)
    assert scan_at(gate.host, ticket.code_shown.lower(), gate.during(), visit_id=elsewhere.id).reason == (
        "unknown_ticket"
    )
    assert scan_at(gate.host, ticket.code_shown, gate.during()).reason == "unknown_ticket"  # no visit: no code
    answer = scan_at(gate.host, ticket.code_shown, gate.during(), visit_id=gate.visit.id)
    assert (answer.reason, answer.signup.id) == ("ok", signup.id)


def test_a_ticket_for_another_visit_is_named_as_such(gate, scan_at, make_visit):
    elsewhere = make_visit(school=gate.school, days_ahead=5)
    _, ticket = gate.volunteer()
    assert scan_at(gate.host, ticket.secret, gate.during(), visit_id=elsewhere.id).reason == "wrong_visit"


def test_only_programme_coordinators_and_the_schools_hosts_may_scan(gate, scan_at, make_user, make_school):
    _, ticket = gate.volunteer()
    other_host = make_user(Role.HOST)
    make_school(hosts=[other_host])
    for stranger in (other_host, make_user(), make_user(Role.COORDINATOR)):
        refused = scan_at(stranger, ticket.secret, gate.during())
        assert refused.reason == "not_allowed" and not refused.shows_person
    assert scan_at(make_user(Role.ADMIN), ticket.secret, gate.during()).reason == "ok"


def test_a_cancelled_visit_lets_no_one_in(db_session, now, gate, scan_at):
    _, ticket = gate.volunteer()
    cancel_visit(db_session, gate.visit, now=now)
    db_session.commit()
    assert scan_at(gate.host, ticket.secret, gate.during()).reason in ("visit_cancelled", "revoked")


def test_a_scan_id_is_answered_once_however_often_it_arrives(db_session, gate, scan_at):
    _, ticket = gate.volunteer()
    first = scan_at(gate.host, ticket.secret, gate.during(5), scan_id="phone-1-0001")
    again = scan_at(gate.host, ticket.secret, gate.during(5), scan_id="phone-1-0001", now=gate.during(90))
    assert (first.reason, again.reason, again.repeated) == ("ok", "ok", True)
    other_phone = scan_at(gate.host, ticket.secret, gate.during(6), scan_id="phone-2-0001")
    assert other_phone.reason == "already_checked_in"
    stored = db_session.scalars(select(Scan.reason).order_by(Scan.id)).all()
    assert stored == ["ok", "already_checked_in"]


def test_every_attempt_is_stored_with_its_reason(db_session, gate, scan_at, make_user):
    _, ticket = gate.volunteer()
    scan_at(make_user(), ticket.secret, gate.during())
    scan_at(gate.host, "nothing", gate.during())
    scan_at(gate.host, ticket.secret, gate.during(-200))
    reasons = db_session.scalars(select(Scan.reason).order_by(Scan.id)).all()
    assert reasons == ["not_allowed", "unknown_ticket", "too_early"]


def test_a_queued_scan_keeps_its_time_within_sane_bounds(db_session, gate, scan_at):
    _, ticket = gate.volunteer()
    late = gate.during(400)  # the queue reached the server after the visit
    assert scan_at(gate.host, ticket.secret, gate.during(3), now=late).reason == "ok"
    assert db_session.get(Attendance, _.id).checked_in_at == gate.during(3)
    for wrong in (late + timedelta(minutes=6), late - timedelta(days=8)):
        with pytest.raises(DomainError) as refused:
            scans.scan(
                db_session,
                scanner=gate.host,
                ticket=ticket.secret,
                direction=IN,
                scan_id=f"bounds-{wrong.isoformat()}",
                scanned_at=wrong,
                now=late,
            )
        assert refused.value.code == "validation_error"


def test_a_scan_takes_at_most_four_statements(app, db_session, gate, scan_at):
    _, ticket = gate.volunteer()
    db_session.expire_all()
    at, scanner = gate.during(), gate.host
    assert scanner.is_admin is False  # a request has loaded its user and roles before any scan
    with statements_run() as seen:
        scans.scan(
            db_session,
            scanner=scanner,
            ticket=ticket.secret,
            direction=IN,
            scan_id="count-me",
            scanned_at=at,
            now=at,
        )
    db_session.commit()
    assert len(seen) <= 4, "\n\n".join(s[:300] for s in seen)
    assert db_session.scalar(select(func.count()).select_from(Attendance)) == 1


def test_a_typed_code_tells_a_scanner_not_allowed_for_the_visit_nothing(gate, scan_at, make_user):
    """To someone who may not scan for the visit, a right code and a wrong one get the same answer."""
    _, ticket = gate.volunteer()
    stranger = make_user(Role.HOST)
    right = scan_at(stranger, ticket.code_shown, gate.during(), visit_id=gate.visit.id)
    wrong = scan_at(stranger, "ABCD-EFGH", gate.during(), visit_id=gate.visit.id)
    assert (right.reason, wrong.reason) == ("not_allowed", "not_allowed")
    assert not right.shows_person
    assert scan_at(gate.host, "ABCD-EFGH", gate.during(), visit_id=gate.visit.id).reason == "unknown_ticket"
