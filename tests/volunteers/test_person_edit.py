"""A programme coordinator edits a person: name, roles, company, training; the last of them keeps the role."""

from __future__ import annotations

import pytest

from accounts.models import Role, TrainingStatus, User
from core.errors import DomainError
from extensions import db
from tests.volunteers.conftest import flashes, page
from volunteers.registration import update_person


def reloaded(person: User) -> User:
    db.session.expire_all()
    return db.session.get(User, person.id)


# ---------------------------------------------------------------- the rules


def test_a_person_gets_a_new_name_roles_company_and_training(db_session, make_user, make_company):
    person, company = make_user(name="Li Wei"), make_company("Acme")
    update_person(
        db_session,
        person,
        {
            "name": "  Li Wei-Chen ",
            "roles": {Role.VOLUNTEER, Role.COORDINATOR},
            "company": company,
            "training_status": TrainingStatus.COMPLETED,
        },
    )
    db_session.commit()
    person = reloaded(person)
    assert (person.name, person.roles, person.company_id, person.training_status) == (
        "Li Wei-Chen",
        {Role.VOLUNTEER, Role.COORDINATOR},
        company.id,
        TrainingStatus.COMPLETED,
    )


def test_only_the_fields_given_change(db_session, make_user, make_company):
    company = make_company()
    person = make_user(Role.COORDINATOR, name="Carla", company=company)
    update_person(db_session, person, {"training_status": TrainingStatus.COMPLETED})
    assert (person.name, person.roles, person.company) == ("Carla", {Role.COORDINATOR}, company)


def test_a_company_coordinator_needs_a_company(db_session, make_user):
    person = make_user()
    with pytest.raises(DomainError) as caught:
        update_person(db_session, person, {"roles": {Role.COORDINATOR}, "company": None})
    assert (caught.value.code, caught.value.field) == ("company_required", "company")


def test_a_person_keeps_at_least_one_role_and_a_name(db_session, make_user):
    person = make_user()
    for values, field in (({"roles": set()}, "roles"), ({"name": "  "}, "name")):
        with pytest.raises(DomainError) as caught:
            update_person(db_session, person, values)
        assert (caught.value.code, caught.value.field) == ("validation_error", field)


def test_the_last_programme_coordinator_keeps_the_role(db_session, make_user):
    admin = make_user(Role.ADMIN)
    make_user(Role.ADMIN).active = False  # an inactive one does not count
    with pytest.raises(DomainError) as caught:
        update_person(db_session, admin, {"roles": {Role.VOLUNTEER}})
    assert (caught.value.code, caught.value.field) == ("last_admin", "roles")
    other = make_user(Role.ADMIN)
    update_person(db_session, admin, {"roles": {Role.VOLUNTEER}})
    assert admin.roles == {Role.VOLUNTEER}
    with pytest.raises(DomainError) as caught:
        update_person(db_session, other, {"roles": {Role.HOST}})
    assert caught.value.code == "last_admin"


# ---------------------------------------------------------------- the page


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin")


def test_the_people_list_links_to_each_persons_edit_page(client, login, admin, make_user):
    person = make_user(name="Li Wei")
    login(admin)
    html = page(client.get("/people/"))
    assert f'<a href="/people/{person.id}/edit" aria-label="Edit Li Wei">Li Wei</a>' in html


def test_an_admin_edits_a_person_on_a_form_without_passwords(client, login, admin, make_user, make_company):
    person, company = make_user(name="Li Wei"), make_company("Acme")
    login(admin)
    html = page(client.get(f"/people/{person.id}/edit"))
    assert "<h1>Edit Li Wei</h1>" in html
    assert 'value="Li Wei"' in html and 'type="password"' not in html
    # Roles are checkboxes: the group is marked, no single box is `required` (each would have to be ticked).
    assert '<input checked id="roles-3" name="roles" type="checkbox" value="volunteer">' in html
    assert '<legend>Roles <span class="req" aria-hidden="true">*</span></legend>' in html
    response = client.post(
        f"/people/{person.id}/edit",
        data={
            "name": "Li Wei-Chen",
            "roles": ["volunteer", "coordinator"],
            "company": company.id,
            "training_status": "completed",
        },
    )
    assert "The details of Li Wei-Chen have been saved." in flashes(client, response)
    assert response.headers["Location"] == "/people/"
    person = reloaded(person)
    assert (person.name, person.roles, person.company_id, person.training_status) == (
        "Li Wei-Chen",
        {Role.VOLUNTEER, Role.COORDINATOR},
        company.id,
        TrainingStatus.COMPLETED,
    )


def test_a_broken_rule_is_shown_next_to_its_field(client, login, admin, make_user):
    person = make_user(name="Li Wei")
    login(admin)
    response = client.post(
        f"/people/{person.id}/edit",
        data={"name": "Li Wei", "roles": ["coordinator"], "company": 0, "training_status": "none"},
    )
    html = page(response)
    assert response.status_code == 422
    assert '<a href="#company">Company: Choose a company for this person.</a>' in html
    assert reloaded(person).roles == {Role.VOLUNTEER}


def test_the_last_admin_cannot_drop_their_own_role_on_the_page(client, login, admin):
    login(admin)
    response = client.post(
        f"/people/{admin.id}/edit",
        data={"name": "Ada Admin", "roles": ["volunteer"], "company": 0, "training_status": "none"},
    )
    assert response.status_code == 422
    assert '<a href="#roles-0">Roles: This is the last programme coordinator' in page(response)
    assert reloaded(admin).roles == {Role.ADMIN}


def test_only_programme_coordinators_edit_people(client, login, make_user):
    person = make_user()
    login(make_user(Role.COORDINATOR))
    assert client.get(f"/people/{person.id}/edit").status_code == 403
    assert client.post(f"/people/{person.id}/edit", data={"name": "X"}).status_code == 403


def test_editing_someone_unknown_is_not_found(client, login, admin):
    login(admin)
    assert client.get("/people/99999/edit").status_code == 404
