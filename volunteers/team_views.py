"""Team pages of the volunteers blueprint: a visit's roster (see, export, assign, move, no-show) and the
company coordinator's pages (the team, signing up a colleague, the join code)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from accounts import services as accounts
from accounts.access import requires
from accounts.models import Company, Role, User
from core.downloads import csv_response
from core.i18n import gettext as _
from core.i18n import ngettext
from core.timeutil import in_zone
from core.urls import external_url
from core.web import act, form_status, submit, way_back
from events.models import RoleSlot, Visit
from extensions import db
from volunteers import bp, rosters, signups
from volunteers.access import (
    FULL_ROSTER,
    roster_view,
    signup_refusal,
)
from volunteers.forms import (
    AssignForm,
    CompanySignupForm,
    MoveForm,
)
from volunteers.models import Signup
from volunteers.pages import signed_up_message

# ---------------------------------------------------------------- rosters


def _assign_form(visit: Visit) -> AssignForm:
    form = AssignForm()
    form.person.choices = [SelectChoice(0, "—")] + [
        SelectChoice(p.id, f"{p.name} ({p.email})") for p in rosters.assignable_people(db.session)
    ]
    form.slot.choices = [SelectChoice(s.id, s.role.label) for s in visit.slots]
    return form


def _roster_page(visit: Visit, form: AssignForm, status: int = 200):
    return render_template(
        "volunteers/roster.html",
        visit=visit,
        roster=rosters.visit_roster(db.session, visit),
        form=form,
        started=g.now >= visit.starts_at,
    ), status


def _visit_with_roster(visit_id: int) -> tuple[Visit, str]:
    """The visit and which roster this person sees of it; 404 when none (existence is not revealed)."""
    visit = db.session.get(Visit, visit_id)
    view = roster_view(current_user, visit) if visit is not None else None
    if view is None:
        abort(404)
    return visit, view


@bp.get("/visits/<int:visit_id>/roster")
@requires(Role.ADMIN, Role.HOST)
def roster(visit_id: int):
    """Who is coming: everything for programme coordinators; first names and roles for the school's hosts."""
    visit, view = _visit_with_roster(visit_id)
    if view != FULL_ROSTER:
        return render_template("volunteers/team.html", visit=visit, team=rosters.host_roster(db.session, visit))
    return _roster_page(visit, _assign_form(visit))


@bp.get("/visits/<int:visit_id>/roster.csv")
@requires(Role.ADMIN)
def roster_csv(visit_id: int):
    """The roster as a spreadsheet file."""
    visit, _view = _visit_with_roster(visit_id)
    header = [_("Volunteer role"), _("Status"), _("Waitlist position"), _("Name"), _("Email"), _("Phone"), _("Company")]
    rows = [
        [
            row.role.label,
            row.signup.status.label,
            row.position or "",
            row.user.name,
            row.user.email,
            row.user.phone or "",
            row.user.company.name if row.user.company else "",
        ]
        for row in rosters.roster_rows(db.session, visit)
    ]
    day = in_zone(visit.starts_at, visit.school.timezone).date().isoformat()
    return csv_response(header, rows, f"roster-{visit.id}-{day}.csv")


@bp.post("/visits/<int:visit_id>/roster/assign")
@requires(Role.ADMIN)
def roster_assign(visit_id: int):
    """Put a volunteer into a role by hand, overriding the rules with a recorded reason."""
    visit = db.get_or_404(Visit, visit_id)
    form = _assign_form(visit)
    if form.validate_on_submit():
        done = _sign_up_someone(
            form, db.session.get(User, form.person.data), url_for("volunteers.roster", visit_id=visit_id)
        )
        if done:
            return done
    return _roster_page(visit, form, 422)


def _sign_up_someone(form, person: User, then: str):
    """Sign `person` up as the current coordinator from a form with `slot` and `reason`.

    None when a rule refused it; the form then carries the error next to its field.
    """
    coordinator = current_user._get_current_object()
    return submit(
        form,
        lambda: signups.sign_up(
            db.session,
            slot_id=form.slot.data,
            volunteer=person,
            now=g.now,
            by=coordinator,
            override_reason=form.reason.data or "",
        ),
        done=lambda result: signed_up_message(result, name=person.name),
        then=lambda _r: then,
    )


@bp.post("/signups/<int:signup_id>/move")
@requires(Role.ADMIN)
def move(signup_id: int):
    """Move a volunteer to another role of the same visit, with a reason."""
    signup = db.get_or_404(Signup, signup_id)
    visit_id, name = signup.visit_id, signup.user.name
    back = url_for("volunteers.roster", visit_id=visit_id)
    form = MoveForm()
    form.slot.choices = [SelectChoice(s.id, s.role.label) for s in signup.visit.slots]
    if not form.validate_on_submit():
        flash(_("Choose the role to move %(name)s to and give a reason.", name=name), "error")
        return redirect(back)
    return act(
        lambda: signups.move_signup(
            db.session, signup, to_slot_id=form.slot.data, by=current_user, reason=form.reason.data, now=g.now
        ),
        done=lambda moved: _("%(name)s now has the role %(role)s.", name=name, role=moved.slot.role.label),
        then=back,
    )


