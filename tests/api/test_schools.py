"""Schools: programme coordinators manage them, hosts see their own."""

from __future__ import annotations

from accounts.models import Role
from events.models import School
from tests.api.helpers import assert_error

SCHOOL_FIELDS = {
    "id",
    "name",
    "province",
    "prefecture",
    "county",
    "township",
    "address",
    "timezone",
    "travel_notes",
    "connectivity_notes",
    "archived",
    "host_ids",
}


def test_admin_adds_a_school_with_hosts(client, admin, make_user, db_session):
    host = make_user()
    body = {
        "name": "Meigu No. 1 Primary",
        "province": "四川省",
        "county": "美姑县",
        "timezone": "Asia/Shanghai",
        "travel_notes": "Last bus 17:00",
        "host_ids": [host.id],
    }
    response = client.post("/api/v1/schools", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    school = response.get_json()
    assert set(school) == SCHOOL_FIELDS
    assert (school["name"], school["county"], school["prefecture"], school["archived"]) == (
        "Meigu No. 1 Primary",
        "美姑县",
        "",
        False,
    )
    assert school["host_ids"] == [host.id]
    db_session.expire_all()
    assert Role.HOST in db_session.get(type(host), host.id).roles


def test_a_school_without_a_timezone_uses_china_time(client, admin):
    school = client.post("/api/v1/schools", json={"name": "A", "province": "云南省"}, headers=admin).get_json()
    assert school["timezone"] == "Asia/Shanghai"


def test_an_unknown_timezone_breaks_a_rule(client, admin):
    body = {"name": "A", "province": "云南省", "timezone": "Mars/Olympus_Mons"}
    error = assert_error(client.post("/api/v1/schools", json=body, headers=admin), 422, "invalid_timezone")
    assert error["field"] == "timezone"


def test_a_school_needs_a_name_of_sensible_length(client, admin):
    for body in [
        {"province": "云南省"},
        {"name": " ", "province": "云南省"},
        {"name": "x" * 201, "province": "云南省"},
    ]:
        error = assert_error(client.post("/api/v1/schools", json=body, headers=admin), 422, "validation_error")
        assert set(error["errors"]) == {"name"}


def test_an_unknown_host_is_not_found(client, admin, db_session):
    body = {"name": "A", "province": "云南省", "host_ids": [424242]}
    error = assert_error(client.post("/api/v1/schools", json=body, headers=admin), 404, "not_found")
    assert error["field"] == "host_ids"
    assert db_session.query(School).count() == 0


def test_admins_list_every_school(client, admin, make_school):
    ids = {make_school().id for _ in range(3)}
    page = client.get("/api/v1/schools", headers=admin).get_json()
    assert {s["id"] for s in page["items"]} == ids
    assert page["total"] == 3


def test_admins_list_archived_schools_too_marked_archived(client, admin, make_school, db_session, now):
    school = make_school()
    school.archived_at = now
    db_session.commit()
    (listed,) = client.get("/api/v1/schools", headers=admin).get_json()["items"]
    assert (listed["id"], listed["archived"]) == (school.id, True)


def test_hosts_list_only_their_own_schools(client, make_user, bearer, make_school):
    host = make_user(Role.HOST)
    own = make_school(hosts=[host])
    make_school(hosts=[make_user(Role.HOST)])
    page = client.get("/api/v1/schools", headers=bearer(host)).get_json()
    assert [s["id"] for s in page["items"]] == [own.id]


def test_schools_are_paged(client, admin, make_school):
    for _ in range(3):
        make_school()
    page = client.get("/api/v1/schools?page=2&per_page=2", headers=admin).get_json()
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 2, 3, 1)


def test_a_host_reads_their_school(client, make_user, bearer, make_school):
    host = make_user(Role.HOST)
    school = make_school(hosts=[host])
    response = client.get(f"/api/v1/schools/{school.id}", headers=bearer(host))
    assert response.status_code == 200
    assert response.get_json()["host_ids"] == [host.id]


def test_another_hosts_school_is_not_found(client, make_user, bearer, make_school):
    school = make_school(hosts=[make_user(Role.HOST)])
    assert_error(client.get(f"/api/v1/schools/{school.id}", headers=bearer(make_user(Role.HOST))), 404, "not_found")


def test_an_unknown_school_is_not_found(client, admin):
    for school_id in ["424242", "99999999999999999999999"]:
        assert_error(client.get(f"/api/v1/schools/{school_id}", headers=admin), 404, "not_found")


def test_a_change_touches_only_the_given_fields(client, admin, make_school):
    school = make_school(address="1 School Road")
    before = client.get(f"/api/v1/schools/{school.id}", headers=admin).get_json()
    response = client.patch(f"/api/v1/schools/{school.id}", json={"connectivity_notes": "No signal"}, headers=admin)
    assert response.status_code == 200
    assert response.get_json() == {**before, "connectivity_notes": "No signal"}


def test_host_ids_replace_the_hosts(client, admin, make_user, make_school):
    old, new = make_user(Role.HOST), make_user()
    school = make_school(hosts=[old])
    body = client.patch(f"/api/v1/schools/{school.id}", json={"host_ids": [new.id]}, headers=admin).get_json()
    assert body["host_ids"] == [new.id]


def test_archiving_and_restoring_a_school(client, admin, make_school):
    school = make_school()
    url = f"/api/v1/schools/{school.id}"
    assert client.patch(url, json={"archived": True}, headers=admin).get_json()["archived"] is True
    assert client.patch(url, json={"name": "Renamed"}, headers=admin).get_json()["archived"] is True
    assert client.patch(url, json={"archived": False}, headers=admin).get_json()["archived"] is False


def test_a_change_breaking_a_rule_saves_nothing(client, admin, make_school, db_session):
    school = make_school(name="Before")
    body = {"name": "After", "timezone": "Nowhere/Nothing"}
    assert_error(client.patch(f"/api/v1/schools/{school.id}", json=body, headers=admin), 422, "invalid_timezone")
    db_session.expire_all()
    assert db_session.get(School, school.id).name == "Before"


def test_a_blank_name_in_a_change_is_a_validation_error(client, admin, make_school):
    school = make_school()
    error = assert_error(
        client.patch(f"/api/v1/schools/{school.id}", json={"name": ""}, headers=admin), 422, "validation_error"
    )
    assert set(error["errors"]) == {"name"}


def test_changing_an_unknown_school_is_not_found(client, admin):
    assert_error(client.patch("/api/v1/schools/424242", json={"name": "x"}, headers=admin), 404, "not_found")
