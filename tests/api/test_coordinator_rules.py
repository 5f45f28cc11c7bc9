"""Coordinators' rules through the API: no publishing a visit in the past; editing a person."""

from __future__ import annotations

from accounts.models import Role, UserRole
from events.models import VisitStatus
from extensions import db
from tests.api.helpers import assert_error


def test_publishing_a_visit_in_the_past_is_refused_with_visit_in_past(client, admin, make_visit):
    visit = make_visit(status=VisitStatus.DRAFT, days_ahead=-1)
    response = client.post(f"/api/v1/visits/{visit.id}/publish", headers=admin)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "visit_in_past"
    db.session.expire_all()
    assert visit.status == VisitStatus.DRAFT


def test_publishing_a_visit_to_come_still_works(client, admin, make_visit):
    visit = make_visit(status=VisitStatus.DRAFT, days_ahead=1)
    response = client.post(f"/api/v1/visits/{visit.id}/publish", headers=admin)
    assert response.status_code == 200
    assert response.get_json()["status"] == "published"


def test_an_admin_changes_the_given_fields_of_a_person(client, admin, make_user, make_company):
    person, company = make_user(name="Li Wei"), make_company("Acme")
    response = client.patch(
        f"/api/v1/volunteers/{person.id}",
        json={"roles": ["volunteer", "coordinator"], "company_id": company.id, "training_status": "completed"},
        headers=admin,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["name"], body["roles"], body["company"], body["training_status"]) == (
        "Li Wei",
        ["coordinator", "volunteer"],
        {"id": company.id, "name": "Acme"},
        "completed",
    )


def test_changing_a_person_breaks_the_same_rules_as_the_page(client, admin, bearer, make_user):
    person = make_user()
    assert_error(
        client.patch(f"/api/v1/volunteers/{person.id}", json={"roles": ["coordinator"]}, headers=admin),
        422,
        "company_required",
    )
    assert_error(
        client.patch(f"/api/v1/volunteers/{person.id}", json={"company_id": 99999}, headers=admin), 404, "not_found"
    )
    only = make_user(Role.ADMIN)
    db.session.query(UserRole).filter(UserRole.role == Role.ADMIN, UserRole.user_id != only.id).delete()
    db.session.commit()
    error = assert_error(
        client.patch(f"/api/v1/volunteers/{only.id}", json={"roles": ["volunteer"]}, headers=bearer(only)),
        409,
        "last_admin",
    )
    assert error["field"] == "roles"


def test_only_programme_coordinators_change_people(client, bearer, make_user):
    person = make_user()
    response = client.patch(
        f"/api/v1/volunteers/{person.id}", json={"name": "X"}, headers=bearer(make_user(Role.COORDINATOR))
    )
    assert response.status_code == 403
    assert (
        client.patch("/api/v1/volunteers/99999", json={"name": "X"}, headers=bearer(make_user(Role.ADMIN))).status_code
        == 404
    )
