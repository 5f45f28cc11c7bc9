"""Signing up and cancelling on the visit page: one tap for volunteers, through login for visitors."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest

from accounts.models import Role, TrainingStatus
from events.models import SlotRole, VisitStatus
from mail.models import OutboxMessage
from tests.conftest import PASSWORD
from tests.volunteers.conftest import flashes, page
from volunteers.models import Signup, SignupStatus


def signups_of(db_session, user) -> list[Signup]:
    return db_session.query(Signup).filter_by(user_id=user.id).order_by(Signup.id).all()


def signup_url(visit, slot=None) -> str:
    return f"/visits/{visit.id}/slots/{(slot or visit.slots[0]).id}/signup"


def test_each_role_shows_places_left_requirements_and_a_one_tap_sign_up_button(
    client, login, db_session, make_user, make_visit, sign
):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.INTERPRETER), capacity=2)
    lead, interpreter = visit.slots
    interpreter.requires_training = True
    interpreter.required_language = "yi"
    db_session.commit()
    sign(lead, make_user())
    # someone who meets the interpreter's requirements: anyone else is told why instead (test_day_of.py)
    trained = make_user(languages=["yi"])
    trained.training_status = TrainingStatus.COMPLETED
    db_session.commit()
    login(trained)
    html = page(client.get(f"/visits/{visit.id}"))
    assert html.count("<h1>") == 1
    assert "1 of 2" in html and "2 of 2" in html
    assert "Speaks Yi (Nuosu)" in html and "Training completed" in html
    assert f'<form method="post" action="{signup_url(visit, lead)}"' in html
    assert "Sign up as Lead instructor" in html and "Sign up as Interpreter" in html


def test_one_tap_confirms_the_volunteer_and_the_visit_page_shows_their_place(
    client, login, db_session, make_user, make_visit
):
    visit = make_visit()
    volunteer = make_user()
    login(volunteer)
    response = client.post(signup_url(visit))
    assert response.headers["Location"] == f"/visits/{visit.id}"
    [signup] = signups_of(db_session, volunteer)
    assert signup.status == SignupStatus.CONFIRMED
    assert signup.slot_id == visit.slots[0].id
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are signed up as Lead instructor. A confirmation is on its way by email." in html
    assert "Your signup:" in html and "Confirmed" in html
    assert f'href="/signups/{signup.id}/cancel?next=/visits/{visit.id}"' in html  # asks first
    assert "Sign up as Lead instructor" not in html


def test_sending_the_same_signup_twice_keeps_one(client, login, db_session, make_user, make_visit):
    visit = make_visit()
    volunteer = make_user()
    login(volunteer)
    client.post(signup_url(visit))
    html = flashes(client, client.post(signup_url(visit)))
    assert "Already signed up as Lead instructor." in html
    assert len(signups_of(db_session, volunteer)) == 1


def test_a_full_role_puts_the_volunteer_on_the_waitlist_with_their_position_shown(
    client, login, make_user, make_visit, sign, db_session
):
    visit = make_visit(capacity=1)
    sign(visit.slots[0], make_user())
    sign(visit.slots[0], make_user())
    volunteer = make_user()
    login(volunteer)
    before = page(client.get(f"/visits/{visit.id}"))
    assert "0 of 1" in before and "1 waiting" in before
    assert "Join the waitlist for Lead instructor" in before
    html = flashes(client, client.post(signup_url(visit)))
    assert "The role is full: you are number 2 on the waitlist." in html
    assert "number 2 on the waitlist" in page(client.get(f"/visits/{visit.id}"))
    assert "number 2 on the waitlist" in page(client.get("/my/visits"))
    assert signups_of(db_session, volunteer)[0].status == SignupStatus.WAITLISTED


def test_a_visitor_logs_in_and_lands_back_on_the_same_role(client, make_user, make_visit, db_session):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    driver = visit.slots[1]
    target = signup_url(visit, driver)
    html = page(client.get(f"/visits/{visit.id}"))
    assert f'<a class="button" href="{target}">Sign up as Driver</a>' in html
    assert "log in or register with your company's join code" in html

    response = client.get(target)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={target}"
    login_page = page(client.get(response.headers["Location"]))
    assert f'value="{target}"' in login_page  # the role travels with the login form
    assert f'href="/register?next={target}"' in login_page  # and on to registration

    volunteer = make_user()
    response = client.post("/login", data={"email": volunteer.email, "password": PASSWORD, "next": target})
    assert response.headers["Location"] == target
    confirm = page(client.get(target))
    assert "<h1>Sign up as Driver</h1>" in confirm
    assert f'<form method="post" action="{target}"' in confirm
    response = client.post(target)
    assert response.headers["Location"] == f"/visits/{visit.id}"
    [signup] = signups_of(db_session, volunteer)
    assert (signup.slot_id, signup.status) == (driver.id, SignupStatus.CONFIRMED)


def test_a_new_volunteer_registers_with_the_join_code_and_lands_back_on_the_same_role(
    client, make_company, make_visit, db_session
):
    company = make_company()
    visit = make_visit()
    target = signup_url(visit)
    form = page(client.get(f"/register?next={quote(target, safe='')}"))
    assert f'value="{target}"' in form
    response = client.post(
        "/register",
        data={
            "join_code": company.join_code,
            "name": "Nina Newcomer",
            "email": "nina@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "next": target,
        },
    )
    assert response.headers["Location"] == "/register/sent"
    # The role travels with the registration, through the link mailed to confirm it.
    body = db_session.query(OutboxMessage).filter_by(recipient="nina@example.com").one().body
    confirm = re.search(r"http://scivisit.test(/register/confirm/\S+)", body).group(1)
    assert client.post(confirm).headers["Location"] == target
    assert "<h1>Sign up as Lead instructor</h1>" in page(client.get(target))
    assert client.post(target).status_code == 302
    assert db_session.query(Signup).filter_by(slot_id=visit.slots[0].id).count() == 1


def _closed(db_session, visit, volunteer, make_user, make_visit, make_school, sign, now):
    visit.signup_opens_at = now + timedelta(days=1)


def _requirement(db_session, visit, volunteer, make_user, make_visit, make_school, sign, now):
    visit.slots[0].requires_training = True


def _already(db_session, visit, volunteer, make_user, make_visit, make_school, sign, now):
    sign(visit.slots[1], volunteer)


def _conflict(db_session, visit, volunteer, make_user, make_visit, make_school, sign, now):
    other = make_visit(school=make_school(), days_ahead=14)
    sign(other.slots[0], volunteer)


def _not_open(db_session, visit, volunteer, make_user, make_visit, make_school, sign, now):
    visit.status = VisitStatus.CANCELLED


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        (_closed, "Signup for this visit is not open."),
        (_requirement, "This role needs something you do not have yet (training or a language)."),
        (_already, "You are already signed up for this visit."),
        (_conflict, "You are already signed up for another visit at the same time."),
        (_not_open, "This visit is not open for signup."),
    ],
    ids=["signup_closed", "requirement_missing", "already_signed_up", "time_conflict", "visit_not_open"],
)
def test_a_broken_rule_is_a_message_on_the_visit_page_and_nothing_is_saved(
    client, login, db_session, make_user, make_visit, make_school, sign, now, arrange, message
):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT))
    volunteer = make_user()
    arrange(db_session, visit, volunteer, make_user, make_visit, make_school, sign, now)
    db_session.commit()
    before = len(signups_of(db_session, volunteer))
    login(volunteer)
    response = client.post(signup_url(visit))
    assert response.headers["Location"] == f"/visits/{visit.id}"
    assert message in flashes(client, response)
    assert len(signups_of(db_session, volunteer)) == before
    assert db_session.query(Signup).filter_by(slot_id=visit.slots[0].id).count() == 0


def test_no_button_is_offered_while_signup_is_not_open(client, login, make_user, make_visit, db_session, now):
    visit = make_visit()
    visit.signup_opens_at = now + timedelta(days=1)
    db_session.commit()
    login(make_user())
    html = page(client.get(f"/visits/{visit.id}"))
    assert "Sign up as Lead instructor" not in html
    assert "Signup for this visit is not open." in html


def test_a_role_of_another_visit_or_of_a_draft_is_not_found(client, login, make_user, make_visit):
    visit, other = make_visit(), make_visit()
    draft = make_visit(status=VisitStatus.DRAFT)
    login(make_user())
    assert client.get(f"/visits/{visit.id}/slots/{other.slots[0].id}/signup").status_code == 404
    assert client.post(f"/visits/{visit.id}/slots/{other.slots[0].id}/signup").status_code == 404
    assert client.post(signup_url(draft)).status_code == 404


def test_people_without_the_volunteer_role_are_offered_no_button(client, login, make_user, make_visit):
    visit = make_visit()
    login(make_user(Role.HOST))
    response = client.get(f"/visits/{visit.id}")
    assert response.status_code == 200
    assert f"<h1>{visit.title}</h1>" in page(response)
    assert "Sign up as Lead instructor" not in page(response)
    assert client.post(signup_url(visit)).status_code == 403


def test_cancelling_before_the_cutoff_frees_the_place_for_the_first_waiting(
    client, login, db_session, make_user, make_visit, sign
):
    visit = make_visit(capacity=1)
    volunteer, waiting = make_user(), make_user()
    mine = sign(visit.slots[0], volunteer)
    theirs = sign(visit.slots[0], waiting)
    login(volunteer)
    response = client.post(f"/signups/{mine.id}/cancel", data={"next": "/my/visits"})
    assert response.headers["Location"] == "/my/visits"
    assert "Your signup is cancelled." in flashes(client, response)
    db_session.refresh(mine)
    db_session.refresh(theirs)
    assert mine.status == SignupStatus.CANCELLED
    assert theirs.status == SignupStatus.CONFIRMED


def test_cancel_goes_back_only_to_a_page_of_this_site(client, login, make_user, make_visit, sign):
    visit = make_visit()
    volunteer = make_user()
    signup = sign(visit.slots[0], volunteer)
    login(volunteer)
    response = client.post(f"/signups/{signup.id}/cancel", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == f"/visits/{visit.id}"


@pytest.mark.app_config(PROGRAMME_CONTACT="Ms Li at the programme office, 010-8888 6666")
def test_after_the_cutoff_the_volunteer_is_told_to_contact_the_programme_coordinator(
    client, login, db_session, make_user, make_visit, sign
):
    visit = make_visit(days_ahead=3)
    volunteer = make_user()
    signup = sign(visit.slots[0], volunteer)
    visit.cancel_cutoff_hours = 24 * 7
    db_session.commit()
    login(volunteer)
    html = page(client.get(f"/visits/{visit.id}"))
    expected = (
        "It is too close to the visit to cancel here. To cancel, please contact the programme coordinator: "
        "Ms Li at the programme office, 010-8888 6666"
    )
    assert expected in html
    assert f"/signups/{signup.id}/cancel" not in html
    assert expected in page(client.get("/my/visits"))
    html = flashes(client, client.post(f"/signups/{signup.id}/cancel"))
    assert "It is too close to the visit to cancel here. Please contact the programme coordinator." in html
    assert "Contact: Ms Li at the programme office, 010-8888 6666" in html
    db_session.refresh(signup)
    assert signup.status == SignupStatus.CONFIRMED


def test_nobody_else_may_cancel_a_volunteers_signup(client, login, db_session, make_user, make_visit, sign):
    visit = make_visit()
    signup = sign(visit.slots[0], make_user())
    login(make_user())
    # not theirs: "not found", as the API answers, so the signup's existence is not revealed
    assert client.post(f"/signups/{signup.id}/cancel").status_code == 404
    db_session.refresh(signup)
    assert signup.status == SignupStatus.CONFIRMED


@pytest.mark.app_config(PAGE_SIZE=2)
def test_my_visits_pages_the_past_ones_latest_first_and_shows_the_coming_ones_on_every_page(
    client, login, db_session, now, make_user, make_visit, sign
):
    volunteer = make_user()
    coming = make_visit(days_ahead=5, title="Coming visit")
    sign(coming.slots[0], volunteer)
    past = [
        make_visit(days_ahead=-days, status=VisitStatus.COMPLETED, title=f"Past visit {days} days ago")
        for days in (30, 20, 10)
    ]
    for visit in past:
        db_session.add(
            Signup(
                slot_id=visit.slots[0].id,
                visit_id=visit.id,
                user_id=volunteer.id,
                status=SignupStatus.ATTENDED,
                created_at=visit.starts_at - timedelta(days=7),
                updated_at=visit.ends_at,
            )
        )
    db_session.commit()
    login(volunteer)
    first, second = page(client.get("/my/visits")), page(client.get("/my/visits?page=2"))
    for html in (first, second):
        assert "Coming visit" in html
    assert first.index("Past visit 10 days ago") < first.index("Past visit 20 days ago")
    assert "Past visit 30 days ago" not in first and "Page 1 of 2" in first and 'rel="next"' in first
    assert "Past visit 30 days ago" in second and "Past visit 10 days ago" not in second
    assert "Page 2 of 2" in second
