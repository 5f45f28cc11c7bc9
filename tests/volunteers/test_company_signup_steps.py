"""Signing up a colleague in two steps that read on a phone: the visit first, then the role and the colleague."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from events.models import SlotRole, VisitStatus
from tests.volunteers.conftest import flashes, page
from volunteers.models import Signup, SignupStatus


@pytest.fixture
def team(make_company, make_user):
    rocket = make_company(name="Rocket Works")
    return {
        "coordinator": make_user(Role.COORDINATOR, name="Carla Coordinator", company=rocket),
        "rui": make_user(name="Rui Rocket", company=rocket),
        "rosa": make_user(name="Rosa Rocket", company=rocket),
        "stranger": make_user(name="Cai Comet", company=make_company(name="Comet Foods")),
    }


def test_step_one_lists_the_visits_to_come_as_links_with_date_and_places(client, login, team, make_visit):
    soon = make_visit(title="Balloon day", days_ahead=5, capacity=3)
    later = make_visit(title="Egg drop day", days_ahead=9, capacity=1)
    make_visit(title="Draft day", status=VisitStatus.DRAFT)
    make_visit(title="Last month", days_ahead=-30)
    login(team["coordinator"])
    html = page(client.get("/company/signup"))
    assert "Step 1 of 2: choose the visit" in html
    assert "<select" not in html
    links = re.findall(r'<h2><a href="/company/signup\?visit=(\d+)">(.*?)</a></h2>', html)
    assert links == [(str(soon.id), "Balloon day"), (str(later.id), "Egg drop day")]
    assert "<dt>Places left</dt><dd>3</dd>" in html and "<dt>Places left</dt><dd>1</dd>" in html


def test_a_visit_without_places_says_its_waiting_list_is_open(client, login, team, make_visit, sign):
    visit = make_visit(capacity=1)
    sign(visit.slots[0], team["rui"])
    login(team["coordinator"])
    assert "<dt>Places left</dt><dd>Full: waiting list only</dd>" in page(client.get("/company/signup"))


def test_step_two_offers_the_visits_roles_and_the_colleagues_not_yet_in_it(client, login, team, make_visit, sign):
    visit = make_visit(title="Balloon day", roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER), capacity=2)
    other = make_visit(title="Egg drop day", days_ahead=20)
    sign(visit.slots[1], team["rosa"])
    login(team["coordinator"])
    html = page(client.get(f"/company/signup?visit={visit.id}"))
    assert "Step 2 of 2: the role and the colleague" in html
    assert "<h2>Balloon day</h2>" in html and "Egg drop day" not in html
    assert f'name="visit" type="hidden" value="{visit.id}"' in html
    roles = re.findall(
        r'<input id="slot-\d" name="slot" required type="radio" value="(\d+)"> <label[^>]*>(.*?)</label>', html
    )
    assert roles == [
        (str(visit.slots[0].id), "Lead instructor: 2 places left"),
        (str(visit.slots[1].id), "Driver: 1 place left"),
    ]
    people = re.findall(r'<option value="(\d+)">(.*?)</option>', html.split('id="person"')[1].split("</select>")[0])
    assert people == [("0", "—"), (str(team["rui"].id), "Rui Rocket")]  # not Rosa (already in), not another company's
    assert "Already signed up for this visit: Rosa Rocket" in html
    assert other.slots[0].id not in [int(value) for value, _label in roles]


def test_a_full_role_is_offered_for_its_waiting_list(client, login, team, make_visit, sign):
    visit = make_visit(capacity=1)
    sign(visit.slots[0], team["rosa"])
    login(team["coordinator"])
    html = page(client.get(f"/company/signup?visit={visit.id}"))
    assert "Lead instructor: full, joins the waiting list" in html
    response = client.post(
        "/company/signup", data={"visit": visit.id, "slot": visit.slots[0].id, "person": team["rui"].id}
    )
    assert "Rui Rocket is number 1 on the waitlist." in flashes(client, response)


def test_the_second_step_signs_the_colleague_up(client, login, db_session, team, make_visit):
    visit = make_visit()
    login(team["coordinator"])
    response = client.post(
        "/company/signup", data={"visit": visit.id, "slot": visit.slots[0].id, "person": team["rui"].id}
    )
    assert response.headers["Location"] == "/company/"
    signup = db_session.query(Signup).filter_by(user_id=team["rui"].id).one()
    assert (signup.slot_id, signup.status) == (visit.slots[0].id, SignupStatus.CONFIRMED)


def test_a_role_of_another_visit_is_not_a_choice_of_this_one(client, login, db_session, team, make_visit):
    visit, other = make_visit(), make_visit(days_ahead=20)
    login(team["coordinator"])
    response = client.post(
        "/company/signup", data={"visit": visit.id, "slot": other.slots[0].id, "person": team["rui"].id}
    )
    assert response.status_code == 422
    assert '<a href="#slot-0">Volunteer role: Not a valid choice.</a>' in page(response)
    assert db_session.query(Signup).count() == 0


def test_missing_choices_are_listed_with_links_to_them(client, login, team, make_visit):
    visit = make_visit()
    login(team["coordinator"])
    response = client.post("/company/signup", data={"visit": visit.id})
    html = page(response)
    assert response.status_code == 422
    assert '<a href="#slot-0">Volunteer role: Choose a role.</a>' in html
    assert '<a href="#person">Colleague: Choose the colleague to sign up.</a>' in html


@pytest.mark.parametrize("state", ["past", "draft", "unknown"])
def test_a_visit_no_longer_open_goes_back_to_step_one(client, login, team, make_visit, state):
    visit_id = 99999
    if state != "unknown":
        visit_id = make_visit(
            days_ahead=-3 if state == "past" else 5,
            status=VisitStatus.PUBLISHED if state == "past" else VisitStatus.DRAFT,
        ).id
    login(team["coordinator"])
    html = page(client.get(f"/company/signup?visit={visit_id}"))
    assert "Step 1 of 2: choose the visit" in html
    assert "That visit is no longer open for signup. Choose another one." in html
    response = client.post("/company/signup", data={"visit": visit_id, "slot": 1, "person": team["rui"].id})
    assert response.status_code == 422
