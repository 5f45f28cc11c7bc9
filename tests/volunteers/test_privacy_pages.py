"""Privacy: a volunteer downloads their data and deletes their account; places go to those waiting."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from accounts.models import ApiToken, Role
from accounts.services import issue_api_token
from mail.models import OutboxMessage
from tests.conftest import PASSWORD
from tests.volunteers.conftest import flashes, page
from volunteers import rosters
from volunteers.models import SignupStatus


@pytest.fixture
def volunteer(make_user, make_company):
    return make_user(
        name="Vera Volunteer",
        email="vera@example.com",
        phone="13800138000",
        languages=["mandarin", "yi"],
        company=make_company(name="Rocket Works"),
    )


def test_the_profile_page_offers_the_download_and_the_deletion(client, login, volunteer):
    login(volunteer)
    html = page(client.get("/profile"))
    assert 'href="/profile/data.json"' in html
    assert 'href="/profile/delete"' in html


def test_a_volunteer_downloads_their_own_data_as_json(client, login, volunteer, make_user, make_visit, sign):
    visit = make_visit(title="Balloon day")
    sign(visit.slots[0], volunteer)
    sign(make_visit(title="Someone else's day").slots[0], make_user(name="Other Person"))
    login(volunteer)
    response = client.get("/profile/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="scivisit-my-data.json"'
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "vera@example.com"
    assert data["account"]["phone"] == "13800138000"
    assert data["account"]["languages"] == ["mandarin", "yi"]
    assert data["account"]["roles"] == ["volunteer"]
    assert data["company"]["name"] == "Rocket Works"
    [signup] = data["signups"]
    assert (signup["status"], signup["role"]) == ("confirmed", "lead_instructor")
    assert signup["visit"]["title"] == "Balloon day"
    assert "Other Person" not in response.get_data(as_text=True)


def test_deleting_needs_the_password(client, login, db_session, volunteer):
    login(volunteer)
    assert "<h1>Delete my account</h1>" in page(client.get("/profile/delete"))
    response = client.post("/profile/delete", data={"password": "not-my-password"})
    assert response.status_code == 422
    assert "The current password is not right." in page(response)
    db_session.refresh(volunteer)
    assert volunteer.active and volunteer.email == "vera@example.com"


def test_deleting_the_account_cancels_future_places_promotes_the_next_and_anonymises_the_rest(
    client, login, db_session, app, now, volunteer, make_user, make_visit, make_school, sign
):
    coming = make_visit(title="Balloon day", capacity=1)
    waiting = make_user(name="Wang Waiting")
    past = make_visit(title="Mars rover day", days_ahead=-10)
    mine = sign(coming.slots[0], volunteer)
    theirs = sign(coming.slots[0], waiting)
    done = sign(past.slots[0], volunteer, at=past.starts_at - timedelta(hours=2))
    done.status = SignupStatus.ATTENDED
    done.attended_minutes = 6 * 60  # checked in and out
    issue_api_token(db_session, volunteer, now)
    db_session.commit()
    mail_before = db_session.query(OutboxMessage).filter_by(recipient="vera@example.com").count()
    login(volunteer)

    response = client.post("/profile/delete", data={"password": PASSWORD})
    assert response.headers["Location"] == "/"
    assert "Your account has been deleted. Thank you for volunteering with us." in flashes(client, response)

    db_session.refresh(volunteer)
    assert volunteer.name == "—"
    assert volunteer.email == f"deleted-{volunteer.id}@deleted.invalid"
    assert (volunteer.phone, volunteer.languages, volunteer.skills) == (None, [], "")
    assert volunteer.active is False
    assert volunteer.roles == {Role.VOLUNTEER}
    for signup in (mine, theirs, done):
        db_session.refresh(signup)
    assert mine.status == SignupStatus.CANCELLED
    assert theirs.status == SignupStatus.CONFIRMED  # the place went to the first person waiting
    assert db_session.query(OutboxMessage).filter_by(recipient=waiting.email).count() == 2  # waitlisted, promoted
    assert done.status == SignupStatus.ATTENDED  # past hours stay in the totals
    team = rosters.company_team(db_session, volunteer.company, now)
    assert volunteer.id not in {c.user.id for c in team.people}
    assert team.total_minutes == 6 * 60
    assert db_session.query(OutboxMessage).filter_by(recipient="vera@example.com").count() == mail_before
    assert db_session.query(ApiToken).filter_by(user_id=volunteer.id, revoked_at=None).count() == 0

    assert client.get("/profile").status_code == 302  # logged out
    refused = client.post("/login", data={"email": "vera@example.com", "password": PASSWORD})
    assert refused.status_code == 422


def test_a_deleted_host_is_no_longer_a_host_of_their_school(client, login, db_session, make_user, make_school):
    host = make_user(Role.HOST, Role.VOLUNTEER)
    school = make_school(hosts=[host])
    login(host)
    assert client.post("/profile/delete", data={"password": PASSWORD}).status_code == 302
    db_session.refresh(school)
    assert school.hosts == []
    db_session.refresh(host)
    assert host.roles == {Role.VOLUNTEER}


def test_deleting_after_the_cancel_cutoff_still_frees_the_place(
    client, login, db_session, volunteer, make_user, make_visit, sign
):
    visit = make_visit(days_ahead=2, capacity=1)
    visit.cancel_cutoff_hours = 24 * 7
    db_session.commit()
    mine = sign(visit.slots[0], volunteer)
    theirs = sign(visit.slots[0], make_user())
    login(volunteer)
    assert client.post("/profile/delete", data={"password": PASSWORD}).status_code == 302
    db_session.refresh(mine)
    db_session.refresh(theirs)
    assert (mine.status, theirs.status) == (SignupStatus.CANCELLED, SignupStatus.CONFIRMED)


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_IP="3 per minute")
def test_guessing_the_password_on_the_deletion_page_is_rate_limited(client, login, volunteer):
    from extensions import limiter

    limiter.reset()
    login(volunteer)
    statuses = [client.post("/profile/delete", data={"password": "guess-guess"}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
