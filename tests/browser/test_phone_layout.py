"""The shared layout on a phone: a menu that leaves room for the page, targets big enough to tap,
and pages that reflow at 320 CSS px (what 200 % zoom gives a 640 px window, and WCAG's reflow width).

One app, one server and the demo data (bilingual, with long names) serve the whole module, and each
role logs in once: the tests only read, so they share them without seeing each other's changes.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import url_for
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Company, Role, User
from accounts.services import create_user
from app import create_app
from demo import DEMO_PASSWORD, seed_demo
from events.models import SlotRole, Visit, VisitStatus
from extensions import db
from tests.browser.conftest import assert_accessible, browser_config, serving
from tests.conftest import START, Clock, csrf_token_from
from volunteers.signups import sign_up

PHONE = {"width": 390, "height": 844}
#: 200 % zoom of a 640 x 1136 window; the width WCAG 1.4.10 asks pages to reflow at
NARROW = {"width": 320, "height": 568}
WIDE = {"width": 1280, "height": 800}
#: the share of the first screen the header (with the menu closed) may take
HEADER_SHARE = 0.15
BROWSER_LOCALES = {"zh-CN": "zh_CN", "en-US": "en"}
COORDINATOR_ONLY = "coordinator.only@scivisit.demo"
EMAILS = {
    "volunteer": "volunteer@scivisit.demo",
    "host": "host@scivisit.demo",
    "coordinator": COORDINATOR_ONLY,
    "admin": "admin@scivisit.demo",
}
#: what each role finds in the menu, in order (the links' endpoints; signed-in people also get "Log out")
MENU = {
    "anonymous": ["events.home", "reports.impact", "accounts.login", "volunteers.register"],
    "volunteer": ["events.home", "volunteers.my_visits", "events.visits", "reports.my_hours", "volunteers.profile"],
    "host": ["events.home", "events.visits", "events.schools", "volunteers.profile"],
    "coordinator": [
        "events.home",
        "volunteers.my_visits",
        "events.visits",
        "volunteers.company",
        "reports.my_company",
        "volunteers.profile",
    ],
    "admin": [
        "events.home",
        "events.visits",
        "events.schools",
        "kits.stock_page",
        "reports.dashboard",
        "volunteers.people",
        "volunteers.companies",
        "volunteers.invitations",
        "accounts.outbox",
        "volunteers.profile",
    ],
}
MENU_NAMES = {
    "events.home": "Home",
    "volunteers.my_visits": "My visits",
    "events.visits": "All visits",
    "volunteers.profile": "My profile",
    "accounts.login": "Log in",
}


# ---------------------------------------------------------------- one app and its data for the module


@pytest.fixture(scope="module")
def app(tmp_path_factory, catalogues):
    """The demo (every role, long bilingual names) plus a coordinator who is not a volunteer and a signup."""
    tmp = tmp_path_factory.mktemp("phone_layout")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCIVISIT_INSTANCE", str(tmp / "instance"))
        application = create_app(browser_config(f"sqlite:///{tmp / 'browser.sqlite3'}", tmp, Clock(START), catalogues))
    with application.app_context():
        db.create_all()
        session = db.session
        seed_demo(session, START)
        company = session.scalars(select(Company).order_by(Company.id)).first()
        create_user(
            session,
            email=COORDINATOR_ONLY,
            name="Coordinator Only",
            password=DEMO_PASSWORD,
            roles={Role.COORDINATOR},
            company=company,
            now=START,
        )
        volunteer = session.scalars(select(User).where(User.email == EMAILS["volunteer"])).one()
        visit = _live_visit(session)
        slot = next(s for s in visit.slots if s.role == SlotRole.ASSISTANT)
        sign_up(session, slot_id=slot.id, volunteer=volunteer, now=START + timedelta(minutes=1))
        session.commit()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(app):
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def cookies(app, live_server):
    """Each role logged in once through the login form, by a test client of the same app (faster than a
    browser; tests/browser/test_accounts.py logs in with the browser); pages get the session cookie."""
    jar = {}
    for role, email in EMAILS.items():
        with app.app_context():
            client = app.test_client()
            token = csrf_token_from(client.get("/login").get_data(as_text=True))
            response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
            assert response.status_code == 302, f"{role} could not log in"
            cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        jar[role] = [{"name": cookie.key, "value": cookie.value, "url": live_server}]
    return jar


@pytest.fixture
def open_as(phone, cookies):
    """A phone page in `locale`, signed in as `role` (or anonymous)."""

    def open_page(role: str, locale: str):
        page = phone(locale)
        if role != "anonymous":
            page.context.add_cookies(cookies[role])
        return page

    return open_page


def _live_visit(session) -> Visit:
    """The demo's published visit with a livestream, satellites and lessons: the fullest visit page."""
    return session.scalars(
        select(Visit).where(Visit.status == VisitStatus.PUBLISHED, Visit.livestream_url != "").order_by(Visit.id)
    ).first()


