"""Signups through the API: places, waitlist, rules, cancelling, "my signups" and rosters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from events.models import RoleSlot, SlotRole, VisitStatus
from mail.models import OutboxMessage
from tests.api.helpers import assert_error
from volunteers import signups
from volunteers.models import Signup, SignupStatus


def _post(client, slot, headers, **body):
    return client.post(f"/api/v1/slots/{slot.id}/signups", json=body, headers=headers)


@pytest.fixture
def volunteer(make_user):
    return make_user(Role.VOLUNTEER, name="Wang Fang")


# ---------------------------------------------------------------- signing up


def test_a_volunteer_gets_a_place_and_asking_again_answers_200_with_the_same_signup(
    client, bearer, volunteer, make_visit, db_session
):
    slot = make_visit(capacity=2).slots[0]
    headers = bearer(volunteer)
    first = _post(client, slot, headers)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body == {
        "id": body["id"],
        "status": "confirmed",
        "position": None,
        "slot_id": slot.id,
        "visit_id": slot.visit_id,
    }
    again = _post(client, slot, headers)
    assert again.status_code == 200
    assert again.get_json() == body
    assert db_session.scalar(select(func.count()).select_from(Signup)) == 1
    assert db_session.get(RoleSlot, slot.id).taken == 1


def test_a_full_slot_puts_people_on_its_waitlist_in_order(client, bearer, make_user, make_visit):
    slot = make_visit(capacity=1).slots[0]
    answers = [_post(client, slot, bearer(make_user())).get_json() for _ in range(3)]
    assert [(a["status"], a["position"]) for a in answers] == [
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]


def test_unknown_slots_and_slots_of_drafts_are_not_found(client, bearer, volunteer, make_visit):
    headers = bearer(volunteer)
    assert_error(client.post("/api/v1/slots/999999/signups", json={}, headers=headers), 404, "not_found")
    assert_error(client.post(f"/api/v1/slots/{2**40}/signups", json={}, headers=headers), 404, "not_found")
    draft = make_visit(status=VisitStatus.DRAFT).slots[0]
    assert_error(_post(client, draft, headers), 404, "not_found")


def test_cancelled_visits_are_not_open(client, bearer, volunteer, make_visit):
    slot = make_visit(status=VisitStatus.CANCELLED).slots[0]
    assert_error(_post(client, slot, bearer(volunteer)), 409, "visit_not_open")


def test_signup_outside_its_window_is_closed(client, bearer, volunteer, make_visit, db_session, now):
    visit = make_visit()
    visit.signup_opens_at = now + timedelta(days=2)
    db_session.commit()
    assert_error(_post(client, visit.slots[0], bearer(volunteer)), 409, "signup_closed")


def test_a_missing_requirement_is_reported(client, bearer, volunteer, make_visit, db_session):
    slot = make_visit(roles=(SlotRole.INTERPRETER,)).slots[0]
    slot.required_language = "yi"
    db_session.commit()
    assert_error(_post(client, slot, bearer(volunteer)), 422, "requirement_missing")


def test_another_slot_of_the_same_visit_is_already_signed_up(client, bearer, volunteer, make_visit):
    visit = make_visit(roles=(SlotRole.ASSISTANT, SlotRole.DRIVER))
    headers = bearer(volunteer)
    assert _post(client, visit.slots[0], headers).status_code == 201
    assert_error(_post(client, visit.slots[1], headers), 409, "already_signed_up")


def test_an_overlapping_visit_is_a_time_conflict_an_admin_may_override(
    client, bearer, volunteer, make_user, make_visit, make_school, db_session
):
    first = make_visit(days_ahead=10)
    second = make_visit(school=make_school(), days_ahead=10)
    assert _post(client, first.slots[0], bearer(volunteer)).status_code == 201
    assert_error(_post(client, second.slots[0], bearer(volunteer)), 409, "time_conflict")
    admin = make_user(Role.ADMIN)
    forced = _post(client, second.slots[0], bearer(admin), volunteer_id=volunteer.id, override_reason="Drives both")
    assert forced.status_code == 201, forced.get_json()
    signup = db_session.get(Signup, forced.get_json()["id"])
    assert (signup.user_id, signup.assigned_by_id, signup.override_reason) == (volunteer.id, admin.id, "Drives both")


def test_a_company_coordinator_signs_up_colleagues_only(client, bearer, make_user, make_company, make_visit):
    coordinator = make_user(Role.COORDINATOR)
    colleague = make_user(company=coordinator.company)
    stranger = make_user(company=make_company())
    slot = make_visit().slots[0]
    headers = bearer(coordinator)
    assert _post(client, slot, headers, volunteer_id=colleague.id).status_code == 201
    error = assert_error(_post(client, slot, headers, volunteer_id=stranger.id), 404, "not_found")
    assert error["field"] == "volunteer_id"
    assert_error(_post(client, slot, headers, volunteer_id=999999), 404, "not_found")


def test_a_volunteer_cannot_sign_up_someone_else(client, bearer, volunteer, make_user, make_visit):
    other = make_user()
    assert_error(_post(client, make_visit().slots[0], bearer(volunteer), volunteer_id=other.id), 403, "forbidden")


@pytest.mark.parametrize("role", [Role.HOST, Role.COORDINATOR, Role.ADMIN])
def test_only_volunteers_sign_themselves_up(client, bearer, make_user, make_visit, role):
    assert_error(_post(client, make_visit().slots[0], bearer(make_user(role))), 403, "forbidden")


def test_only_volunteers_are_signed_up_by_others(client, bearer, make_user, make_visit):
    host = make_user(Role.HOST)
    response = _post(client, make_visit().slots[0], bearer(make_user(Role.ADMIN)), volunteer_id=host.id)
    assert assert_error(response, 404, "not_found")["field"] == "volunteer_id"


def test_a_malformed_body_is_a_validation_error(client, bearer, volunteer, make_visit):
    slot = make_visit().slots[0]
    response = _post(client, slot, bearer(volunteer), volunteer_id="7")
    assert "volunteer_id" in assert_error(response, 422, "validation_error")["errors"]


# ---------------------------------------------------------------- cancelling


def test_a_volunteer_cancels_before_the_cutoff_and_the_next_in_line_gets_the_place(
    client, bearer, volunteer, make_user, make_visit, db_session
):
    slot = make_visit(capacity=1).slots[0]
    signup_id = _post(client, slot, bearer(volunteer)).get_json()["id"]
    waiting = make_user()
    assert _post(client, slot, bearer(waiting)).get_json()["status"] == "waitlisted"
    response = client.delete(f"/api/v1/signups/{signup_id}", headers=bearer(volunteer))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert db_session.get(Signup, signup_id).status == SignupStatus.CANCELLED
    assert signups.active_signup(db_session, waiting, slot.visit_id).status == SignupStatus.CONFIRMED
    assert db_session.get(RoleSlot, slot.id).taken == 1
    # Asking again changes nothing.
    assert client.delete(f"/api/v1/signups/{signup_id}", headers=bearer(volunteer)).status_code == 204
    assert db_session.get(RoleSlot, slot.id).taken == 1


def test_after_the_cutoff_only_a_coordinator_cancels_and_the_volunteer_is_told_whom_to_ask(
    app, client, bearer, make_user, make_visit, db_session
):
    coordinator = make_user(Role.COORDINATOR)
    volunteer = make_user(company=coordinator.company)
    visit = make_visit(days_ahead=3)
    signup_id = _post(client, visit.slots[0], bearer(volunteer)).get_json()["id"]
    visit.cancel_cutoff_hours = 24 * 5
    db_session.commit()
    error = assert_error(
        client.delete(f"/api/v1/signups/{signup_id}", headers=bearer(volunteer)), 409, "cancel_cutoff_passed"
    )
    assert error["contact"] == app.config["PROGRAMME_CONTACT"]
    assert db_session.get(Signup, signup_id).status == SignupStatus.CONFIRMED
    assert client.delete(f"/api/v1/signups/{signup_id}", headers=bearer(coordinator)).status_code == 204
    assert db_session.get(Signup, signup_id).status == SignupStatus.CANCELLED


def test_other_people_cannot_see_a_signup_to_cancel_it(client, bearer, volunteer, make_user, make_visit, db_session):
    signup_id = _post(client, make_visit().slots[0], bearer(volunteer)).get_json()["id"]
    for other in (make_user(), make_user(Role.COORDINATOR), make_user(Role.HOST)):
        assert_error(client.delete(f"/api/v1/signups/{signup_id}", headers=bearer(other)), 404, "not_found")
    assert_error(client.delete("/api/v1/signups/999999", headers=bearer(volunteer)), 404, "not_found")
    assert db_session.get(Signup, signup_id).status == SignupStatus.CONFIRMED


def test_a_signup_that_was_attended_cannot_be_cancelled(client, bearer, make_user, volunteer, make_visit, db_session):
    signup_id = _post(client, make_visit().slots[0], bearer(volunteer)).get_json()["id"]
    db_session.get(Signup, signup_id).status = SignupStatus.ATTENDED
    db_session.commit()
    response = client.delete(f"/api/v1/signups/{signup_id}", headers=bearer(make_user(Role.ADMIN)))
    assert_error(response, 409, "signup_not_active")


# ---------------------------------------------------------------- my signups


def test_my_signups_lists_coming_visits_with_waitlist_positions_and_then_past_ones(
    client, bearer, volunteer, make_user, make_visit, make_school, db_session, now
):
    soon = make_visit(days_ahead=5, capacity=1)
    later = make_visit(school=make_school(), days_ahead=9)
    gone = make_visit(school=make_school(), days_ahead=20)
    dropped = make_visit(school=make_school(), days_ahead=30)
    assert _post(client, soon.slots[0], bearer(make_user())).status_code == 201
    headers = bearer(volunteer)
    for visit in (soon, later, gone, dropped):
        assert _post(client, visit.slots[0], headers).status_code == 201
    ids = {v.id: signups.active_signup(db_session, volunteer, v.id).id for v in (soon, later, gone, dropped)}
    assert client.delete(f"/api/v1/signups/{ids[dropped.id]}", headers=headers).status_code == 204
    # `gone` took place in the past: the visit is moved back and the volunteer attended.
    past = db_session.get(Signup, ids[gone.id])
    past.status = SignupStatus.ATTENDED
    gone.starts_at, gone.ends_at = now - timedelta(days=2, hours=6), now - timedelta(days=2)
    db_session.commit()

    page = client.get("/api/v1/me/signups", headers=headers).get_json()
    assert page["total"] == 3
    assert [(i["visit_id"], i["status"], i["position"]) for i in page["items"]] == [
        (soon.id, "waitlisted", 1),
        (later.id, "confirmed", None),
        (gone.id, "attended", None),
    ]
    first = page["items"][0]
    assert first["id"] == ids[soon.id]
    assert first["role"] == "lead_instructor"
    assert first["visit"]["title"] == soon.title
    assert first["visit"]["school"]["id"] == soon.school_id
    assert set(first["visit"]) == {"id", "title", "status", "starts_at", "ends_at", "meeting_point", "school"}
    assert first["cancel_until"].startswith((soon.starts_at - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M"))

    upcoming = client.get("/api/v1/me/signups?when=upcoming", headers=headers).get_json()
    assert [i["visit_id"] for i in upcoming["items"]] == [soon.id, later.id]
    past_page = client.get("/api/v1/me/signups?when=past&per_page=1", headers=headers).get_json()
    assert (past_page["total"], [i["visit_id"] for i in past_page["items"]]) == (1, [gone.id])
    assert_error(client.get("/api/v1/me/signups?when=soon", headers=headers), 422, "validation_error")


# ---------------------------------------------------------------- rosters


@pytest.fixture
def team(make_user, make_school, make_visit, make_company, db_session, now):
    """A visit with a lead instructor, an assistant, and one person waiting for the assistant's place."""
    host = make_user(Role.HOST, name="Teacher Zhou")
    school = make_school(hosts=[host])
    visit = make_visit(school=school, roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT), capacity=1)
    company = make_company("Acme")
    lead = make_user(name="Li Wei", phone="13800000001", company=company)
    assistant = make_user(name="Zhang Min", phone="13800000002")
    waiting = make_user(name="Chen Jie", phone="13800000003")
    lead_slot, assistant_slot = visit.slots
    for slot, person in ((lead_slot, lead), (assistant_slot, assistant), (assistant_slot, waiting)):
        signups.sign_up(db_session, slot_id=slot.id, volunteer=person, now=now)
    db_session.commit()
    return {"visit": visit, "host": host, "lead": lead, "assistant": assistant, "waiting": waiting}


