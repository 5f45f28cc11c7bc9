"""Volunteer pages: registration, profile, the people and company lists."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from access import requires
from accounts.models import Company, Role, TrainingStatus
from accounts.services import create_company, create_user
from accounts.views import account_limits, login_limits, safe_next, start_session
from core.errors import DomainError
from core.forms import show_domain_error
from extensions import db, limiter
from volunteers import services
from volunteers.forms import CompanyForm, PeopleFilterForm, PersonForm, ProfileForm, RegistrationForm

bp = Blueprint("volunteers", __name__)


def _email_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
@limiter.limit(account_limits, methods=["POST"], key_func=_email_key)
def register():
    """A volunteer creates an account with their company's join code."""
    form = RegistrationForm(next=request.args.get("next", ""))
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
