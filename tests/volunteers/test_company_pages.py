"""Company coordinators: their own people, signups and hours; inviting with the join code; team signups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Company, Role
from accounts.services import rotate_join_code
from core.errors import DomainError
from tests.conftest import PASSWORD
from tests.volunteers.conftest import flashes, page
from volunteers import signups
from volunteers.models import Signup, SignupStatus


@pytest.fixture
def companies(make_company, make_user):
    """Two companies, each with a coordinator and a volunteer."""
    rocket, comet = make_company(name="Rocket Works"), make_company(name="Comet Foods")
    return {
        "rocket": rocket,
        "comet": comet,
        "coordinator": make_user(Role.COORDINATOR, Role.VOLUNTEER, name="Carla Coordinator", company=rocket),
        "colleague": make_user(name="Rui Rocket", company=rocket),
        "stranger": make_user(name="Cai Comet", company=comet),
    }


def test_a_coordinator_sees_only_their_companys_people_with_signups_and_hours(
    client, login, db_session, companies, make_visit, sign
):
    colleague, stranger = companies["colleague"], companies["stranger"]
    coming = make_visit(title="Balloon day", days_ahead=10)
    past = make_visit(title="Mars rover day", days_ahead=-10)  # 09:00 to 15:00: six hours
    sign(coming.slots[0], colleague)
    sign(coming.slots[0], stranger)
    done = sign(past.slots[0], colleague, at=past.starts_at - timedelta(hours=2))
    done.status = SignupStatus.ATTENDED
    done.attended_minutes = 5 * 60 + 30  # from check-in to check-out
    db_session.commit()
    login(companies["coordinator"])
    html = page(client.get("/company/"))
    assert "<h1>Rocket Works</h1>" in html
    assert "Rui Rocket" in html and "Carla Coordinator" in html
    assert "Balloon day" in html
    assert "<dt>Hours volunteered</dt><dd>5.5 h</dd>" in html
    assert "Hours volunteered by the company: 5.5 h" in html
    assert "no check-in" not in html
    assert "Cai Comet" not in html and "Comet Foods" not in html
    assert colleague.email not in html  # contact details are for the person and programme coordinators


def test_the_company_page_shows_the_join_code_and_a_registration_link_that_fills_it_in(client, login, companies):
    code = companies["rocket"].join_code
    login(companies["coordinator"])
    html = page(client.get("/company/"))
    assert code in html
    assert f"http://scivisit.test/register?join_code={code}" in html
    assert companies["comet"].join_code not in html
    client.post("/logout")
    form = page(client.get(f"/register?join_code={code}"))
    assert f'value="{code}"' in form


def test_the_menu_shows_my_company_to_coordinators(client, login, companies):
    login(companies["colleague"])
    response = client.get("/")
    assert response.status_code == 200
    assert "<h1>Your next visits</h1>" in page(response)
    assert 'href="/company/"' not in page(response)
    login(companies["coordinator"])
    assert '<a href="/company/">My company</a>' in page(client.get("/"))


def test_a_coordinator_signs_a_colleague_up(client, login, db_session, companies, make_visit):
    visit = make_visit(title="Balloon day")
    slot = visit.slots[0]
    login(companies["coordinator"])
    form = page(client.get(f"/company/signup?slot_id={slot.id}"))
    assert f'<input checked id="slot-0" name="slot" required type="radio" value="{slot.id}">' in form
    assert "Cai Comet" not in form
    response = client.post("/company/signup", data={"person": companies["colleague"].id, "slot": slot.id})
    assert response.headers["Location"] == "/company/"
    assert "Rui Rocket is signed up as Lead instructor." in flashes(client, response)
    signup = db_session.query(Signup).filter_by(user_id=companies["colleague"].id).one()
    assert (signup.status, signup.assigned_by_id) == (SignupStatus.CONFIRMED, companies["coordinator"].id)


def test_the_visit_page_offers_coordinators_to_sign_up_a_colleague(client, login, companies, make_visit):
    visit = make_visit()
    login(companies["coordinator"])
    html = page(client.get(f"/visits/{visit.id}"))
    assert f'href="/company/signup?slot_id={visit.slots[0].id}"' in html


def test_a_coordinator_cannot_sign_up_someone_of_another_company(client, login, db_session, companies, make_visit):
    visit = make_visit()
    login(companies["coordinator"])
    response = client.post("/company/signup", data={"person": companies["stranger"].id, "slot": visit.slots[0].id})
    assert response.status_code == 422
    assert "Not a valid choice." in page(response)
    assert db_session.query(Signup).count() == 0


def test_a_broken_rule_is_shown_next_to_the_form(client, login, db_session, companies, make_visit, sign):
    visit = make_visit()
    sign(visit.slots[0], companies["colleague"])
    other = make_visit()  # same day and time at another school
    login(companies["coordinator"])
    response = client.post("/company/signup", data={"person": companies["colleague"].id, "slot": other.slots[0].id})
    assert response.status_code == 422
    assert "You are already signed up for another visit at the same time." in page(response)
    response = client.post(
        "/company/signup",
        data={"person": companies["colleague"].id, "slot": other.slots[0].id, "reason": "Drives both teams"},
    )
    assert response.status_code == 302
    signup = signups.active_signup(db_session, companies["colleague"], other.id)
    assert signup.override_reason == "Drives both teams"


def test_a_coordinator_cancels_a_colleagues_signup_even_after_the_cutoff(
    client, login, db_session, companies, make_visit, sign
):
    visit = make_visit(days_ahead=2)
    visit.cancel_cutoff_hours = 24 * 7
    db_session.commit()
    signup = sign(visit.slots[0], companies["colleague"])
    login(companies["coordinator"])
    assert f'href="/signups/{signup.id}/cancel?next=/company/"' in page(client.get("/company/"))
    response = client.post(f"/signups/{signup.id}/cancel", data={"next": "/company/"})
    assert response.headers["Location"] == "/company/"
    assert "The signup of Rui Rocket is cancelled." in flashes(client, response)
    db_session.refresh(signup)
    assert signup.status == SignupStatus.CANCELLED


def test_a_coordinator_cannot_cancel_for_another_company(client, login, db_session, companies, make_visit, sign):
    signup = sign(make_visit().slots[0], companies["stranger"])
    login(companies["coordinator"])
    # not theirs: "not found", as the API answers, so the signup's existence is not revealed
    assert client.post(f"/signups/{signup.id}/cancel").status_code == 404
    db_session.refresh(signup)
    assert signup.status == SignupStatus.CONFIRMED


def test_rotating_the_join_code_makes_the_old_one_fail(client, login, db_session, companies):
    old = companies["rocket"].join_code
    login(companies["coordinator"])
    response = client.post("/company/join-code")
    db_session.refresh(companies["rocket"])
    new = companies["rocket"].join_code
    assert new != old
    assert f"The new join code is {new}. The old one no longer works." in flashes(client, response)
    client.post("/logout")
    data = {"name": "Late Comer", "email": "late@example.com", "password": PASSWORD, "confirm": PASSWORD}
    refused = client.post("/register", data={**data, "join_code": old})
    assert refused.status_code == 422
    assert "This join code is not valid. Ask your company coordinator." in page(refused)
    assert client.post("/register", data={**data, "join_code": new}).status_code == 302


def test_rotate_join_code_service_gives_a_new_code_and_the_old_one_is_invalid(db_session, now, make_company):
    from accounts.services import company_for_join_code

    company = make_company()
    old = company.join_code
    new = rotate_join_code(db_session, company, now)
    db_session.commit()
    assert new == company.join_code != old
    with pytest.raises(DomainError) as excinfo:
        company_for_join_code(db_session, old)
    assert excinfo.value.code == "invalid_join_code"
    assert company_for_join_code(db_session, new.lower()) == db_session.get(Company, company.id)


def test_people_without_a_coordinator_role_have_no_company_page(client, login, companies, make_user):
    login(companies["colleague"])
    assert client.get("/company/").status_code == 403
    assert client.post("/company/join-code").status_code == 403


def test_the_company_page_takes_as_many_queries_for_many_people_as_for_two(
    client, login, db_session, companies, make_user, make_visit, sign, statements
):
    visit = make_visit(capacity=1)
    sign(visit.slots[0], companies["colleague"])
    login(companies["coordinator"])
    client.get("/company/")
    few = statements(client, "/company/")
    for days in (20, 22, 24):
        other = make_visit(days_ahead=days, capacity=1)
        sign(other.slots[0], make_user())
        sign(other.slots[0], make_user(company=companies["rocket"]))
    assert statements(client, "/company/") == few + 1  # the waitlist positions, once for everyone


def test_a_visit_without_check_ins_adds_no_hours_and_the_page_says_so(
    client, login, db_session, companies, make_visit, sign
):
    colleague = companies["colleague"]
    for days, minutes in ((-30, None), (-20, None), (-10, 90)):  # two held before check-in, one scanned
        past = make_visit(title=f"Day {days}", days_ahead=days)
        done = sign(past.slots[0], colleague, at=past.starts_at - timedelta(hours=2))
        done.status, done.attended_minutes = SignupStatus.ATTENDED, minutes
    db_session.commit()
    login(companies["coordinator"])

    html = page(client.get("/company/"))
    assert "Hours volunteered by the company: 1.5 h" in html  # the full six hours of each would be invented
    assert "2 attended visits have no check-in, so their hours are not counted." in html
    assert "<dd>1.5 h (2 visits without a check-in not counted)</dd>" in html
    zh = page(client.get("/company/", headers={"Accept-Language": "zh-CN"}))
    assert "2 次参加的活动没有签到记录" in zh
