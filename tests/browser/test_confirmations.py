"""Nothing destroyed by one tap, on a phone in both languages.

Without JavaScript the first tap opens a page that asks and says what will happen, and its button does it.
With JavaScript the same tap opens the question in a dialog on the page: Escape or "No, keep it" leaves
everything as it was and gives the focus back, "Yes" does it. Both pass axe at 390 and 320 px.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, gettext, ngettext
from playwright.sync_api import expect

from accounts.models import Company, Role
from events.models import Visit, VisitStatus
from tests.browser.conftest import APP_LOCALES, assert_accessible, click_to_page, log_in, server_state, visit
from volunteers import signups
from volunteers.models import Signup, SignupStatus

#: browser locale -> interface locale of the app
#: 200 % zoom on a 640 px wide phone, or a small phone
NARROW = {"width": 320, "height": 640}


def _says(browser_locale: str):
    """`t(msgid, **values)`: the string as the app shows it in that language (its catalogue decides)."""

    def t(msgid: str, **values) -> str:
        with force_locale(APP_LOCALES[browser_locale]):
            return gettext(msgid, **values)

    return t


def _path(page) -> str:
    return urlsplit(page.url).path


def _status(signup: Signup) -> SignupStatus:
    return server_state().get(Signup, signup.id).status


def _sign(db_session, slot, user, now) -> Signup:
    signup, _created = signups.sign_up(db_session, slot_id=slot.id, volunteer=user, now=now)
    db_session.commit()
    return signup


def _narrow_too(page) -> None:
    """Check the page as it is now at 320 px as well, then return to the phone's width."""
    size = page.viewport_size
    page.set_viewport_size(NARROW)
    assert_accessible(page)
    page.set_viewport_size(size)


def _dialog(page):
    return page.get_by_role("alertdialog")


def _open(page, link):
    """Tap a link that asks first; with JavaScript the question opens in a dialog, on the same page."""
    where = page.url
    link.click()
    dialog = _dialog(page)
    expect(dialog).to_be_visible()
    assert page.url == where, "the question must open on the page, not as another page"
    return dialog


# ---------------------------------------------------------------- cancelling one's place


@pytest.mark.parametrize("locale", ["zh-CN"])  # each journey in one language: test_all_pages reads every page in both
def test_without_javascript_my_visits_asks_on_a_page_before_cancelling(
    phone, locale, make_user, make_visit, db_session, now
):
    t = _says(locale)
    title = f"Kite day {locale}"
    kites = make_visit(title=title, capacity=1)
    volunteer = make_user(email=f"confirm.nojs.{locale.lower()}@example.com")
    mine = _sign(db_session, kites.slots[0], volunteer, now)
    waiting = _sign(db_session, kites.slots[0], make_user(), now)
    page = phone(locale, javascript=False)
    log_in(page, volunteer.email)
    visit(page, "/my/visits")
    card = page.locator("main .card").filter(has=page.get_by_role("link", name=title, exact=True))

    # First tap: a page that asks, and says what will happen; nothing has changed.
    click_to_page(page, card.get_by_role("link", name=t("Cancel my signup")))
    assert _path(page) == f"/signups/{mine.id}/cancel"
    expect(page.locator("h1")).to_have_text(t("Cancel your signup?"))
    main = page.locator("main")
    expect(main).to_contain_text(title)
    expect(main).to_contain_text(t("Your place will go to the first person on the waitlist, who will be told by mail."))
    _narrow_too(page)
    assert (_status(mine), _status(waiting)) == (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)

    # "No, keep it" goes back to where the person was, with nothing changed.
    click_to_page(page, main.get_by_role("link", name=t("No, keep it")))
    assert _path(page) == "/my/visits"
    assert _status(mine) == SignupStatus.CONFIRMED

    # Asked again and answered: done, back on My visits.
    click_to_page(page, card.get_by_role("link", name=t("Cancel my signup")))
    click_to_page(page, page.locator("main").get_by_role("button", name=t("Yes, cancel my signup")))
    assert _path(page) == "/my/visits"
    expect(page.locator(".flashes")).to_contain_text(t("Your signup is cancelled."))
    assert (_status(mine), _status(waiting)) == (SignupStatus.CANCELLED, SignupStatus.CONFIRMED)


