"""Volunteer pages: registration, profile, people and companies, signing up, rosters, privacy."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from access import FULL_ROSTER, SIGNED_IN, can_see_visit, requires, roster_view
from accounts.models import Company, Role, TrainingStatus, User
from accounts.services import confirm_password, create_company, create_user, rotate_join_code
from accounts.views import account_limits, end_session, login_limits, safe_next, start_session
from core.db import begin_write
from core.downloads import csv_response, json_response
from core.errors import DomainError
from core.formatting import localtime
from core.forms import show_domain_error
from core.i18n import SPOKEN_LANGUAGES
from core.timeutil import in_zone
from core.urls import external_url
from events.models import RoleSlot, Visit
from extensions import db, limiter
from volunteers import services
from volunteers.forms import (
    AssignForm,
    CompanyForm,
    CompanySignupForm,
    DeleteAccountForm,
    MoveForm,
    PeopleFilterForm,
    PersonForm,
    ProfileForm,
    RegistrationForm,
)
from volunteers.models import Signup

bp = Blueprint("volunteers", __name__)


def _email_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
@limiter.limit(account_limits, methods=["POST"], key_func=_email_key)
def register():
    """A volunteer creates an account with their company's join code."""
    # A coordinator's invitation link brings the join code along (only shown on GET; a POST sends its own).
    form = RegistrationForm(next=request.args.get("next", ""), join_code=request.args.get("join_code", ""))
    if form.validate_on_submit():
        try:
            user = services.register_volunteer(
                db.session,
                join_code=form.join_code.data,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                phone=form.phone.data,
                languages=form.languages.data,
                locale=session.get("locale"),
                now=g.now,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            start_session(user)
            db.session.commit()
            flash(_("Welcome, %(name)s! Your volunteer account is ready.", name=user.name), "success")
            return redirect(safe_next(form.next.data, url_for("events.visits")))
    return render_template("volunteers/register.html", form=form), 422 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@requires("signed_in")
def profile():
    """See and change one's own details."""
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or session.get("locale") or "zh_CN"
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.PROFILE_FIELDS}
        try:
            services.update_profile(db.session, current_user, values)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            session["locale"] = current_user.locale
            db.session.commit()
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("volunteers.profile"))
    return render_template("volunteers/profile.html", form=form), 422 if form.errors else 200


@bp.get("/people/")
@requires(Role.ADMIN)
def people():
    """Every account, filtered by name, email or role."""
    filters = PeopleFilterForm(request.args)
    filters.validate()
    query = services.people_query(
        role=Role(filters.role.data) if filters.role.data else None, search=filters.q.data or ""
    )
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("volunteers/people.html", page=page, filters=filters, args=args)


@bp.route("/people/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def person_new():
    """Create an account directly, with any roles."""
    form = PersonForm()
    form.company.choices = [SelectChoice(0, "—")] + [SelectChoice(c.id, c.name) for c in services.companies(db.session)]
    if form.validate_on_submit():
        try:
            user = create_user(
                db.session,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                phone=form.phone.data,
                roles={Role(r) for r in form.roles.data},
                company=db.session.get(Company, form.company.data) if form.company.data else None,
                now=g.now,
            )
            services.set_training(user, TrainingStatus(form.training_status.data))
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Account created for %(name)s.", name=user.name), "success")
            return redirect(url_for("volunteers.people"))
    return render_template("volunteers/person_form.html", form=form), 422 if form.errors else 200


@bp.route("/companies/", methods=["GET", "POST"])
@requires(Role.ADMIN)
def companies():
    """Partner companies and their join codes; add a company."""
    form = CompanyForm()
    if form.validate_on_submit():
        try:
            company = create_company(db.session, form.name.data, g.now)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                _("Company %(name)s added. Its join code is %(code)s.", name=company.name, code=company.join_code),
                "success",
            )
            return redirect(url_for("volunteers.companies"))
    return render_template("volunteers/companies.html", form=form, companies=services.companies(db.session)), (
        422 if form.errors else 200
    )