def test_an_admin_sees_the_whole_roster_with_contact_details_and_waitlist_order(
    client, bearer, make_user, team, db_session
):
    visit = team["visit"]
    response = client.get(f"/api/v1/visits/{visit.id}/roster", headers=bearer(make_user(Role.ADMIN)))
    assert response.status_code == 200, response.get_json()
    roster = response.get_json()
    assert (roster["visit_id"], roster["view"]) == (visit.id, "full")
    entries = roster["entries"]
    assert [(e["role"], e["name"], e["status"], e["position"]) for e in entries] == [
        ("lead_instructor", "Li Wei", "confirmed", None),
        ("assistant", "Zhang Min", "confirmed", None),
        ("assistant", "Chen Jie", "waitlisted", 1),
    ]
    lead = entries[0]
    assert lead["email"] == team["lead"].email
    assert lead["phone"] == "13800000001"
    assert lead["first_name"] == "Li"
    assert lead["company"]["name"] == "Acme"
    assert lead["signup_id"] == signups.active_signup(db_session, team["lead"], visit.id).id
    assert entries[2]["phone"] == "13800000003"


def test_the_schools_host_sees_first_names_and_roles_and_only_the_lead_instructors_phone(client, bearer, team):
    response = client.get(f"/api/v1/visits/{team['visit'].id}/roster", headers=bearer(team["host"]))
    assert response.status_code == 200
    roster = response.get_json()
    assert roster["view"] == "team"
    assert roster["entries"] == [
        {"role": "lead_instructor", "first_name": "Li", "phone": "13800000001"},
        {"role": "assistant", "first_name": "Zhang", "phone": None},
    ]
    text = response.get_data(as_text=True)
    for secret in ("13800000002", "13800000003", "Chen", "Wei", team["lead"].email, "example.com"):
        assert secret not in text


