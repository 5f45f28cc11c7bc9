"""Signing up, the waitlist, cancelling and changed visits on a phone: PRODUCT.md journeys 2, 3 and 4.

The pages are read in the language they speak: `_translator` asks the run's own catalogues
what a string says in Chinese or English, so one test body covers both languages.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import vobject
from flask import current_app
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Role, User
from core.formatting import timerange
from core.timeutil import in_zone
from events.models import SlotRole, Visit, VisitStatus
from mail.models import OutboxMessage
from tests.browser.conftest import click_to_page, log_in, open_menu, server_state, visit
from tests.conftest import PASSWORD
from volunteers import signups
from volunteers.models import Signup, SignupStatus

#: browser locale -> interface locale of the app
APP_LOCALES = {"zh-CN": "zh_CN", "en-US": "en"}


def _translator(browser_locale: str):
    """`t(msgid, **values)`: the string as the app shows it in that language (and it must be translated)."""
    code = APP_LOCALES[browser_locale]

    def t(msgid: str, **values) -> str:
        with force_locale(code):
            text = gettext(msgid, **values)
        if code != "en":
            assert text != (msgid % values if values else msgid), f"not translated into {code}: {msgid!r}"
        return text

    return t


def _when(visit_row: Visit, browser_locale: str) -> str:
    """A visit's day and times as the pages show them."""
    with force_locale(APP_LOCALES[browser_locale]):
        return timerange(visit_row.starts_at, visit_row.ends_at, visit_row.school.timezone)


def _path(page) -> str:
    return urlsplit(page.url).path


def _outbox(email: str) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id)
    return list(server_state().scalars(query))


def _calendar_event(message: OutboxMessage):
    """The VEVENT of the message's visit.ics attachment, read by vobject (the app writes it with icalendar)."""
    files = {a["filename"]: a for a in message.attachments}
    assert "visit.ics" in files, f"{message.subject!r} has no visit.ics: {list(files)}"
    assert files["visit.ics"]["content_type"].startswith("text/calendar")
    events = vobject.readOne(files["visit.ics"]["content"]).vevent_list
    assert len(events) == 1
    return events[0]


def _my_card(page, title: str):
    return page.locator("main .card").filter(has=page.get_by_role("link", name=title, exact=True))


def _sign(db_session, slot, user, now) -> Signup:
    signup, _created = signups.sign_up(db_session, slot_id=slot.id, volunteer=user, now=now)
    db_session.commit()
    return signup


# ---------------------------------------------------------------- journey 2


@pytest.mark.parametrize("locale", ["en-US"])  # each journey in one language: test_all_pages reads every page in both
def test_visitor_signs_up_through_registration_and_comes_back_to_the_chosen_role(
    phone, locale, make_company, make_visit
):
    t = _translator(locale)
    company = make_company(name=f"Journey Two Company {locale}")
    title = f"Floating egg day {locale}"
    rover = make_visit(title=title, roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT), capacity=2)
    assistant = next(slot for slot in rover.slots if slot.role == SlotRole.ASSISTANT)
    role = t("Teaching assistant")
    email = f"journey.two.{locale.lower()}@example.com"
    page = phone(locale)

    visit(page, f"/visits/{rover.id}")
    card = page.locator("main .card").filter(has=page.get_by_role("heading", name=role, exact=True))
    click_to_page(page, card.get_by_role("link", name=t("Sign up as %(role)s", role=role)))
    assert _path(page) == "/login", page.url
    click_to_page(page, page.get_by_role("link", name=t("Register with your company's join code")))
    assert _path(page) == "/register", page.url

    page.locator("#join_code").fill(company.join_code)
    page.locator("#name").fill("Zhao Lei")
    page.locator("#email").fill(email)
    page.locator("#phone").fill("13800001234")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    click_to_page(page, page.get_by_role("button", name=t("Create my account")))

    # The account is made from the link mailed to the address; the chosen role travels with it.
    assert _path(page) == "/register/sent", page.url
    [mailed] = _outbox(email)
    visit(page, mailed.body[mailed.body.index("/register/confirm/") :].split()[0])
    click_to_page(page, page.locator("main").get_by_role("button", name=t("Create my account")))

    # Back on the role chosen before logging in, not on the first role nor the list of visits.
    assert _path(page) == f"/visits/{rover.id}/slots/{assistant.id}/signup", page.url
    expect(page.locator("h1")).to_have_text(t("Sign up as %(role)s", role=role))
    expect(page.locator("html")).to_have_attribute("lang", locale if locale == "zh-CN" else "en")
    click_to_page(page, page.locator("main").get_by_role("button", name=t("Sign up as %(role)s", role=role)))

    assert _path(page) == f"/visits/{rover.id}", page.url
    expect(page.locator(".flashes")).to_contain_text(
        t("You are signed up as %(role)s. A confirmation is on its way by email.", role=role)
    )
    expect(page.locator("#my-signup")).to_contain_text(t("You are signed up as %(role)s.", role=role))
    expect(page.locator("#my-signup")).to_contain_text(t("Confirmed"))

    click_to_page(page, open_menu(page).get_by_role("link", name=t("My visits")))
    assert _path(page) == "/my/visits"
    mine = _my_card(page, title)
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(role)
    expect(mine).to_contain_text(t("Confirmed"))
    expect(mine).to_contain_text(_when(rover, locale))

    user = server_state().scalar(select(User).where(User.email == email))
    assert user.company_id == company.id
    signup = server_state().scalar(select(Signup).where(Signup.user_id == user.id))
    assert (signup.slot_id, signup.status) == (assistant.id, SignupStatus.CONFIRMED)
    # The confirmation speaks the language the volunteer used, and carries the visit for their calendar.
    confirmation, *messages = _outbox(email)
    assert confirmation.template == "confirm_registration"
    assert [m.subject for m in messages] == [t("You are signed up: %(title)s", title=title)]
    event = _calendar_event(messages[0])
    assert title in event.summary.value
    assert event.dtstart.value == rover.starts_at