@pytest.mark.parametrize("locale", ["en-US"])  # each journey in one language: test_all_pages reads every page in both
def test_with_javascript_the_visit_page_asks_in_a_dialog_that_escape_and_keep_close(
    phone, locale, make_user, make_visit, db_session, now
):
    t = _says(locale)
    kites = make_visit(title=f"Kite day {locale}")
    volunteer = make_user(email=f"confirm.js.{locale.lower()}@example.com")
    mine = _sign(db_session, kites.slots[0], volunteer, now)
    page = phone(locale)
    log_in(page, volunteer.email)
    visit(page, f"/visits/{kites.id}")
    link = page.locator("main").get_by_role("link", name=t("Cancel my signup"))
    expect(link).to_have_attribute("aria-haspopup", "dialog")

    dialog = _open(page, link)
    expect(dialog).to_have_accessible_name(t("Cancel your signup?"))
    expect(dialog).to_have_accessible_description(
        re.compile(re.escape(t("Your place will become free for someone else to sign up.")))
    )
    keep = dialog.get_by_role("button", name=t("No, keep it"))
    expect(keep).to_be_focused()
    expect(page.locator("h1")).to_have_count(1)  # the dialog's title is not a second page title
    assert_accessible(page)
    _narrow_too(page)

    # Escape closes it; the focus is back on the link; nothing changed.
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(link).to_be_focused()
    assert _status(mine) == SignupStatus.CONFIRMED

    # "No, keep it" too.
    keep = _open(page, link).get_by_role("button", name=t("No, keep it"))
    keep.click()
    expect(_dialog(page)).to_have_count(0)
    expect(link).to_be_focused()
    assert _path(page) == f"/visits/{kites.id}"
    assert _status(mine) == SignupStatus.CONFIRMED

    # "Yes" does it, and the visit page says so.
    dialog = _open(page, link)
    click_to_page(page, dialog.get_by_role("button", name=t("Yes, cancel my signup")))
    assert _path(page) == f"/visits/{kites.id}"
    expect(page.locator(".flashes")).to_contain_text(t("Your signup is cancelled."))
    assert _status(mine) == SignupStatus.CANCELLED


@pytest.mark.parametrize("locale", ["zh-CN"])  # each journey in one language: test_all_pages reads every page in both
def test_leaving_the_waitlist_says_which_place_is_lost_in_a_dialog(
    phone, locale, make_user, make_visit, db_session, now
):
    t = _says(locale)
    title = f"Egg drop {locale}"
    eggs = make_visit(title=title, capacity=1)
    _sign(db_session, eggs.slots[0], make_user(), now)
    _sign(db_session, eggs.slots[0], make_user(), now)
    volunteer = make_user(email=f"confirm.queue.{locale.lower()}@example.com")
    mine = _sign(db_session, eggs.slots[0], volunteer, now)
    page = phone(locale)
    log_in(page, volunteer.email)
    visit(page, "/my/visits")
    card = page.locator("main .card").filter(has=page.get_by_role("link", name=title, exact=True))
    link = card.get_by_role("link", name=t("Leave the waitlist"))

    dialog = _open(page, link)
    expect(dialog).to_have_accessible_name(t("Leave the waitlist?"))
    lost = t(
        "You will lose your place: number %(position)s on the waitlist. "
        "If you join again while the role is full, you go to the end of the queue.",
        position=2,
    )
    expect(dialog).to_contain_text(lost)
    page.keyboard.press("Escape")
    assert _status(mine) == SignupStatus.WAITLISTED

    dialog = _open(page, link)
    click_to_page(page, dialog.get_by_role("button", name=t("Yes, leave the waitlist")))
    assert _path(page) == "/my/visits"
    assert _status(mine) == SignupStatus.CANCELLED


def test_an_admin_is_asked_before_cancelling_from_the_roster_and_told_it_is_late(
    phone, make_user, make_visit, db_session, now
):
    t = _says("en-US")
    rockets = make_visit(title="Rockets", capacity=1, days_ahead=2)
    rockets.cancel_cutoff_hours = 24 * 7
    db_session.commit()
    lead = _sign(db_session, rockets.slots[0], make_user(name="Li Lei"), now)
    admin = make_user(Role.ADMIN, email="confirm.roster@example.com")
    page = phone("en-US")
    log_in(page, admin.email)
    visit(page, f"/visits/{rockets.id}/roster")
    link = page.locator("main").get_by_role("link", name=t("Cancel signup"))
    dialog = _open(page, link)
    expect(dialog).to_have_accessible_name(t("Cancel the signup of %(name)s?", name="Li Lei"))
    expect(dialog).to_contain_text(t("%(name)s will be told by mail.", name="Li Lei"))
    expect(dialog.locator(".notice")).to_contain_text("Li Lei could no longer cancel this themselves")
    assert_accessible(page)
    click_to_page(page, dialog.get_by_role("button", name=t("Yes, cancel the signup")))
    assert _path(page) == f"/visits/{rockets.id}/roster"
    assert _status(lead) == SignupStatus.CANCELLED


# ---------------------------------------------------------------- cancelling a visit


def _visit_with_three_told(make_visit, make_user, db_session, now, title):
    balloons = make_visit(title=title, capacity=2)
    for _ in range(3):  # two places and one person waiting: all three are told
        _sign(db_session, balloons.slots[0], make_user(), now)
    return balloons


def _visit_status(visit_row) -> VisitStatus:
    return server_state().get(Visit, visit_row.id).status


