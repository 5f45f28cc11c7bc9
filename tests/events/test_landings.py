"""Each role's landing (the home page) from the events side, and the visit list's filters that never
blame anyone for a filter they left alone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import request

from accounts.models import Role
from events import queries
from events.forms import VisitFilterForm
from events.models import SlotRole, VisitStatus
from extensions import db


def page(response) -> str:
    return response.get_data(as_text=True)


def titles(html: str) -> list[str]:
    """The visit titles of the cards, in the order the page shows them."""
    return re.findall(r'<h[23]><a href="/visits/\d+">([^<]+)</a></h[23]>', html)


def fill(visit, taken: int) -> None:
    """Take `taken` places of the visit's first role, as signups would."""
    visit.slots[0].taken = taken
    db.session.commit()


def started_visit(make_visit, now, **kwargs):
    """A published visit that began an hour ago and ends in five."""
    return make_visit(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=5), lessons=0, **kwargs)


# ---------------------------------------------------------------- programme coordinators


def test_visits_needing_volunteers_come_most_open_places_first_then_soonest(db_session, now, make_visit):
    many_later = make_visit(title="Six open, day 10", days_ahead=10, capacity=2, roles=tuple(SlotRole)[:3])
    many_sooner = make_visit(title="Six open, day 8", days_ahead=8, capacity=2, roles=tuple(SlotRole)[:3])
    two = make_visit(title="Two open", days_ahead=5, capacity=2)
    full = make_visit(title="Full", days_ahead=3, capacity=2)
    fill(full, 2)
    draft = make_visit(title="Draft, one open", days_ahead=12, capacity=1, status=VisitStatus.DRAFT)
    make_visit(title="Cancelled", days_ahead=4, status=VisitStatus.CANCELLED)
    make_visit(title="Over", days_ahead=-4, status=VisitStatus.COMPLETED)
    started_visit(make_visit, now, title="Under way")

    found = db_session.scalars(queries.visits_needing_volunteers(now)).all()

    assert [v.title for v in found] == [v.title for v in (many_sooner, many_later, two, draft, full)]
    assert [v.places_left for v in found] == [6, 6, 2, 1, 0]


