"""Kit pages: kit types, hubs, stock per hub, recording a movement, the ledger and its verification."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from sqlalchemy.orm import joinedload

from accounts.access import requires, viewer
from accounts.models import Role
from core.i18n import gettext as _
from core.web import form_status, paginate, submit
from extensions import db
from kits import services, stock
from kits.forms import HubForm, KitTypeForm, MovementForm
from kits.ledger import verify_ledger
from kits.models import Movement

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
        done = submit(
            form,
            lambda: stock.record(db.session, form.kind.data, form.values(), actor=viewer(), now=g.now),
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
    """Check the whole chain and the counters, and show the head hash."""
    return render_template("kits/verify.html", result=verify_ledger(db.session))
