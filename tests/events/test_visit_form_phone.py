"""The visit form on a phone: add-row buttons come back to the new row, required fields are marked,
the error summary links each error to its field, optional details fold away; visits dated in the past."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.errors import DomainError
from events.models import SlotRole, Visit, VisitStatus
from events.services import create_visit, publish_visit
from extensions import db
from tests.events.conftest import visit_data, visit_form


def page(response) -> str:
    return response.get_data(as_text=True)


def summary_links(html: str) -> list[tuple[str, str]]:
    """(target, text) of each link in the error summary, in order."""
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert box, "no error summary"
    return re.findall(r'<a href="#([^"]+)">(.*?)</a>', box.group(0))


def only_visit() -> Visit:
    db.session.expire_all()
    return db.session.scalars(select(Visit)).one()


# ---------------------------------------------------------------- adding a row keeps the place


@pytest.mark.parametrize(
    ("button", "row"), [("add_slot", "slots-1"), ("add_lesson", "lessons-1"), ("add_satellite", "satellites-0")]
)
def test_an_add_button_brings_the_page_back_to_the_new_row(client, login, admin, make_school, button, row):
    school = make_school()
    login(admin)
    html = page(client.get(f"/visits/new?school_id={school.id}"))
    # Pressed, the button posts to the page's own address with the new row's fragment...
    assert f'name="{button}" value="1" class="secondary" formaction="/visits/new?school_id={school.id}#{row}"' in html
    data = visit_form(school, slots=[{"role": "driver", "capacity": 4}], lessons=[{"title": "Egg drop"}])
    data[button] = "1"
    html = page(client.post(f"/visits/new?school_id={school.id}", data=data))
    # ...where the new row carries that id, and the next press aims one row further.
    assert f'<fieldset class="row" id="{row}">' in html
    name, number = row.rsplit("-", 1)
    assert f'#{name}-{int(number) + 1}"' in html


def test_save_posts_to_the_page_without_a_fragment(client, login, admin, make_school):
    school = make_school()
    login(admin)
    html = page(client.get(f"/visits/new?school_id={school.id}"))
    assert f'<form method="post" action="/visits/new?school_id={school.id}" class="stack" novalidate>' in html


# ---------------------------------------------------------------- required fields


def test_required_fields_of_the_visit_and_of_its_rows_are_marked(client, login, admin):
    login(admin)
    html = page(client.get("/visits/new"))
    assert "Fields marked * are required." in html
    for name in ("title", "date", "starts_at", "ends_at", "slots-0-capacity", "lessons-0-title", "lessons-0-grade"):
        tag = re.search(rf'<input[^>]*id="{name}"[^>]*>', html).group(0)
        assert " required" in tag, name
        label = re.search(rf'<label for="{name}">.*?</label>( <span class="req" aria-hidden="true">\*</span>)?', html)
        assert label.group(1), f"{name} has no visible mark"
    for name in ("lessons-0-starts_at", "lessons-0-ends_at"):
        assert re.search(rf'<input[^>]*id="{name}"[^>]*required', html), name
    # Optional ones are not.
    for name in ("meeting_point", "lessons-0-classroom", "lessons-0-spare_kits"):
        assert " required" not in re.search(rf'<input[^>]*id="{name}"[^>]*>', html).group(0), name


# ---------------------------------------------------------------- the error summary


def test_the_error_summary_links_each_error_to_its_field_rows_included(client, login, admin, make_school):
    school = make_school()
    login(admin)
    data = visit_form(
        school,
        title="",
        slots=[{"role": "driver", "capacity": 2}, {"role": "assistant", "capacity": ""}],
        lessons=[{"title": "Egg drop", "grade": 4}],
    )
    data["slots-1-capacity"] = "abc"  # not a number: the row is kept, with an error
    response = client.post("/visits/new", data=data)
    html = page(response)
    assert response.status_code == 422
    links = summary_links(html)
    assert ("title", "Title: This field is required.") in links
    assert ("lessons-0-starts_at", "Lesson 1, Starts: This field is required.") in links
    assert ("lessons-0-ends_at", "Lesson 1, Ends: This field is required.") in links
    assert any(target == "slots-1-capacity" and text.startswith("Role 2, Places: ") for target, text in links)
    # Each link leads to a field that is on the page.
    for target, _text in links:
        assert f'id="{target}"' in html, target
    assert "Some fields need attention." not in html
    # The summary comes before the form, with a heading a link can focus.
    assert html.index('class="error-summary"') < html.index('<form method="post" action="/visits/new"')
    assert '<h2 id="error-summary-title" tabindex="-1">' in html


def test_a_rule_broken_by_a_row_is_linked_to_that_row(client, login, admin, make_school):
    school = make_school()
    login(admin)
    data = visit_form(school, lessons=[{"title": "Too late", "grade": 4, "starts_at": "16:00", "ends_at": "17:00"}])
    links = summary_links(page(client.post("/visits/new", data=data)))
    assert links == [("lessons-0-starts_at", "Lesson 1, Starts: The lesson must take place within the visit.")]


def test_a_rule_about_a_whole_list_is_linked_to_the_list(client, login, admin, make_visit):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    visit.slots[1].taken = 1
    db.session.commit()
    login(admin)
    data = visit_form(visit.school, slots=[{"id": visit.slots[0].id, "role": "lead_instructor", "capacity": 3}])
    html = page(client.post(f"/visits/{visit.id}/edit", data=data))
    assert summary_links(html) == [
        ("slots", "Volunteer roles: This role already has volunteers; it cannot be removed.")
    ]
    assert '<h2 id="slots">Volunteer roles</h2>' in html


# ---------------------------------------------------------------- optional details fold away


def test_optional_details_are_folded_unless_they_hold_something(client, login, admin, make_school):
    school = make_school()
    login(admin)
    assert '<details class="optional">' in page(client.get("/visits/new"))
    bad_link = visit_form(school, livestream_url="ftp://example.org/x")
    html = page(client.post("/visits/new", data=bad_link))
    assert '<details class="optional" open>' in html
    assert ("livestream_url", "Livestream link: Use a web link (https://…).") in summary_links(html)


def test_a_visit_with_optional_details_set_opens_them_for_editing(client, login, admin, make_visit):
    visit = make_visit(notes="Bring the spare batteries.")
    login(admin)
    assert '<details class="optional" open>' in page(client.get(f"/visits/{visit.id}/edit"))


# ---------------------------------------------------------------- visits dated in the past


def test_publishing_a_visit_that_has_begun_is_visit_in_past(db_session, make_school, now):
    school = make_school()
    visit = create_visit(db_session, visit_data(school, days=-2), now=now)
    with pytest.raises(DomainError) as caught:
        publish_visit(db_session, visit, now=now)
    assert caught.value.code == "visit_in_past"
    assert visit.status == VisitStatus.DRAFT
    started = create_visit(db_session, visit_data(school, days=3), now=now)
    with pytest.raises(DomainError) as caught:
        publish_visit(db_session, started, now=started.starts_at)
    assert caught.value.code == "visit_in_past"
    assert publish_visit(db_session, started, now=started.starts_at - timedelta(minutes=1)).status == (
        VisitStatus.PUBLISHED
    )


def test_saving_a_visit_dated_in_the_past_warns_and_the_page_refuses_to_publish(
    client, login, admin, make_school, clock
):
    school = make_school()
    login(admin)
    response = client.post("/visits/new", data=visit_form(school, days=-1))
    assert response.status_code == 302
    html = page(client.get(response.headers["Location"]))
    assert '<p class="flash flash-warning">This visit is dated in the past.' in html
    assert "The visit Balloon day has been saved." in html
    # The visit page says why there is no Publish button, and a forced publish is refused.
    assert 'value="publish"' not in html
    assert '<p class="notice">This visit is dated in the past.' in html
    visit = only_visit()
    refused = client.post(f"/visits/{visit.id}/status", data={"action": "publish"})
    assert "so it cannot be published" in page(client.get(refused.headers["Location"]))
    assert only_visit().status == VisitStatus.DRAFT


def test_saving_a_visit_to_come_gives_no_warning(client, login, admin, make_school):
    login(admin)
    response = client.post("/visits/new", data=visit_form(make_school(), days=3))
    html = page(client.get(response.headers["Location"]))
    assert "flash-warning" not in html
    assert 'value="publish"' in html
