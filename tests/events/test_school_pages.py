"""School pages: the list, one school, the form, archiving."""

from __future__ import annotations

import re

from sqlalchemy import select

from accounts.models import Role
from events.models import School, VisitStatus
from extensions import db


def page(response) -> str:
    return response.get_data(as_text=True)


def school_form(**values) -> dict:
    return {
        "name": "Sunflower Primary",
        "province": "贵州省",
        "prefecture": "毕节市",
        "county": "威宁县",
        "township": "",
        "address": "1 School Road",
        "timezone": "Asia/Shanghai",
        "travel_notes": "",
        "connectivity_notes": "",
        **values,
    }


def fresh(school_id: int) -> School:
    db.session.expire_all()
    return db.session.get(School, school_id)


# ---------------------------------------------------------------- the list


def test_the_school_list_is_for_admins_and_hosts(client, login, volunteer):
    assert client.get("/schools/").status_code == 302
    login(volunteer)
    assert client.get("/schools/").status_code == 403


def test_an_admin_sees_every_active_school_and_archived_ones_on_request(client, login, admin, make_school):
    make_school(name="Open School")
    archived = make_school(name="Closed School")
    archived.archived_at = archived.created_at
    db.session.commit()
    login(admin)
    html = page(client.get("/schools/"))
    assert "<h1>Schools</h1>" in html
    assert 'href="/schools/new"' in html
    assert "Open School" in html and "Closed School" not in html
    html = page(client.get("/schools/?archived=y"))
    assert "Open School" in html and "Closed School" in html and "Archived" in html


def test_a_host_sees_only_the_schools_they_host(client, login, make_user, make_school):
    host = make_user(Role.HOST)
    make_school(name="My School", hosts=[host])
    make_school(name="Someone Else's School")
    login(host)
    html = page(client.get("/schools/"))
    assert "My School" in html
    assert "Someone Else" not in html
    assert 'href="/schools/new"' not in html


# ---------------------------------------------------------------- one school


def test_a_school_is_shown_to_admins_and_its_hosts_only(client, login, admin, make_user, make_school):
    host, other_host, volunteer = make_user(Role.HOST), make_user(Role.HOST), make_user(Role.VOLUNTEER)
    school = make_school(hosts=[host])
    make_school(hosts=[other_host])
    assert client.get(f"/schools/{school.id}").status_code == 302
    for person, status in ((volunteer, 403), (other_host, 404), (host, 200), (admin, 200)):
        login(person)
        assert client.get(f"/schools/{school.id}").status_code == status


def test_the_school_page_shows_where_it_is_its_notes_and_upcoming_visits(client, login, admin, make_school, make_visit):
    school = make_school(
        name="Sunflower Primary",
        timezone="Asia/Urumqi",
        address="1 School Road",
        travel_notes="Last bus 16:00",
        connectivity_notes="Wi-Fi in the office only",
    )
    make_visit(school=school, title="Rover day")
    make_visit(school=school, title="Long ago", days_ahead=-10)
    login(admin)
    html = page(client.get(f"/schools/{school.id}"))
    assert "<h1>Sunflower Primary</h1>" in html
    for text in (
        "1 School Road",
        "Xinjiang time (UTC+6)",
        "Last bus 16:00",
        "Wi-Fi in the office only",
        "美姑县",
        "Rover day",
    ):
        assert text in html
    assert "Long ago" not in html
    assert "9:00" in html  # the visit, at the school


def test_admins_see_host_contacts_and_a_host_sees_only_their_own(client, login, admin, make_user, make_school):
    ada = make_user(Role.HOST, name="Ada Host", email="ada@example.com", phone="13900000001")
    bo = make_user(Role.HOST, name="Bo Host", email="bo@example.com", phone="13900000002")
    school = make_school(hosts=[ada, bo])
    login(admin)
    html = page(client.get(f"/schools/{school.id}"))
    assert "ada@example.com" in html and "13900000002" in html
    login(ada)
    html = page(client.get(f"/schools/{school.id}"))
    assert "Bo Host" in html
    assert "ada@example.com" in html
    assert "bo@example.com" not in html and "13900000002" not in html


def test_a_host_sees_drafts_of_their_school_among_its_visits(client, login, make_user, make_school, make_visit):
    host = make_user(Role.HOST)
    school = make_school(hosts=[host])
    make_visit(school=school, title="Being planned", status=VisitStatus.DRAFT)
    login(host)
    assert "Being planned" in page(client.get(f"/schools/{school.id}"))


