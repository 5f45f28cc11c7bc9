"""Each role lands on its own home page after logging in, on a phone, in both languages: what it needs
first is there, and the page passes axe at 390 and at 320 CSS px (200 % zoom)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, gettext, ngettext
from playwright.sync_api import expect

from accounts.models import Role
from events.models import SlotRole, VisitStatus
from tests.browser.conftest import assert_accessible, log_in
from volunteers.signups import sign_up

NARROW = {"width": 320, "height": 568}
#: the browser's locale -> the app's
LOCALES = {"zh-CN": "zh_Hans_CN", "en-US": "en"}


def say(app, locale: str, msgid: str, plural: str | None = None, n: int = 1) -> str:
    """What the page says for `msgid` in the browser's `locale`, as the catalogues of this run have it."""
    with app.test_request_context(), force_locale(LOCALES[locale]):
        return ngettext(msgid, plural, n) if plural else gettext(msgid)


@pytest.fixture
def programme(db_session, now, make_user, make_school, make_visit):
    """A host's school with two visits, a school elsewhere, and a volunteer with a place and a place in a queue."""
    people = {
        "volunteer": make_user(Role.VOLUNTEER, email="landing.volunteer@example.com", name="林小雨 Lin Xiaoyu"),
        "host": make_user(Role.HOST, email="landing.host@example.com"),
        "admin": make_user(Role.ADMIN, email="landing.admin@example.com"),
    }
    ours = make_school(name="大凉山希望小学 Daliangshan Hope Primary School", hosts=[people["host"]])
    elsewhere = make_school(name="澜沧县第一小学 Lancang No. 1 Primary", province="云南省", county="澜沧拉祜族自治县")
    visits = {
        "confirmed": make_visit(school=ours, title="火星车科学日 Mars rover day", days_ahead=5, capacity=2),
        "waiting": make_visit(school=elsewhere, title="会浮的鸡蛋 The egg that floats", days_ahead=9, capacity=1),
        "open": make_visit(
            school=elsewhere,
            title="不会燃烧的气球 The balloon that will not burn",
            days_ahead=12,
            roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT, SlotRole.PHOTOGRAPHER),
        ),
        "draft": make_visit(school=ours, title="水火箭 Water rockets", days_ahead=20, status=VisitStatus.DRAFT),
    }
    sign_up(db_session, slot_id=visits["confirmed"].slots[0].id, volunteer=people["volunteer"], now=now)
    sign_up(db_session, slot_id=visits["waiting"].slots[0].id, volunteer=make_user(), now=now)
    sign_up(db_session, slot_id=visits["waiting"].slots[0].id, volunteer=people["volunteer"], now=now)
    db_session.commit()
    return {"people": people, "titles": {name: visit.title for name, visit in visits.items()}}


def _land(phone, programme, role: str, locale: str):
    page = phone(locale)
    log_in(page, programme["people"][role].email)  # checks the landing with axe at 390 x 844
    assert urlsplit(page.url).path == "/"
    expect(page.locator("html")).to_have_attribute("lang", locale if locale == "zh-CN" else "en")
    expect(page.locator("h1")).to_have_count(1)
    return page


def _narrow_and_check(page) -> None:
    page.set_viewport_size(NARROW)
    assert_accessible(page)


def _cards(page, within: str = "main"):
    return page.locator(f"{within} li.card")


@pytest.mark.parametrize("locale", ["zh-CN"])  # each journey in one language: test_all_pages reads every page in both
def test_a_volunteer_lands_on_their_next_visits_then_the_open_places(app, phone, programme, locale):
    page = _land(phone, programme, "volunteer", locale)
    titles = programme["titles"]
    expect(page.locator("h1")).to_have_text(say(app, locale, "Your next visits"))
    mine = page.locator("main > ul.cards").first.locator("li.card")
    expect(mine.locator("h2")).to_have_text([titles["confirmed"], titles["waiting"]])
    expect(mine.nth(0).locator(".mine")).to_have_text(say(app, locale, "You're signed up"))
    waiting = say(app, locale, "On the waiting list (number %(position)s)") % {"position": 1}
    expect(mine.nth(1).locator(".mine")).to_have_text(waiting)
    expect(page.locator("#open-places")).to_have_text(say(app, locale, "Open places you can take"))
    expect(page.locator("section[aria-labelledby=open-places] li.card h3")).to_have_text([titles["open"]])
    expect(page.get_by_role("link", name=say(app, locale, "All my visits"))).to_be_visible()
    _narrow_and_check(page)


@pytest.mark.parametrize("locale", ["en-US"])  # each journey in one language: test_all_pages reads every page in both
def test_a_host_lands_on_their_schools_visits_only(app, phone, programme, locale):
    page = _land(phone, programme, "host", locale)
    titles = programme["titles"]
    expect(page.locator("h1")).to_have_text(say(app, locale, "Visits to your school", "Visits to your schools", 1))
    expect(_cards(page).locator("h2")).to_have_text([titles["confirmed"], titles["draft"]])
    expect(page.get_by_text(titles["open"])).to_have_count(0)
    _narrow_and_check(page)


@pytest.mark.parametrize("locale", ["zh-CN"])  # each journey in one language: test_all_pages reads every page in both
def test_a_programme_coordinator_lands_on_the_visits_with_most_places_open_first(app, phone, programme, locale):
    page = _land(phone, programme, "admin", locale)
    titles = programme["titles"]
    expect(page.locator("h1")).to_have_text(say(app, locale, "Visits that need volunteers"))
    cards = _cards(page)
    expect(cards.locator("h2")).to_have_text([titles["open"], titles["draft"], titles["confirmed"], titles["waiting"]])
    places, left = say(app, locale, "%(left)s of %(total)s"), f'dt:text-is("{say(app, locale, "Places left")}") + dd'
    expect(cards.nth(0).locator(left)).to_have_text(places % {"left": 9, "total": 9})
    expect(cards.nth(3).locator(left)).to_have_text(places % {"left": 0, "total": 1})
    expect(page.get_by_role("link", name=say(app, locale, "New visit"))).to_be_visible()
    _narrow_and_check(page)
