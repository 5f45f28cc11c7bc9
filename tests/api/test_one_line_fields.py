"""Titles and names go into mail subjects: the API refuses line breaks and control characters in them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from events.models import School, Visit
from kits.models import KitType
from tests.api.helpers import assert_error, visit_body

#: a carriage return, a line feed, the Unicode line and paragraph separators, NEL, a tab, ESC
BREAKING = ["Kite\rday", "Kite\nday", "Kite\u2028day", "Kite\u2029day", "Kite\x85day", "Kite\tday", "Kite\x1bday"]


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("title", BREAKING)
def test_a_visit_title_with_a_line_break_or_control_character_is_refused(client, admin, make_school, db_session, title):
    response = client.post("/api/v1/visits", json=visit_body(make_school(), title=title), headers=admin)
    error = assert_error(response, 422, "validation_error")
    assert list(error["errors"]) == ["title"]
    assert count(db_session, Visit) == 0


def test_a_changed_visit_title_and_a_lesson_title_are_refused_too(client, admin, make_school, make_visit):
    school = make_school()
    visit = make_visit(school=school, title="Kite day")
    response = client.patch(f"/api/v1/visits/{visit.id}", json={"title": "Kite\r\nBcc: x@example.org"}, headers=admin)
    assert list(assert_error(response, 422, "validation_error")["errors"]) == ["title"]

    body = visit_body(school)
    body["lessons"][0]["title"] = "Water\u2028rockets"
    error = assert_error(client.post("/api/v1/visits", json=body, headers=admin), 422, "validation_error")
    assert "title" in error["errors"]["lessons"]["0"]


def test_a_one_line_title_with_other_scripts_and_spaces_is_accepted(client, admin, make_school):
    body = visit_body(make_school(), title="风筝日 · Kite day — 2 classes")
    assert client.post("/api/v1/visits", json=body, headers=admin).status_code == 201


def test_school_kit_type_and_person_names_refuse_line_breaks(client, admin, db_session):
    school = {"name": "Sunflower\rPrimary", "province": "贵州省"}
    response = client.post("/api/v1/schools", json=school, headers=admin)
    assert list(assert_error(response, 422, "validation_error")["errors"]) == ["name"]
    assert count(db_session, School) == 0

    response = client.post("/api/v1/kit-types", json={"name": "Rockets\u2028Bcc"}, headers=admin)
    assert list(assert_error(response, 422, "validation_error")["errors"]) == ["name"]
    assert count(db_session, KitType) == 0

    person = {"email": "new@example.org", "name": "Li\nLei", "password": "a long enough password"}
    response = client.post("/api/v1/volunteers", json=person, headers=admin)
    assert list(assert_error(response, 422, "validation_error")["errors"]) == ["name"]