def test_no_one_else_sees_a_roster(client, bearer, make_user, make_school, make_visit, team):
    visit = team["visit"]
    other_host = make_user(Role.HOST)
    make_school(hosts=[other_host])
    for person in (team["lead"], make_user(Role.COORDINATOR)):
        assert_error(client.get(f"/api/v1/visits/{visit.id}/roster", headers=bearer(person)), 403, "forbidden")
    # another school's host: not theirs, answered as the page answers, without revealing the roster exists
    assert_error(client.get(f"/api/v1/visits/{visit.id}/roster", headers=bearer(other_host)), 404, "not_found")
    draft = make_visit(status=VisitStatus.DRAFT)
    assert_error(client.get(f"/api/v1/visits/{draft.id}/roster", headers=bearer(other_host)), 404, "not_found")
    assert_error(client.get("/api/v1/visits/999999/roster", headers=bearer(other_host)), 404, "not_found")
    assert_error(client.get(f"/api/v1/visits/{visit.id}/roster"), 401, "unauthorized")


def test_signing_up_through_the_api_writes_one_confirmation_mail(client, bearer, volunteer, make_visit, db_session):
    slot = make_visit().slots[0]
    headers = bearer(volunteer)
    _post(client, slot, headers)
    _post(client, slot, headers)
    mails = db_session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == volunteer.email)).all()
    assert [[a["filename"] for a in m.attachments] for m in mails] == [["visit.ics"]]