# ---------------------------------------------------------------- signing up and cancelling


def _fail(error: DomainError) -> None:
    """Undo the request's changes; a missing object or a forbidden act shows its error page, the rest a message."""
    db.session.rollback()
    if error.code in ("forbidden", "not_found"):
        raise error
    flash(error.message, "error")


def _slot_of(visit_id: int, slot_id: int) -> RoleSlot:
    slot = db.session.get(RoleSlot, slot_id)
    if slot is None or slot.visit_id != visit_id or not can_see_visit(current_user, slot.visit):
        abort(404)
    return slot


def _signed_up_message(signup: Signup, position: int | None, created: bool, name: str | None = None) -> str:
    role = signup.slot.role.label
    if not created:
        return _("Already signed up as %(role)s.", role=role)
    if position is not None:
        if name:
            return _("The role is full: %(name)s is number %(position)s on the waitlist.", name=name, position=position)
        return _(
            "The role is full: you are number %(position)s on the waitlist. We will email you if a place frees up.",
            position=position,
        )
    if name:
        return _("%(name)s is signed up as %(role)s.", name=name, role=role)
    return _("You are signed up as %(role)s. A confirmation is on its way by email.", role=role)


@bp.route("/visits/<int:visit_id>/slots/<int:slot_id>/signup", methods=["GET", "POST"])
@requires(Role.VOLUNTEER)
def slot_signup(visit_id: int, slot_id: int):
    """Sign oneself up for a role; the page a login or registration comes back to with the role still chosen."""
    if request.method == "POST":
        begin_write(db.session)
    slot = _slot_of(visit_id, slot_id)
    visit_url = url_for("events.visit", visit_id=visit_id)
    if request.method == "GET":
        mine = services.active_signup(db.session, current_user, visit_id)
        return render_template(
            "volunteers/slot_signup.html",
            slot=slot,
            visit=slot.visit,
            mine=mine,
            position=services.waitlist_position(db.session, mine) if mine else None,
            languages=SPOKEN_LANGUAGES,
        )
    try:
        signup, created = services.sign_up(db.session, slot_id=slot.id, volunteer=current_user, now=g.now)
    except DomainError as error:
        _fail(error)
        return redirect(visit_url)
    message = _signed_up_message(signup, services.waitlist_position(db.session, signup), created)
    db.session.commit()
    flash(message, "success")
    return redirect(visit_url)


@bp.post("/signups/<int:signup_id>/cancel")
@requires(SIGNED_IN)
def cancel(signup_id: int):
    """Cancel a signup: one's own before the cutoff, or as a coordinator; a freed place goes to the next waiting."""
    begin_write(db.session)
    signup = db.get_or_404(Signup, signup_id)
    back = safe_next(request.form.get("next"), url_for("events.visit", visit_id=signup.visit_id))
    own = signup.user_id == current_user.id
    name = signup.user.name
    try:
        services.cancel_signup(db.session, signup, by=current_user, now=g.now)
    except DomainError as error:
        _fail(error)
        if error.code == "cancel_cutoff_passed":
            flash(_("Contact: %(contact)s", contact=current_app.config["PROGRAMME_CONTACT"]), "info")
        return redirect(back)
    db.session.commit()
    flash(_("Your signup is cancelled.") if own else _("The signup of %(name)s is cancelled.", name=name), "success")
    return redirect(back)


@bp.get("/my/visits")
@requires(SIGNED_IN)
def my_visits():
    """A volunteer's coming visits (confirmed, or waiting with their place in the queue) and past ones."""
    mine = services.my_visits(db.session, current_user, g.now)
    return render_template(
        "volunteers/my_visits.html",
        mine=mine,
        cancellable={s.id for s in mine.upcoming if services.can_cancel_self(s, g.now)},
        contact=current_app.config["PROGRAMME_CONTACT"],
    )


