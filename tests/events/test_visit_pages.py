"""The public list, the visit list and the visit page."""

from __future__ import annotations

import pytest

from accounts.models import Role
from events.models import SlotRole, Visit, VisitStatus
from extensions import db


def page(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- the public page


def test_home_lists_published_upcoming_visits_for_anyone(client, make_visit):
    make_visit(title="Mars rover day")
    make_visit(title="Secret draft", status=VisitStatus.DRAFT)
    make_visit(title="Called off", status=VisitStatus.CANCELLED)
    make_visit(title="Long ago", days_ahead=-10)
    response = client.get("/")
    html = page(response)
    assert response.status_code == 200
    assert html.count("<h1>") == 1
    assert "<h1>Upcoming science visits</h1>" in html
    assert "Mars rover day" in html
    assert "Secret draft" not in html
    assert "Called off" not in html
    assert "Long ago" not in html


def test_home_card_shows_school_region_places_and_links_to_the_visit(client, make_school, make_visit):
    school = make_school(name="Red Star Primary", province="云南省", county="澜沧县")
    visit = make_visit(school=school, roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER), capacity=3)
    visit.slots[0].taken = 1
    db.session.commit()
    html = page(client.get("/"))
    assert "Red Star Primary" in html
    assert "云南省" in html and "澜沧县" in html
    assert "<dt>Places left</dt><dd>5</dd>" in html
    assert f'href="/visits/{visit.id}"' in html
    assert "Published" in html


def test_home_shows_times_in_the_schools_time_zone(client, make_school, make_visit):
    school = make_school(timezone="Asia/Urumqi")
    make_visit(school=school)  # 09:00-15:00 at the school, 11:00-17:00 in Beijing
    html = page(client.get("/"))
    assert "9:00\u202fAM–3:00\u202fPM" in html or "9:00 AM–3:00 PM" in html
    assert "11:00" not in html


def test_public_pages_show_no_personal_data(client, make_user, make_school, make_visit):
    host = make_user(Role.HOST, name="Hu Laoshi", email="hu.laoshi@example.com", phone="13800138000")
    visit = make_visit(school=make_school(hosts=[host]), title="Mars rover day")
    for url in ("/", f"/visits/{visit.id}"):
        response = client.get(url)
        html = page(response)
        assert response.status_code == 200
        assert "Mars rover day" in html
        assert "hu.laoshi@example.com" not in html
        assert "13800138000" not in html
        assert "Hu Laoshi" not in html


def test_home_is_paged(app, client, make_school, make_visit):
    app.config["PAGE_SIZE"] = 2
    school = make_school()
    for days in (3, 4, 5):
        make_visit(school=school, days_ahead=days, title=f"Visit in {days} days")
    first = page(client.get("/"))
    assert "Visit in 3 days" in first and "Visit in 4 days" in first and "Visit in 5 days" not in first
    assert 'href="/?page=2"' in first
    second = page(client.get("/?page=2"))
    assert "Visit in 5 days" in second and "Visit in 3 days" not in second


# ---------------------------------------------------------------- the list for signed-in people


def test_the_visit_list_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/visits/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_volunteer_sees_published_visits_but_no_drafts_and_no_new_button(client, login, volunteer, make_visit):
    make_visit(title="Open to all")
    make_visit(title="Not yet", status=VisitStatus.DRAFT, days_ahead=20)
    login(volunteer)
    response = client.get("/visits/")
    html = page(response)
    assert response.status_code == 200
    assert "Open to all" in html
    assert "Not yet" not in html
    assert "New visit" not in html


def test_an_admin_sees_drafts_and_the_new_visit_button(client, login, admin, make_visit):
    make_visit(title="Not yet", status=VisitStatus.DRAFT)
    login(admin)
    html = page(client.get("/visits/"))
    assert "Not yet" in html
    assert 'href="/visits/new"' in html


