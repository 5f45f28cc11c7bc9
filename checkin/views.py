"""Ticket pages: a ticket's URL (what anyone sees, and the host's one-tap check-in), its QR images,
"My ticket" for the volunteer, and the visit's self check-in poster. Parse, call checkin's services,
commit (core.web).

A ticket's or a poster's URL carries its secret, so its pages are never indexed, cached by a
shared cache, or named in a Referer; and the URL logs no one in: what it shows depends on who is
logged in already.
"""

from __future__ import annotations

import re
import secrets

from flask import abort, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from accounts.access import SIGNED_IN, requires, viewer
from checkin import bp, posters
from checkin.access import can_scan
from checkin.models import Attendance, Direction
from checkin.scans import REASONS, scan
from checkin.tickets import (
    TICKETED,
    IssuedTicket,
    find_ticket,
    hash_secret,
    is_live,
    issued,
    live_ticket,
    reissue_ticket,
    secret_of,
    ticket_for,
)
from core.db import begin_write
from core.errors import DomainError
from core.i18n import gettext as _
from core.i18n import html_lang
from core.qr import qr_png, qr_svg, qr_svg_inline
from core.urls import external_url
from core.web import act
from events.access import can_see_visit
from events.models import Visit
from extensions import db
from volunteers.models import Signup
from volunteers.signups import active_signup

#: pages and images whose URL holds a ticket's or a poster's secret
SECRET_PAGES = {
    "checkin.ticket",
    "checkin.ticket_scan",
    "checkin.ticket_qr_svg",
    "checkin.ticket_qr_png",
    "checkin.poster_scan",
    "checkin.poster_check_in",
}
#: a ticket's images never change (a new ticket has a new URL): a browser keeps them a year
IMAGE_MAX_AGE = 365 * 24 * 3600
#: where the answer to the last tap waits for the page the tap leads back to
_ANSWER = "checkin_answer"
_SCAN_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@bp.after_request
def keep_secret_urls_private(response):
    """No Referer, no search engine, no shared cache for a URL with a secret in it (its 404 too)."""
    if request.endpoint in SECRET_PAGES:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
        # a page shows a person's state or a form: kept by no cache when someone is logged in (the app's rule)
        response.headers.setdefault(
            "Cache-Control", "private, no-store" if current_user.is_authenticated else "private"
        )
    return response


def _new_scan_id(kind: str) -> str:
    """A random id for the form about to be shown: sending it twice counts once (checkin.scans)."""
    return f"{kind}-{secrets.token_urlsafe(18)}"


def _scan_id_sent(kind: str) -> str:
    """The form's scan id; a form without a good one (not from our page) scans once, with a new one."""
    scan_id = request.form.get("scan_id", "")
    return scan_id if _SCAN_ID.match(scan_id) else _new_scan_id(kind)


def _remember_answer(key: str, reason: str, direction: Direction) -> None:
    """The answer for the page the tap leads back to: in the signed session, not the URL, so no link can fake it."""
    session[_ANSWER] = {"key": key, "reason": reason, "direction": direction.value}


def _answer_for(key: str) -> dict | None:
    """The answer waiting for this page, once (a reload shows the page without it)."""
    answer = session.get(_ANSWER)
    if not answer or answer.get("key") != key or answer.get("reason") not in REASONS:
        return None
    session.pop(_ANSWER)
    ok = answer["reason"] == "ok"
    if ok:
        message = _("Checked in.") if answer["direction"] == Direction.IN.value else _("Checked out.")
    else:
        message = str(REASONS[answer["reason"]])
    return {"ok": ok, "message": message, "reason": answer["reason"]}


# ---------------------------------------------------------------- a ticket's URL