def test_a_programme_coordinator_lands_on_the_visits_that_need_volunteers(client, login, admin, make_visit):
    make_visit(title="Nearly full", days_ahead=3, capacity=4)
    make_visit(title="Wide open", days_ahead=9, capacity=4, roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    fill(make_visit(title="Full up", days_ahead=2, capacity=1), 1)
    make_visit(title="Called off", days_ahead=4, status=VisitStatus.CANCELLED)
    login(admin)
    html = page(client.get("/"))
    assert html.count("<h1>") == 1 and "<h1>Visits that need volunteers</h1>" in html
    assert titles(html) == ["Wide open", "Nearly full", "Full up"]
    assert "<dt>Places left</dt><dd>8 of 8</dd>" in html
    assert "<dt>Places left</dt><dd>0 of 1</dd>" in html
    assert 'href="/visits/new"' in html and 'href="/visits/"' in html


def test_the_coordinators_landing_is_paged(app, client, login, admin, make_school, make_visit):
    app.config["PAGE_SIZE"] = 2
    school = make_school()
    for days, capacity in ((3, 1), (4, 2), (5, 3)):
        make_visit(school=school, days_ahead=days, capacity=capacity, title=f"{capacity} places")
    login(admin)
    first = page(client.get("/"))
    assert titles(first) == ["3 places", "2 places"] and 'href="/?page=2"' in first
    assert titles(page(client.get("/?page=2"))) == ["1 places"]


# ---------------------------------------------------------------- school hosts


def test_hosted_visits_are_the_hosts_schools_only_coming_first_then_past_latest_first(
    db_session, now, make_user, make_school, make_visit
):
    host = make_user(Role.HOST)
    mine, also_mine, other = make_school(hosts=[host]), make_school(hosts=[host]), make_school()
    make_visit(school=mine, days_ahead=10, title="Day 10")
    make_visit(school=mine, days_ahead=3, title="Draft day 3", status=VisitStatus.DRAFT)
    make_visit(school=mine, days_ahead=-5, title="Day -5", status=VisitStatus.COMPLETED)
    make_visit(school=mine, days_ahead=-20, title="Day -20")
    make_visit(school=mine, days_ahead=6, title="Cancelled day 6", status=VisitStatus.CANCELLED)
    make_visit(school=also_mine, days_ahead=4, title="Other school of mine, day 4")
    make_visit(school=other, days_ahead=2, title="Not my school")

    found = db_session.scalars(queries.hosted_visits(host, now)).all()

    assert [v.title for v in found] == [
        "Draft day 3",
        "Other school of mine, day 4",
        "Cancelled day 6",
        "Day 10",
        "Day -5",
        "Day -20",
    ]
    assert queries.hosted_school_count(db_session, host) == 2


def test_a_host_lands_on_their_own_schools_visits_not_every_schools(client, login, make_user, make_school, make_visit):
    host = make_user(Role.HOST)
    school = make_school(hosts=[host])
    later = make_visit(school=school, days_ahead=9, title="Ours, later")
    draft = make_visit(school=school, days_ahead=5, title="Ours, draft", status=VisitStatus.DRAFT)
    elsewhere = make_visit(title="Somebody else's")
    login(host)
    html = page(client.get("/"))
    assert html.count("<h1>") == 1 and "<h1>Visits to your school</h1>" in html
    assert titles(html) == ["Ours, draft", "Ours, later"]
    # Who is coming, from each card.
    assert f'href="/visits/{draft.id}/roster"' in html and f'href="/visits/{later.id}/roster"' in html
    assert f"/visits/{elsewhere.id}" not in html
    assert "Your next visits" not in html  # a host who does not volunteer


def test_a_host_of_two_schools_and_a_host_of_none_are_told_so(client, login, make_user, make_school):
    two = make_user(Role.HOST)
    make_school(hosts=[two]), make_school(hosts=[two])
    login(two)
    assert "<h1>Visits to your schools</h1>" in page(client.get("/"))
    client.post("/logout")
    login(make_user(Role.HOST))
    html = page(client.get("/"))
    assert "<h1>Visits to your school</h1>" in html
    assert "No school has named you as its host yet." in html


# ---------------------------------------------------------------- company coordinators


def test_visits_with_open_places_are_published_not_started_and_not_full(db_session, now, make_visit):
    make_visit(title="Later", days_ahead=9)
    make_visit(title="Sooner", days_ahead=2)
    fill(make_visit(title="Full", days_ahead=3, capacity=1), 1)
    make_visit(title="Draft", days_ahead=4, status=VisitStatus.DRAFT)
    make_visit(title="Cancelled", days_ahead=5, status=VisitStatus.CANCELLED)
    started_visit(make_visit, now, title="Under way")

    found = db_session.scalars(queries.visits_with_open_places(now)).all()

    assert [v.title for v in found] == ["Sooner", "Later"]


def test_a_company_coordinator_lands_on_places_their_team_can_take_with_a_link_to_the_team(
    client, login, make_user, make_visit
):
    make_visit(title="Open", days_ahead=6)
    fill(make_visit(title="Full", days_ahead=3, capacity=1), 1)
    login(make_user(Role.COORDINATOR))
    html = page(client.get("/"))
    assert html.count("<h1>") == 1 and "<h1>Places your team can take</h1>" in html
    assert titles(html) == ["Open"]
    main = html.split('<main id="main"', 1)[1]
    assert 'href="/company/"' in main and 'href="/company/signup"' in main


# ---------------------------------------------------------------- anyone


def test_a_visitor_who_is_not_signed_in_still_lands_on_the_public_visits(client, make_visit):
    make_visit(title="Public day")
    make_visit(title="Draft day", status=VisitStatus.DRAFT)
    html = page(client.get("/"))
    assert "<h1>Upcoming science visits</h1>" in html
    assert titles(html) == ["Public day"]


@pytest.mark.parametrize("roles", [(Role.ADMIN,), (Role.HOST,), (Role.COORDINATOR,), (Role.VOLUNTEER,)])
def test_logging_in_lands_every_role_on_the_home_page(client, login, make_user, roles):
    response = login(make_user(*roles))
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


# ---------------------------------------------------------------- the visit list's filters

ROLES = [(Role.VOLUNTEER,), (Role.HOST,), (Role.COORDINATOR,), (Role.ADMIN,), (Role.COORDINATOR, Role.VOLUNTEER)]
UNTOUCHED = ["", "?when=upcoming&school_id=&province=&status=", "?page=1", "?when=upcoming"]


def _problems(html: str) -> list[str]:
    """What the page marks as wrong."""
    return re.findall(r'class="error"[^>]*>([^<]*)<', html) + re.findall(r"aria-invalid", html)


@pytest.mark.parametrize("query", ["", "?when=upcoming&school_id=&province=&status=", "?when=all&province="])
def test_an_untouched_filter_form_is_valid(app, make_school, query):
    """The root of "Not a valid choice" under filters nobody touched: an absent value must be the "any" choice."""
    school = make_school(province="云南省")
    with app.test_request_context(f"/visits/{query}"):
        form = VisitFilterForm(request.args)
        form.set_choices(schools=[school], provinces=["云南省"], see_drafts=True)
        assert form.validate(), form.errors
        assert form.applied() == queries.VisitFilter(when="" if "all" in query else "upcoming")


@pytest.mark.parametrize("roles", ROLES)
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_filters_left_at_their_defaults_are_never_an_error(client, login, make_user, make_visit, roles, language):
    make_visit(title="Something to list")
    login(make_user(*roles))
    for query in UNTOUCHED:
        response = client.get(f"/visits/{query}", headers={"Accept-Language": language})
        html = page(response)
        assert response.status_code == 200, query
        assert _problems(html) == [], f"{roles} {language} {query!r}"
        assert "Not a valid choice" not in html and "不是有效的选择" not in html
        assert "Something to list" in html
        assert '<option selected value="">' in html  # "any" shown as chosen


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense",
        "school_id=abc",
        "school_id=99999999999999999999",
        "province=Atlantis",
        "when=someday",
        "status=%00",
        "province=a%00b",
        "status=draft",  # not a choice for a volunteer
        "when=someday&school_id=abc&status=lost&province=Atlantis",
    ],
)
def test_a_filter_value_that_is_no_choice_is_ignored_and_the_form_shows_what_applies(
    client, login, volunteer, make_visit, query
):
    make_visit(title="Still here")
    make_visit(title="Long done", days_ahead=-3)
    login(volunteer)
    response = client.get(f"/visits/?{query}")
    html = page(response)
    assert response.status_code == 200
    assert titles(html) == ["Still here"]  # the list as unfiltered, coming visits
    assert _problems(html) == []
    assert '<option selected value="upcoming">' in html


def test_a_valid_filter_beside_a_broken_one_still_applies(client, login, admin, make_school, make_visit):
    yunnan = make_school(province="云南省")
    make_visit(school=yunnan, title="In Yunnan")
    make_visit(title="In Sichuan")
    login(admin)
    html = page(client.get("/visits/?province=云南省&status=nonsense&school_id=abc"))
    assert titles(html) == ["In Yunnan"]
    assert '<option selected value="云南省">' in html
    assert _problems(html) == []
