"""Ticket pages: a ticket's URL (the host's one-tap check-in, and nothing private for anyone else), its QR
images, "My ticket" with a new ticket on request, and the links to it."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import delete, select

from accounts.models import Role
from checkin.models import Attendance, Scan, Ticket
from checkin.tickets import find_ticket, is_live, issued, live_ticket
from core.qr import make_qr
from tests.checkin.svg_qr import decode_svg
from tests.conftest import PASSWORD
from volunteers import signups
from volunteers.models import SignupStatus

BASE = "http://scivisit.test"  # tests/conftest.py's BASE_URL


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English, so the tests can read them."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def anonymous(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def logged_in(app, user):
    client = anonymous(app)
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def wang(db_session, now, gate, make_user, make_company):
    """Wang Fang, of Acme Instruments, with a confirmed place at the gate's visit and its ticket."""
    person = make_user(name="Wang Fang", company=make_company("Acme Instruments"))
    signup, _ = signups.sign_up(db_session, slot_id=gate.visit.slots[0].id, volunteer=person, now=now)
    db_session.commit()
    return signup, issued(live_ticket(db_session, signup))


def form_of(html: str) -> dict:
    action = re.search(r'<form method="post" action="([^"]+/scan)"', html).group(1)
    scan_id = re.search(r'name="scan_id" value="([^"]+)"', html).group(1)
    return {"action": action, "scan_id": scan_id}


# ---------------------------------------------------------------- the host's one tap


def test_the_host_sees_who_it_is_and_checks_them_in_and_out_with_one_tap(app, db_session, clock, gate, wang):
    signup, ticket = wang
    host = logged_in(app, gate.host)
    clock.set(gate.during(-30))
    html = page(host.get(f"/t/{ticket.secret}"))
    assert "<h1>Wang Fang</h1>" in html
    assert "Acme Instruments" in html and "Lead instructor" in html
    assert "Valid" in html and html.count("Not yet") == 2
    form = form_of(html)

    came = host.post(form["action"], data={"direction": "in", "scan_id": form["scan_id"]})
    assert came.status_code == 302 and urlsplit(came.headers["Location"]).path == f"/t/{ticket.secret}"
    attendance = db_session.get(Attendance, signup.id)
    assert attendance.checked_in_at == gate.during(-30) and attendance.checked_out_at is None
    shown = page(host.get(f"/t/{ticket.secret}"))
    assert 'class="scan-answer scan-answer-ok"' in shown and "Checked in." in shown
    assert "Not yet" in shown  # not checked out yet
    # the answer is shown once: a reload shows the ticket without it
    assert "scan-answer" not in page(host.get(f"/t/{ticket.secret}"))

    # the same form sent again (a double tap, a resend) counts once and answers as the first time
    again = host.post(form["action"], data={"direction": "in", "scan_id": form["scan_id"]})
    assert again.status_code == 302
    assert "Checked in." in page(host.get(f"/t/{ticket.secret}"))
    assert db_session.scalar(select(Scan.reason).where(Scan.scan_id == form["scan_id"])) == "ok"

    # a new form, checking in once more: red, with the reason
    clock.set(gate.during(10))
    host.post(form["action"], data={"direction": "in", "scan_id": form_of(shown)["scan_id"]})
    refused = page(host.get(f"/t/{ticket.secret}"))
    assert 'class="scan-answer scan-answer-refused"' in refused and "Already checked in." in refused

    clock.set(gate.during(6 * 60 + 5))
    left = host.post(form["action"], data={"direction": "out", "scan_id": form_of(refused)["scan_id"]})
    assert left.status_code == 302
    assert db_session.get(Attendance, signup.id).checked_out_at == gate.during(6 * 60 + 5)
    assert "Checked out." in page(host.get(f"/t/{ticket.secret}"))
    kept = db_session.scalars(select(Scan).order_by(Scan.id)).all()
    assert [s.reason for s in kept] == ["ok", "already_checked_in", "ok"]  # the resent form is not kept twice
    assert {s.scanner_id for s in kept} == {gate.host.id}