def _translated(locale: str, msgid: str) -> str:
    with force_locale(BROWSER_LOCALES[locale]):
        return gettext(msgid)


def _paths(app, endpoints) -> list[str]:
    with app.test_request_context():
        return [url_for(endpoint) for endpoint in endpoints]


# ---------------------------------------------------------------- what is measured in the page

#: Where the header ends, which is its height: it starts at the top of the page.
_HEADER_JS = "() => document.querySelector('header').getBoundingClientRect().bottom"

#: The menu's controls in document order, with their boxes.
_MENU_ITEMS_JS = r"""() => [...document.querySelectorAll('header nav details > ul :is(a, button)')].map(el => {
  const r = el.getBoundingClientRect();
  return {href: el.getAttribute('href'), text: el.textContent.trim(), current: el.getAttribute('aria-current'),
          left: r.left, right: r.right, top: r.top, width: r.width, height: r.height};
})"""

#: Controls smaller than WCAG 2.5.8 asks (24 x 24 CSS px), and primary buttons lower than 44 px.
#: Exempt, as WCAG allows: a link inline in a sentence, that is a link displayed inline inside a paragraph
#: whose text is more than the link's own. Not measured: what is not shown (the closed menu, the visually
#: hidden default button of a form), and checkboxes and radios, which are not links or buttons.
_SMALL_TARGETS_JS = r"""() => {
  const text = el => el.textContent.replace(/\s+/g, ' ').trim();
  const inSentence = el => {
    if (getComputedStyle(el).display !== 'inline') return false;
    const paragraph = el.closest('p');
    return paragraph !== null && text(paragraph).length > text(el).length;
  };
  const shown = el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'
      && !el.closest('.visually-hidden');
  };
  const problems = [];
  for (const el of document.querySelectorAll('a[href], button, summary, input[type=submit]')) {
    if (!shown(el) || inSentence(el)) continue;
    const r = el.getBoundingClientRect();
    const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
    const what = `${el.tagName.toLowerCase()} "${text(el).slice(0, 40)}" ${size}`;
    if (r.width < 24 - 0.01 || r.height < 24 - 0.01) problems.push(`${what}: smaller than 24 x 24`);
    else if (el.matches('button[type=submit], input[type=submit], .button') && r.height < 44 - 0.01)
      problems.push(`${what}: a primary button lower than 44`);
  }
  return problems;
}"""

#: Values of label/value lists squeezed beside their label (narrower than 8em and not below the label), and
#: labels that do not start a line of their own (beside the value of another label).
_SQUEEZED_FACTS_JS = r"""() => {
  const problems = [];
  for (const dt of document.querySelectorAll('dl.facts > dt')) {
    const dl = dt.parentElement;
    const start = dl.getBoundingClientRect().left + parseFloat(getComputedStyle(dl).paddingLeft);
    if (dt.getBoundingClientRect().width > 0 && dt.getBoundingClientRect().left > start + 1)
      problems.push(`"${dt.textContent.trim()}" does not start a line`);
  }
  for (const dd of document.querySelectorAll('dl.facts > dd')) {
    let dt = dd.previousElementSibling;
    while (dt && dt.tagName !== 'DT') dt = dt.previousElementSibling;
    const box = dd.getBoundingClientRect();
    const em = parseFloat(getComputedStyle(dd).fontSize);
    const stacked = dt !== null && box.top >= dt.getBoundingClientRect().bottom - 0.5;
    if (box.width < 8 * em && !stacked)
      problems.push(`"${dt ? dt.textContent.trim() : '?'}": "${dd.textContent.trim().slice(0, 30)}"`
        + ` is ${Math.round(box.width)}px wide beside its label`);
  }
  return problems;
}"""

