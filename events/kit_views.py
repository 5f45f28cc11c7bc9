"""Kit pages of a visit: what its lessons hold and miss, shipping, the school's count on arrival,
what was used up and returned, trying again to reserve, and publishing a visit short of kits; and the
kit forecast over all visits' lessons (events.forecast).

Programme coordinators ship and retry; coordinators and the school's hosts confirm arrivals and record
use (events.access.can_see_kits); nobody else sees these pages.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from accounts.access import SIGNED_IN, requires, viewer
from accounts.models import Role
from core.i18n import gettext as _
from core.i18n import ngettext
from core.web import act, submit
from events import forecast as kit_forecast
from events import services, visit_kits
from events.access import can_plan, can_see_kits, can_see_visit
from events.kit_forms import ArrivalForm, PublishForm, ShipForm, UseForm
from events.models import Visit, VisitStatus
from extensions import db
from kits.stock import list_hubs

bp = Blueprint("visit_kits", __name__)

#: each step of a kit type's journey: its form, the service, what is said when done, who may do it
STEPS = {
    "ship": (
        ShipForm,
        visit_kits.ship,
        lambda vk: ngettext("%(num)s kit shipped.", "%(num)s kits shipped.", vk.shipped),
        "admin",
    ),
    "arrival": (
        ArrivalForm,
        visit_kits.confirm_arrival,
        lambda vk: ngettext("Arrival confirmed: %(num)s kit.", "Arrival confirmed: %(num)s kits.", vk.received),
        "host",
    ),
    "use": (UseForm, visit_kits.record_use, lambda _vk: _("Recorded."), "host"),
}


def _visit_for_kits(visit_id: int):
    """The visit and the person, if they may see its kits: 404 if the visit is hidden, 403 otherwise."""
    visit = db.get_or_404(Visit, visit_id)
    person = viewer()
    if not can_see_visit(person, visit):
        abort(404)
    if not can_see_kits(person, visit):
        abort(403)
    return visit, person


def _form(step: str, kit_type_id: int, *, data: dict | None = None, bound: dict | None = None):
    """A step's form for one kit type: the one just posted (with its errors) or a fresh one."""
    if bound and (step, kit_type_id) in bound:
        return bound[(step, kit_type_id)]
    form = STEPS[step][0](formdata=None, data=data, prefix=f"{step}{kit_type_id}-")
    if step == "use":
        form.set_hubs([hub for hub in list_hubs(db.session) if hub.active])
    return form


def _kits_page(visit: Visit, person, *, bound: dict | None = None, status: int = 200):
    planner = can_plan(person)
    rows = visit_kits.summary(db.session, visit)
    open_ = visit.status in visit_kits.OPEN
    forms = {}
    for row in rows:
        kt = row.kit_type_id
        if planner and open_ and row.reserved and row.received is None:
            forms[("ship", kt)] = _form("ship", kt, data={"quantity": row.reserved}, bound=bound)
        if row.shipped and row.received is None:
            forms[("arrival", kt)] = _form("arrival", kt, data={"received": row.shipped}, bound=bound)
        if row.received is not None and row.at_school:
            used = "consumed" if row.consumable else "returned"
            forms[("use", kt)] = _form("use", kt, data={used: row.at_school, "hub_id": visit.hub_id}, bound=bound)
    lessons = visit_kits.lesson_reservations(db.session, visit)
    page = render_template(
        "events/visit_kits.html",
        visit=visit,
        rows=rows,
        forms=forms,
        lessons=lessons,
        planner=planner,
        can_retry=planner and open_,
        shortfall=sum(row.shortfall for row in rows),
    )
    return page, status


@bp.get("/visits/<int:visit_id>/kits")
@requires(SIGNED_IN)
def page(visit_id: int):
    """A visit's kits per kit type: reserved, shipped, arrived, used up and returned, with the next step's form."""
    visit, person = _visit_for_kits(visit_id)
    return _kits_page(visit, person)


@bp.post("/visits/<int:visit_id>/kits/<int:kit_type_id>/<any(ship, arrival, use):step>")
@requires(SIGNED_IN)
def journey_step(visit_id: int, kit_type_id: int, step: str):
    """Ship a kit type (coordinators), confirm its arrival or record what was used (coordinators and hosts)."""
    visit, person = _visit_for_kits(visit_id)
    form_class, service, done, who = STEPS[step]
    if who == "admin" and not can_plan(person):
        abort(403)
    form = form_class(prefix=f"{step}{kit_type_id}-")
    if step == "use":
        form.set_hubs([hub for hub in list_hubs(db.session) if hub.active])
    if form.validate_on_submit():
        values = {"kit_type_id": kit_type_id, **form.values()}
        saved = submit(
            form,
            lambda: service(db.session, visit, values, actor=person, now=g.now),
            done=done,
            then=lambda _r: url_for("visit_kits.page", visit_id=visit.id),
        )
        if saved is not None:
            return saved
    return _kits_page(visit, person, bound={(step, kit_type_id): form}, status=422)


@bp.post("/visits/<int:visit_id>/kits/reserve")
@requires(Role.ADMIN)
def retry(visit_id: int):
    """Try again to reserve what the lessons miss (after stock arrived); releases nothing they still need."""
    visit, person = _visit_for_kits(visit_id)

    def said(rows) -> str:
        missing = sum(row.shortfall for row in rows.values())
        if missing:
            return ngettext(
                "Reserved what was available; %(num)s kit is still missing.",
                "Reserved what was available; %(num)s kits are still missing.",
                missing,
            )
        return _("Every lesson has its kits reserved.")

    return act(
        lambda: visit_kits.sync_visit(db.session, visit, actor=person, now=g.now),
        done=said,
        then=url_for("visit_kits.page", visit_id=visit.id),
    )


@bp.route("/visits/<int:visit_id>/publish", methods=["GET", "POST"])
@requires(Role.ADMIN)
def publish(visit_id: int):
    """Publish a visit whose lessons are short of kits: only with a reason, which is recorded."""
    visit = db.get_or_404(Visit, visit_id)
    here = url_for("events.visit", visit_id=visit.id)
    missing = visit_kits.shortfall(db.session, visit)
    if not missing or not services.can_move(visit, VisitStatus.PUBLISHED, g.now):
        # Nothing to explain (stock arrived meanwhile), or nothing to publish: the visit page's own button.
        return redirect(here)
    form = PublishForm()
    if form.validate_on_submit():
        reason = form.override_reason.data
        saved = submit(
            form,
            lambda: services.publish_visit(db.session, visit, now=g.now, override_reason=reason),
            done=lambda _v: _("The visit is published. The kit shortfall and your reason are recorded."),
            then=lambda _v: here,
        )
        if saved is not None:
            return saved
    lessons = visit_kits.lesson_reservations(db.session, visit)
    page = render_template("events/publish_visit.html", visit=visit, form=form, lessons=lessons, missing=missing)
    return page, 422 if form.errors else 200


@bp.get("/kits/forecast")
@requires(Role.ADMIN)
def forecast():
    """The next weeks' kit demand against available stock, per week and kit type, the short ones said in words."""
    hubs = list_hubs(db.session)
    hub_id = request.args.get("hub_id", type=int)
    if hub_id is not None and hub_id not in {hub.id for hub in hubs}:
        hub_id = None
    result = kit_forecast.forecast(db.session, now=g.now, hub_id=hub_id)
    return render_template("events/kit_forecast.html", forecast=result, hubs=hubs, hub_id=hub_id)