def _ticket_or_404(secret: str):
    ticket = find_ticket(db.session, secret)
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/t/<secret>")
def ticket(secret: str):
    """A ticket: who it is and one-tap check-in for the visit's hosts and programme coordinators; for anyone
    else the visit, role and whether the ticket works, and nothing about the person."""
    found = _ticket_or_404(secret)
    signup = found.signup
    visit = signup.visit
    person = viewer()
    scanner = can_scan(person, visit)
    return render_template(
        "checkin/ticket.html",
        ticket=found,
        signup=signup,
        visit=visit,
        live=is_live(found),
        scanner=scanner,
        own=person is not None and person.id == signup.user_id,
        attendance=db.session.get(Attendance, signup.id) if scanner else None,
        answer=_answer_for(f"t:{signup.id}") if scanner else None,
        scan_id=_new_scan_id("t"),
        secret=secret,
    )


@bp.post("/t/<secret>/scan")
@requires(SIGNED_IN)
def ticket_scan(secret: str):
    """The host's tap: check the ticket's volunteer in or out now, then back to the ticket with the answer."""
    direction = {d.value: d for d in Direction}.get(request.form.get("direction", ""))
    if direction is None:
        abort(400)
    answer = scan(
        db.session,
        scanner=viewer(),
        ticket=secret,
        direction=direction,
        scan_id=_scan_id_sent("t"),
        scanned_at=g.now,
        now=g.now,
    )
    db.session.commit()  # every attempt is kept, refused ones too
    if answer.reason == "unknown_ticket" or answer.signup is None:
        abort(404)
    if answer.reason == "not_allowed":
        abort(403)
    _remember_answer(f"t:{answer.signup.id}", answer.reason, answer.direction)
    return redirect(url_for("checkin.ticket", secret=secret))


def _image(body: bytes, mimetype: str):
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = f"private, max-age={IMAGE_MAX_AGE}"
    return response


def _ticket_title(visit: Visit) -> str:
    return _("SciVisit ticket: %(title)s", title=visit.title)


@bp.get("/t/<secret>/qr.svg")
def ticket_qr_svg(secret: str):
    """The ticket's QR code (of its URL) as SVG; a revoked ticket's too: its page says it no longer works."""
    found = _ticket_or_404(secret)
    return _image(
        qr_svg(external_url("checkin.ticket", secret=secret), _ticket_title(found.signup.visit)), "image/svg+xml"
    )


@bp.get("/t/<secret>/qr.png")
def ticket_qr_png(secret: str):
    """The ticket's QR code as a PNG at least 300 pixels a side."""
    _ticket_or_404(secret)
    return _image(qr_png(external_url("checkin.ticket", secret=secret)), "image/png")


# ---------------------------------------------------------------- My ticket


def _own_signup(signup_id: int) -> Signup:
    """The viewer's own signup; anyone else's is not found, so its existence is not revealed."""
    signup = db.session.get(Signup, signup_id)
    if signup is None or signup.user_id != current_user.id:
        abort(404)
    return signup


def _shown_ticket(signup: Signup) -> IssuedTicket:
    """The signup's ticket, issued now for a signup confirmed before tickets existed (a write on a GET)."""
    ticket = live_ticket(db.session, signup)
    if ticket is not None and hash_secret(secret_of(ticket.nonce)) == ticket.secret_hash:
        return issued(ticket)
    begin_write(db.session)
    try:
        shown = ticket_for(db.session, signup, g.now)
        db.session.commit()
    except IntegrityError:  # another request issued it at the same moment: that one is the ticket
        db.session.rollback()
        shown = ticket_for(db.session, signup, g.now)
    return shown


@bp.get("/my/tickets/<int:signup_id>")
@requires(SIGNED_IN)
def my_ticket(signup_id: int):
    """A volunteer's ticket for one visit: the QR code, large, with the short code to type, printable."""
    signup = _own_signup(signup_id)
    visit = signup.visit
    shown = qr = None
    if signup.status in TICKETED:
        shown = _shown_ticket(signup)
        url = external_url("checkin.ticket", secret=shown.secret)
        qr = qr_svg_inline(url, _ticket_title(visit), "ticket-qr-title")
    return render_template("checkin/my_ticket.html", signup=signup, visit=visit, shown=shown, qr=qr)