# ---------------------------------------------------------------- journey 3


def test_waitlisted_volunteer_is_promoted_when_the_volunteer_ahead_cancels_on_their_phone(
    phone, make_user, make_visit, db_session, now
):
    zh, en = _translator("zh-CN"), _translator("en-US")
    title = "Balloon that will not burn"
    balloon = make_visit(title=title, capacity=1)
    slot = balloon.slots[0]
    first = make_user(email="journey.three.first@example.com", name="Wang Fang")
    second = make_user(email="journey.three.second@example.com", name="Li Na", locale="en")
    _sign(db_session, slot, first, now)
    role = en("Lead instructor")

    # The second volunteer, on an English phone, finds the role full and joins its waitlist.
    waiting = phone("en-US")
    log_in(waiting, second.email)
    visit(waiting, f"/visits/{balloon.id}")
    click_to_page(
        waiting, waiting.locator("main").get_by_role("button", name=en("Join the waitlist for %(role)s", role=role))
    )
    assert _path(waiting) == f"/visits/{balloon.id}"
    expect(waiting.locator(".flashes")).to_contain_text(
        en(
            "The role is full: you are number %(position)s on the waitlist. We will email you if a place frees up.",
            position=1,
        )
    )
    expect(waiting.locator("#my-signup")).to_contain_text(en("Waitlisted"))
    expect(waiting.locator("#my-signup")).to_contain_text(en("number %(position)s on the waitlist", position=1))
    click_to_page(waiting, open_menu(waiting).get_by_role("link", name=en("My visits")))
    card = _my_card(waiting, title)
    expect(card).to_contain_text(en("Waitlisted"))
    expect(card).to_contain_text(en("number %(position)s on the waitlist", position=1))
    assert [m.subject for m in _outbox(second.email)] == [en("You are on the waitlist: %(title)s", title=title)]

    # The first volunteer, on a Chinese phone, cancels from My visits.
    leaving = phone("zh-CN")
    log_in(leaving, first.email)
    click_to_page(leaving, open_menu(leaving).get_by_role("link", name=zh("My visits")))
    card = _my_card(leaving, title)
    expect(card).to_contain_text(zh("Confirmed"))
    # Nothing ends with one tap: the question opens in a dialog, and its first button cancels.
    card.get_by_role("link", name=zh("Cancel my signup")).click()
    click_to_page(leaving, leaving.get_by_role("alertdialog").locator("button[type=submit]"))
    assert _path(leaving) == "/my/visits"
    expect(leaving.locator(".flashes")).to_contain_text(zh("Your signup is cancelled."))
    expect(_my_card(leaving, title)).to_have_count(0)

    # The place is the second volunteer's now, and they are told so at once.
    visit(waiting, "/my/visits")
    card = _my_card(waiting, title)
    expect(card).to_contain_text(en("Confirmed"))
    expect(card).not_to_contain_text(en("Waitlisted"))
    promoted = [m for m in _outbox(second.email) if m.subject == en("A place is yours: %(title)s", title=title)]
    assert len(promoted) == 1, [m.subject for m in _outbox(second.email)]
    assert title in _calendar_event(promoted[0]).summary.value
    assert zh("Signup cancelled: %(title)s", title=title) in [m.subject for m in _outbox(first.email)]
    statuses = dict(
        server_state().execute(select(Signup.user_id, Signup.status).where(Signup.slot_id == slot.id)).all()
    )
    assert statuses == {first.id: SignupStatus.CANCELLED, second.id: SignupStatus.CONFIRMED}


# ---------------------------------------------------------------- journey 4