def _told(locale: str, n: int) -> str:
    with force_locale(APP_LOCALES[locale]):
        return ngettext(
            "The visit will be cancelled and %(num)s volunteer will be told by mail.",
            "The visit will be cancelled and %(num)s volunteers will be told by mail.",
            n,
        )


@pytest.mark.parametrize("locale", ["en-US"])  # each journey in one language: test_all_pages reads every page in both
def test_without_javascript_cancelling_a_visit_asks_on_a_page_how_many_are_told(
    phone, locale, make_user, make_visit, db_session, now
):
    t = _says(locale)
    balloons = _visit_with_three_told(make_visit, make_user, db_session, now, f"Balloons {locale}")
    admin = make_user(Role.ADMIN, email=f"confirm.visit.nojs.{locale.lower()}@example.com")
    page = phone(locale, javascript=False)
    log_in(page, admin.email)
    visit(page, f"/visits/{balloons.id}")
    click_to_page(page, page.locator("main").get_by_role("link", name=t("Cancel the visit")))
    assert _path(page) == f"/visits/{balloons.id}/cancel"
    expect(page.locator("h1")).to_have_text(t("Cancel this visit?"))
    expect(page.locator("main")).to_contain_text(_told(locale, 3))
    _narrow_too(page)
    assert _visit_status(balloons) == VisitStatus.PUBLISHED

    click_to_page(page, page.locator("main").get_by_role("button", name=t("Yes, cancel the visit")))
    assert _path(page) == f"/visits/{balloons.id}"
    expect(page.locator(".flashes")).to_contain_text(t("The visit is cancelled."))
    assert _visit_status(balloons) == VisitStatus.CANCELLED


@pytest.mark.parametrize("locale", ["zh-CN"])  # each journey in one language: test_all_pages reads every page in both
def test_with_javascript_cancelling_a_visit_asks_in_a_dialog(phone, locale, make_user, make_visit, db_session, now):
    t = _says(locale)
    balloons = _visit_with_three_told(make_visit, make_user, db_session, now, f"Balloons {locale}")
    admin = make_user(Role.ADMIN, email=f"confirm.visit.js.{locale.lower()}@example.com")
    page = phone(locale)
    log_in(page, admin.email)
    visit(page, f"/visits/{balloons.id}")
    link = page.locator("main").get_by_role("link", name=t("Cancel the visit"))

    dialog = _open(page, link)
    expect(dialog).to_have_accessible_name(t("Cancel this visit?"))
    expect(dialog).to_have_accessible_description(re.compile(re.escape(_told(locale, 3))))
    expect(dialog.get_by_role("button", name=t("No, keep it"))).to_be_focused()
    assert_accessible(page)
    _narrow_too(page)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(link).to_be_focused()
    assert _visit_status(balloons) == VisitStatus.PUBLISHED

    dialog = _open(page, link)
    click_to_page(page, dialog.get_by_role("button", name=t("Yes, cancel the visit")))
    expect(page.locator(".flashes")).to_contain_text(t("The visit is cancelled."))
    assert _visit_status(balloons) == VisitStatus.CANCELLED


# ---------------------------------------------------------------- a new join code


@pytest.mark.parametrize("locale", ["en-US"])  # each journey in one language: test_all_pages reads every page in both
def test_a_new_join_code_is_asked_for_on_a_page_without_javascript_and_in_a_dialog_with_it(
    phone, locale, make_company, make_user
):
    t = _says(locale)
    company = make_company(name=f"Confirm Company {locale}")
    coordinator = make_user(Role.COORDINATOR, email=f"confirm.code.{locale.lower()}@example.com", company=company)

    def code() -> str:
        return server_state().get(Company, company.id).join_code

    old = code()
    stops = t(
        "The code %(code)s will stop working at once: people with it, or with the old registration link, "
        "can no longer register and will need the new code from you.",
        code=old,
    )

    # With JavaScript: the dialog; Escape keeps the code.
    page = phone(locale)
    log_in(page, coordinator.email)
    visit(page, "/company/")
    link = page.locator("main").get_by_role("link", name=t("Make a new join code"))
    dialog = _open(page, link)
    expect(dialog).to_have_accessible_name(t("Make a new join code?"))
    expect(dialog).to_contain_text(stops)
    assert_accessible(page)
    _narrow_too(page)
    page.keyboard.press("Escape")
    expect(link).to_be_focused()
    assert code() == old

    # Without JavaScript: the page that asks, then a new code.
    page = phone(locale, javascript=False)
    log_in(page, coordinator.email)
    visit(page, "/company/")
    click_to_page(page, page.locator("main").get_by_role("link", name=t("Make a new join code")))
    assert _path(page) == "/company/join-code"
    expect(page.locator("main")).to_contain_text(stops)
    _narrow_too(page)
    assert code() == old
    click_to_page(page, page.locator("main").get_by_role("button", name=t("Yes, make a new code")))
    assert _path(page) == "/company/"
    new = code()
    assert new != old
    expect(page.locator(".flashes")).to_contain_text(new)