def test_a_programme_coordinator_checks_in_too_and_a_refusal_is_shown_in_red(app, clock, gate, wang, make_user):
    _, ticket = wang
    admin = logged_in(app, make_user(Role.ADMIN))
    clock.set(gate.during(-3 * 60))  # three hours early
    html = page(admin.get(f"/t/{ticket.secret}"))
    admin.post(f"/t/{ticket.secret}/scan", data={"direction": "in", "scan_id": form_of(html)["scan_id"]})
    shown = page(admin.get(f"/t/{ticket.secret}"))
    assert "scan-answer-refused" in shown and "Too early: check-in opens two hours before the visit starts." in shown


def test_only_the_visits_scanners_may_tap_and_the_attempt_is_kept(app, db_session, gate, wang, make_user):
    signup, ticket = wang
    for person in (signup.user, make_user(Role.HOST), make_user(Role.COORDINATOR)):
        response = logged_in(app, person).post(f"/t/{ticket.secret}/scan", data={"direction": "in"})
        assert response.status_code == 403
    assert db_session.scalars(select(Scan.reason)).all() == ["not_allowed"] * 3
    assert db_session.get(Attendance, signup.id) is None
    stranger = anonymous(app).post(f"/t/{ticket.secret}/scan", data={"direction": "in"})
    assert stranger.status_code == 302 and "/login" in stranger.headers["Location"]
    host = logged_in(app, gate.host)
    assert host.post(f"/t/{ticket.secret}/scan", data={"direction": "sideways"}).status_code == 400
    assert host.post("/t/AAAAAAAAAAAAAAAAAAAAAA/scan", data={"direction": "in"}).status_code == 404


# ---------------------------------------------------------------- what everyone else sees


def test_anyone_else_sees_the_visit_and_the_role_but_nothing_about_the_person(app, gate, wang, make_user):
    signup, ticket = wang
    viewers = {
        "anonymous": anonymous(app),
        "another volunteer": logged_in(app, make_user(name="Li Na")),
        "the volunteer": logged_in(app, signup.user),
        "another school's host": logged_in(app, make_user(Role.HOST)),
    }
    for who, client in viewers.items():
        response = client.get(f"/t/{ticket.secret}")
        html = page(response)
        assert response.status_code == 200, who
        assert "Wang Fang" not in html and "Acme Instruments" not in html, who
        assert ticket.code not in html and ticket.code_shown not in html, who
        assert signup.user.email not in html, who
        assert gate.visit.title in html and "Gate School" in html and "Lead instructor" in html, who
        assert "Beijing time" in html, who  # the visit's time, in the school's zone
        assert "/scan" not in html and 'name="direction"' not in html, who
        has_link = f'href="/my/tickets/{signup.id}"' in html
        assert has_link == (who == "the volunteer"), who


def test_the_url_logs_no_one_in(app, wang):
    _, ticket = wang
    client = anonymous(app)
    client.get(f"/t/{ticket.secret}")
    assert client.get("/my/visits").status_code == 302  # still anonymous: sent to log in
    assert client.get(f"/my/tickets/{wang[0].id}").status_code == 302


def test_every_ticket_response_keeps_its_secret_url_private(app, gate, wang):
    _, ticket = wang
    visitor, host = anonymous(app), logged_in(app, gate.host)
    answers = {
        "page": visitor.get(f"/t/{ticket.secret}"),
        "host's page": host.get(f"/t/{ticket.secret}"),
        "svg": visitor.get(f"/t/{ticket.secret}/qr.svg"),
        "png": visitor.get(f"/t/{ticket.secret}/qr.png"),
        "unknown": visitor.get("/t/AAAAAAAAAAAAAAAAAAAAAA"),
        "scan": host.post(f"/t/{ticket.secret}/scan", data={"direction": "in"}),
    }
    for what, response in answers.items():
        assert response.headers["Referrer-Policy"] == "no-referrer", what
        assert response.headers["X-Robots-Tag"] == "noindex", what
        directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
        assert "private" in directives and "public" not in directives, what
    for image in ("svg", "png"):
        directives = {d.strip() for d in answers[image].headers["Cache-Control"].split(",")}
        assert directives == {"private", f"max-age={365 * 24 * 3600}"}, image
    assert answers["unknown"].status_code == 404
    assert "no-store" in answers["host's page"].headers["Cache-Control"]


