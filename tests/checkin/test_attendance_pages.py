"""The attendance page: who came and for how long, a coordinator's correction, students recorded by the host."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from checkin.models import Attendance, Direction
from events.models import VisitStatus
from tests.volunteers.conftest import page

pytestmark = pytest.mark.usefixtures("english")


def test_the_host_sees_who_came_and_for_how_long_and_who_did_not(client, login, gate, scan_at, clock):
    came, ticket = gate.volunteer("Came Early")
    gate.volunteer("Stayed Home")
    scan_at(gate.host, ticket.secret, gate.during(0))
    scan_at(gate.host, ticket.secret, gate.during(90), direction=Direction.OUT)
    clock.set(gate.during(100))
    login(gate.host)
    html = page(client.get(f"/visits/{gate.visit.id}/attendance"))
    card = re.search(rf'<li class="card" id="signup-{came.id}">.*?</li>', html, re.S).group(0)
    assert "Came Early" in card and "9:00" in card and "10:30" in card and "1.5 h" in card
    counts = re.search(r"<p>(\d+ volunteers? checked in · \d+ not checked in)</p>", html).group(1)
    assert counts == "1 volunteer checked in · 1 not checked in"
    assert "Correct the times" not in html  # only programme coordinators correct
    assert "record here how many students" in html  # the visit is not over yet: no form


def test_only_the_schools_hosts_and_programme_coordinators_see_attendance(client, login, gate, make_user):
    path = f"/visits/{gate.visit.id}/attendance"
    assert client.get(path).status_code == 302
    for stranger in (make_user(), make_user(Role.HOST), make_user(Role.COORDINATOR)):
        login(stranger)
        assert client.get(path).status_code == 403
        client.post("/logout")
    login(make_user(Role.ADMIN))
    assert client.get(path).status_code == 200
    assert client.get("/visits/999999/attendance").status_code == 404


def test_after_the_visit_the_host_records_students_and_the_visit_completes(
    client, login, db_session, gate, scan_at, clock
):
    signup, ticket = gate.volunteer()
    scan_at(gate.host, ticket.secret, gate.during(0))  # and never checked out
    clock.set(gate.visit.ends_at + (gate.during(30) - gate.during(0)))
    login(gate.host)
    path = f"/visits/{gate.visit.id}/attendance"
    lesson = gate.visit.lessons[0]
    refused = client.post(path, data={f"lesson_{lesson.id}": "-3"})
    assert refused.status_code == 422
    response = client.post(path, data={f"lesson_{lesson.id}": "27"}, follow_redirects=True)
    html = page(response)
    assert "The visit is completed." in html
    db_session.expire_all()
    assert gate.visit.status == VisitStatus.COMPLETED and lesson.students_attended == 27
    attendance = db_session.get(Attendance, signup.id)
    assert attendance.closed_at_end and attendance.checked_out_at == gate.visit.ends_at
    assert "not checked out: closed at the visit" in html


def test_a_programme_coordinator_corrects_the_times_giving_a_reason(client, login, db_session, gate, make_user):
    signup, _ = gate.volunteer("No Signal")
    admin = make_user(Role.ADMIN)
    login(admin)
    path = f"/visits/{gate.visit.id}/attendance/{signup.id}"
    missing_reason = client.post(path, data={"checked_in_at": "09:10", "checked_out_at": "12:40", "reason": ""})
    assert missing_reason.status_code == 422
    backwards = client.post(path, data={"checked_in_at": "12:00", "checked_out_at": "09:00", "reason": "x"})
    assert backwards.status_code == 422
    assert "The end must be after the start." in backwards.get_data(as_text=True)
    done = client.post(
        path, data={"checked_in_at": "09:10", "checked_out_at": "12:40", "reason": "The gate phone had no signal."}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"#signup-{signup.id}")
    attendance = db_session.get(Attendance, signup.id)
    assert attendance.correction_reason == "The gate phone had no signal."
    assert (
        attendance.checked_in_at == gate.visit.starts_at.replace(minute=10) and attendance.corrected_by_id == admin.id
    )
    html = page(client.get(f"/visits/{gate.visit.id}/attendance"))
    assert "The gate phone had no signal." in html and "3.5 h" in html


def test_a_host_may_not_correct_times(client, login, gate):
    signup, _ = gate.volunteer()
    login(gate.host)
    assert client.get(f"/visits/{gate.visit.id}/attendance/{signup.id}").status_code == 403