#: Text squeezed into a sliver anywhere: an element with a dozen characters of its own text in a box
#: narrower than 4em (tables may scroll inside their .table-wrap, so their cells are left to that).
_SLIVERS_JS = r"""() => [...document.body.querySelectorAll('*')].filter(el => {
  if (el.closest('.table-wrap, .visually-hidden, script, style')) return false;
  const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').replace(/\s+/g, '');
  if (own.length < 12) return false;
  const r = el.getBoundingClientRect();
  return r.width > 1 && r.width < 4 * parseFloat(getComputedStyle(el).fontSize);  // 1px: visually hidden
}).map(el => `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}"`
  + ` ${Math.round(el.getBoundingClientRect().width)}px`)"""


def _chromium_menu_button(page) -> dict:
    """The menu button as Chromium tells screen readers about it (a DisclosureTriangle, which they announce as
    a button): its name and whether it is expanded."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    found = [n for n in nodes if n.get("role", {}).get("value") == "DisclosureTriangle" and not n.get("ignored")]
    assert len(found) == 1, f"expected one disclosure button, found {len(found)}"
    props = {p["name"]: p["value"].get("value") for p in found[0].get("properties", [])}
    return {"name": found[0].get("name", {}).get("value"), "expanded": props.get("expanded")}


def _layout_problems(page) -> list[str]:
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    problems = [f"scrolls sideways: {width[0]}px of content in {width[1]}px"] if width[0] > width[1] else []
    problems += page.evaluate(_SQUEEZED_FACTS_JS)
    problems += [f"a sliver of text: {s}" for s in page.evaluate(_SLIVERS_JS)]
    problems += page.evaluate(_SMALL_TARGETS_JS)
    return problems


#: What has the keyboard's focus: a link's address, or a button's text.
_FOCUSED_JS = "() => document.activeElement.getAttribute('href') || document.activeElement.textContent.trim()"


def _open_menu_with(page, key: str) -> None:
    page.locator("header nav summary").focus()
    page.keyboard.press(key)
    expect(page.locator("header nav details > ul")).to_be_visible()


# ---------------------------------------------------------------- the menu


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "host", "coordinator", "admin"])
def test_menu_is_one_button_on_a_phone_and_lists_what_the_role_uses(app, open_as, role):
    for locale in BROWSER_LOCALES:
        page = open_as(role, locale)
        page.set_viewport_size(PHONE)
        page.goto("/")
        _check_menu(page, app, role, locale)


def _check_menu(page, app, role: str, locale: str) -> None:
    nav = page.get_by_role("navigation", name=_translated(locale, "Main"))
    menu_list = nav.locator("details > ul")
    summary = nav.locator("summary")

    # Closed: one button, and the header leaves the screen to the page.
    expect(summary).to_have_text(_translated(locale, "Menu"))
    expect(menu_list).to_be_hidden()
    assert _chromium_menu_button(page) == {"name": _translated(locale, "Menu"), "expanded": False}
    header_bottom = page.evaluate(_HEADER_JS)
    assert header_bottom <= HEADER_SHARE * PHONE["height"], f"the header takes {header_bottom:.0f}px of 844"

    # The keyboard opens and closes it: Enter, then Enter again, then Space.
    _open_menu_with(page, "Enter")
    assert _chromium_menu_button(page)["expanded"] is True
    page.keyboard.press("Enter")
    expect(menu_list).to_be_hidden()
    _open_menu_with(page, " ")

    # Exactly what the role uses, each named in the page's language, the current page marked.
    items = page.evaluate(_MENU_ITEMS_JS)
    assert [i["href"] for i in items if i["href"]] == _paths(app, MENU[role])
    logout = [i["text"] for i in items if not i["href"]]
    assert logout == ([] if role == "anonymous" else [_translated(locale, "Log out")])
    for endpoint, msgid in MENU_NAMES.items():
        if endpoint in MENU[role]:
            expect(nav.get_by_role("link", name=_translated(locale, msgid), exact=True)).to_be_visible()
    assert [i["href"] for i in items if i["current"] == "page"] == ["/"]

    # Every item is reached with Tab, in order, right after the button.
    reached = []
    for _ in items:
        page.keyboard.press("Tab")
        reached.append(page.evaluate(_FOCUSED_JS))
    assert reached == [i["href"] or i["text"] for i in items]

    # At 320 px (200 % zoom) too: closed it leaves room; open, every item is on the screen and big enough.
    summary.click()
    expect(menu_list).to_be_hidden()
    page.set_viewport_size(NARROW)
    header_bottom = page.evaluate(_HEADER_JS)
    assert header_bottom <= HEADER_SHARE * NARROW["height"], f"the header takes {header_bottom:.0f}px of 568"
    summary.tap()
    expect(menu_list).to_be_visible()
    for item in page.evaluate(_MENU_ITEMS_JS):
        assert item["left"] >= 0 and item["right"] <= NARROW["width"], f"off the screen: {item}"
        assert item["height"] >= 44 and item["width"] >= 44, f"too small to tap: {item}"
    assert_accessible(page)


def test_menu_shows_inline_without_a_button_on_a_wide_screen(app, open_as):
    page = open_as("admin", "en-US")
    page.set_viewport_size(WIDE)
    page.goto("/visits/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator("summary")).to_be_hidden()
    items = page.evaluate(_MENU_ITEMS_JS)
    assert [i["href"] for i in items if i["href"]] == _paths(app, MENU["admin"])
    assert all(i["width"] > 0 for i in items), "the menu's items are not shown"
    assert [i["href"] for i in items if i["current"] == "page"] == ["/visits/"]
    header_bottom = page.evaluate(_HEADER_JS)
    assert header_bottom <= HEADER_SHARE * WIDE["height"], f"the header takes {header_bottom:.0f}px of 800"
    # Reached by keyboard after the language switch, with no hidden button in between.
    page.get_by_role("button", name="简体中文").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "/"
    assert_accessible(page)


# ---------------------------------------------------------------- every main page at 320 px


def _pages(app, viewer: str) -> list[str]:
    with app.app_context():
        live = _live_visit(db.session)
        school_id = live.school_id
        live_id = live.id
    return {
        "anonymous": ["/", "/login", "/register", f"/visits/{live_id}"],
        "volunteer": ["/", f"/visits/{live_id}", "/my/visits", "/profile"],
        "coordinator": ["/company/"],
        "admin": [
            "/visits/",
            f"/visits/{live_id}",
            "/visits/new",
            f"/visits/{live_id}/edit",
            "/schools/",
            f"/schools/{school_id}",
            "/people/",
            "/kits/types",
            "/kits/stock",
            "/kits/movements/new",
            "/kits/ledger/verify",
        ],
    }[viewer]


@pytest.mark.parametrize("viewer", ["anonymous", "volunteer", "coordinator", "admin"])
def test_pages_reflow_at_320_px_with_targets_big_enough_to_tap(app, open_as, viewer):
    default = "SciVisit: corporate volunteers teaching hands-on science in schools."
    problems = []
    for locale in BROWSER_LOCALES:
        page = open_as(viewer, locale)
        page.set_viewport_size(NARROW)
        description = _translated(locale, default)
        assert (description == default) == (locale == "en-US"), "the default description is not translated"
        for path in _pages(app, viewer):
            response = page.goto(path)
            assert response is not None and response.ok, f"GET {path}: {response.status if response else 'none'}"
            expect(page.locator("html")).to_have_attribute("lang", locale if locale == "zh-CN" else "en")
            # every page describes itself in the page's language: its own words, or the default
            said = page.locator('head meta[name="description"]').get_attribute("content") or ""
            assert len(said) >= 5, f"{locale} {path}: meta description {said!r}"
            assert (
                bool(re.search("[\u4e00-\u9fff]", said)) == (locale == "zh-CN")
                or description in said
                or (
                    locale == "en-US" and path.startswith("/visits/")  # a visit's own title may be Chinese
                )
            ), f"{locale} {path}: meta description {said!r} is not in the page's language"
            problems += [f"{locale} {path}: {p}" for p in _layout_problems(page)]
            assert_accessible(page)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
