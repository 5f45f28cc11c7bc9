"""The scanner at the gate in real Chromium at a phone size (issue 9, "Scanner page").

A fake camera plays a video of a volunteer's ticket (Chromium's --use-file-for-fake-video-capture, an MJPEG
file of JPEG frames drawn here with qrcode and Pillow): the page reads it, with zxing-wasm from our own
static files when the browser's BarcodeDetector is missing or broken, checks the volunteer in and moves them
from "not here yet" to "arrived". The photo and the typed code do the same, the code with and without
JavaScript.
"""

from __future__ import annotations

import io
import json
import os
import time
from datetime import timedelta

import pytest
import qrcode
from playwright.sync_api import expect
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import select

from accounts.models import Role
from checkin.models import Attendance, Scan
from checkin.tickets import ticket_for
from tests.browser.conftest import (
    _WATCHES,
    CHROMIUM_FLAGS,
    PHONE,
    ROOT,
    TIMEOUT_MS,
    _axe_source,
    _watch,
    assert_accessible,
    log_in,
    server_state,
    visit,
)
from tests.browser.conftest import translated as _t
from volunteers import signups

VENDOR = ROOT / "static" / "vendor" / "zxing-wasm"
#: long enough for the wasm to load and the first frames to be read on a slow machine
SCAN_TIMEOUT_MS = 15_000
#: the roll call is asked for after each answer
LIST_TIMEOUT_MS = 5_000

#: BarcodeDetector as WeChat, QQ and Xiaomi browsers have it: there, and throwing.
DETECTOR_THROWS = """
window.BarcodeDetector = class {
  constructor() { throw new DOMException("Barcode detection is not supported", "NotSupportedError"); }
  static getSupportedFormats() { throw new DOMException("Barcode detection is not supported", "NotSupportedError"); }
};
"""
#: BarcodeDetector that claims QR codes and then fails at every frame.
DETECTOR_FAILS_AT_WORK = """
window.BarcodeDetector = class {
  static getSupportedFormats() { return Promise.resolve(["qr_code"]); }
  detect() { return Promise.reject(new DOMException("Barcode detection service unavailable", "NotSupportedError")); }
};
"""

#: BarcodeDetector as Chrome on Android has it: it reads QR codes (here it reads the one ticket of the test).
WORKING_DETECTOR = """
window.BarcodeDetector = class {
  static getSupportedFormats() { return Promise.resolve(["ean_13", "qr_code"]); }
  detect(source) {
    const seen = source instanceof HTMLVideoElement && source.videoWidth > 0;
    return Promise.resolve(seen ? [{ format: "qr_code", rawValue: %s }] : []);
  }
};
"""


@pytest.fixture(autouse=True)
def _zxing_assets():
    """The decoder's files, which `make assets` copies from npm (make test does that first)."""
    if not (VENDOR / "zxing-reader.js").is_file() or not (VENDOR / "zxing_reader.wasm").is_file():
        message = f"{VENDOR} is missing: run `make assets`"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def gate(db_session, clock, make_user, make_school, make_visit):
    """A visit starting in half an hour (the server's clock), its school's host, and two volunteers with tickets."""

    class Gate:
        host = make_user(Role.HOST, name="Host Teacher")
        school = make_school(hosts=[host], name="Gate School")
        visit = make_visit(school=school, days_ahead=1, capacity=5)

        def volunteer(self, name: str):
            person = make_user(name=name)
            signup, _ = signups.sign_up(db_session, slot_id=self.visit.slots[0].id, volunteer=person, now=clock())
            issued = ticket_for(db_session, signup, clock())
            db_session.commit()
            return signup, issued

    gate = Gate()
    gate.zhang = gate.volunteer("Zhang Wei")
    gate.li = gate.volunteer("Li Na")
    clock.set(gate.visit.starts_at - timedelta(minutes=30))
    return gate


def _qr_png(text: str, box: int = 8) -> bytes:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box, border=4)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").get_image().convert("RGB").save(out, "PNG")
    return out.getvalue()