@bp.get("/my/tickets/<int:signup_id>/new")
@requires(SIGNED_IN)
def confirm_new_ticket(signup_id: int):
    """Ask before replacing the ticket, saying that the old one stops working; changes nothing."""
    signup = _own_signup(signup_id)
    if signup.status not in TICKETED:
        flash(DomainError("signup_not_active").message, "info")
        return redirect(url_for("checkin.my_ticket", signup_id=signup.id))
    return render_template("checkin/new_ticket.html", signup=signup, visit=signup.visit)


@bp.post("/my/tickets/<int:signup_id>/new")
@requires(SIGNED_IN)
def new_ticket(signup_id: int):
    """Replace the ticket (lost, or shared by mistake): the old QR code and short code stop working at once."""
    signup = _own_signup(signup_id)
    return act(
        lambda: reissue_ticket(db.session, signup, g.now),
        done=lambda _r: _("Here is your new ticket. The old one no longer works."),
        then=url_for("checkin.my_ticket", signup_id=signup.id),
    )


# ---------------------------------------------------------------- the visit's poster


def _poster_words() -> list[dict]:
    """What the poster says, in Chinese above English: it hangs at the gate for everyone. (In English only
    while the Chinese catalogue lacks it.)"""
    said = {}
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            said[locale] = {
                "heading": _("Scan to check in"),
                "how": _("Volunteers: scan this code with your phone's camera, log in, and tap “Check me in”."),
            }
    shown = ("en",) if said["zh_CN"] == said["en"] else ("zh_CN", "en")
    return [{"lang": html_lang(locale), **said[locale]} for locale in shown]


@bp.get("/visits/<int:visit_id>/poster")
@requires(SIGNED_IN)
def poster(visit_id: int):
    """The visit's printable poster (A4): a QR code volunteers scan to check themselves in."""
    visit = db.get_or_404(Visit, visit_id)
    if not can_see_visit(viewer(), visit):
        abort(404)
    if not can_scan(viewer(), visit):
        abort(403)
    shown = posters.current_poster(db.session, visit)
    if shown is None:  # the first time it is shown (or after SECRET_KEY changed): made now, a write on a GET
        begin_write(db.session)
        shown = posters.poster_for(db.session, visit, g.now)
        db.session.commit()
    url = external_url("checkin.poster_scan", secret=shown.secret)
    words = _poster_words()
    qr = qr_svg_inline(url, " / ".join(w["heading"] for w in words), "poster-qr-title")
    return render_template("checkin/poster.html", visit=visit, qr=qr, words=words)


def _poster_or_404(secret: str):
    found = posters.find_poster(db.session, secret)
    if found is None:
        abort(404)
    return found


@bp.get("/p/<secret>")
@requires(SIGNED_IN)
def poster_scan(secret: str):
    """Where the poster's QR code leads: a volunteer with a place checks themselves in with one tap."""
    found = _poster_or_404(secret)
    visit = db.session.get(Visit, found.visit_id)
    place = posters.place_at(db.session, viewer(), visit.id)
    return render_template(
        "checkin/poster_scan.html",
        visit=visit,
        place=place,
        # a place in the queue is not one at the visit: said as such
        waiting=place is None and active_signup(db.session, viewer(), visit.id) is not None,
        attendance=db.session.get(Attendance, place.id) if place is not None else None,
        answer=_answer_for(f"p:{visit.id}"),
        scan_id=_new_scan_id("p"),
        secret=secret,
    )


@bp.post("/p/<secret>")
@requires(SIGNED_IN)
def poster_check_in(secret: str):
    """The volunteer's tap on "Check me in": checked in now if the rules allow, then back with the answer."""
    found = _poster_or_404(secret)
    answer = posters.self_check_in(db.session, viewer(), secret, _scan_id_sent("p"), g.now)
    db.session.commit()
    _remember_answer(f"p:{found.visit_id}", answer.reason, answer.direction)
    return redirect(url_for("checkin.poster_scan", secret=secret))