def test_the_visit_list_shows_upcoming_visits_unless_asked_for_the_past(client, login, volunteer, make_visit):
    make_visit(title="Coming up")
    make_visit(title="Done and dusted", days_ahead=-5)
    login(volunteer)
    html = page(client.get("/visits/"))
    assert "Coming up" in html and "Done and dusted" not in html
    html = page(client.get("/visits/?when=past"))
    assert "Done and dusted" in html and "Coming up" not in html
    html = page(client.get("/visits/?when=all"))
    assert "Done and dusted" in html and "Coming up" in html


def test_the_visit_list_filters_by_school_region_and_status(client, login, admin, make_school, make_visit):
    sichuan, yunnan = make_school(province="四川省"), make_school(province="云南省")
    make_visit(school=sichuan, title="In Sichuan")
    make_visit(school=yunnan, title="In Yunnan")
    make_visit(school=yunnan, title="Yunnan draft", status=VisitStatus.DRAFT, days_ahead=20)
    login(admin)
    html = page(client.get(f"/visits/?school_id={sichuan.id}"))
    assert "In Sichuan" in html and "In Yunnan" not in html
    html = page(client.get("/visits/?province=云南省"))
    assert "In Yunnan" in html and "Yunnan draft" in html and "In Sichuan" not in html
    html = page(client.get("/visits/?province=云南省&status=draft"))
    assert "Yunnan draft" in html and "In Yunnan" not in html


def test_the_filter_keeps_its_choices_on_the_page(client, login, admin, make_school):
    school = make_school(province="云南省")
    login(admin)
    html = page(client.get(f"/visits/?when=past&school_id={school.id}&province=云南省"))
    assert '<option selected value="past">' in html
    assert f'<option selected value="{school.id}">' in html
    assert '<option selected value="云南省">' in html


def test_nonsense_filter_values_are_ignored(client, login, volunteer, make_visit):
    make_visit(title="Still here")
    login(volunteer)
    response = client.get("/visits/?when=someday&school_id=abc&status=lost&province=Atlantis")
    assert response.status_code == 200
    assert "Still here" in page(response)


def test_the_visit_list_is_paged_and_the_pages_keep_the_filter(app, client, login, volunteer, make_school, make_visit):
    app.config["PAGE_SIZE"] = 2
    school = make_school(province="云南省")
    for days in (3, 4, 5):
        make_visit(school=school, days_ahead=days, title=f"Visit in {days} days")
    login(volunteer)
    first = page(client.get("/visits/?province=云南省"))
    assert "Visit in 5 days" not in first
    assert "page=2" in first and "province=" in first
    second = page(client.get("/visits/?province=云南省&page=2"))
    assert "Visit in 5 days" in second and "Visit in 3 days" not in second


# ---------------------------------------------------------------- one visit


def test_a_draft_is_not_found_for_the_public_and_volunteers(client, login, volunteer, make_visit):
    visit = make_visit(status=VisitStatus.DRAFT)
    assert client.get(f"/visits/{visit.id}").status_code == 404
    login(volunteer)
    assert client.get(f"/visits/{visit.id}").status_code == 404


def test_a_draft_is_shown_to_admins_and_hosts_of_its_school_only(client, login, make_user, make_school, make_visit):
    host, other_host = make_user(Role.HOST), make_user(Role.HOST)
    make_school(hosts=[other_host])
    visit = make_visit(school=make_school(hosts=[host]), status=VisitStatus.DRAFT)
    login(other_host)
    assert client.get(f"/visits/{visit.id}").status_code == 404
    login(host)
    assert client.get(f"/visits/{visit.id}").status_code == 200


def test_an_unknown_visit_is_not_found(client):
    assert client.get("/visits/999").status_code == 404