@bp.post("/signups/<int:signup_id>/no-show")
@requires(Role.ADMIN)
def no_show(signup_id: int):
    """Record that a confirmed volunteer did not come (once the visit has started)."""
    signup = db.get_or_404(Signup, signup_id)
    visit_id, name = signup.visit_id, signup.user.name
    return act(
        lambda: signups.mark_no_show(db.session, signup, by=current_user, now=g.now),
        done=lambda _r: _("%(name)s is recorded as a no-show.", name=name),
        then=url_for("volunteers.roster", visit_id=visit_id),
    )


# ---------------------------------------------------------------- company coordinators


def _my_company() -> Company:
    if current_user.company is None:
        abort(404)
    return current_user.company


@bp.get("/company/")
@requires(Role.COORDINATOR)
def company():
    """A company coordinator's people: their coming signups and hours; the join code to invite more."""
    company = _my_company()
    return render_template(
        "volunteers/company.html",
        company=company,
        team=rosters.company_team(db.session, company, g.now),
        register_link=external_url("volunteers.register", join_code=company.join_code),
    )


def _role_choice(slot: RoleSlot) -> str:
    """A role as the second step offers it: its places left, or that a colleague would wait."""
    if slot.places_left > 0:
        return ngettext(
            "%(role)s: %(num)d place left", "%(role)s: %(num)d places left", slot.places_left, role=slot.role.label
        )
    return _("%(role)s: full, joins the waiting list", role=slot.role.label)


def _chosen_visit(visits: list[Visit]) -> tuple[Visit | None, bool]:
    """The visit the second step is for (`?visit=`, or the visit of `?slot_id=` or of the posted role) if it
    is one of `visits`, and whether one was asked for at all."""
    visit_id = request.values.get("visit", type=int)
    if visit_id is None:
        slot_id = request.args.get("slot_id", type=int) or request.form.get("slot", type=int)
        # Looked up among the open visits' roles, not in the database: any number may come in.
        visit_id = next((s.visit_id for v in visits for s in v.slots if s.id == slot_id), None)
        asked = slot_id is not None
    else:
        asked = True
    return next((v for v in visits if v.id == visit_id), None), asked


@bp.route("/company/signup", methods=["GET", "POST"])
@requires(Role.COORDINATOR)
def company_signup():
    """Sign a colleague up in two steps that read on a phone: the visit, then the role and the colleague."""
    company = _my_company()
    visits = rosters.upcoming_visits(db.session, g.now)
    visit, asked = _chosen_visit(visits)
    if visit is None:
        return render_template(
            "volunteers/company_signup_visit.html", company=company, visits=visits, gone=asked
        ), 422 if request.method == "POST" else 200
    form = CompanySignupForm(visit=visit.id, slot=request.args.get("slot_id", type=int))
    coordinator = current_user._get_current_object()
    taken = rosters.signed_up_ids(db.session, visit)
    people = rosters.colleagues(db.session, company)
    colleagues = {p.id: p for p in people if p.id not in taken and signup_refusal(coordinator, p) is None}
    form.person.choices = [SelectChoice(0, "—")] + [SelectChoice(p.id, p.name) for p in colleagues.values()]
    form.slot.choices = [SelectChoice(s.id, _role_choice(s)) for s in visit.slots]
    if form.validate_on_submit():
        done = _sign_up_someone(form, colleagues[form.person.data], url_for("volunteers.company"))
        if done:
            return done
    return render_template(
        "volunteers/company_signup.html",
        form=form,
        company=company,
        visit=visit,
        already=[p for p in people if p.id in taken],
    ), form_status(form)


@bp.get("/company/join-code")
@requires(Role.COORDINATOR)
def confirm_rotate_code():
    """Ask before replacing the join code, saying that the old one and its link stop working; changes nothing."""
    return render_template(
        "volunteers/rotate_code.html", company=_my_company(), back=way_back(url_for("volunteers.company"))
    )


@bp.post("/company/join-code")
@requires(Role.COORDINATOR)
def rotate_code():
    """Replace the company's join code; the old one stops working."""
    company = _my_company()
    return act(
        lambda: accounts.rotate_join_code(db.session, company, g.now),
        done=lambda code: _("The new join code is %(code)s. The old one no longer works.", code=code),
        then=url_for("volunteers.company"),
    )
