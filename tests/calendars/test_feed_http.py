"""Feeds over HTTP as calendar apps fetch them: headers, validators and 304s (and what a 304 costs), addresses
that rotate and stop working, and who may subscribe to what."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from accounts.models import Role
from accounts.services import create_company, set_roles
from calendars.models import CalendarFeed
from events.models import VisitStatus
from events.services import update_school, update_visit, visit_data
from tests.calendars.calendar_helpers import (
    PROGRAMME,
    calendar_text,
    events_of,
    feed_path,
    get_counting,
    parse,
    sequence,
    uid,
)
from tests.calendars.feedcheck import assert_clean, assert_clients_agree
from volunteers import signups

HTTP_DATE = "%a, %d %b %Y %H:%M:%S GMT"


@pytest.mark.parametrize("kind", ["personal", "school", "company", "public"])
def test_each_validator_gives_a_304_after_the_token_lookup_and_the_stamp_alone(client, team, kind):
    path = team.paths()[kind]
    first = client.get(path)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    statements = 1 if kind == "public" else 2  # (the token lookup) and the change stamp; nothing built

    for headers in ({"If-None-Match": etag}, {"If-None-Match": f"W/{etag}"}, {"If-Modified-Since": modified}):
        response, seen = get_counting(client, path, headers)
        assert response.status_code == 304, headers
        assert response.get_data() == b""
        assert response.headers["ETag"] == etag
        assert len(seen) == statements, seen

    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    earlier = (first.last_modified - timedelta(seconds=1)).strftime(HTTP_DATE)
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110)
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert client.get(path, headers=both).status_code == 200


@pytest.mark.parametrize("kind", ["personal", "public"])
def test_a_feed_is_plain_calendar_text_whatever_the_client_asks(client, team, kind):
    path = team.paths()[kind]
    bodies = set()
    for accept in (None, "text/html,application/xhtml+xml", "application/json", "*/*", "text/calendar"):
        headers = {"Accept-Encoding": "gzip, deflate, br"}
        if accept:
            headers["Accept"] = accept
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert "Content-Encoding" not in response.headers
        assert "Content-Disposition" not in response.headers
        bodies.add(response.get_data())
    assert len(bodies) == 1
    (body,) = bodies
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert_clean(body)
    if kind == "personal":
        assert response.headers["Referrer-Policy"] == "no-referrer"  # the address is a secret
        assert "private" in response.headers["Cache-Control"]


def test_the_same_data_gives_the_same_bytes_and_etag_however_late_it_is_asked(client, db_session, clock, team):
    path = team.paths()["personal"]
    first = client.get(path)
    clock.advance(hours=5)
    again = client.get(path)
    assert again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.last_modified == first.last_modified


@pytest.mark.parametrize(
    "change",
    ["school_address", "lead_phone", "member_name", "company_name"],
)
def test_every_change_a_feed_shows_changes_its_etag_and_moves_its_date_forward(
    client, db_session, clock, now, make_user, team, change
):
    # team.volunteer signed up first: the lead instructor, whom `second` (signed up as well) calls on the day
    second = make_user(company=team.company)
    signups.sign_up(db_session, slot_id=team.visit.slots[0].id, volunteer=second, now=now)
    db_session.commit()
    kind = {"school_address": "school", "member_name": "company", "company_name": "company"}.get(change)
    path = feed_path(db_session, second, "personal", now) if change == "lead_phone" else team.paths()[kind]
    before = client.get(path)
    clock.advance(minutes=30)
    if change == "school_address":
        update_school(db_session, team.school, {"address": "2 River Road"})
        shown = "2 River Road"
    elif change == "lead_phone":
        team.volunteer.phone = "13700009999"
        shown = "13700009999"
    elif change == "member_name":
        team.volunteer.name = "Zhang Weiwei"
        shown = "Zhang Weiwei"
    else:
        team.company.name = "Star Technologies"
        shown = "Star Technologies"
    db_session.commit()
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert shown in after.get_data(as_text=True).replace("\r\n ", "")
    assert after.last_modified >= before.last_modified
    if change != "company_name":  # a company keeps no time of change: its name counts in the ETag alone
        assert after.last_modified > before.last_modified


def test_a_rotated_address_stops_working_and_the_new_one_works(client, db_session, now, login, team):
    old = team.paths()["personal"]
    login(team.volunteer)
    response = client.post("/cal/feeds/personal/0/rotate", data={"next": "/my/visits"})
    assert response.status_code == 302 and response.headers["Location"] == "/my/visits"
    assert client.get(old).status_code == 404
    new = team.paths()["personal"]
    assert new != old
    assert client.get(new).status_code == 200
    assert db_session.scalar(select(func.count()).select_from(CalendarFeed)) == 3  # rotated in place


@pytest.mark.parametrize(
    ("kind", "target"),
    [("school", "other_school"), ("company", "other_company"), ("public", "zero"), ("nonsense", "zero")],
)
def test_no_one_rotates_a_feed_that_is_not_theirs(client, db_session, now, login, make_school, team, kind, target):
    other_company = create_company(db_session, "Other", now)
    targets = {"other_school": make_school().id, "other_company": other_company.id, "zero": 0}
    db_session.commit()
    login(team.host)
    assert client.post(f"/cal/feeds/{kind}/{targets[target]}/rotate").status_code == 404


def test_the_rotate_button_needs_a_login(client, team):
    response = client.post("/cal/feeds/personal/0/rotate")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("loss", ["host_removed", "host_role", "coordinator_role", "coordinator_moves", "closed"])
def test_a_feed_whose_owner_lost_the_right_to_it_answers_404(client, db_session, now, make_company, team, loss):
    paths = team.paths()
    if loss == "host_removed":
        update_school(db_session, team.school, {}, hosts=[])
        gone = "school"
    elif loss == "host_role":
        set_roles(team.host, {Role.VOLUNTEER})
        gone = "school"
    elif loss == "coordinator_role":
        set_roles(team.coordinator, {Role.VOLUNTEER})
        gone = "company"
    elif loss == "coordinator_moves":
        team.coordinator.company = make_company("Elsewhere")
        gone = "company"
    else:
        team.volunteer.active = False
        gone = "personal"
    db_session.commit()
    for kind, path in paths.items():
        assert client.get(path).status_code == (404 if kind == gone else 200), kind


def test_an_address_that_is_not_a_feed_answers_404(client, team):
    for path in ("/cal/not-a-token.ics", "/cal/" + "A" * 22 + ".ics", "/cal/.ics"):
        assert client.get(path).status_code == 404


def test_the_public_feed_holds_no_personal_data_nor_drafts(client, db_session, now, make_user, make_visit, team):
    make_visit(school=team.school, days_ahead=20, status=VisitStatus.DRAFT, title="Secret draft")
    lead = make_user(name="Li Lead", phone="13700001111", email="lead@example.org")
    signups.sign_up(db_session, slot_id=team.visit.slots[0].id, volunteer=lead, now=now)
    db_session.commit()
    body = client.get(PROGRAMME).get_data(as_text=True).replace("\r\n ", "")
    assert uid(team.visit) in body
    for person in (lead, team.volunteer, team.host, team.coordinator):
        assert person.email not in body and person.name not in body
        assert not person.phone or person.phone not in body
    assert "1 Hill Road" not in body  # the street address is for the team
    assert "office@scivisit.local" not in body
    assert "Secret draft" not in body


def test_a_company_feed_shows_the_visits_its_people_are_in_and_who_goes(
    client, db_session, now, make_user, make_visit, team
):
    other_visit = make_visit(days_ahead=21, capacity=1)
    signups.sign_up(db_session, slot_id=other_visit.slots[0].id, volunteer=make_user(), now=now)  # not theirs
    waiting = make_user(name="Wang Fang", company=team.company)
    signups.sign_up(db_session, slot_id=other_visit.slots[0].id, volunteer=waiting, now=now)
    outsider_visit = make_visit(days_ahead=25)
    signups.sign_up(db_session, slot_id=outsider_visit.slots[0].id, volunteer=make_user(name="Outsider"), now=now)
    db_session.commit()
    body = client.get(team.paths()["company"]).get_data()
    events = events_of(body)
    assert set(events) == {uid(team.visit), uid(other_visit)}
    assert "Zhang Wei" in str(events[uid(team.visit)]["DESCRIPTION"])
    assert "Wang Fang" in str(events[uid(other_visit)]["DESCRIPTION"])
    assert "Outsider" not in body.decode()
    assert "13911112222" not in body.decode()  # names and roles, not phones


def test_names_with_commas_semicolons_backslashes_newlines_chinese_and_emoji_survive_every_reader(
    client, db_session, now, make_user, make_school, make_visit, make_company
):
    company = make_company('Star, "Tech"; 科技 \\ 🚀')
    school = make_school(name="希望小学, 第一; 分校 🏫", address="山路 1 号; Hill")
    visit = make_visit(
        school=school,
        title='火星车, "rover"; day \\ 🚀',
        what_to_bring="Water, a hat;\nsnacks \\ 🍎",
        meeting_point="北门, gate; 🚪",
    )
    volunteer = make_user(company=company, locale="en")
    coordinator = make_user(Role.COORDINATOR, company=company, locale="en")
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteer, now=now)
    db_session.commit()
    personal = client.get(feed_path(db_session, volunteer, "personal", now)).get_data()
    company_feed = client.get(feed_path(db_session, coordinator, "company", now)).get_data()
    assert_clean(personal)
    assert_clean(company_feed)
    event = events_of(personal)[uid(visit)]
    assert str(event["SUMMARY"]) == visit.title
    assert "What to bring: Water, a hat;\nsnacks \\ 🍎" in str(event["DESCRIPTION"])
    assert "Meeting point: 北门, gate; 🚪" in str(event["DESCRIPTION"])
    location = str(event["LOCATION"])
    assert location.startswith("希望小学, 第一; 分校 🏫, ") and location.endswith(", 山路 1 号; Hill")
    named = parse(company_feed)
    name = f"SciVisit: {company.name} team visits"
    assert calendar_text(named["X-WR-CALNAME"]) == calendar_text(named["NAME"]) == name
    assert_clients_agree(
        personal,
        [
            {
                "uid": uid(visit),
                "start_utc": visit.starts_at,
                "end_utc": visit.ends_at,
                "summary": visit.title,
                "status": "CONFIRMED",
                "sequence": sequence(event),
                "location": location,
                "tzid": "Asia/Shanghai",
            }
        ],
    )


def test_the_api_lists_each_callers_feeds_and_the_public_one_for_everyone(
    client, db_session, bearer_headers, make_user, team
):
    admin = make_user(Role.ADMIN)
    expected = {
        None: ["public"],
        team.volunteer: ["personal", "public"],
        team.host: ["school", "public"],
        team.coordinator: ["company", "public"],
        admin: ["public"],
    }
    for person, kinds in expected.items():
        headers = bearer_headers(person) if person else {}
        listed = client.get("/api/v1/calendars", headers=headers)
        assert listed.status_code == 200
        feeds = listed.get_json()
        assert [feed["kind"] for feed in feeds] == kinds
        public = feeds[-1]
        assert urlsplit(public["url"]).path == PROGRAMME and not urlsplit(public["url"]).query
        assert public["webcal_url"] == "webcal://scivisit.test/cal/programme.ics"
        for feed in feeds:
            assert client.get(urlsplit(feed["url"]).path).status_code == 200
        assert client.get("/api/v1/calendars", headers=headers).get_json() == feeds  # one address per feed
    assert db_session.scalar(select(func.count()).select_from(CalendarFeed)) == 3


@pytest.fixture
def bearer_headers(db_session, now):
    from accounts.services import issue_api_token

    def headers(user) -> dict:
        token = issue_api_token(db_session, user, now)
        db_session.commit()
        return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    return headers


def test_a_new_secret_key_gives_every_feed_a_new_address_when_next_shown(app, client, db_session, now, team):
    old = team.paths()["personal"]
    app.config["SECRET_KEY"] = "a-new-secret-key"
    new = team.paths()["personal"]
    assert new != old
    assert client.get(new).status_code == 200
    assert client.get(old).status_code == 404


def test_a_visits_download_is_an_attachment_with_the_feeds_uid_and_sequence(
    client, db_session, clock, now, login, make_visit, team
):
    signups.cancel_signup(db_session, team.signup, by=team.volunteer, now=clock.advance(minutes=5))
    signups.sign_up(db_session, slot_id=team.visit.slots[0].id, volunteer=team.volunteer, now=clock.advance(minutes=5))
    db_session.commit()
    fed = events_of(client.get(team.paths()["personal"]).get_data())[uid(team.visit)]
    public = events_of(client.get(PROGRAMME).get_data())[uid(team.visit)]
    path = f"/visits/{team.visit.id}/calendar.ics"

    anonymous = client.get(path)
    assert anonymous.status_code == 200
    assert anonymous.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert anonymous.headers["Content-Disposition"] == f'attachment; filename="visit-{team.visit.id}.ics"'
    assert_clean(anonymous.get_data())
    seen = events_of(anonymous.get_data())[uid(team.visit)]
    assert sequence(seen) == sequence(public)

    login(team.volunteer)
    own = events_of(client.get(path).get_data())[uid(team.visit)]
    assert sequence(own) == sequence(fed) > sequence(public)  # their place changed twice
    assert str(own["STATUS"]) == str(fed["STATUS"]) == "CONFIRMED"
    assert "VALARM" not in [c.name for c in own.subcomponents]  # alarms are the feed's

    draft = make_visit(status=VisitStatus.DRAFT, days_ahead=30)
    assert client.get(f"/visits/{draft.id}/calendar.ics").status_code == 404


def test_the_visit_page_links_to_its_download(client, team):
    page = client.get(f"/visits/{team.visit.id}").get_data(as_text=True)
    assert f'href="/visits/{team.visit.id}/calendar.ics"' in page


def test_many_first_looks_at_once_make_one_address_per_feed(app, db_session, bearer_headers, make_user, make_school):
    """The rows are made on first need with INSERT … ON CONFLICT DO NOTHING: eight requests at once from a
    threaded server (their own sessions) all get the same addresses, and no error is logged."""
    person = make_user(Role.VOLUNTEER, Role.HOST)
    make_school(hosts=[person])
    headers = bearer_headers(person)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_port}/api/v1/calendars"
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _n: requests.get(url, headers=headers, timeout=90), range(8)))
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
    assert [answer.status_code for answer in answers] == [200] * 8
    listed = [answer.json() for answer in answers]
    assert all(feeds == listed[0] for feeds in listed)
    assert [feed["kind"] for feed in listed[0]] == ["personal", "school", "public"]
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(CalendarFeed)) == 2


@pytest.mark.parametrize("leaves", ["visit_moves_school", "person_moves_company"])
def test_an_event_leaving_a_feed_without_a_trace_in_it_never_takes_last_modified_back(
    client, db_session, clock, now, make_school, make_company, team, leaves
):
    kind = "school" if leaves == "visit_moves_school" else "company"
    path = team.paths()[kind]
    before = client.get(path)
    clock.advance(minutes=30)
    if leaves == "visit_moves_school":
        data = visit_data(team.visit)
        data.school_id = make_school().id
        update_visit(db_session, team.visit, data, now=clock.now)
    else:
        team.volunteer.company = make_company("Elsewhere")
    db_session.commit()
    after = client.get(path)
    assert uid(team.visit) in events_of(before.get_data()) and uid(team.visit) not in events_of(after.get_data())
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.last_modified == clock.now > before.last_modified
    since = {"If-Modified-Since": before.headers["Last-Modified"]}
    assert client.get(path, headers=since).status_code == 200