def test_the_visit_page_shows_where_when_roles_and_lessons(client, make_school, make_kit_type, make_visit):
    school = make_school(name="Red Star Primary", timezone="Asia/Urumqi")
    kit = make_kit_type(name="Mars rover kit", students_per_kit=4)
    visit = make_visit(
        school=school,
        roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.INTERPRETER),
        kit_type=kit,
        meeting_point="Kunming railway station, exit 2",
        livestream_url="https://live.example.com/mars",
    )
    visit.slots[1].required_language = "yi"
    visit.slots[1].requires_training = True
    visit.lessons[0].spare_kits = 2
    db.session.commit()
    html = page(client.get(f"/visits/{visit.id}"))
    assert f"<h1>{visit.title}</h1>" in html
    assert "Red Star Primary" in html
    assert "(Xinjiang time (UTC+6))" in html and "Asia/Urumqi" not in html
    assert "Kunming railway station, exit 2" in html
    assert 'href="https://live.example.com/mars"' in html
    assert "Lead instructor" in html and "Interpreter" in html
    assert "Speaks Yi (Nuosu)" in html and "Training completed" in html
    assert "Lesson 1" in html and "Mars rover kit" in html
    assert "10:00\u202fAM–11:00\u202fAM" in html  # the lesson, at the school, in the one time style of English
    assert "<dt>Kits needed</dt><dd>10</dd>" in html  # ceil(30 / 4) + 2 spare


def test_the_visit_page_lists_the_satellite_schools(client, db_session, make_school, make_visit):
    from events.services import SatelliteData, update_visit, visit_data

    watching = make_school(name="Blue Sky School")
    visit = make_visit()
    data = visit_data(visit)
    data.satellites = [SatelliteData(school_id=watching.id, students_expected=25)]
    update_visit(db_session, visit, data, now=visit.created_at)
    db_session.commit()
    html = page(client.get(f"/visits/{visit.id}"))
    assert "Blue Sky School" in html
    assert "25 students expected" in html


def test_a_cancelled_visit_says_so(client, make_visit):
    visit = make_visit(status=VisitStatus.CANCELLED)
    html = page(client.get(f"/visits/{visit.id}"))
    assert "This visit has been cancelled." in html
    assert "status-cancelled" in html


def test_hosts_of_the_school_see_travel_and_connectivity_notes(client, login, make_user, make_school, make_visit):
    host, volunteer = make_user(Role.HOST), make_user(Role.VOLUNTEER)
    school = make_school(hosts=[host], travel_notes="Last bus 16:00", connectivity_notes="No signal in class")
    visit = make_visit(school=school)
    login(volunteer)
    response = client.get(f"/visits/{visit.id}")
    html = page(response)
    assert response.status_code == 200
    assert visit.title in html
    assert "Last bus 16:00" not in html and "No signal in class" not in html
    login(host)
    html = page(client.get(f"/visits/{visit.id}"))
    assert "Last bus 16:00" in html and "No signal in class" in html


@pytest.mark.parametrize(
    ("status", "days_ahead", "buttons"),
    [
        (VisitStatus.DRAFT, 14, {"publish", "cancel"}),
        (VisitStatus.PUBLISHED, 14, {"cancel"}),
        (VisitStatus.PUBLISHED, -3, {"cancel", "complete"}),
        (VisitStatus.CANCELLED, 14, set()),
        (VisitStatus.COMPLETED, -3, set()),
    ],
)
def test_an_admin_sees_only_the_status_changes_that_apply(
    client, login, admin, make_visit, status, days_ahead, buttons
):
    visit = make_visit(status=status, days_ahead=days_ahead, title="Kite day")
    login(admin)
    response = client.get(f"/visits/{visit.id}")
    html = page(response)
    assert response.status_code == 200
    assert "Kite day" in html
    shown = {action for action in ("publish", "complete") if f'name="action" value="{action}"' in html}
    if f'href="/visits/{visit.id}/cancel"' in html:  # cancelling asks first: a link to the question
        shown.add("cancel")
    assert shown == buttons
    assert (f'href="/visits/{visit.id}/edit"' in html) == (status in (VisitStatus.DRAFT, VisitStatus.PUBLISHED))