def test_unknown_tickets_and_their_images_are_not_found(client):
    for path in ("/t/AAAAAAAAAAAAAAAAAAAAAA", "/t/nope", "/t/AAAAAAAAAAAAAAAAAAAAAA/qr.svg", "/t/x/qr.png"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in page(response), path


# ---------------------------------------------------------------- the QR images


def test_the_png_decodes_to_exactly_the_ticket_url(client, wang):
    _, ticket = wang
    response = client.get(f"/t/{ticket.secret}/qr.png")
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert min(image.size) >= 300
    found = zxingcpp.read_barcodes(image)
    assert [(f.text, f.format) for f in found] == [(f"{BASE}/t/{ticket.secret}", zxingcpp.BarcodeFormat.QRCode)]


def test_the_svg_is_one_path_sized_by_its_view_box_with_a_title(client, gate, wang):
    _, ticket = wang
    response = client.get(f"/t/{ticket.secret}/qr.svg")
    assert response.mimetype == "image/svg+xml"
    svg = page(response)
    assert decode_svg(svg) == [f"{BASE}/t/{ticket.secret}"]
    assert svg.count("<path ") == 1 and "<rect" in svg  # the modules, on a white square
    assert re.search(r'<svg [^>]*viewBox="0 0 (\d+) \1"', svg)
    assert not re.search(r"<svg [^>]*\b(width|height)=", svg)  # sharp at whatever size it is shown
    assert f"<title>SciVisit ticket: {gate.visit.title}</title>" in svg


@pytest.mark.app_config(BASE_URL="https://scivisit.example.org")
def test_an_https_ticket_url_makes_a_version_4_code_at_error_correction_m(client, wang):
    _, ticket = wang
    url = f"https://scivisit.example.org/t/{ticket.secret}"
    code = make_qr(url)
    assert (code.version, code.error_correction) == (4, ERROR_CORRECT_M)
    assert code.border == 4
    # what the app serves is that code: 33 modules and the quiet zone, 41 a side
    assert 'viewBox="0 0 41 41"' in page(client.get(f"/t/{ticket.secret}/qr.svg"))
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(client.get(f"/t/{ticket.secret}/qr.png").data)))
    assert [f.text for f in found] == [url]


def test_a_54_character_https_url_needs_no_more_than_version_4_at_m():
    url = "https://www.scivisit-demo.org/t/" + "A" * 22
    assert len(url) == 54
    code = make_qr(url)
    assert code.version <= 4 and code.error_correction == ERROR_CORRECT_M


# ---------------------------------------------------------------- My ticket


def test_my_ticket_shows_the_qr_large_with_the_code_to_type_and_the_visit(app, gate, wang):
    signup, ticket = wang
    html = page(logged_in(app, signup.user).get(f"/my/tickets/{signup.id}"))
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    assert decode_svg(svg) == [f"{BASE}/t/{ticket.secret}"]
    assert 'role="img"' in svg and 'aria-labelledby="ticket-qr-title"' in svg
    assert f'<title id="ticket-qr-title">SciVisit ticket: {gate.visit.title}</title>' in svg
    assert f">{ticket.code_shown}</span>" in html
    spelled = " ".join(ticket.code[:4]) + ", " + " ".join(ticket.code[4:])
    assert f'aria-label="Ticket code: {spelled}"' in html
    for fact in (gate.visit.title, "Lead instructor", "Gate School", "四川省", "Beijing time"):
        assert fact in html, fact
    assert f'href="/my/tickets/{signup.id}/new"' in html and "data-print" in html
    assert "js/print.js" in html


def test_my_ticket_issues_a_ticket_for_a_place_confirmed_before_tickets_existed(app, db_session, wang):
    signup, _ = wang
    db_session.execute(delete(Ticket))
    db_session.commit()
    response = logged_in(app, signup.user).get(f"/my/tickets/{signup.id}")
    assert response.status_code == 200
    issued_now = live_ticket(db_session, signup)
    assert issued_now is not None
    assert re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}</span>", page(response))


