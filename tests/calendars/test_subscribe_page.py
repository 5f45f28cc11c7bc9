"""The page that offers each person the feeds they may subscribe to, and a new address on request."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import Role
from tests.checkin.svg_qr import decode_svg
from tests.conftest import csrf_token_from

BASE = "http://scivisit.test"  # tests/conftest.py's BASE_URL
FEED_URL = re.compile(r'<input id="url-([\w-]+)" class="secret" type="url" value="([^"]+)" readonly>')


def offered(client) -> dict[str, str]:
    """Element key -> feed address, as the page shows them."""
    page = client.get("/calendars", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    return {key: unescape(url) for key, url in FEED_URL.findall(page.get_data(as_text=True))}


def test_a_visitor_is_offered_the_public_programme_with_every_way_to_subscribe(client):
    page = client.get("/calendars", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert offered(client) == {"public-0": f"{BASE}/cal/programme.ics"}
    assert 'href="webcal://scivisit.test/cal/programme.ics"' in html
    google = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', html).group(1)
    assert parse_qs(urlsplit(unescape(google)).query) == {"cid": ["webcal://scivisit.test/cal/programme.ics"]}
    for host in ("outlook.live.com", "outlook.office.com"):
        outlook = re.search(rf'href="(https://{re.escape(host)}/calendar/0/addfromweb\?[^"]+)"', html).group(1)
        assert parse_qs(urlsplit(unescape(outlook)).query) == {
            "url": [f"{BASE}/cal/programme.ics"],
            "name": ["Programme"],
        }
    assert "Log in to subscribe to your own visits as well." in html
    assert "Make a new address" not in html  # the public feed has one address for everyone


def test_the_qr_code_on_the_page_reads_as_the_feed_address(client, login, make_user):
    login(make_user(Role.VOLUNTEER))
    html = client.get("/calendars", headers={"Accept-Language": "en"}).get_data(as_text=True)
    addresses = set(offered(client).values())
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == len(addresses) == 2
    assert {text for svg in svgs for text in decode_svg(svg)} == addresses


@pytest.mark.parametrize(
    ("role", "kinds"),
    [
        (Role.VOLUNTEER, {"personal", "public"}),
        (Role.HOST, {"school", "public"}),
        (Role.COORDINATOR, {"company", "public"}),
    ],
)
def test_each_role_is_offered_its_own_feeds(client, login, make_user, make_school, make_company, role, kinds):
    person = make_user(role, company=make_company() if role == Role.COORDINATOR else None)
    if role == Role.HOST:
        make_school(hosts=[person])
    login(person)
    feeds = offered(client)
    assert {key.split("-")[0] for key in feeds} == kinds
    private = [url for key, url in feeds.items() if not key.startswith("public")]
    assert all(re.fullmatch(rf"{BASE}/cal/[A-Za-z0-9_-]{{22}}\.ics", url) for url in private)
    assert client.get(urlsplit(private[0]).path).status_code == 200


def test_a_new_address_is_asked_for_then_the_old_one_stops_working(client, login, make_user):
    login(make_user(Role.VOLUNTEER))
    old = offered(client)["personal-0"]
    question = client.get("/calendars/personal/0/new-address", headers={"Accept-Language": "en"})
    assert question.status_code == 200
    assert "every calendar subscribed to it stops updating" in question.get_data(as_text=True)
    assert offered(client)["personal-0"] == old  # asking changes nothing

    answer = client.post(
        "/cal/feeds/personal/0/rotate",
        data={"csrf_token": csrf_token_from(question.get_data(as_text=True)), "next": "/calendars"},
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/calendars")
    new = offered(client)["personal-0"]
    assert new != old
    assert client.get(urlsplit(old).path).status_code == 404
    assert client.get(urlsplit(new).path).status_code == 200


def test_no_one_is_asked_about_a_feed_they_cannot_have(client, login, make_user, make_school):
    school = make_school()
    login(make_user(Role.VOLUNTEER))
    assert client.get(f"/calendars/school/{school.id}/new-address").status_code == 404
    assert client.get("/calendars/public/0/new-address").status_code == 404
    assert client.get("/calendars/personal/0/new-address").status_code == 200


def test_asking_for_a_new_address_needs_a_login(client):
    response = client.get("/calendars/personal/0/new-address")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_profile_my_visits_and_home_lead_to_the_subscriptions(client, login, make_user):
    login(make_user(Role.VOLUNTEER))
    for path in ("/profile", "/my/visits", "/"):
        assert 'href="/calendars"' in client.get(path).get_data(as_text=True), path
