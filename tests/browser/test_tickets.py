"""Tickets on a phone, in both languages: "My ticket" (its QR code, drawn by Chromium, reads back as the ticket's
URL), printing it alone, a new ticket; the host's one tap at the gate; the poster and a volunteer's self check-in.
With SCIVISIT_SHOTS set to a directory, the pages' screenshots are saved in its tickets/ to be looked at."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from accounts.models import Role
from checkin.models import Attendance
from checkin.tickets import issued, live_ticket
from tests.browser.conftest import PHONE, accessibility_problems, click_to_page, log_in, server_state, visit
from tests.conftest import PASSWORD
from volunteers import signups

LOCALES = ["zh-CN", "en-US"]
NARROW = {"width": 320, "height": 700}
#: an A4 sheet at 96 px an inch, to look at the print style
A4 = {"width": 794, "height": 1123}
#: where to keep screenshots of the pages, if anywhere
SHOTS = Path(os.environ["SCIVISIT_SHOTS"]) / "tickets" if os.environ.get("SCIVISIT_SHOTS") else None
BASE = "http://scivisit.test"  # the BASE_URL of tests/conftest.py: what the QR codes encode


def _shoot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _pages(pdf: bytes) -> int:
    """How many pages a PDF that Chromium printed has."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def _decode(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def _both_widths(page, name: str) -> None:
    """Check and photograph the page at 390 px and at 320 px."""
    problems = accessibility_problems(page)
    _shoot(page, name)
    size = page.viewport_size
    page.set_viewport_size(NARROW)
    problems += accessibility_problems(page)
    _shoot(page, f"{name}-320")
    page.set_viewport_size(size)
    assert not problems, "\n".join(problems)


@pytest.fixture
def day(db_session, now, make_user, make_school, make_visit, make_company):
    """A visit two days ahead, its school's host, and Wang Fang with a confirmed place and a ticket."""
    host = make_user(Role.HOST, name="Host Teacher", email="gate.host@example.com")
    school = make_school(hosts=[host], name="红星小学 Red Star Primary", address="学府路 1 号")
    the_visit = make_visit(school=school, days_ahead=2, title="火星车科学日 Mars rover day")
    volunteer = make_user(name="Wang Fang", email="wang.fang@example.com", company=make_company("Acme Instruments"))
    signup, _ = signups.sign_up(db_session, slot_id=the_visit.slots[0].id, volunteer=volunteer, now=now)
    db_session.commit()
    return {"host": host, "visit": the_visit, "volunteer": volunteer, "signup": signup}


def _secret(signup) -> str:
    return issued(live_ticket(server_state(), signup)).secret


@pytest.mark.parametrize("locale", LOCALES)
def test_my_ticket_on_a_phone_reads_back_prints_alone_and_can_be_replaced(phone, day, locale):
    signup = day["signup"]
    page = phone(locale)
    log_in(page, day["volunteer"].email)
    visit(page, "/my/visits")
    click_to_page(page, page.locator(f'a[href="/my/tickets/{signup.id}"]'))
    assert page.url.endswith(f"/my/tickets/{signup.id}")

    qr = page.locator(".ticket-qr svg")
    box = qr.bounding_box()
    assert 340 <= box["width"] <= 360 and abs(box["width"] - box["height"]) < 1  # the phone's width, at most 360
    secret = _secret(signup)
    assert _decode(qr.screenshot()) == [f"{BASE}/t/{secret}"]
    code = page.locator(".ticket-code")
    expect(code).to_have_text(issued(live_ticket(server_state(), signup)).code_shown)
    spelled = code.get_attribute("aria-label").split("：")[-1].split(": ")[-1]
    assert spelled.replace(",", "").split() == list(code.inner_text().replace("-", ""))  # one character at a time
    expect(page.locator("[data-print]")).to_be_visible()  # the script showed the Print button
    _both_widths(page, f"my-ticket-{locale}")
    page.set_viewport_size(NARROW)
    assert 280 <= page.locator(".ticket-qr svg").bounding_box()["width"] <= 300  # 320 px less the margins
    page.set_viewport_size(PHONE["viewport"])

    # printed, the ticket is alone on the page
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".ticket-actions")).to_be_hidden()
    expect(page.locator(".ticket-qr svg")).to_be_visible()
    _shoot(page, f"my-ticket-print-{locale}")
    assert _pages(page.pdf(prefer_css_page_size=True)) == 1
    page.emulate_media(media="screen")

    # a new ticket: asked first (in a dialog), then the old code is gone from the page
    old = page.locator(".ticket-code").inner_text()
    page.locator(f'a[href="/my/tickets/{signup.id}/new"]').click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    assert not accessibility_problems(page)
    _shoot(page, f"new-ticket-{locale}")
    click_to_page(page, dialog.locator("button[type=submit]"))
    expect(page.locator(".flash-success")).to_be_visible()
    assert page.locator(".ticket-code").inner_text() != old
    new_secret = _secret(signup)
    assert new_secret != secret
    assert _decode(page.locator(".ticket-qr svg").screenshot()) == [f"{BASE}/t/{new_secret}"]