# ---------------------------------------------------------------- rosters


def _assign_form(visit: Visit) -> AssignForm:
    form = AssignForm()
    form.person.choices = [SelectChoice(0, "—")] + [
        SelectChoice(p.id, f"{p.name} ({p.email})") for p in services.assignable_people(db.session)
    ]
    form.slot.choices = [SelectChoice(s.id, s.role.label) for s in visit.slots]
    return form


def _roster_page(visit: Visit, form: AssignForm, status: int = 200):
    return render_template(
        "volunteers/roster.html",
        visit=visit,
        roster=services.visit_roster(db.session, visit),
        form=form,
        started=g.now >= visit.starts_at,
    ), status


@bp.get("/visits/<int:visit_id>/roster")
@requires(Role.ADMIN, Role.HOST)
def roster(visit_id: int):
    """Who is coming: everything for programme coordinators; first names and roles for the school's hosts."""
    visit = db.get_or_404(Visit, visit_id)
    view = roster_view(current_user, visit)
    if view is None:
        abort(404)
    if view != FULL_ROSTER:
        return render_template("volunteers/team.html", visit=visit, team=services.host_roster(db.session, visit))
    return _roster_page(visit, _assign_form(visit))


@bp.get("/visits/<int:visit_id>/roster.csv")
@requires(Role.ADMIN)
def roster_csv(visit_id: int):
    """The roster as a spreadsheet file."""
    visit = db.get_or_404(Visit, visit_id)
    roster = services.visit_roster(db.session, visit)
    header = [_("Volunteer role"), _("Status"), _("Waitlist position"), _("Name"), _("Email"), _("Phone"), _("Company")]
    rows = [
        [
            entry.slot.role.label,
            signup.status.label,
            roster.positions.get(signup.id, ""),
            signup.user.name,
            signup.user.email,
            signup.user.phone or "",
            signup.user.company.name if signup.user.company else "",
        ]
        for entry in roster.slots
        for signup in entry.signups
    ]
    day = in_zone(visit.starts_at, visit.school.timezone).date().isoformat()
    return csv_response(header, rows, f"roster-{visit.id}-{day}.csv")


@bp.post("/visits/<int:visit_id>/roster/assign")
@requires(Role.ADMIN)
def roster_assign(visit_id: int):
    """Put a volunteer into a role by hand, overriding the rules with a recorded reason."""
    begin_write(db.session)
    visit = db.get_or_404(Visit, visit_id)
    form = _assign_form(visit)
    if form.validate_on_submit():
        person = db.session.get(User, form.person.data)
        if _sign_up_someone(form, person):
            return redirect(url_for("volunteers.roster", visit_id=visit_id))
    return _roster_page(visit, form, 422)


def _sign_up_someone(form, person: User) -> bool:
    """Sign `person` up as the current coordinator from a form with `slot` and `reason`; commit and flash.

    False when a rule refused it; the form then carries the error next to its field.
    """
    try:
        signup, created = services.sign_up(
            db.session,
            slot_id=form.slot.data,
            volunteer=person,
            now=g.now,
            by=current_user,
            override_reason=form.reason.data or "",
        )
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        return False
    message = _signed_up_message(signup, services.waitlist_position(db.session, signup), created, name=person.name)
    db.session.commit()
    flash(message, "success")
    return True


