"""Kit pages."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from access import requires
from accounts.models import Role
from core.errors import DomainError
from core.forms import show_domain_error
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
        values = {name: form[name].data for name in services.KIT_TYPE_FIELDS if name in form}
        values["unit_value_fen"] = int((form.unit_value.data or 0) * 100)
        values["description"] = values["description"] or ""
        values["lesson_plan_url"] = values["lesson_plan_url"] or ""
        values["low_stock_threshold"] = values["low_stock_threshold"] or 0
        try:
            services.create_kit_type(db.session, values, now=g.now)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Kit type %(name)s added.", name=values["name"]), "success")
            return redirect(url_for("kits.kit_types"))
    return render_template("kits/kit_type_form.html", form=form), 422 if form.errors else 200