def test_a_waitlisted_or_cancelled_signup_has_no_ticket_to_show(app, db_session, now, gate, make_user):
    full = gate.visit.slots[0]
    people = [make_user() for _ in range(full.capacity + 1)]
    made = [signups.sign_up(db_session, slot_id=full.id, volunteer=p, now=now)[0] for p in people]
    db_session.commit()
    waiting, cancelled = made[-1], made[0]
    assert waiting.status == SignupStatus.WAITLISTED
    html = page(logged_in(app, waiting.user).get(f"/my/tickets/{waiting.id}"))
    assert "You are on the waitlist for this visit" in html and "<svg" not in html
    signups.cancel_signup(db_session, cancelled, by=cancelled.user, now=now)
    db_session.commit()
    html = page(logged_in(app, cancelled.user).get(f"/my/tickets/{cancelled.id}"))
    assert "This signup is no longer active, so it has no ticket." in html and "<svg" not in html


def test_only_the_volunteer_sees_their_ticket(app, wang, make_user):
    signup, _ = wang
    for person in (make_user(), make_user(Role.ADMIN)):
        client = logged_in(app, person)
        assert client.get(f"/my/tickets/{signup.id}").status_code == 404
        assert client.get(f"/my/tickets/{signup.id}/new").status_code == 404
        assert client.post(f"/my/tickets/{signup.id}/new").status_code == 404
    assert logged_in(app, signup.user).get("/my/tickets/999999").status_code == 404


def test_a_new_ticket_retires_the_old_one_whose_url_then_says_so(app, db_session, gate, wang):
    signup, old = wang
    me = logged_in(app, signup.user)
    asking = page(me.get(f"/my/tickets/{signup.id}/new"))
    assert "Your current ticket stops working at once" in asking
    assert f'action="/my/tickets/{signup.id}/new"' in asking and "data-confirm-panel" in asking
    assert is_live(find_ticket(db_session, old.secret))  # asking changed nothing

    response = me.post(f"/my/tickets/{signup.id}/new")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/my/tickets/{signup.id}")
    html = page(me.get(f"/my/tickets/{signup.id}"))
    assert "Here is your new ticket. The old one no longer works." in html
    assert old.code_shown not in html
    assert not is_live(find_ticket(db_session, old.secret))

    for client in (anonymous(app), logged_in(app, gate.host)):
        old_page = page(client.get(f"/t/{old.secret}"))
        assert "This ticket no longer works" in old_page
    assert "No longer valid" in page(logged_in(app, gate.host).get(f"/t/{old.secret}"))
    # its images still render: the page they lead to says it is revoked
    assert anonymous(app).get(f"/t/{old.secret}/qr.png").status_code == 200


# ---------------------------------------------------------------- links


def test_my_visits_and_the_visit_page_link_a_confirmed_place_to_its_ticket(app, db_session, now, gate, wang, make_user):
    signup, _ = wang
    me = logged_in(app, signup.user)
    link = f'href="/my/tickets/{signup.id}"'
    assert link in page(me.get("/my/visits"))
    assert link in page(me.get(f"/visits/{gate.visit.id}"))
    # a place in the queue has no ticket, so no link
    full = make_user()
    for _ in range(gate.visit.slots[0].places_left):
        signups.sign_up(db_session, slot_id=gate.visit.slots[0].id, volunteer=make_user(), now=now)
    waiting, _ = signups.sign_up(db_session, slot_id=gate.visit.slots[0].id, volunteer=full, now=now)
    db_session.commit()
    assert waiting.status == SignupStatus.WAITLISTED
    assert f'href="/my/tickets/{waiting.id}"' not in page(logged_in(app, full).get("/my/visits"))


def test_the_visit_page_links_the_poster_for_its_scanners_only(app, gate, wang, make_user):
    signup, _ = wang
    poster = f'href="/visits/{gate.visit.id}/poster"'
    assert poster in page(logged_in(app, gate.host).get(f"/visits/{gate.visit.id}"))
    assert poster in page(logged_in(app, make_user(Role.ADMIN)).get(f"/visits/{gate.visit.id}"))
    for client in (anonymous(app), logged_in(app, signup.user), logged_in(app, make_user(Role.HOST))):
        assert poster not in page(client.get(f"/visits/{gate.visit.id}"))