def test_the_tickets_svg_url_rendered_by_chromium_decodes_to_the_ticket_url(browser, live_server, day):
    secret = _secret(day["signup"])
    context = browser.new_context(viewport={"width": 400, "height": 400})
    try:
        page = context.new_page()
        response = page.goto(f"{live_server}/t/{secret}/qr.svg")
        assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")
        shot = page.screenshot()
        if SHOTS is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            (SHOTS / "ticket-qr-svg.png").write_bytes(shot)
        assert _decode(shot) == [f"{BASE}/t/{secret}"]
        png = page.goto(f"{live_server}/t/{secret}/qr.png").body()
        assert _decode(png) == [f"{BASE}/t/{secret}"]
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-US"])  # the other language is walked by the journey tests
def test_the_host_opens_a_ticket_and_checks_the_volunteer_in_with_one_tap(phone, day, clock, locale):
    clock.set(day["visit"].starts_at - timedelta(minutes=20))
    secret = _secret(day["signup"])
    page = phone(locale)
    log_in(page, day["host"].email)
    visit(page, f"/t/{secret}")
    expect(page.locator("h1")).to_have_text("Wang Fang")
    click_to_page(page, page.locator('button[name="direction"][value="in"]'))
    panel = page.locator(".scan-answer-ok")
    expect(panel).to_be_visible()
    assert server_state().get(Attendance, day["signup"].id).checked_in_at == clock.now
    _both_widths(page, f"ticket-host-checked-in-{locale}")

    click_to_page(page, page.locator('button[name="direction"][value="in"]'))
    expect(page.locator(".scan-answer-refused")).to_be_visible()  # already checked in: red
    _shoot(page, f"ticket-host-refused-{locale}")


@pytest.mark.parametrize("locale", ["zh-CN"])  # the other language is walked by the journey tests
def test_anyone_else_sees_the_ticket_without_the_persons_name(phone, day, locale):
    page = phone(locale)
    visit(page, f"/t/{_secret(day['signup'])}")
    assert "Wang Fang" not in page.content() and "Acme" not in page.content()
    expect(page.locator("main")).to_contain_text("火星车科学日 Mars rover day")
    _both_widths(page, f"ticket-anonymous-{locale}")


@pytest.mark.parametrize("locale", ["en-US"])  # the other language is walked by the journey tests
def test_the_host_prints_the_poster_and_a_volunteer_checks_in_with_it(phone, day, clock, locale):
    host = phone(locale)
    log_in(host, day["host"].email)
    visit(host, f"/visits/{day['visit'].id}")
    click_to_page(host, host.locator(f'a[href="/visits/{day["visit"].id}/poster"]'))
    qr = host.locator(".poster-qr svg")
    [poster_url] = _decode(qr.screenshot())
    assert poster_url.startswith(f"{BASE}/p/")
    _both_widths(host, f"poster-{locale}")
    host.emulate_media(media="print")
    expect(host.locator(".site-header")).to_be_hidden()
    expect(host.locator(".poster-tools")).to_be_hidden()
    host.set_viewport_size(A4)
    _shoot(host, f"poster-print-{locale}")
    host.set_viewport_size(PHONE["viewport"])
    assert _pages(host.pdf(prefer_css_page_size=True)) == 1  # one A4 sheet

    clock.set(day["visit"].starts_at - timedelta(minutes=5))
    volunteer = phone(locale)
    path = poster_url.removeprefix(BASE)
    volunteer.goto(path)  # not logged in: to the login page, and back after it
    assert "/login" in volunteer.url
    assert not accessibility_problems(volunteer)
    volunteer.locator("#email").fill(day["volunteer"].email)
    volunteer.locator("#password").fill(PASSWORD)
    click_to_page(volunteer, volunteer.locator("main form button[type=submit]"))
    assert volunteer.url.endswith(path)
    _shoot(volunteer, f"poster-scan-{locale}")
    click_to_page(volunteer, volunteer.locator("main form button[type=submit]"))
    expect(volunteer.locator(".scan-answer-ok")).to_be_visible()
    assert server_state().get(Attendance, day["signup"].id) is not None
    _both_widths(volunteer, f"poster-checked-in-{locale}")
