"""One access question, one answer: the pages and the API call the same predicate and service rule."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from core.errors import DomainError
from tests.api.helpers import assert_error
from volunteers import signups
from volunteers.models import Signup, SignupStatus


@pytest.fixture
def team(make_company, make_user):
    """A company with its coordinator, a volunteer, and a colleague who is only a school host."""
    company = make_company(name="Rocket Works")
    return {
        "coordinator": make_user(Role.COORDINATOR, name="Carla Coordinator", company=company),
        "volunteer": make_user(Role.VOLUNTEER, name="Rui Rocket", company=company),
        "host_only": make_user(Role.HOST, name="Hu Host", company=company),
    }


def _signups(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Signup))


def test_the_service_refuses_to_sign_up_a_colleague_who_is_not_a_volunteer(db_session, now, team, make_visit):
    slot = make_visit().slots[0]
    with pytest.raises(DomainError) as refused:
        signups.sign_up(db_session, slot_id=slot.id, volunteer=team["host_only"], by=team["coordinator"], now=now)
    assert refused.value.code == "not_found"
    assert refused.value.field == "volunteer_id"


def test_a_colleague_who_is_not_a_volunteer_cannot_be_signed_up_on_either_face(
    client, app, login, bearer, db_session, team, make_visit
):
    slot = make_visit().slots[0]
    answer = client.post(
        f"/api/v1/slots/{slot.id}/signups",
        json={"volunteer_id": team["host_only"].id},
        headers=bearer(team["coordinator"]),
    )
    assert_error(answer, 404, "not_found")
    login(team["coordinator"])
    form = client.get(f"/company/signup?visit={slot.visit_id}")  # the second step: role and colleague
    assert form.status_code == 200
    assert "Rui Rocket" in form.get_data(as_text=True)
    assert "Hu Host" not in form.get_data(as_text=True)
    page = client.post("/company/signup", data={"person": team["host_only"].id, "slot": slot.id})
    assert page.status_code == 422
    assert _signups(db_session) == 0
    # the volunteer colleague is signed up by the same form
    assert client.post("/company/signup", data={"person": team["volunteer"].id, "slot": slot.id}).status_code == 302
    assert _signups(db_session) == 1


@pytest.mark.parametrize("ended", [SignupStatus.ATTENDED, SignupStatus.NO_SHOW])
def test_cancelling_an_attended_or_no_show_signup_is_signup_not_active_on_every_face(
    client, login, bearer, db_session, now, team, make_visit, ended
):
    visit = make_visit()
    signup, _ = signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=team["volunteer"], now=now)
    signup.status = ended
    db_session.commit()

    with pytest.raises(DomainError) as refused:
        signups.cancel_signup(db_session, signup, by=team["volunteer"], now=now)
    assert refused.value.code == "signup_not_active"
    db_session.rollback()

    assert_error(
        client.delete(f"/api/v1/signups/{signup.id}", headers=bearer(team["volunteer"])), 409, "signup_not_active"
    )

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(team["volunteer"])
    response = client.post(f"/signups/{signup.id}/cancel")
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This signup is no longer active." in shown
    assert "Your signup is cancelled." not in shown
    db_session.refresh(signup)
    assert signup.status == ended


def test_cancelling_a_signup_twice_changes_nothing_the_second_time(client, bearer, db_session, now, team, make_visit):
    signup, _ = signups.sign_up(db_session, slot_id=make_visit().slots[0].id, volunteer=team["volunteer"], now=now)
    db_session.commit()
    headers = bearer(team["volunteer"])
    assert client.delete(f"/api/v1/signups/{signup.id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/signups/{signup.id}", headers=headers).status_code == 204
    db_session.refresh(signup)
    assert signup.status == SignupStatus.CANCELLED


def test_another_schools_host_gets_not_found_for_a_roster_on_both_faces(
    client, login, bearer, make_user, make_school, make_visit
):
    host = make_user(Role.HOST)
    make_school(hosts=[host])
    elsewhere = make_visit()
    assert_error(client.get(f"/api/v1/visits/{elsewhere.id}/roster", headers=bearer(host)), 404, "not_found")
    login(host)
    assert client.get(f"/visits/{elsewhere.id}/roster").status_code == 404
    assert client.get(f"/visits/{elsewhere.id}").status_code == 200