def _ticket_video(path, text: str, frames: int = 10) -> None:
    """An MJPEG file, JPEG frames one after another: a ticket's QR held up in front of a grey wall."""
    from PIL import Image

    code = Image.open(io.BytesIO(_qr_png(text, box=6)))
    frame = Image.new("RGB", (640, 480), (150, 150, 150))
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    with path.open("wb") as out:
        for _ in range(frames):
            jpeg = io.BytesIO()
            frame.save(jpeg, "JPEG", quality=90)
            out.write(jpeg.getvalue())


@pytest.fixture
def camera_phone(browser, live_server, tmp_path):
    """A phone whose camera sees `ticket_url`: its own Chromium, launched with a fake camera playing a video of
    the ticket's QR code; `camera_phone(ticket_url, locale, init_script=...)` gives its page. Like the `phone`
    fixture, a page loaded and never checked with axe, a broken resource or a script error fails the test."""
    launched = []

    def open_page(ticket_url: str, locale: str = "zh-CN", *, init_script: str | None = None):
        video = tmp_path / f"ticket-{len(launched)}.mjpeg"
        _ticket_video(video, ticket_url)
        chromium = browser.browser_type.launch(
            executable_path=os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium",
            args=[
                *CHROMIUM_FLAGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        context = chromium.new_context(base_url=live_server, locale=locale, **PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(_axe_source())
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        _watch(page)
        launched.append((chromium, page))
        return page

    yield open_page

    complaints = []
    for chromium, page in launched:
        watch = _WATCHES[page]
        complaints += [f"loaded without an axe check: {url}" for url in watch.unchecked]
        complaints += [f"loaded without an axe check: {watch.pending}"] if watch.pending else []
        complaints += watch.problems
        chromium.close()
    assert not complaints, "\n".join(complaints)


def _open_scanner(page, gate, clock) -> str:
    """The host logs in on the phone (its clock the server's) and opens the visit's scanner; gives the
    "not here yet" list as the server sent it (the camera may have read a ticket before a test looks)."""
    page.clock.set_system_time(clock())
    log_in(page, gate.host.email)
    html = visit(page, f"/visits/{gate.visit.id}/scanner").text()
    return html[html.index('id="roll-missing"') : html.index('id="roll-arrived"')]


def _scans(signup_id: int) -> list[str]:
    return list(server_state().scalars(select(Scan.reason).where(Scan.signup_id == signup_id).order_by(Scan.id)))


def _roll(page, list_id: str):
    return page.locator(f"#{list_id} .roll-name")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_camera_reads_a_ticket_checks_the_volunteer_in_and_ignores_it_for_a_moment(
    camera_phone, live_server, gate, clock, locale
):
    signup, issued = gate.zhang
    page = camera_phone(f"{live_server}/t/{issued.secret}", locale)
    missing = _open_scanner(page, gate, clock)
    assert "Li Na" in missing and "Zhang Wei" in missing

    answer = page.locator("#scan-answer")
    expect(answer).to_have_attribute("data-reason", "ok", timeout=SCAN_TIMEOUT_MS)
    answered = time.monotonic()
    # looked at at once: three seconds later the camera reads the ticket again
    assert _scans(signup.id) == ["ok"]
    expect(answer).to_contain_class("ok")
    expect(answer.locator(".scan-answer-title")).to_have_text(_t(locale, "Checked in"))
    expect(answer.locator(".scan-answer-name")).to_have_text("Zhang Wei")
    expect(page.locator("#scan-announce")).to_contain_text("Zhang Wei")
    # the live list: Zhang Wei has arrived, Li Na is still awaited
    expect(_roll(page, "roll-arrived")).to_have_text(["Zhang Wei"], timeout=LIST_TIMEOUT_MS)
    expect(_roll(page, "roll-missing")).to_have_text(["Li Na"], timeout=LIST_TIMEOUT_MS)
    expect(page.locator("[data-count=in]")).to_have_text("1")
    expect(page.locator("[data-count=missing]")).to_have_text("1")
    assert server_state().get(Attendance, signup.id) is not None
    assert_accessible(page)

    # The same QR still in front of the camera: quiet for three seconds, then answered again, as a repeat.
    expect(answer).to_have_attribute("data-reason", "already_checked_in", timeout=SCAN_TIMEOUT_MS)
    assert time.monotonic() - answered > 2  # not at the next frame, a seventh of a second later
    expect(answer).to_contain_class("error")
    expect(answer.locator(".scan-answer-title")).to_have_text(_t(locale, "Already checked in."))
    assert _scans(signup.id)[:2] == ["ok", "already_checked_in"]


@pytest.mark.parametrize("detector", [DETECTOR_THROWS, DETECTOR_FAILS_AT_WORK], ids=["throws", "fails-at-work"])
def test_with_a_broken_barcode_detector_zxing_wasm_still_reads_the_ticket(
    camera_phone, live_server, gate, clock, detector
):
    signup, issued = gate.zhang
    page = camera_phone(f"{live_server}/t/{issued.secret}", "en-US", init_script=detector)
    wasm = []
    page.on("response", lambda response: wasm.append(response) if response.url.endswith(".wasm") else None)
    _open_scanner(page, gate, clock)

    answer = page.locator("#scan-answer")
    expect(answer).to_have_attribute("data-reason", "ok", timeout=SCAN_TIMEOUT_MS)
    expect(answer.locator(".scan-answer-name")).to_have_text("Zhang Wei")
    expect(page.locator("#camera")).to_have_attribute("data-decoder", "zxing")
    # the wasm came from our own static files, not from a CDN
    assert [response.url for response in wasm] == [f"{live_server}/static/vendor/zxing-wasm/zxing_reader.wasm"]
    assert wasm[0].ok and wasm[0].headers["content-type"] == "application/wasm"
    assert server_state().get(Attendance, signup.id) is not None


def test_a_browser_that_reads_qr_codes_itself_is_used_and_the_wasm_is_never_fetched(
    camera_phone, live_server, gate, clock
):
    signup, issued = gate.zhang
    url = f"{live_server}/t/{issued.secret}"
    page = camera_phone(url, "zh-CN", init_script=WORKING_DETECTOR % json.dumps(url))
    wasm = []
    page.on("request", lambda request: wasm.append(request.url) if request.url.endswith(".wasm") else None)
    _open_scanner(page, gate, clock)
    answer = page.locator("#scan-answer")
    expect(answer).to_have_attribute("data-reason", "ok", timeout=SCAN_TIMEOUT_MS)
    expect(answer.locator(".scan-answer-name")).to_have_text("Zhang Wei")
    expect(page.locator("#camera")).to_have_attribute("data-decoder", "native")
    assert wasm == []
    assert server_state().get(Attendance, signup.id) is not None


@pytest.mark.parametrize("locale", ["zh-CN"])  # the other language is walked by the journey tests
def test_without_a_camera_a_photo_of_the_ticket_checks_the_volunteer_in(
    phone, live_server, gate, clock, locale, tmp_path
):
    signup, issued = gate.zhang
    page = phone(locale)
    _open_scanner(page, gate, clock)
    # headless Chromium has no camera: the page says so and keeps the photo and the code
    expect(page.locator("#help-camera")).to_be_visible()
    expect(page.locator("#camera")).to_be_hidden()
    assert_accessible(page)

    photo = tmp_path / "ticket.png"
    photo.write_bytes(_qr_png(f"{live_server}/t/{issued.secret}"))
    page.locator("#ticket-photo").set_input_files(photo)
    answer = page.locator("#scan-answer")
    expect(answer).to_have_attribute("data-reason", "ok", timeout=SCAN_TIMEOUT_MS)
    expect(answer.locator(".scan-answer-name")).to_have_text("Zhang Wei")
    expect(_roll(page, "roll-arrived")).to_have_text(["Zhang Wei"], timeout=LIST_TIMEOUT_MS)
    assert server_state().get(Attendance, signup.id) is not None


@pytest.mark.parametrize("locale", ["en-US"])  # the other language is walked by the journey tests
def test_a_typed_code_checks_in_and_out_with_javascript(phone, gate, clock, locale):
    signup, issued = gate.zhang
    page = phone(locale)
    _open_scanner(page, gate, clock)
    code = page.locator("#manual-scan input[name=code]")
    code.fill(issued.code_shown.lower())
    page.locator("#manual-scan button[type=submit]").click()
    answer = page.locator("#scan-answer")
    expect(answer).to_have_attribute("data-reason", "ok", timeout=SCAN_TIMEOUT_MS)
    expect(answer.locator(".scan-answer-name")).to_have_text("Zhang Wei")
    expect(code).to_have_value("")  # ready for the next one
    expect(_roll(page, "roll-arrived")).to_have_text(["Zhang Wei"], timeout=LIST_TIMEOUT_MS)

    page.get_by_label(_t(locale, "Check out"), exact=True).check()
    code.fill(issued.code)
    page.locator("#manual-scan button[type=submit]").click()
    expect(answer.locator(".scan-answer-title")).to_have_text(_t(locale, "Checked out"), timeout=SCAN_TIMEOUT_MS)
    expect(page.locator("[data-count=out]")).to_have_text("1", timeout=LIST_TIMEOUT_MS)
    assert_accessible(page)
    attendance = server_state().get(Attendance, signup.id)
    assert attendance.checked_in_at == clock() and attendance.checked_out_at == clock()


@pytest.mark.parametrize("locale", ["zh-CN"])  # the other language is walked by the journey tests
def test_a_typed_code_checks_in_without_javascript(phone, gate, clock, locale):
    signup, issued = gate.zhang
    page = phone(locale, javascript=False)
    log_in(page, gate.host.email)
    visit(page, f"/visits/{gate.visit.id}/scanner")
    page.locator("#manual-scan input[name=code]").fill(issued.code_shown)
    with page.expect_navigation():
        page.locator("#manual-scan button[type=submit]").click()
    assert_accessible(page)
    answer = page.locator("#scan-answer")
    expect(answer).to_have_attribute("data-reason", "ok")
    expect(answer.locator(".scan-answer-title")).to_have_text(_t(locale, "Checked in"))
    expect(answer.locator(".scan-answer-name")).to_have_text("Zhang Wei")
    expect(_roll(page, "roll-arrived")).to_have_text(["Zhang Wei"])
    expect(_roll(page, "roll-missing")).to_have_text(["Li Na"])
    assert server_state().get(Attendance, signup.id).checked_in_at == clock()

    page.locator("#manual-scan input[name=code]").fill(issued.code_shown)
    with page.expect_navigation():
        page.locator("#manual-scan button[type=submit]").click()
    assert_accessible(page)
    expect(answer).to_have_attribute("data-reason", "already_checked_in")


def test_without_the_offline_queue_a_scan_goes_straight_to_the_api(phone, gate, clock):
    """A browser where static/js/checkin-queue.js did not run (an old engine): the page still scans, online."""
    signup, issued = gate.zhang
    page = phone("en-US")
    page.route("**/static/js/checkin-queue.js", lambda route: route.fulfill(content_type="text/javascript", body=""))
    _open_scanner(page, gate, clock)
    assert page.evaluate("() => typeof window.SciVisitCheckin") == "undefined"
    page.locator("#manual-scan input[name=code]").fill(issued.code_shown)
    with page.expect_response("**/api/v1/checkins") as sent:
        page.locator("#manual-scan button[type=submit]").click()
    assert sent.value.ok
    expect(page.locator("#scan-answer")).to_have_attribute("data-reason", "ok", timeout=SCAN_TIMEOUT_MS)
    assert server_state().get(Attendance, signup.id).checked_in_at == clock()