@bp.post("/signups/<int:signup_id>/move")
@requires(Role.ADMIN)
def move(signup_id: int):
    """Move a volunteer to another role of the same visit, with a reason."""
    begin_write(db.session)
    signup = db.get_or_404(Signup, signup_id)
    visit_id, name = signup.visit_id, signup.user.name
    form = MoveForm()
    form.slot.choices = [SelectChoice(s.id, s.role.label) for s in signup.visit.slots]
    if not form.validate_on_submit():
        flash(_("Choose the role to move %(name)s to and give a reason.", name=name), "error")
        return redirect(url_for("volunteers.roster", visit_id=visit_id))
    try:
        moved = services.move_signup(
            db.session, signup, to_slot_id=form.slot.data, by=current_user, reason=form.reason.data, now=g.now
        )
    except DomainError as error:
        _fail(error)
    else:
        message = _("%(name)s now has the role %(role)s.", name=name, role=moved.slot.role.label)
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("volunteers.roster", visit_id=visit_id))


@bp.post("/signups/<int:signup_id>/no-show")
@requires(Role.ADMIN)
def no_show(signup_id: int):
    """Record that a confirmed volunteer did not come (once the visit has started)."""
    signup = db.get_or_404(Signup, signup_id)
    visit_id, name = signup.visit_id, signup.user.name
    try:
        services.mark_no_show(db.session, signup, by=current_user, now=g.now)
    except DomainError as error:
        _fail(error)
    else:
        db.session.commit()
        flash(_("%(name)s is recorded as a no-show.", name=name), "success")
    return redirect(url_for("volunteers.roster", visit_id=visit_id))


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
        team=services.company_team(db.session, company, g.now),
        register_link=external_url("volunteers.register", join_code=company.join_code),
    )


def _slot_label(slot: RoleSlot) -> str:
    visit = slot.visit
    when = localtime(visit.starts_at, visit.school.timezone, "short")
    return _(
        "%(title)s, %(when)s: %(role)s (%(left)s places left)",
        title=visit.title,
        when=when,
        role=slot.role.label,
        left=slot.places_left,
    )


@bp.route("/company/signup", methods=["GET", "POST"])
@requires(Role.COORDINATOR)
def company_signup():
    """Sign a colleague up for a role."""
    if request.method == "POST":
        begin_write(db.session)
    company = _my_company()
    form = CompanySignupForm(slot=request.args.get("slot_id", type=int))
    active = services.people_query(company_id=company.id).where(User.active.is_(True))
    colleagues = {p.id: p for p in db.session.scalars(active)}
    form.person.choices = [SelectChoice(0, "—")] + [SelectChoice(p.id, p.name) for p in colleagues.values()]
    form.slot.choices = [SelectChoice(0, "—")] + [
        SelectChoice(s.id, _slot_label(s)) for s in services.upcoming_slots(db.session, g.now)
    ]
    if form.validate_on_submit() and _sign_up_someone(form, colleagues[form.person.data]):
        return redirect(url_for("volunteers.company"))
    return render_template("volunteers/company_signup.html", form=form, company=company), 422 if form.errors else 200


@bp.post("/company/join-code")
@requires(Role.COORDINATOR)
def rotate_code():
    """Replace the company's join code; the old one stops working."""
    code = rotate_join_code(db.session, _my_company(), g.now)
    db.session.commit()
    flash(_("The new join code is %(code)s. The old one no longer works.", code=code), "success")
    return redirect(url_for("volunteers.company"))


# ---------------------------------------------------------------- privacy


@bp.get("/profile/data.json")
@requires(SIGNED_IN)
def my_data():
    """Download everything SciVisit keeps about oneself."""
    return json_response(services.personal_data(db.session, current_user), "scivisit-my-data.json")


@bp.route("/profile/delete", methods=["GET", "POST"])
@requires(SIGNED_IN)
@limiter.limit(login_limits, methods=["POST"])
def delete_account():
    """Delete one's account after typing the password: future signups end, the rest is anonymised."""
    if request.method == "POST":
        begin_write(db.session)
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            confirm_password(user, form.password.data)
            services.delete_account(db.session, user, g.now)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            end_session()
            flash(_("Your account has been deleted. Thank you for volunteering with us."), "success")
            return redirect(url_for("events.home"))
    return render_template("volunteers/delete_account.html", form=form), 422 if form.errors else 200
