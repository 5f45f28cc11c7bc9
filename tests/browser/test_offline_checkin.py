"""The scanner and "My ticket" without a network, in real Chromium at a phone size (issue 9, "Offline").

A page loaded once online is kept by the service worker (static/js/sw.js) and reloads offline without
reaching the server; a scan made offline is answered from the visit's bundle and queued in IndexedDB
(static/js/checkin-queue.js); back online the queue reaches the server once, at the scan's time, and
sending it again changes nothing. Two phones that both let one ticket in offline: the first counts, the
second is told it was a duplicate.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from accounts.models import Role
from checkin.models import Attendance, Scan
from checkin.tickets import reissue_ticket, ticket_for
from tests.browser.conftest import assert_accessible, log_in, log_out, server_state, visit
from tests.browser.conftest import translated as _t
from volunteers import signups

#: the scanner is ready for the network to go: the bundle is kept and the service worker keeps the page
READY = "html[data-checkin-offline=ready]"


@pytest.fixture
def requests_seen(app):
    """The requests that reached the server from now on, as "METHOD /path"."""
    seen: list[str] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        seen.append(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}")
        return inner(environ, start_response)

    app.wsgi_app = recording
    yield seen
    app.wsgi_app = inner


@pytest.fixture
def held_scans(app):
    """Single scans (POST /api/v1/checkins) reach the server but get no answer until `release` is set: a slow
    network. `done` is set when the held request has been answered."""
    release, done = threading.Event(), threading.Event()
    inner = app.wsgi_app

    def holding(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ.get("PATH_INFO") == "/api/v1/checkins":
            release.wait(timeout=15)
            try:
                return inner(environ, start_response)
            finally:
                done.set()
        return inner(environ, start_response)

    app.wsgi_app = holding
    yield release, done
    release.set()
    app.wsgi_app = inner


@pytest.fixture
def gate_day(db_session, clock, make_user, make_school, make_visit):
    """A visit starting in half an hour (the server's clock), its school's two hosts, and a way to give
    volunteers tickets."""

    class Gate:
        hosts = [make_user(Role.HOST, name="Host One"), make_user(Role.HOST, name="Host Two")]
        school = make_school(hosts=hosts, name="Gate School")
        visit = make_visit(school=school, days_ahead=1, capacity=5)

        def volunteer(self, name: str):
            person = make_user(name=name)
            signup, _ = signups.sign_up(db_session, slot_id=self.visit.slots[0].id, volunteer=person, now=clock())
            issued = ticket_for(db_session, signup, clock())
            db_session.commit()
            return person, signup, issued

    gate = Gate()
    clock.set(gate.visit.starts_at - timedelta(minutes=30))
    return gate


def _open_scanner(page, gate, at):
    """The host's phone, its clock at `at`, on the visit's scanner until it is ready to work offline."""
    page.clock.set_fixed_time(at)
    visit(page, f"/visits/{gate.visit.id}/scanner")
    expect(page.locator(READY)).to_have_count(1, timeout=10_000)


def _reload_offline(page, requests_seen) -> int:
    """Reload with no network: the service worker answers with the page and its files. Gives the number of
    requests the server had seen when the network went."""
    page.context.set_offline(True)
    before = len(requests_seen)
    page.reload()
    assert_accessible(page)
    assert _not_reads_of_the_api(requests_seen[before:]) == []
    expect(page.locator(READY)).to_have_count(1)
    return before


#: requests Chromium may still send after the emulated network went: a reloaded document's first reads of the bundle
#: and the roll call (the offline state reaches it a moment late), and the browser's own update check of the
#: service worker's script, which it makes on a navigation outside the page (seen once in seven runs)
LATE_UNDER_EMULATION = ("GET /api/", "GET /sw.js")


def _not_reads_of_the_api(requests: list[str]) -> list[str]:
    """What reached the server beyond what Chromium lets through late (LATE_UNDER_EMULATION): nothing may (no page,
    no other file, no scan)."""
    return [request for request in requests if not request.startswith(LATE_UNDER_EMULATION)]


def _submit(page, ticket: str, direction: str = "in") -> dict:
    return page.evaluate(
        "scan => window.SciVisitCheckin.submit(scan)",
        {"ticket": ticket, "direction": direction},
    )


def _pending(page) -> int:
    return page.evaluate("() => window.SciVisitCheckin.pending()")


def _scans(signup_id: int) -> list[Scan]:
    return list(server_state().scalars(select(Scan).where(Scan.signup_id == signup_id).order_by(Scan.id)))


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_code_typed_offline_is_answered_queued_and_counted_once_back_online(
    phone, locale, gate_day, clock, requests_seen
):
    _person, signup, issued = gate_day.volunteer("Zhang Wei")
    scanned_at = clock()
    page = phone(locale)
    log_in(page, gate_day.hosts[0].email)
    _open_scanner(page, gate_day, scanned_at)

    offline_from = _reload_offline(page, requests_seen)
    expect(page.get_by_role("heading", level=1)).to_have_text(_t(locale, "Scan tickets"))
    page.locator("#manual-scan input[name=code]").fill(issued.code_shown)
    page.locator("#manual-scan button[type=submit]").click()

    answer = page.locator("#scan-answer")
    expect(answer).to_have_class("scan-answer ok fresh")
    expect(answer).to_contain_text("Zhang Wei")
    expect(answer.locator(".scan-answer-queued")).to_be_visible()
    expect(page.locator("#scan-pending")).to_contain_text("1")
    assert _pending(page) == 1
    assert _not_reads_of_the_api(requests_seen[offline_from:]) == []
    assert _scans(signup.id) == []

    clock.advance(minutes=4)  # the server's clock moves on; the scan keeps its own time
    page.context.set_offline(False)
    page.wait_for_function("() => window.SciVisitCheckin.pending() === 0", timeout=10_000)
    expect(page.locator("#scan-pending")).to_be_hidden()

    rows = _scans(signup.id)
    assert [(row.reason, row.scanned_at) for row in rows] == [("ok", scanned_at)]
    attendance = server_state().get(Attendance, signup.id)
    assert attendance is not None and attendance.checked_in_at == scanned_at

    # The same queue sent again (a phone that never heard the answer): the first answer again, nothing new.
    replayed = page.evaluate(
        """scan => fetch("/api/v1/checkins/batch", {
            method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json",
                      "X-CSRFToken": document.querySelector("input[name=csrf_token]").value},
            body: JSON.stringify({scans: [scan]}),
        }).then(response => response.json())""",
        {
            "ticket": issued.code_shown,
            "direction": "in",
            "scan_id": rows[0].scan_id,
            "scanned_at": scanned_at.isoformat(),
            "visit_id": gate_day.visit.id,
        },
    )
    assert [(item["reason"], item["repeated"]) for item in replayed["results"]] == [("ok", True)]
    assert len(_scans(signup.id)) == 1
    assert server_state().scalar(select(func.count()).select_from(Attendance)) == 1
    assert server_state().get(Attendance, signup.id).checked_in_at == scanned_at


def test_offline_answers_follow_the_bundle_and_the_server_agrees_when_they_are_sent(
    phone, gate_day, clock, db_session, requests_seen
):
    _person, signup, issued = gate_day.volunteer("Li Na")
    _other, cancelled, old = gate_day.volunteer("Wang Fang")
    reissue_ticket(db_session, cancelled, clock())  # the old ticket is in the bundle's revoked list
    db_session.commit()
    url = f"http://scivisit.test/t/{issued.secret}"
    at = clock()
    page = phone("en-US")
    log_in(page, gate_day.hosts[0].email)
    _open_scanner(page, gate_day, at)
    page.context.set_offline(True)
    offline_from = len(requests_seen)

    answers = [
        _submit(page, url),
        _submit(page, url),
        _submit(page, issued.code.lower()[:4] + "-" + issued.code.lower()[4:], "out"),
        _submit(page, f"http://scivisit.test/t/{old.secret}"),
        _submit(page, "not a ticket"),
    ]
    page.clock.set_fixed_time(gate_day.visit.starts_at - timedelta(hours=2, minutes=1))
    answers.append(_submit(page, issued.code))

    assert [(a["reason"], a["queued"]) for a in answers] == [
        ("ok", True),
        ("already_checked_in", True),
        ("ok", True),
        ("revoked", True),
        ("unknown_ticket", True),
        ("too_early", True),
    ]
    assert answers[0]["volunteer"]["name"] == "Li Na" and answers[0]["message"] == _t("en-US", "OK")
    assert answers[3]["message"] == _t(
        "en-US", "This ticket no longer works: the signup was cancelled or a new ticket was issued."
    )
    expect(page.locator("#scan-pending")).to_contain_text("6")
    assert _not_reads_of_the_api(requests_seen[offline_from:]) == []

    page.context.set_offline(False)
    page.wait_for_function("() => window.SciVisitCheckin.pending() === 0", timeout=10_000)
    stored = server_state().scalars(select(Scan.reason).order_by(Scan.scanned_at, Scan.id)).all()
    assert sorted(stored) == sorted(a["reason"] for a in answers)
    attendance = server_state().get(Attendance, signup.id)
    assert (attendance.checked_in_at, attendance.checked_out_at) == (at, at)
    expect(page.locator("#checkin-refused")).to_be_hidden()


def test_a_scan_the_server_is_slow_to_answer_is_answered_offline_and_still_counts_once(
    phone, gate_day, clock, held_scans
):
    release, done = held_scans
    _person, signup, issued = gate_day.volunteer("Sun Mei")
    page = phone("en-US")
    log_in(page, gate_day.hosts[0].email)
    _open_scanner(page, gate_day, clock())

    page.locator("#manual-scan input[name=code]").fill(issued.code_shown)
    page.locator("#manual-scan button[type=submit]").click()
    # The phone says it is online; the request hangs: after 2.5 s the bundle answers and the scan is queued,
    # then the queue, which the slow request does not block, reaches the server.
    expect(page.locator("#scan-answer .scan-answer-queued")).to_be_visible(timeout=5_000)
    assert page.evaluate("() => navigator.onLine") is True
    page.wait_for_function("() => window.SciVisitCheckin.pending() === 0", timeout=10_000)
    assert [row.reason for row in _scans(signup.id)] == ["ok"]

    release.set()  # the slow request arrives after all: the same scan id, answered again, nothing new
    assert done.wait(timeout=10)
    rows = _scans(signup.id)
    assert [(row.reason, row.scanned_at) for row in rows] == [("ok", clock())]


@pytest.mark.parametrize(("first", "second"), [("zh-CN", "en-US")])
def test_two_offline_phones_letting_one_ticket_in_count_it_once_and_the_second_hears_so(
    phone, first, second, gate_day, clock
):
    _person, signup, issued = gate_day.volunteer("Chen Jie")
    url = f"http://scivisit.test/t/{issued.secret}"
    at = clock()
    phones = [phone(first), phone(second)]
    for n, page in enumerate(phones):
        log_in(page, gate_day.hosts[n].email)
        _open_scanner(page, gate_day, at + timedelta(minutes=n))
        page.context.set_offline(True)
    assert [_submit(page, url)["reason"] for page in phones] == ["ok", "ok"]

    clock.advance(minutes=2)
    for page in phones:
        page.context.set_offline(False)
        page.wait_for_function("() => window.SciVisitCheckin.pending() === 0", timeout=10_000)

    rows = _scans(signup.id)
    assert [(row.reason, row.scanned_at, row.scanner_id) for row in rows] == [
        ("ok", at, gate_day.hosts[0].id),
        ("already_checked_in", at + timedelta(minutes=1), gate_day.hosts[1].id),
    ]
    assert server_state().get(Attendance, signup.id).checked_in_at == at
    expect(phones[0].locator("#checkin-refused")).to_be_hidden()
    refused = phones[1].locator("#checkin-refused")
    expect(refused).to_be_visible()
    expect(refused.get_by_role("heading")).to_have_text(_t(second, "Refused when sent"))
    expect(refused.locator("li")).to_have_count(1)
    expect(refused.locator("li")).to_contain_text("Chen Jie")
    expect(refused.locator("li")).to_contain_text(_t(second, "Already checked in."))
    assert_accessible(phones[1])


@pytest.mark.parametrize("locale", ["en-US"])  # the other language is walked by the journey tests
def test_my_ticket_still_shows_its_qr_code_offline_after_one_visit(phone, locale, gate_day, requests_seen):
    person, signup, issued = gate_day.volunteer("Zhao Lei")
    page = phone(locale)
    log_in(page, person.email)
    visit(page, f"/my/tickets/{signup.id}")
    assert page.evaluate("() => window.SciVisitServiceWorker.ready") is True

    page.context.set_offline(True)
    before = len(requests_seen)
    page.reload()
    assert_accessible(page)
    assert _not_reads_of_the_api(requests_seen[before:]) == []
    expect(page.get_by_role("heading", level=1)).to_have_text(_t(locale, "My ticket"))
    expect(page.locator(".ticket-qr svg")).to_be_visible()
    expect(page.locator(".ticket-code")).to_have_text(issued.code_shown)

    # Logging out forgets the kept pages (someone else may use the phone next).
    page.context.set_offline(False)
    log_out(page)
    page.wait_for_function("""() => caches.open("scivisit-pages-v1").then(cache => cache.keys())
        .then(keys => keys.length === 0)""")