def test_admin_moves_and_then_cancels_a_visit_and_the_volunteer_sees_both(
    phone, make_user, make_visit, db_session, now
):
    zh, en = _translator("zh-CN"), _translator("en-US")
    title = "Mars rover on the move"
    rover = make_visit(title=title, lessons=0)
    visit_id, tz = rover.id, rover.school.timezone
    admin = make_user(Role.ADMIN, email="journey.four.admin@example.com")
    volunteer = make_user(email="journey.four.volunteer@example.com", name="Sun Li", locale="en")
    _sign(db_session, rover.slots[0], volunteer, now)
    day = in_zone(rover.starts_at, tz).date()

    coordinator = phone("zh-CN")
    log_in(coordinator, admin.email)
    visit(coordinator, f"/visits/{visit_id}/roster")
    expect(coordinator.locator("main")).to_contain_text(volunteer.name)
    expect(coordinator.locator("main")).to_contain_text(zh("Confirmed"))

    # Move: an hour and a half later on the same day.
    visit(coordinator, f"/visits/{visit_id}")
    click_to_page(coordinator, coordinator.locator("main").get_by_role("link", name=zh("Edit"), exact=True))
    assert _path(coordinator) == f"/visits/{visit_id}/edit"
    coordinator.locator("#starts_at").fill("10:30")
    coordinator.locator("#ends_at").fill("16:30")
    assert click_to_page(coordinator, coordinator.get_by_role("button", name=zh("Save")).last) == 200
    assert _path(coordinator) == f"/visits/{visit_id}"
    moved = server_state().get(Visit, visit_id)
    local_start = in_zone(moved.starts_at, tz)
    assert (local_start.date(), local_start.strftime("%H:%M")) == (day, "10:30")
    assert moved.ends_at - moved.starts_at == timedelta(hours=6)

    phone_of_volunteer = phone("en-US")
    log_in(phone_of_volunteer, volunteer.email)
    click_to_page(phone_of_volunteer, open_menu(phone_of_volunteer).get_by_role("link", name=en("My visits")))
    card = _my_card(phone_of_volunteer, title)
    expect(card).to_contain_text(_when(moved, "en-US"))
    expect(card).to_contain_text(en("Confirmed"))
    changed = [m for m in _outbox(volunteer.email) if m.subject == en("Visit changed: %(title)s", title=title)]
    assert len(changed) == 1, [m.subject for m in _outbox(volunteer.email)]
    assert _calendar_event(changed[0]).dtstart.value == moved.starts_at

    # Cancel the visit.
    visit(coordinator, f"/visits/{visit_id}")
    coordinator.locator("main").get_by_role("link", name=zh("Cancel the visit")).click()
    click_to_page(coordinator, coordinator.get_by_role("alertdialog").locator("button[type=submit]"))
    expect(coordinator.locator(".flashes")).to_contain_text(zh("The visit is cancelled."))
    assert server_state().get(Visit, visit_id).status == VisitStatus.CANCELLED

    visit(phone_of_volunteer, f"/visits/{visit_id}")
    expect(phone_of_volunteer.locator("main")).to_contain_text(en("This visit has been cancelled."))
    cancelled = [m for m in _outbox(volunteer.email) if m.subject == en("Visit cancelled: %(title)s", title=title)]
    assert len(cancelled) == 1, [m.subject for m in _outbox(volunteer.email)]
    # My visits must not just drop the visit: the volunteer would not know why it is gone.
    visit(phone_of_volunteer, "/my/visits")
    card = _my_card(phone_of_volunteer, title)
    expect(card, "My visits no longer shows the cancelled visit").to_have_count(1)
    expect(card).to_contain_text(en("Cancelled"))
    expect(card.get_by_role("link", name=en("Cancel my signup"))).to_have_count(0)


# ---------------------------------------------------------------- the cancel cutoff


def test_past_the_cancel_cutoff_the_volunteer_is_told_whom_to_contact_instead_of_a_cancel_button(
    page, make_user, make_visit, db_session, clock
):
    zh = _translator("zh-CN")
    title = "Tomorrow's paper rockets"
    soon = make_visit(title=title, lessons=0, days_ahead=1)  # 09:00 to 15:00 at the school
    # 12 hours before the start; the cutoff is the default 24 hours before it.
    clock.set(soon.starts_at - timedelta(hours=12))
    volunteer = make_user(email="journey.cutoff@example.com")
    _sign(db_session, soon.slots[0], volunteer, clock.now)
    told = zh(
        "It is too close to the visit to cancel here. To cancel, please contact the programme coordinator: %(contact)s",
        contact=current_app.config["PROGRAMME_CONTACT"],
    )

    log_in(page, volunteer.email)
    click_to_page(page, open_menu(page).get_by_role("link", name=zh("My visits")))
    card = _my_card(page, title)
    expect(card).to_contain_text(zh("Confirmed"))
    expect(card.locator(".notice")).to_have_text(told)
    expect(card.get_by_role("button")).to_have_count(0)
    expect(card.get_by_role("link", name=zh("Cancel my signup"))).to_have_count(0)

    click_to_page(page, card.get_by_role("link", name=title, exact=True))
    assert _path(page) == f"/visits/{soon.id}"
    expect(page.locator(".my-signup .notice")).to_have_text(told)
    expect(page.locator("main").get_by_role("link", name=zh("Cancel my signup"))).to_have_count(0)