# ---------------------------------------------------------------- the form


def test_only_admins_open_the_school_form(client, login, make_user, make_school):
    host = make_user(Role.HOST)
    school = make_school(hosts=[host])
    login(host)
    assert client.get("/schools/new").status_code == 403
    assert client.get(f"/schools/{school.id}/edit").status_code == 403
    assert client.post(f"/schools/{school.id}/edit", data=school_form()).status_code == 403


def test_an_admin_creates_a_school_with_hosts(client, login, admin, make_user):
    host = make_user(Role.HOST, name="Hu Laoshi")
    login(admin)
    html = page(client.get("/schools/new"))
    assert "<h1>New school</h1>" in html
    assert '<option selected value="Asia/Shanghai">' in html
    assert "Hu Laoshi" in html
    response = client.post("/schools/new", data=school_form(timezone="Asia/Urumqi", hosts=[str(host.id)]))
    school = db.session.scalars(select(School)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/schools/{school.id}")
    assert (school.name, school.province, school.county, school.timezone) == (
        "Sunflower Primary",
        "贵州省",
        "威宁县",
        "Asia/Urumqi",
    )
    assert [h.id for h in school.hosts] == [host.id]


def test_only_people_with_the_host_role_are_offered_as_hosts(client, login, admin, make_user):
    make_user(Role.HOST, name="Hu Laoshi")
    make_user(Role.VOLUNTEER, name="Vera Volunteer")
    login(admin)
    html = page(client.get("/schools/new"))
    assert "Hu Laoshi" in html
    assert "Vera Volunteer" not in html


def test_a_school_without_a_name_is_shown_again_with_the_input(client, login, admin):
    login(admin)
    response = client.post("/schools/new", data=school_form(name="", address="7 Hill Lane"))
    html = page(response)
    assert response.status_code == 422
    assert re.search(r'id="name-error">This field is required.</p>', html)
    assert 'value="7 Hill Lane"' in html
    assert db.session.scalars(select(School)).first() is None


def test_a_time_zone_that_is_not_offered_is_refused(client, login, admin):
    login(admin)
    response = client.post("/schools/new", data=school_form(timezone="Mars/Olympus"))
    assert response.status_code == 422
    assert 'id="timezone-error"' in page(response)


def test_an_admin_edits_a_school_and_its_hosts(client, login, admin, make_user, make_school):
    old_host, new_host = make_user(Role.HOST), make_user(Role.HOST)
    school = make_school(name="Old Name", hosts=[old_host])
    login(admin)
    html = page(client.get(f"/schools/{school.id}/edit"))
    assert 'value="Old Name"' in html
    assert re.search(rf'checked[^>]*value="{old_host.id}"|value="{old_host.id}"[^>]*checked', html)
    response = client.post(f"/schools/{school.id}/edit", data=school_form(name="New Name", hosts=[str(new_host.id)]))
    assert response.status_code == 302
    school = fresh(school.id)
    assert school.name == "New Name"
    assert [h.id for h in school.hosts] == [new_host.id]


def test_a_school_with_an_unusual_time_zone_keeps_it_when_edited(client, login, admin, make_school):
    school = make_school(timezone="Asia/Kathmandu")
    login(admin)
    html = page(client.get(f"/schools/{school.id}/edit"))
    assert '<option selected value="Asia/Kathmandu">' in html


# ---------------------------------------------------------------- archive and restore


def test_an_admin_archives_and_restores_a_school(client, login, admin, make_school):
    school = make_school()
    login(admin)
    response = client.post(f"/schools/{school.id}/archive")
    assert response.status_code == 302
    assert fresh(school.id).is_archived
    assert "has been archived" in page(client.get(response.headers["Location"]))
    client.post(f"/schools/{school.id}/restore")
    assert not fresh(school.id).is_archived


def test_an_archived_school_is_not_offered_for_new_visits(client, login, admin, make_school):
    school = make_school(name="Closed School")
    login(admin)
    make_school(name="Open School")
    client.post(f"/schools/{school.id}/archive", follow_redirects=True)
    response = client.get("/visits/new")
    assert response.status_code == 200
    assert "Open School" in page(response)
    assert "Closed School" not in page(response)


def test_only_admins_archive_schools(client, login, make_user, make_school):
    host = make_user(Role.HOST)
    school = make_school(hosts=[host])
    login(host)
    assert client.post(f"/schools/{school.id}/archive").status_code == 403
    assert not fresh(school.id).is_archived