def test_volunteers_see_no_edit_or_status_buttons(client, login, volunteer, make_visit):
    visit = make_visit()
    login(volunteer)
    response = client.get(f"/visits/{visit.id}")
    html = page(response)
    assert response.status_code == 200
    assert visit.title in html
    assert 'name="action"' not in html
    assert "/edit" not in html


# ---------------------------------------------------------------- status changes


def test_an_admin_publishes_a_draft(client, login, admin, make_visit):
    visit = make_visit(status=VisitStatus.DRAFT)
    login(admin)
    response = client.post(f"/visits/{visit.id}/status", data={"action": "publish"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/visits/{visit.id}")
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.PUBLISHED
    assert "The visit is published." in page(client.get(f"/visits/{visit.id}"))


def test_an_admin_cancels_a_visit(client, login, admin, make_visit):
    visit = make_visit()
    login(admin)
    client.post(f"/visits/{visit.id}/status", data={"action": "cancel"})
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.CANCELLED


def test_completing_a_visit_that_has_not_ended_is_refused_with_a_message(client, login, admin, make_visit):
    visit = make_visit()
    login(admin)
    response = client.post(f"/visits/{visit.id}/status", data={"action": "complete"}, follow_redirects=True)
    assert "A visit can be completed only after it ends." in page(response)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.PUBLISHED


def test_a_status_change_that_is_not_allowed_is_refused_with_a_message(client, login, admin, make_visit):
    visit = make_visit(status=VisitStatus.CANCELLED)
    login(admin)
    response = client.post(f"/visits/{visit.id}/status", data={"action": "publish"}, follow_redirects=True)
    assert "The visit cannot move to that status." in page(response)


def test_an_unknown_status_action_is_a_bad_request(client, login, admin, make_visit):
    visit = make_visit()
    login(admin)
    assert client.post(f"/visits/{visit.id}/status", data={"action": "explode"}).status_code == 400


def test_only_admins_change_a_visits_status(client, login, make_user, make_school, make_visit):
    host = make_user(Role.HOST)
    visit = make_visit(school=make_school(hosts=[host]), status=VisitStatus.DRAFT)
    login(host)
    assert client.post(f"/visits/{visit.id}/status", data={"action": "publish"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.DRAFT


def test_with_many_schools_the_filter_offers_a_regions_schools_once_a_region_is_chosen(
    client, login, admin, make_school, make_visit, monkeypatch
):
    """A national programme has thousands of schools: past SCHOOLS_AT_ONCE, the school filter waits for a region
    (a select of every school is unusable on a phone), and a school already chosen stays offered and applied."""
    from events import queries

    monkeypatch.setattr(queries, "SCHOOLS_AT_ONCE", 2)
    hope = make_school(name="Hope Primary", province="四川省")
    make_school(name="Star Middle", province="四川省")
    river = make_school(name="River Primary", province="云南省")
    make_visit(school=hope, title="At Hope")
    make_visit(school=river, title="At River")
    login(admin)

    def offered(html: str) -> set[str]:
        select = html[html.index('name="school_id"') : html.index("</select>", html.index('name="school_id"'))]
        return {name for name in ("Hope Primary", "Star Middle", "River Primary") if name in select}

    html = page(client.get("/visits/"))
    assert offered(html) == set()
    assert "Choose a region, then one of its schools." in html
    assert "At Hope" in html and "At River" in html
    html = page(client.get("/visits/?province=四川省"))
    assert offered(html) == {"Hope Primary", "Star Middle"}
    assert "Choose a region, then one of its schools." not in html
    html = page(client.get(f"/visits/?school_id={river.id}"))
    assert offered(html) == {"River Primary"} and f'<option selected value="{river.id}">' in html
    assert "At River" in html and "At Hope" not in html
