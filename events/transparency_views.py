"""Public pages about donated kits: the transparency page and its CSV (events.transparency), and each
donation's trail at its secret address (events.trail)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from core.downloads import csv_response
from core.i18n import gettext as _
from core.kept_pages import FIGURES_SECONDS, kept_for_visitors
from core.timeutil import DEFAULT_TZ, in_zone
from events import trail, transparency
from extensions import db
from kits import lots
from kits.ledger import head_state

bp = Blueprint("transparency", __name__)


@bp.get("/transparency")
@kept_for_visitors(longest=FIGURES_SECONDS)
def page():
    """What was donated, where the kits went, and the ledger's head hash and last verification (public)."""
    return render_template(
        "events/transparency.html",
        donations=transparency.donations(db.session),
        deliveries=transparency.deliveries(db.session),
        head=head_state(db.session),
        page_rows=transparency.PAGE_ROWS,
    )


@bp.get("/transparency.csv")
def download():
    """Every donation and every kit type's journey to a visit, as one CSV (public)."""
    header = [
        _("Record"),
        _("Date"),
        _("Donor"),
        _("School"),
        _("Visit"),
        _("Kit type"),
        _("Quantity"),
        _("Value (fen)"),
        _("Received at the school"),
        _("Consumed"),
        _("Returned"),
        _("Students reached"),
        _("Corrected"),
    ]
    rows = []
    for gift in transparency.donations(db.session, limit=None):
        day = in_zone(gift.received_at, DEFAULT_TZ).date().isoformat()
        corrected = _("yes") if gift.corrected else ""
        rows.append(
            [
                _("donation"),
                day,
                gift.donor,
                "",
                "",
                gift.kit_type,
                gift.quantity,
                gift.value_fen,
                "",
                "",
                "",
                "",
                corrected,
            ]
        )
    for trip in transparency.deliveries(db.session, limit=None):
        day = in_zone(trip.starts_at, trip.timezone).date().isoformat()
        received = "" if trip.received is None else trip.received
        rows.append(
            [
                _("delivery"),
                day,
                "",
                trip.school,
                trip.visit,
                trip.kit_type,
                trip.shipped,
                "",
                received,
                trip.consumed,
                trip.returned,
                trip.students,
                "",
            ]
        )
    return csv_response(header, rows, "scivisit-transparency.csv")


@bp.get("/trail/<secret>")
def donation_trail(secret: str):
    """A donation's trail from arrival to the classrooms that used its kits (public, at a secret address)."""
    donation = lots.find_donation(db.session, secret) if len(secret) < 64 else None
    if donation is None:
        abort(404)
    return render_template("events/trail.html", trail=trail.trail(db.session, donation))
