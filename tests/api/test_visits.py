"""Visits: list, create, read, change, publish, cancel."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from events.models import RoleSlot, SlotRole, Visit, VisitStatus
from tests.api.helpers import assert_error, local_iso, parse, visit_body

VISIT_FIELDS = {
    "id",
    "hub_id",
    "school",
    "title",
    "status",
    "starts_at",
    "ends_at",
    "signup_opens_at",
    "signup_closes_at",
    "meeting_point",
    "what_to_bring",
    "livestream_url",
    "slots",
    "lessons",
    "satellites",
}


def _visit_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Visit))


# ---------------------------------------------------------------- create


def test_admin_creates_a_draft_visit_with_slots_lessons_and_satellites(
    client, admin, make_school, make_kit_type, db_session
):
    school, watching = make_school(name="Meigu No. 1"), make_school(name="Meigu No. 2")
    kit = make_kit_type(students_per_kit=4)
    body = visit_body(
        school,
        meeting_point="Xichang station",
        livestream_url="https://live.example.com/rocket",
        slots=[
            {"role": "lead_instructor", "capacity": 1, "requires_training": True},
            {"role": "interpreter", "capacity": 1, "required_language": "yi"},
        ],
        satellites=[{"school_id": watching.id, "students_expected": 40}],
    )
    body["lessons"][0].update(kit_type_id=kit.id, classroom="Lab 2", spare_kits=1, students_expected=30)
    response = client.post("/api/v1/visits", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    visit = response.get_json()
    assert set(visit) == VISIT_FIELDS
    assert visit["status"] == "draft"
    assert visit["school"] == {
        "id": school.id,
        "name": "Meigu No. 1",
        "timezone": "Asia/Shanghai",
        "region": school.region,
    }
    assert [(s["role"], s["capacity"], s["taken"], s["places_left"]) for s in visit["slots"]] == [
        ("lead_instructor", 1, 0, 1),
        ("interpreter", 1, 0, 1),
    ]
    assert visit["slots"][0]["requires_training"] is True
    assert visit["slots"][1]["required_language"] == "yi"
    (lesson,) = visit["lessons"]
    assert lesson["kit_type_id"] == kit.id
    assert lesson["kits_needed"] == 30 // 4 + 1 + 1  # ceil(30 / 4) + one spare
    assert lesson["classroom"] == "Lab 2"
    assert visit["satellites"] == [{"school_id": watching.id, "name": "Meigu No. 2", "students_expected": 40}]
    stored = db_session.get(Visit, visit["id"])
    assert stored.meeting_point == "Xichang station"


def test_times_with_any_offset_are_stored_and_returned_in_utc(client, admin, make_school):
    body = visit_body(make_school())
    response = client.post("/api/v1/visits", json=body, headers=admin)
    visit = response.get_json()
    assert visit["starts_at"].endswith("+00:00")
    assert parse(visit["starts_at"]) == parse(body["starts_at"])
    assert parse(visit["lessons"][0]["ends_at"]) == parse(body["lessons"][0]["ends_at"])


def test_times_in_utc_with_z_are_accepted(client, admin, make_school):
    body = visit_body(make_school())
    for key in ("starts_at", "ends_at"):
        body[key] = parse(body[key]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.post("/api/v1/visits", json=body, headers=admin).status_code == 201


def test_a_time_without_an_offset_or_not_a_time_is_a_validation_error(client, admin, make_school):
    school = make_school()
    for value in ["2030-05-01T09:00:00", "2030-05-01", "tomorrow", 1_700_000_000, None]:
        body = visit_body(school, starts_at=value)
        error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "validation_error")
        assert "starts_at" in error["errors"], value


def test_times_out_of_range_are_a_validation_error(client, admin, make_school):
    school = make_school()
    for value in ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "3001-01-01T00:00:00Z"]:
        body = visit_body(school, ends_at=value)
        error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "validation_error")
        assert "ends_at" in error["errors"], value


def test_a_naive_lesson_time_is_reported_under_its_lesson(client, admin, make_school):
    body = visit_body(make_school())
    body["lessons"][0]["starts_at"] = "2030-05-01T10:00:00"
    error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "validation_error")
    assert "starts_at" in error["errors"]["lessons"]["0"]


def test_an_unknown_role_is_a_validation_error(client, admin, make_school):
    body = visit_body(make_school(), slots=[{"role": "astronaut", "capacity": 1}])
    error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "validation_error")
    assert "role" in error["errors"]["slots"]["0"]


def test_a_capacity_below_one_breaks_the_capacity_rule(client, admin, make_school, db_session):
    school = make_school()
    for capacity in [0, -5, -(10**40)]:
        body = visit_body(school, slots=[{"role": "assistant", "capacity": capacity}])
        error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "capacity_too_small")
        assert error["field"] == "slots-0-capacity"
    assert _visit_count(db_session) == 0


def test_a_huge_or_non_integer_capacity_is_a_validation_error(client, admin, make_school):
    school = make_school()
    for capacity in [10**12, 10**40, 2.5, "3", True]:
        body = visit_body(school, slots=[{"role": "assistant", "capacity": capacity}])
        error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "validation_error")
        assert "capacity" in error["errors"]["slots"]["0"], capacity


def test_lesson_fields_out_of_bounds_are_a_validation_error(client, admin, make_school):
    school = make_school()
    cases = [
        ("students_expected", -1),
        ("students_expected", 10**10),
        ("grade", 13),
        ("spare_kits", -1),
        ("title", " "),
    ]
    for field, value in cases:
        body = visit_body(school)
        body["lessons"][0][field] = value
        error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "validation_error")
        assert field in error["errors"]["lessons"]["0"], (field, value)


def test_a_livestream_link_must_be_http(client, admin, make_school):
    body = visit_body(make_school(), livestream_url="javascript:alert(1)")
    error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "validation_error")
    assert "livestream_url" in error["errors"]


def test_a_visit_ending_before_it_starts_breaks_a_rule_and_saves_nothing(client, admin, make_school, db_session):
    body = visit_body(make_school(), lessons=[])
    body["starts_at"], body["ends_at"] = body["ends_at"], body["starts_at"]
    error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "end_before_start")
    assert error["field"] == "ends_at"
    assert _visit_count(db_session) == 0


def test_every_broken_rule_is_reported_in_details(client, admin, make_school):
    body = visit_body(
        make_school(),
        slots=[{"role": "assistant", "capacity": 0}, {"role": "assistant", "capacity": 1}],
    )
    body["lessons"][0]["kit_type_id"] = 999
    error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "capacity_too_small")
    assert {d["code"] for d in error["details"]} == {"duplicate_role", "unknown_kit_type"}


def test_an_overlapping_visit_at_the_same_school_is_a_conflict(client, admin, make_school, db_session):
    school = make_school()
    assert client.post("/api/v1/visits", json=visit_body(school), headers=admin).status_code == 201
    assert_error(client.post("/api/v1/visits", json=visit_body(school), headers=admin), 409, "school_busy")
    assert _visit_count(db_session) == 1


def test_a_visit_for_an_unknown_school_is_not_found(client, admin, make_school):
    body = visit_body(make_school(), school_id=999_999)
    error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 404, "not_found")
    assert error["field"] == "school_id"


def test_a_visit_without_slots_lessons_or_signup_times_takes_defaults(client, admin, make_school):
    body = visit_body(make_school())
    del body["slots"], body["lessons"]
    visit = client.post("/api/v1/visits", json=body, headers=admin).get_json()
    assert (visit["slots"], visit["lessons"], visit["satellites"]) == ([], [], [])
    assert visit["signup_opens_at"] is None and visit["signup_closes_at"] is None
    assert visit["meeting_point"] == "" and visit["livestream_url"] == ""


def test_signup_must_close_before_the_visit_ends(client, admin, make_school):
    body = visit_body(make_school())
    body["signup_closes_at"] = local_iso(parse(body["ends_at"]) + timedelta(hours=1))
    assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "signup_window_invalid")


# ---------------------------------------------------------------- read


def test_anonymous_callers_list_only_published_visits(client, make_visit):
    published = make_visit(status=VisitStatus.PUBLISHED, days_ahead=10)
    for status in (VisitStatus.DRAFT, VisitStatus.CANCELLED, VisitStatus.COMPLETED):
        make_visit(status=status)
    response = client.get("/api/v1/visits")
    assert response.status_code == 200
    page = response.get_json()
    assert [v["id"] for v in page["items"]] == [published.id]
    assert page["total"] == 1
    assert "Set-Cookie" not in response.headers


def test_anonymous_callers_get_no_personal_data(client, make_user, make_school, make_visit):
    school = make_school(hosts=[make_user(Role.HOST, phone="13900000000")])
    visit = make_visit(school=school)
    body = client.get(f"/api/v1/visits/{visit.id}").get_json()
    assert set(body) == VISIT_FIELDS
    assert set(body["school"]) == {"id", "name", "timezone", "region"}
    assert "13900000000" not in str(body) and "@" not in str(body)


def test_volunteers_list_every_visit_but_drafts(client, make_user, bearer, make_visit):
    visible = {make_visit(status=s).id for s in (VisitStatus.PUBLISHED, VisitStatus.CANCELLED, VisitStatus.COMPLETED)}
    make_visit(status=VisitStatus.DRAFT)
    page = client.get("/api/v1/visits", headers=bearer(make_user())).get_json()
    assert {v["id"] for v in page["items"]} == visible


def test_hosts_also_list_drafts_at_their_own_schools(client, make_user, bearer, make_school, make_visit):
    host = make_user(Role.HOST)
    own = make_visit(school=make_school(hosts=[host]), status=VisitStatus.DRAFT)
    make_visit(status=VisitStatus.DRAFT)
    page = client.get("/api/v1/visits", headers=bearer(host)).get_json()
    assert [v["id"] for v in page["items"]] == [own.id]


def test_admins_list_drafts_too(client, admin, make_visit):
    make_visit(status=VisitStatus.DRAFT)
    assert client.get("/api/v1/visits", headers=admin).get_json()["total"] == 1


def test_visits_filter_by_status_school_and_start(client, admin, make_school, make_visit):
    school = make_school()
    early = make_visit(school=school, days_ahead=5)
    late = make_visit(school=school, days_ahead=9, status=VisitStatus.DRAFT)
    elsewhere = make_visit(days_ahead=7)

    def ids(**query):
        response = client.get("/api/v1/visits", query_string=query, headers=admin)
        assert response.status_code == 200, response.get_json()
        return [v["id"] for v in response.get_json()["items"]]

    assert ids() == [late.id, elsewhere.id, early.id]
    assert ids(status="draft") == [late.id]
    assert ids(school_id=school.id) == [late.id, early.id]
    assert ids(**{"from": local_iso(elsewhere.starts_at)}) == [late.id, elsewhere.id]
    assert ids(to=local_iso(elsewhere.starts_at)) == [early.id]
    assert ids(**{"from": early.starts_at.isoformat(), "to": late.starts_at.isoformat(), "status": "published"}) == [
        elsewhere.id,
        early.id,
    ]


def test_anonymous_callers_asking_for_drafts_get_none(client, make_visit):
    make_visit(status=VisitStatus.DRAFT)
    assert client.get("/api/v1/visits?status=draft").get_json()["items"] == []


def test_bad_visit_filters_are_a_validation_error(client):
    for query in [
        "status=finished",
        "school_id=abc",
        "school_id=99999999999999999999",
        "from=2030-01-01T09:00",
        "to=soon",
    ]:
        error = assert_error(client.get(f"/api/v1/visits?{query}"), 422, "validation_error")
        assert set(error["errors"]) == {query.split("=")[0]}, query


def test_visits_are_paged(client, make_visit):
    for days in range(3, 8):
        make_visit(days_ahead=days)
    first = client.get("/api/v1/visits?per_page=2").get_json()
    last = client.get("/api/v1/visits?per_page=2&page=3").get_json()
    beyond = client.get("/api/v1/visits?per_page=2&page=4").get_json()
    assert (first["page"], first["per_page"], first["total"], len(first["items"])) == (1, 2, 5, 2)
    assert len(last["items"]) == 1
    assert beyond["items"] == [] and beyond["total"] == 5


@pytest.mark.app_config(PAGE_SIZE=2)
def test_the_default_page_size_comes_from_the_configuration(client, make_visit):
    for days in range(3, 6):
        make_visit(days_ahead=days)
    page = client.get("/api/v1/visits").get_json()
    assert (page["per_page"], len(page["items"])) == (2, 2)


def test_bad_paging_is_a_validation_error(client):
    for query in ["page=0", "page=-1", "page=10000000000000", "per_page=0", "per_page=101", "page=x"]:
        error = assert_error(client.get(f"/api/v1/visits?{query}"), 422, "validation_error")
        assert set(error["errors"]) == {query.split("=")[0]}, query


def test_a_draft_is_not_found_for_anonymous_callers_and_volunteers(client, make_user, bearer, make_visit):
    draft = make_visit(status=VisitStatus.DRAFT)
    assert_error(client.get(f"/api/v1/visits/{draft.id}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/visits/{draft.id}", headers=bearer(make_user())), 404, "not_found")


def test_a_cancelled_visit_is_shown_to_volunteers_as_cancelled(client, make_user, bearer, make_visit):
    cancelled = make_visit(status=VisitStatus.CANCELLED)
    response = client.get(f"/api/v1/visits/{cancelled.id}", headers=bearer(make_user()))
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"


@pytest.mark.parametrize("status", [VisitStatus.CANCELLED, VisitStatus.COMPLETED])
def test_a_cancelled_or_completed_visit_is_shown_to_anonymous_callers_as_the_page_shows_it(client, make_visit, status):
    visit = make_visit(status=status, title="Rocket day")
    response = client.get(f"/api/v1/visits/{visit.id}")
    assert response.status_code == 200
    assert response.get_json()["status"] == status.value
    page = client.get(f"/visits/{visit.id}")
    assert page.status_code == 200
    assert "Rocket day" in page.get_data(as_text=True)


def test_an_unknown_visit_is_not_found(client):
    for visit_id in ["999999", "99999999999999999999999"]:
        assert_error(client.get(f"/api/v1/visits/{visit_id}"), 404, "not_found")


# ---------------------------------------------------------------- change


def test_a_partial_change_keeps_every_other_field(client, admin, make_visit, db_session):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    before = client.get(f"/api/v1/visits/{visit.id}", headers=admin).get_json()
    response = client.patch(f"/api/v1/visits/{visit.id}", json={"title": "Telescope night"}, headers=admin)
    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    assert after["title"] == "Telescope night"
    assert {k: v for k, v in after.items() if k != "title"} == {k: v for k, v in before.items() if k != "title"}


def test_an_empty_change_changes_nothing(client, admin, make_visit):
    visit = make_visit()
    before = client.get(f"/api/v1/visits/{visit.id}", headers=admin).get_json()
    assert client.patch(f"/api/v1/visits/{visit.id}", json={}, headers=admin).get_json() == before


def test_moving_a_visit_moves_it_if_the_lessons_still_fit(client, admin, make_visit):
    visit = make_visit(lessons=0)
    new_start = visit.starts_at + timedelta(days=1)
    body = {"starts_at": local_iso(new_start), "ends_at": local_iso(new_start + timedelta(hours=3))}
    moved = client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin).get_json()
    assert parse(moved["starts_at"]) == new_start


def test_a_change_that_breaks_a_rule_saves_nothing(client, admin, make_visit, db_session):
    visit = make_visit()
    body = {"title": "Renamed", "ends_at": local_iso(visit.starts_at - timedelta(hours=1))}
    assert_error(client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin), 422, "end_before_start")
    db_session.expire_all()
    assert db_session.get(Visit, visit.id).title != "Renamed"


def test_slots_given_replace_the_list_and_ids_keep_rows(client, admin, make_visit, db_session):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER), capacity=3)
    lead, _driver = visit.slots
    lead.taken = 2
    db_session.commit()
    body = {
        "slots": [{"id": lead.id, "role": "lead_instructor", "capacity": 4}, {"role": "photographer", "capacity": 1}]
    }
    response = client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin)
    assert response.status_code == 200, response.get_json()
    slots = response.get_json()["slots"]
    assert (slots[0]["id"], slots[0]["capacity"], slots[0]["taken"]) == (lead.id, 4, 2)
    assert [s["role"] for s in slots] == ["lead_instructor", "photographer"]
    remaining = db_session.query(RoleSlot).filter_by(visit_id=visit.id).all()
    assert {slot.role for slot in remaining} == {SlotRole.LEAD_INSTRUCTOR, SlotRole.PHOTOGRAPHER}


def test_a_slot_sent_again_without_its_id_keeps_its_row_and_signups(client, admin, make_visit, db_session):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR,), capacity=3)
    (lead,) = visit.slots
    lead.taken = 1
    db_session.commit()
    body = {"slots": [{"role": "lead_instructor", "capacity": 5}]}
    response = client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin)
    assert response.status_code == 200, response.get_json()
    (slot,) = response.get_json()["slots"]
    assert (slot["id"], slot["capacity"], slot["taken"]) == (lead.id, 5, 1)


def test_satellites_sent_again_keep_their_rows(client, admin, make_visit, make_school):
    watching = make_school()
    visit = make_visit()
    body = {"satellites": [{"school_id": watching.id, "students_expected": 10}]}
    assert client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin).status_code == 200
    body["satellites"][0]["students_expected"] = 25
    response = client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["satellites"][0]["students_expected"] == 25


def test_removing_a_slot_with_signups_is_a_conflict(client, admin, make_visit, db_session):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    visit.slots[1].taken = 1
    db_session.commit()
    body = {"slots": [{"id": visit.slots[0].id, "role": "lead_instructor", "capacity": 3}]}
    assert_error(client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin), 409, "slot_has_signups")


def test_capacity_below_the_places_taken_is_a_conflict(client, admin, make_visit, db_session):
    visit = make_visit(capacity=3)
    visit.slots[0].taken = 3
    db_session.commit()
    body = {"slots": [{"id": visit.slots[0].id, "role": "lead_instructor", "capacity": 2}]}
    assert_error(client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin), 409, "capacity_below_taken")


def test_a_slot_id_of_another_visit_is_not_found(client, admin, make_visit):
    visit, other = make_visit(days_ahead=5), make_visit(days_ahead=6)
    body = {"slots": [{"id": other.slots[0].id, "role": "lead_instructor", "capacity": 3}]}
    error = assert_error(client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin), 404, "not_found")
    assert error["field"] == "slots-0-role"


def test_two_slots_can_swap_roles(client, admin, make_visit):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    lead, driver = visit.slots
    body = {
        "slots": [
            {"id": lead.id, "role": "driver", "capacity": 1},
            {"id": driver.id, "role": "lead_instructor", "capacity": 2},
        ]
    }
    response = client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin)
    assert response.status_code == 200
    assert {(s["role"], s["capacity"]) for s in response.json["slots"]} == {("driver", 1), ("lead_instructor", 2)}


def test_a_slot_with_volunteers_cannot_change_its_role(client, admin, make_visit, db_session):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR,))
    visit.slots[0].taken = 1
    db_session.commit()
    body = {"slots": [{"id": visit.slots[0].id, "role": "driver", "capacity": 3}]}
    error = assert_error(client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin), 409, "slot_has_signups")
    assert error["field"] == "slots-0-role"


def test_the_same_slot_id_twice_is_a_validation_error(client, admin, make_visit):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    slot_id = visit.slots[0].id
    body = {
        "slots": [
            {"id": slot_id, "role": "lead_instructor", "capacity": 1},
            {"id": slot_id, "role": "driver", "capacity": 1},
        ]
    }
    error = assert_error(client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin), 422, "validation_error")
    assert "slots" in error["errors"]


def test_lessons_given_replace_the_list(client, admin, make_visit):
    visit = make_visit(lessons=2)
    kept = visit.lessons[0]
    body = {
        "lessons": [
            {
                "id": kept.id,
                "title": "Renamed lesson",
                "grade": 6,
                "starts_at": kept.starts_at.isoformat(),
                "ends_at": kept.ends_at.isoformat(),
                "students_expected": 12,
            }
        ]
    }
    response = client.patch(f"/api/v1/visits/{visit.id}", json=body, headers=admin)
    assert response.status_code == 200, response.get_json()
    (lesson,) = response.get_json()["lessons"]
    assert (lesson["id"], lesson["title"], lesson["grade"], lesson["students_expected"]) == (
        kept.id,
        "Renamed lesson",
        6,
        12,
    )


def test_signup_close_can_be_cleared_with_null(client, admin, make_visit):
    visit = make_visit(status=VisitStatus.DRAFT, signup_closes_at=None)
    closes = local_iso(visit.starts_at - timedelta(days=2))
    set_ = client.patch(f"/api/v1/visits/{visit.id}", json={"signup_closes_at": closes}, headers=admin).get_json()
    assert parse(set_["signup_closes_at"]) == parse(closes)
    cleared = client.patch(f"/api/v1/visits/{visit.id}", json={"signup_closes_at": None}, headers=admin).get_json()
    assert cleared["signup_closes_at"] is None


def test_a_cancelled_visit_cannot_be_changed(client, admin, make_visit):
    visit = make_visit(status=VisitStatus.CANCELLED)
    assert_error(client.patch(f"/api/v1/visits/{visit.id}", json={"title": "x"}, headers=admin), 409, "visit_locked")


def test_changing_an_unknown_visit_is_not_found(client, admin):
    assert_error(client.patch("/api/v1/visits/424242", json={"title": "x"}, headers=admin), 404, "not_found")


def test_a_title_of_null_is_a_validation_error(client, admin, make_visit):
    visit = make_visit()
    error = assert_error(
        client.patch(f"/api/v1/visits/{visit.id}", json={"title": None}, headers=admin), 422, "validation_error"
    )
    assert "title" in error["errors"]


# ---------------------------------------------------------------- publish and cancel


def test_publishing_a_draft_opens_signup(client, admin, make_visit, now):
    visit = make_visit(status=VisitStatus.DRAFT)
    response = client.post(f"/api/v1/visits/{visit.id}/publish", headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "published"
    assert parse(body["signup_opens_at"]) <= now
    assert client.get(f"/api/v1/visits/{visit.id}").status_code == 200


def test_publishing_twice_is_a_conflict(client, admin, make_visit):
    visit = make_visit(status=VisitStatus.PUBLISHED)
    assert_error(client.post(f"/api/v1/visits/{visit.id}/publish", headers=admin), 409, "invalid_status_transition")


def test_cancelling_a_published_visit_keeps_it_visible_as_cancelled(client, admin, make_user, bearer, make_visit):
    visit = make_visit()
    assert client.post(f"/api/v1/visits/{visit.id}/cancel", headers=admin).get_json()["status"] == "cancelled"
    assert client.get(f"/api/v1/visits/{visit.id}", headers=bearer(make_user())).get_json()["status"] == "cancelled"


def test_cancelling_twice_is_a_conflict(client, admin, make_visit):
    visit = make_visit(status=VisitStatus.CANCELLED)
    assert_error(client.post(f"/api/v1/visits/{visit.id}/cancel", headers=admin), 409, "invalid_status_transition")


def test_publishing_an_unknown_visit_is_not_found(client, admin):
    assert_error(client.post("/api/v1/visits/424242/publish", headers=admin), 404, "not_found")
