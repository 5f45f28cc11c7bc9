"""The scanner page without JavaScript: who may open it, the typed code that checks in, and what it shows."""

from __future__ import annotations

import re

from flask_babel import force_locale
from sqlalchemy import func, select

from accounts.models import Role
from checkin.models import Attendance, Scan
from checkin.scans import REASONS
from tests.conftest import PASSWORD, csrf_token_from


def _scan_id(html: str) -> str:
    match = re.search(r'name="scan_id"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="scan_id"', html
    )
    assert match, "no scan id in the page"
    return match.group(1)


def _panel(html: str) -> str:
    match = re.search(r'<div id="scan-answer"(.*?)</div>', html, re.S)
    assert match, "no answer panel"
    return match.group(1)


def _type_code(client, visit_id: int, code: str, direction: str = "in", scan_id: str | None = None):
    page = client.get(f"/visits/{visit_id}/scanner").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "scan_id": scan_id or _scan_id(page), "code": code}
    data["direction"] = direction
    return client.post(f"/visits/{visit_id}/scanner", data=data)


def test_the_host_types_a_code_and_sees_the_volunteer_checked_in_and_moved_to_arrived(
    client, login, clock, db_session, gate
):
    signup, ticket = gate.volunteer("Zhang Wei")
    gate.volunteer("Li Na")
    login(gate.host)
    clock.set(gate.during(-20))
    page = client.get(f"/visits/{gate.visit.id}/scanner").get_data(as_text=True)
    missing = page[page.index('id="roll-missing"') : page.index('id="roll-arrived"')]
    assert "Zhang Wei" in missing and "Li Na" in missing

    response = _type_code(client, gate.visit.id, ticket.code_shown.lower())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    panel = _panel(html)
    assert 'class="scan-answer ok"' in panel and 'data-reason="ok"' in panel
    assert "Zhang Wei" in panel
    arrived = html[html.index('id="roll-arrived"') :]
    missing = html[html.index('id="roll-missing"') : html.index('id="roll-arrived"')]
    assert "Zhang Wei" in arrived and "Zhang Wei" not in missing and "Li Na" in missing
    assert db_session.get(Attendance, signup.id).checked_in_at == gate.during(-20)


def test_the_same_form_sent_twice_counts_once_and_a_new_scan_says_already_checked_in(
    client, login, clock, db_session, gate
):
    _, ticket = gate.volunteer()
    login(gate.host)
    clock.set(gate.during(5))
    page = client.get(f"/visits/{gate.visit.id}/scanner").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "scan_id": _scan_id(page), "code": ticket.code, "direction": "in"}
    first = client.post(f"/visits/{gate.visit.id}/scanner", data=data).get_data(as_text=True)
    again = client.post(f"/visits/{gate.visit.id}/scanner", data=data).get_data(as_text=True)
    assert 'data-reason="ok"' in _panel(first) and 'data-reason="ok"' in _panel(again)
    assert _scan_id(first) != data["scan_id"]  # the next scan from the page is a new one
    assert db_session.scalar(select(func.count()).select_from(Scan)) == 1

    later = _type_code(client, gate.visit.id, ticket.code).get_data(as_text=True)
    assert 'data-reason="already_checked_in"' in _panel(later)
    with force_locale("zh_CN"):  # the page's language: the client sends no Accept-Language
        assert str(REASONS["already_checked_in"]) in _panel(later)


def test_checking_out_before_in_and_a_mistyped_code_are_refused_in_red(client, login, clock, gate):
    _, ticket = gate.volunteer()
    login(gate.host)
    clock.set(gate.during(60))
    out = _panel(_type_code(client, gate.visit.id, ticket.code, direction="out").get_data(as_text=True))
    assert 'class="scan-answer error"' in out and 'data-reason="not_checked_in"' in out
    wrong = _panel(_type_code(client, gate.visit.id, "ABCD-EFGH").get_data(as_text=True))
    assert 'data-reason="unknown_ticket"' in wrong and "Zhang Wei" not in wrong


def test_an_empty_code_is_the_fields_error(client, login, gate):
    login(gate.host)
    response = _type_code(client, gate.visit.id, "   ")
    assert response.status_code == 422
    assert 'id="code-error"' in response.get_data(as_text=True)


def test_the_page_allows_webassembly_and_otherwise_keeps_the_apps_policy(client, login, gate):
    login(gate.host)
    scanner = client.get(f"/visits/{gate.visit.id}/scanner").headers["Content-Security-Policy"]
    usual = client.get("/").headers["Content-Security-Policy"]
    assert scanner == usual.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")


def test_inside_wechat_the_page_says_how_to_open_it_in_the_browser(client, login, gate):
    login(gate.host)
    wechat = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.47"
    html = client.get(f"/visits/{gate.visit.id}/scanner", headers={"User-Agent": wechat}).get_data(as_text=True)
    assert re.search(r'<div id="camera-help" class="notice camera-help">', html)
    assert '<p id="help-wechat">' in html
    plain = client.get(f"/visits/{gate.visit.id}/scanner").get_data(as_text=True)
    assert '<div id="camera-help" class="notice camera-help" hidden>' in plain


def test_the_visit_page_links_to_the_scanner_for_its_host_only(client, login, make_user, gate):
    scanner = f"/visits/{gate.visit.id}/scanner"
    assert scanner not in client.get(f"/visits/{gate.visit.id}").get_data(as_text=True)
    login(make_user(Role.VOLUNTEER))
    assert scanner not in client.get(f"/visits/{gate.visit.id}").get_data(as_text=True)
    client.post("/logout")
    login(gate.host)
    assert scanner in client.get(f"/visits/{gate.visit.id}").get_data(as_text=True)
    assert scanner in client.get("/").get_data(as_text=True)  # the host's card of the visit


def test_a_form_cannot_replay_another_scanners_scan_id_to_read_its_answer(app, client, login, clock, make_user, gate):
    _, ticket = gate.volunteer("Zhang Wei")
    clock.set(gate.during(5))
    login(make_user(Role.ADMIN))
    page = client.get(f"/visits/{gate.visit.id}/scanner").get_data(as_text=True)
    theirs = _scan_id(page)
    client.post(f"/visits/{gate.visit.id}/scanner", data={"scan_id": theirs, "code": ticket.code, "direction": "in"})

    other = app.test_client()
    assert other.post("/login", data={"email": gate.host.email, "password": PASSWORD}).status_code == 302
    html = other.post(
        f"/visits/{gate.visit.id}/scanner", data={"scan_id": theirs, "code": "ABCD-EFGH", "direction": "in"}
    ).get_data(as_text=True)
    assert 'data-reason="unknown_ticket"' in _panel(html) and "Zhang Wei" not in _panel(html)
