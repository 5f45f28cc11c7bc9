"""Kit pages."""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for
from flask_babel import gettext as _

from accounts.access import requires
from accounts.models import Role
from core.web import form_status, submit
from extensions import db
from kits import services
from kits.forms import KitTypeForm

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
