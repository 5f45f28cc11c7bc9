"""The one-page visit form: create and edit, rows added without JavaScript, errors next to their fields."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from core.timeutil import in_zone, local_to_utc
from events.models import SlotRole, Visit, VisitStatus
from extensions import db
from tests.events.conftest import day_ahead, visit_form


def page(response) -> str:
    return response.get_data(as_text=True)


def error_next_to(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    assert match, f"no error shown next to {field_id}"
    return match.group(1)


def visit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Visit))


def only_visit() -> Visit:
    db.session.expire_all()
    return db.session.scalars(select(Visit)).one()


# ---------------------------------------------------------------- who may


def test_only_admins_open_the_visit_form(client, login, make_user):
    assert client.get("/visits/new").status_code == 302
    login(make_user(Role.HOST))
    assert client.get("/visits/new").status_code == 403
    login(make_user(Role.ADMIN))
    response = client.get("/visits/new")
    assert response.status_code == 200
    assert "<h1>New visit</h1>" in page(response)


def test_a_volunteer_cannot_post_a_visit(client, login, volunteer, make_school):
    login(volunteer)
    response = client.post("/visits/new", data=visit_form(make_school(), slots=[{"role": "driver", "capacity": 2}]))
    assert response.status_code == 403
    assert visit_count() == 0


def test_editing_an_unknown_visit_is_not_found(client, login, admin):
    login(admin)
    assert client.get("/visits/999/edit").status_code == 404


# ---------------------------------------------------------------- creating


def test_an_admin_creates_a_visit_with_times_at_the_school(client, login, admin, make_school, make_kit_type):
    school = make_school(timezone="Asia/Urumqi")
    kit = make_kit_type(name="Egg kit", students_per_kit=3)
    login(admin)
    day = day_ahead(14, school.timezone)
    response = client.post(
        "/visits/new",
        data=visit_form(
            school,
            title="The egg that floats",
            meeting_point="Main gate",
            livestream_url="https://live.example.com/egg",
            signup_closes_at=f"{day.isoformat()}T08:00",
            slots=[
                {"role": "interpreter", "capacity": 2, "requires_training": True, "required_language": "yi"},
                {"role": "driver", "capacity": ""},
            ],
            lessons=[
                {
                    "title": "Floating eggs",
                    "grade": 3,
                    "classroom": "3-1",
                    "starts_at": "10:00",
                    "ends_at": "11:00",
                    "kit_type_id": kit.id,
                    "students_expected": 30,
                    "spare_kits": 1,
                },
                {"title": "", "grade": "", "starts_at": "", "ends_at": ""},
            ],
        ),
    )
    visit = only_visit()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/visits/{visit.id}")
    assert visit.status == VisitStatus.DRAFT
    assert visit.title == "The egg that floats"
    assert visit.starts_at == local_to_utc(day, time(9), "Asia/Urumqi")
    assert visit.starts_at.hour == 3  # 09:00 at UTC+6
    assert visit.ends_at == local_to_utc(day, time(15), "Asia/Urumqi")
    assert visit.signup_closes_at == local_to_utc(day, time(8), "Asia/Urumqi")
    assert (visit.meeting_point, visit.livestream_url) == ("Main gate", "https://live.example.com/egg")
    assert [(s.role, s.capacity, s.requires_training, s.required_language) for s in visit.slots] == [
        (SlotRole.INTERPRETER, 2, True, "yi")
    ]
    [lesson] = visit.lessons
    assert (lesson.title, lesson.grade, lesson.classroom, lesson.kit_type_id) == ("Floating eggs", 3, "3-1", kit.id)
    assert lesson.starts_at == local_to_utc(day, time(10), "Asia/Urumqi")
    assert (lesson.students_expected, lesson.spare_kits, lesson.kits_needed) == (30, 1, 11)
    assert "The visit The egg that floats has been saved." in page(client.get(response.headers["Location"]))


def test_a_satellite_school_is_saved_with_the_visit(client, login, admin, make_school):
    school, watching = make_school(), make_school(name="Blue Sky School")
    login(admin)
    client.post(
        "/visits/new",
        data=visit_form(school, satellites=[{"school_id": watching.id, "students_expected": 40}, {"school_id": ""}]),
    )
    assert [(s.school_id, s.students_expected) for s in only_visit().satellites] == [(watching.id, 40)]


def test_removed_rows_are_not_saved(client, login, admin, make_school):
    login(admin)
    client.post(
        "/visits/new",
        data=visit_form(
            make_school(),
            slots=[{"role": "driver", "capacity": 1, "remove": True}, {"role": "lead_instructor", "capacity": 2}],
        ),
    )
    assert [slot.role for slot in only_visit().slots] == [SlotRole.LEAD_INSTRUCTOR]


# ---------------------------------------------------------------- errors


def test_missing_fields_are_shown_next_to_them_and_the_input_is_kept(client, login, admin, make_school):
    school = make_school()
    login(admin)
    response = client.post("/visits/new", data=visit_form(school, title="", school_id="", meeting_point="Gate 2"))
    html = page(response)
    assert response.status_code == 422
    assert "Please check the form" in html
    assert error_next_to(html, "title") == "This field is required."
    assert error_next_to(html, "school_id") == "Choose a school."
    assert 'value="Gate 2"' in html
    assert visit_count() == 0


def test_a_lesson_outside_the_visit_is_shown_on_its_own_row(client, login, admin, make_school):
    login(admin)
    response = client.post(
        "/visits/new",
        data=visit_form(
            make_school(),
            title="Rover day",
            lessons=[
                {"title": ""},  # left blank: skipped, so the service sees the next row as its first
                {"title": "Night sky", "grade": 5, "starts_at": "16:00", "ends_at": "17:00"},
            ],
        ),
    )
    html = page(response)
    assert response.status_code == 422
    assert error_next_to(html, "lessons-1-starts_at") == "The lesson must take place within the visit."
    assert 'id="lessons-0-starts_at-error"' not in html
    assert 'value="Rover day"' in html and 'value="Night sky"' in html and 'value="16:00"' in html
    assert visit_count() == 0


def test_a_role_with_no_places_is_shown_on_its_own_row(client, login, admin, make_school):
    login(admin)
    response = client.post(
        "/visits/new",
        data=visit_form(
            make_school(), slots=[{"role": "driver", "capacity": ""}, {"role": "assistant", "capacity": 0}]
        ),
    )
    assert response.status_code == 422
    assert error_next_to(page(response), "slots-1-capacity") == "Capacity must be at least 1."


def test_a_lesson_with_a_title_needs_its_times(client, login, admin, make_school):
    login(admin)
    response = client.post(
        "/visits/new", data=visit_form(make_school(), lessons=[{"title": "Rockets", "grade": 4, "starts_at": ""}])
    )
    html = page(response)
    assert response.status_code == 422
    assert error_next_to(html, "lessons-0-starts_at") == "This field is required."
    assert error_next_to(html, "lessons-0-ends_at") == "This field is required."


def test_a_visit_at_a_busy_school_is_refused_next_to_the_start(client, login, admin, make_visit):
    visit = make_visit()  # 09:00-15:00, 14 days ahead
    login(admin)
    response = client.post("/visits/new", data=visit_form(visit.school, start="14:00", end="16:00"))
    assert response.status_code == 422
    assert error_next_to(page(response), "starts_at") == "This school already has a visit at an overlapping time."
    assert visit_count() == 1


def test_the_host_school_as_its_own_satellite_is_refused_on_the_row(client, login, admin, make_school):
    school = make_school()
    login(admin)
    response = client.post("/visits/new", data=visit_form(school, satellites=[{"school_id": school.id}]))
    assert response.status_code == 422
    assert error_next_to(page(response), "satellites-0-school_id") == "The host school cannot also watch remotely."


# ---------------------------------------------------------------- add-row buttons


@pytest.mark.parametrize(
    ("button", "new_field"),
    [("add_slot", "slots-1-capacity"), ("add_lesson", "lessons-1-title"), ("add_satellite", "satellites-0-school_id")],
)
def test_an_add_button_shows_one_more_row_keeps_the_input_and_saves_nothing(
    client, login, admin, make_school, button, new_field
):
    login(admin)
    data = visit_form(
        make_school(), title="Kept title", slots=[{"role": "driver", "capacity": 4}], lessons=[{"title": "Kept lesson"}]
    )
    data[button] = "1"
    response = client.post("/visits/new", data=data)
    html = page(response)
    assert response.status_code == 200
    assert f'id="{new_field}"' in html
    assert 'value="Kept title"' in html and 'value="Kept lesson"' in html
    assert 'name="slots-0-capacity" required type="number" value="4"' in html
    assert "Please check the form" not in html
    assert visit_count() == 0


def test_rows_added_one_after_another_are_all_saved(client, login, admin, make_school):
    school = make_school()
    login(admin)
    data = visit_form(school, slots=[{"role": "lead_instructor", "capacity": 1}])
    html = page(client.post("/visits/new", data={**data, "add_slot": "1"}))
    assert 'id="slots-1-role"' in html
    data.update({"slots-1-role": "photographer", "slots-1-capacity": "1"})
    response = client.post("/visits/new", data={**data, "save": "1"})
    assert response.status_code == 302
    assert [slot.role for slot in only_visit().slots] == [SlotRole.LEAD_INSTRUCTOR, SlotRole.PHOTOGRAPHER]


# ---------------------------------------------------------------- editing


def test_the_edit_form_shows_the_visit_in_the_schools_time(client, login, admin, make_school, make_visit):
    visit = make_visit(school=make_school(timezone="Asia/Urumqi"), roles=(SlotRole.DRIVER,), capacity=5)
    login(admin)
    html = page(client.get(f"/visits/{visit.id}/edit"))
    assert "<h1>Edit the visit</h1>" in html
    assert 'name="starts_at" required type="time" value="09:00"' in html
    assert 'name="ends_at" required type="time" value="15:00"' in html
    assert f'name="slots-0-id" type="hidden" value="{visit.slots[0].id}"' in html
    assert '<option selected value="driver">' in html
    assert 'name="lessons-0-starts_at" required type="time" value="10:00"' in html
    opens = in_zone(visit.signup_opens_at, "Asia/Urumqi")
    assert f'name="signup_opens_at" type="datetime-local" value="{opens:%Y-%m-%dT%H:%M}"' in html


def test_editing_updates_rows_in_place_removes_ticked_ones_and_adds_new_ones(client, login, admin, make_visit):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR,), capacity=2, lessons=2)
    slot_id, first_lesson, second_lesson = visit.slots[0].id, visit.lessons[0].id, visit.lessons[1].id
    login(admin)
    data = visit_form(
        visit.school,
        title="Renamed",
        slots=[
            {"id": slot_id, "role": "lead_instructor", "capacity": 4},
            {"role": "photographer", "capacity": 1},
        ],
        lessons=[
            {"id": first_lesson, "title": "Lesson 1", "grade": 4, "starts_at": "10:00", "ends_at": "11:30"},
            {
                "id": second_lesson,
                "title": "Lesson 2",
                "grade": 4,
                "starts_at": "11:00",
                "ends_at": "12:00",
                "remove": True,
            },
        ],
    )
    response = client.post(f"/visits/{visit.id}/edit", data=data)
    assert response.status_code == 302
    visit = only_visit()
    assert visit.title == "Renamed"
    assert [(s.id, s.role, s.capacity) for s in visit.slots][:1] == [(slot_id, SlotRole.LEAD_INSTRUCTOR, 4)]
    assert [s.role for s in visit.slots] == [SlotRole.LEAD_INSTRUCTOR, SlotRole.PHOTOGRAPHER]
    assert [lesson.id for lesson in visit.lessons] == [first_lesson]
    assert visit.lessons[0].ends_at - visit.lessons[0].starts_at == timedelta(minutes=90)


def test_an_existing_row_left_empty_is_an_error_not_a_removal(client, login, admin, make_visit):
    visit = make_visit()
    login(admin)
    data = visit_form(visit.school, slots=[{"id": visit.slots[0].id, "role": "lead_instructor", "capacity": ""}])
    response = client.post(f"/visits/{visit.id}/edit", data=data)
    assert response.status_code == 422
    assert error_next_to(page(response), "slots-0-capacity") == "This field is required."


def test_removing_a_role_that_has_volunteers_is_refused_with_a_message(client, login, admin, make_visit):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    visit.slots[1].taken = 1
    db.session.commit()
    login(admin)
    data = visit_form(
        visit.school,
        slots=[
            {"id": visit.slots[0].id, "role": "lead_instructor", "capacity": 3},
            {"id": visit.slots[1].id, "role": "driver", "capacity": 3, "remove": True},
        ],
    )
    response = client.post(f"/visits/{visit.id}/edit", data=data)
    assert response.status_code == 422
    assert "This role already has volunteers; it cannot be removed." in page(response)
    assert len(only_visit().slots) == 2


def test_a_cancelled_visit_cannot_be_edited(client, login, admin, make_visit):
    visit = make_visit(status=VisitStatus.CANCELLED, title="Called off")
    login(admin)
    response = client.post(f"/visits/{visit.id}/edit", data=visit_form(visit.school, title="Back on"))
    assert response.status_code == 422
    assert "A cancelled or completed visit cannot be changed." in page(response)
    assert only_visit().title == "Called off"


def test_the_edit_form_offers_the_visits_archived_school(client, login, admin, make_visit, now):
    visit = make_visit()
    visit.school.archived_at = now
    db.session.commit()
    login(admin)
    html = page(client.get(f"/visits/{visit.id}/edit"))
    assert f'<option selected value="{visit.school_id}">' in html


def test_a_livestream_link_must_be_a_web_link(client, login, admin, make_school):
    login(admin)
    response = client.post(
        "/visits/new", data=visit_form(make_school(), livestream_url="javascript://example.com/%0Aalert(1)")
    )
    assert response.status_code == 422
    assert error_next_to(page(response), "livestream_url") == "Use a web link (https://…)."
    assert visit_count() == 0


def test_new_visit_from_a_school_page_starts_with_that_school(client, login, admin, make_school):
    make_school()
    school = make_school()
    login(admin)
    assert f'href="/visits/new?school_id={school.id}"' in page(client.get(f"/schools/{school.id}"))
    html = page(client.get(f"/visits/new?school_id={school.id}"))
    assert f'<option selected value="{school.id}">' in html


def test_the_cancel_cutoff_is_set_per_visit_and_kept_when_other_fields_change(
    client, login, make_user, make_visit, db_session
):
    from accounts.models import Role

    login(make_user(Role.ADMIN))
    visit = make_visit()
    page = client.get(f"/visits/{visit.id}/edit").get_data(as_text=True)
    assert 'name="cancel_cutoff_hours"' in page and 'value="24"' in page
    visit.cancel_cutoff_hours = 48
    db_session.commit()
    page = client.get(f"/visits/{visit.id}/edit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="cancel_cutoff_hours"' in page and 'value="48"' in page


# ---------------------------------------------------------------- conversion


def test_a_saved_visit_shown_in_the_form_reads_back_as_the_same_service_input(
    app, db_session, make_school, make_visit, make_kit_type
):
    from events.forms import VisitForm
    from events.services import SatelliteData, update_visit, visit_data

    kit = make_kit_type(name="Mars rover kit")
    school = make_school(timezone="Asia/Urumqi")
    visit = make_visit(school=school, roles=(SlotRole.INTERPRETER, SlotRole.DRIVER), lessons=2, kit_type=kit)
    data = visit_data(visit)
    data.slots[0].required_language, data.slots[0].requires_training = "yi", True
    data.lessons[0].classroom, data.lessons[0].spare_kits = "Lab 2", 3
    data.satellites = [SatelliteData(school_id=make_school(name="Blue Sky School").id, students_expected=25)]
    data.meeting_point, data.notes, data.cancel_cutoff_hours = "Gate 2", "Bring water", 48
    update_visit(db_session, visit, data, now=visit.created_at)
    db_session.commit()

    with app.test_request_context():
        form = VisitForm(formdata=None, data=VisitForm.data_of(visit))
        read_back, positions = form.as_visit_data(school.timezone)
    assert read_back == visit_data(visit)
    assert positions == {"slots": [0, 1], "lessons": [0, 1], "satellites": [0]}
