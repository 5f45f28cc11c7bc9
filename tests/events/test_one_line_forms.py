"""Forms refuse line breaks and control characters in one-line fields (titles, names): they reach mail subjects.
Every field of every form refuses text that cannot be stored (NUL and the other control characters but tab and
line breaks)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from accounts.models import Company
from events.models import School, Visit
from extensions import db
from kits.models import KitType
from tests.events.conftest import visit_form
from tests.events.test_school_pages import school_form

#: what a browser's text box lets through (U+2028 is typed or pasted), and what a crafted POST can send
BREAKING = ["Kite\u2028day", "Kite\u2029day", "Kite\rday", "Kite\nday", "Kite\x85day", "Kite\x07day"]


def error_next_to(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    assert match, f"no error shown next to {field_id}"
    return match.group(1)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("title", BREAKING)
def test_a_visit_title_with_a_line_break_is_shown_again_with_the_error_next_to_it(
    client, login, admin, make_school, title
):
    login(admin)
    data = visit_form(make_school(), title=title, slots=[{"role": "driver", "capacity": 2}])
    response = client.post("/visits/new", data=data)
    assert response.status_code == 422
    assert "line breaks" in error_next_to(response.get_data(as_text=True), "title")
    assert count(Visit) == 0


def test_a_lesson_title_with_a_line_break_is_refused_next_to_it(client, login, admin, make_school):
    login(admin)
    lesson = {"title": "Water\u2028rockets", "grade": 5, "starts_at": "10:00", "ends_at": "11:00"}
    response = client.post("/visits/new", data=visit_form(make_school(), lessons=[lesson]))
    assert response.status_code == 422
    assert "line breaks" in error_next_to(response.get_data(as_text=True), "lessons-0-title")
    assert count(Visit) == 0


def test_school_kit_type_and_company_names_with_a_line_break_are_refused(client, login, admin):
    login(admin)
    response = client.post("/schools/new", data=school_form(name="Sunflower\u2028Primary"))
    assert response.status_code == 422
    assert "line breaks" in error_next_to(response.get_data(as_text=True), "name")
    assert count(School) == 0

    response = client.post("/kits/types/new", data={"name": "Rockets\rBcc", "students_per_kit": "1"})
    assert response.status_code == 422
    assert "line breaks" in error_next_to(response.get_data(as_text=True), "name")
    assert count(KitType) == 0

    companies = count(Company)
    response = client.post("/companies/", data={"name": "Acme\u2029Ltd"})
    assert response.status_code == 422
    assert "line breaks" in error_next_to(response.get_data(as_text=True), "name")
    assert count(Company) == companies


def test_a_profile_name_with_a_line_break_is_refused(client, login, volunteer):
    login(volunteer)
    response = client.post("/profile", data={"name": "Vera\u2028Volunteer", "phone": ""})
    assert response.status_code == 422
    assert "line breaks" in error_next_to(response.get_data(as_text=True), "name")
    db.session.refresh(volunteer)
    assert volunteer.name == "Vera Volunteer"


#: NUL (PostgreSQL cannot store it; on SQLite it was stored), another C0 control character, DEL
UNSTORABLE = ["Take bus 7\x00", "Take bus 7\x1b[2J", "Take bus 7\x7f"]


@pytest.mark.parametrize("text", UNSTORABLE)
def test_text_that_cannot_be_stored_is_refused_next_to_any_field_even_a_multi_line_one(client, login, admin, text):
    login(admin)
    response = client.post("/schools/new", data=school_form(travel_notes=text, province=text))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("travel_notes", "province"):
        assert "cannot be saved" in error_next_to(page, field)
    assert count(School) == 0


def test_tabs_and_line_breaks_stay_welcome_in_a_multi_line_field(client, login, admin):
    login(admin)
    response = client.post("/schools/new", data=school_form(travel_notes="Bus 7 to Wuli,\r\n\tthen walk 2 km"))
    assert response.status_code == 302
    assert db.session.scalar(select(School.travel_notes)) == "Bus 7 to Wuli,\r\n\tthen walk 2 km"


def test_a_row_of_the_visit_form_refuses_text_that_cannot_be_stored(client, login, admin, make_school):
    login(admin)
    lesson = {"title": "Water rockets", "grade": 5, "starts_at": "10:00", "ends_at": "11:00", "classroom": "Lab\x00"}
    response = client.post("/visits/new", data=visit_form(make_school(), lessons=[lesson]))
    assert response.status_code == 422
    assert "cannot be saved" in error_next_to(response.get_data(as_text=True), "lessons-0-classroom")
    assert count(Visit) == 0


def test_every_form_of_the_app_refuses_text_that_cannot_be_stored(app):
    """Each page's form derives from PageForm, each row of one from NestedForm: a new form cannot forget."""
    from wtforms import Form

    from core.forms import NestedForm, PageForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {
        form
        for form in subclasses(Form)
        if form.__module__.split(".")[0] in {"accounts", "events", "kits", "volunteers", "mail"}
    }
    assert len(ours) >= 20
    assert {form.__name__ for form in ours if not issubclass(form, PageForm | NestedForm)} == set()
