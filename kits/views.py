"""Kit pages: kit types, hubs, stock per hub, recording a movement, the ledger and its verification, and a
donation's trail address and QR code for the donor."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, url_for
from sqlalchemy.orm import joinedload

from accounts.access import requires, viewer
from accounts.models import Role
from core.i18n import current_locale_code
from core.i18n import gettext as _
from core.qr import qr_svg_inline
from core.urls import external_url
from core.web import form_status, paginate, submit
from extensions import db
from kits import lots, services, stock
from kits.forms import HubForm, KitTypeForm, MovementForm
from kits.ledger import head_state, remember_verification, verify_ledger
from kits.models import Movement, MovementKind

bp = Blueprint("kits", __name__, url_prefix="/kits")


@bp.get("/types")
@requires(Role.ADMIN)
def kit_types():
    """All kit types."""
    return render_template("kits/kit_types.html", kit_types=services.list_kit_types(db.session))


@bp.route("/types/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def kit_type_new():
    """Add a kit type."""
    form = KitTypeForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: services.create_kit_type(db.session, form.values(), now=g.now),
            done=lambda kit: _("Kit type %(name)s added.", name=kit.name),
            then=lambda _r: url_for("kits.kit_types"),
        )
        if done:
            return done
    return render_template("kits/kit_type_form.html", form=form), form_status(form)


# ---------------------------------------------------------------- stock


@bp.get("/stock")
@requires(Role.ADMIN)
def stock_page():
    """Stock per hub and kit type: on hand, reserved, available, and which are low."""
    by_hub: dict[int, list] = {}
    for row in stock.stock_rows(db.session):
        by_hub.setdefault(row.hub_id, []).append(row)
    return render_template("kits/stock.html", hubs=stock.list_hubs(db.session), by_hub=by_hub)


@bp.get("/hubs")
@requires(Role.ADMIN)
def hubs():
    """All hubs, the default one first."""
    return render_template("kits/hubs.html", hubs=stock.list_hubs(db.session))


@bp.route("/hubs/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def hub_new():
    """Add a hub."""
    form = HubForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: stock.create_hub(db.session, form.values(), now=g.now),
            done=lambda hub: _("Hub %(name)s added.", name=hub.name),
            then=lambda _r: url_for("kits.hubs"),
        )
        if done:
            return done
    return render_template("kits/hub_form.html", form=form), form_status(form)


@bp.route("/movements/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def movement_new():
    """Record kits received, written off, transferred or counted at a stock-take."""
    form = MovementForm()
    form.set_choices(stock.list_hubs(db.session), services.list_kit_types(db.session))
    if request.method == "GET" and request.args.get("kind") in stock.MANUAL_KINDS:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        values = {**form.values(), "locale": current_locale_code()}
        done = submit(
            form,
            lambda: stock.record(db.session, form.kind.data, values, actor=viewer(), now=g.now),
            done=lambda made: _("Recorded in the ledger as movement %(number)s.", number=made[-1].id),
            then=lambda _r: url_for("kits.stock_page"),
        )
        if done:
            return done
    return render_template("kits/movement_form.html", form=form), form_status(form)


@bp.get("/ledger")
@requires(Role.ADMIN)
def ledger():
    """The ledger's movements, newest first."""
    query = stock.recent_movements().options(
        joinedload(Movement.hub),
        joinedload(Movement.other_hub),
        joinedload(Movement.kit_type),
        joinedload(Movement.actor),
    )
    return render_template("kits/ledger.html", page=paginate(query))


@bp.get("/ledger/verify")
@requires(Role.ADMIN)
def verify():
    """The last recorded check of the ledger, and a button to check it now (a full check reads every movement)."""
    return render_template("kits/verify.html", result=None, head=head_state(db.session))


@bp.post("/ledger/verify")
@requires(Role.ADMIN)
def verify_now():
    """Check the whole chain and the counters, and show the head hash; the outcome is kept for the transparency page."""
    result = verify_ledger(db.session)
    remember_verification(db.session, result, now=g.now)
    db.session.commit()
    return render_template("kits/verify.html", result=result, head=head_state(db.session))


@bp.get("/movements/<int:movement_id>/trail")
@requires(Role.ADMIN)
def donation_trail(movement_id: int):
    """A donation's public trail address and its QR code, to give to the donor."""
    movement = db.get_or_404(Movement, movement_id)
    if movement.kind != MovementKind.RECEIVED or not movement.donated:  # kits bought have no donor to follow them
        abort(404)
    link = external_url("transparency.donation_trail", secret=lots.trail_secret(movement.id))
    qr = qr_svg_inline(link, _("QR code of the donor's trail"), "trail-qr")
    return render_template("kits/donation_trail.html", movement=movement, link=link, qr=qr)
