"""The scanner page for hosts and programme coordinators, its offline bundle, and the visit's poster.

The page scans with the phone's camera through static/js/scanner.js, which sends each scan through
static/js/checkin-queue.js (online, or answered from the offline bundle and queued). Without JavaScript
the same page's code form posts here (`scanner_scan`), which scans at once and shows the answer.
"""

from __future__ import annotations

import re
import secrets

from flask import abort, g, render_template, request, url_for
from flask_babel import get_translations
from flask_login import current_user
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length

from accounts.access import SIGNED_IN, requires, viewer
from checkin import bp
from checkin.access import can_scan
from checkin.attendance import roll_call
from checkin.models import Direction
from checkin.scans import REASONS, ScanAnswer, scan
from core.errors import DomainError
from core.formatting import clocktime
from core.forms import PageForm, SingleLine, strip
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from events.models import Visit
from extensions import db, limiter

#: The app's policy (app.py), with WebAssembly allowed to compile: zxing-wasm decodes QR codes in a wasm module.
SCANNER_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
#: typed codes one scanner may try a minute on the page (a short code is short; the gate needs far fewer)
CODE_LIMIT = "60 per minute"


class ManualScanForm(PageForm):
    """A ticket's code typed by hand (or its URL pasted), in or out: the scanner without a camera."""

    direction = RadioField(_l("Scan to"), choices=Direction.choices(), default=Direction.IN.value)
    code = StringField(_l("Ticket code"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[strip])
    #: drawn when the page is shown, so sending the same form twice counts once (scans.scan's scan id)
    scan_id = HiddenField()


@bp.app_template_global("can_scan_visit")
def can_scan_visit(visit: Visit) -> bool:
    """For the visit page and the host's cards: whether to link to the scanner."""
    return can_scan(viewer(), visit)


def _scannable(visit_id: int) -> Visit:
    visit = db.get_or_404(Visit, visit_id)
    if not can_scan(viewer(), visit):
        abort(403)
    return visit


def _scanner_key() -> str:
    return f"scanner:{current_user.get_id()}"


@bp.get("/visits/<int:visit_id>/scanner")
@requires(SIGNED_IN)
def scanner(visit_id: int):
    """Scan volunteers' tickets in and out at the gate; who is in and who is still missing."""
    visit = _scannable(visit_id)
    form = ManualScanForm(formdata=None)
    direction = request.args.get("direction")
    if direction in {d.value for d in Direction}:
        form.direction.data = direction
    return _page(visit, form)


@bp.post("/visits/<int:visit_id>/scanner")
@requires(SIGNED_IN)
@limiter.limit(CODE_LIMIT, key_func=_scanner_key)
def scanner_scan(visit_id: int):
    """The page's code form without JavaScript: scan the typed code now and show the answer."""
    visit = _scannable(visit_id)
    form = ManualScanForm()
    if not form.validate():
        return _page(visit, form, status=422)
    # The page's scan ids carry the scanner's account: a form can only repeat its own scan, never read the
    # answer (and the name in it) of a scan made by someone else.
    scan_id = form.scan_id.data if _is_own_scan_id(form.scan_id.data) else _new_scan_id()
    try:
        answer = scan(
            db.session,
            scanner=viewer(),
            ticket=form.code.data,
            direction=Direction(form.direction.data),
            scan_id=scan_id,
            scanned_at=g.now,
            now=g.now,
            visit_id=visit.id,
        )
    except DomainError as error:
        db.session.rollback()
        form.code.errors = [error.message]
        return _page(visit, form, status=422)
    db.session.commit()
    # a code that did not work stays in the field, to be corrected
    kept = "" if answer.ok else form.code.data
    return _page(visit, ManualScanForm(formdata=None, direction=form.direction.data, code=kept), answer=answer)


def _new_scan_id() -> str:
    return f"page-{current_user.get_id()}-{secrets.token_urlsafe(18)}"


def _is_own_scan_id(scan_id: str | None) -> bool:
    prefix = f"page-{current_user.get_id()}-"
    rest = (scan_id or "").removeprefix(prefix)
    return scan_id is not None and scan_id.startswith(prefix) and re.fullmatch(r"[A-Za-z0-9_-]{24}", rest) is not None


def _page(visit: Visit, form: ManualScanForm, *, answer: ScanAnswer | None = None, status: int = 200):
    form.scan_id.data = _new_scan_id()
    response = render_template(
        "checkin/scanner.html",
        visit=visit,
        form=form,
        answer=_shown(answer) if answer else None,
        roll=roll_call(db.session, visit),
        clock=lambda moment: clocktime(moment, visit.school.timezone),
        config=_script_config(visit),
        in_wechat="MicroMessenger" in request.headers.get("User-Agent", ""),
    )
    return response, status, {"Content-Security-Policy": SCANNER_CSP}


def _title(ok: bool, direction: Direction, message: str) -> str:
    if not ok:
        return message
    return _("Checked in") if direction == Direction.IN else _("Checked out")


def _shown(answer: ScanAnswer) -> dict:
    """What the answer panel shows: as static/js/scanner.js shows an answer from the API."""
    person = answer.signup if answer.shows_person else None
    company = person.user.company if person else None
    return {
        "ok": answer.ok,
        "reason": answer.reason,
        "title": _title(answer.ok, answer.direction, answer.message),
        "name": person.user.name if person else "",
        "role": person.slot.role.label if person else "",
        "company": company.name if company else "",
    }


def _script_config(visit: Visit) -> dict:
    """What static/js/scanner.js needs: where to send scans, and every word it may show, translated."""
    return {
        "visitId": visit.id,
        "timezone": visit.school.timezone,
        # the check-in API (checkin/api.py)
        "scanUrl": url_for("checkin_api.check_in"),
        "batchUrl": url_for("checkin_api.check_in_batch"),
        "bundleUrl": url_for("checkin_api.visit_checkin_bundle", visit_id=visit.id),
        "attendanceUrl": url_for("checkin_api.visit_attendance", visit_id=visit.id),
        "wasmUrl": url_for("static", filename="vendor/zxing-wasm/"),
        "reasons": {code: str(message) for code, message in REASONS.items()},
        "text": {
            "checkedIn": _("Checked in"),
            "checkedOut": _("Checked out"),
            "queued": _("No network: checked against the list on this phone, and sent when the network is back."),
            "pendingOne": _waiting(1),
            "pendingOther": _waiting(2),
            "ready": _("Ready: hold a ticket's QR code in the frame."),
            "starting": _("Starting the camera…"),
            "checking": _("Checking the ticket…"),
            "stopped": _("The camera is off."),
            "stop": _("Stop the camera"),
            "start": _("Start the camera"),
            "noCode": _("No QR code found in the photo. Try again closer, with the whole code in the picture."),
            "unreachable": _("The server could not be reached. Try again."),
            "since": _("in at %(time)s", time="{time}"),
            "left": _("out at %(time)s", time="{time}"),
            "allHere": _("Everyone is here."),
            "noneYet": _("Nobody has checked in yet."),
        },
    }


def _waiting(count: int) -> str:
    """The plural form the language uses for `count` scans waiting, with "{n}" for the script to fill in."""
    form = get_translations().ngettext("%(num)s scan waits to be sent.", "%(num)s scans wait to be sent.", count)
    return form % {"num": "{n}"}
