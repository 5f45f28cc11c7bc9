"""Account pages: log in and out, language, passwords, invitations."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from access import requires
from accounts import services
from accounts.forms import (
    AcceptInvitationForm,
    InvitationForm,
    LoginForm,
    PasswordChangeForm,
    PasswordForgotForm,
    PasswordResetForm,
)
from accounts.models import Company, Invitation, Role
from core.errors import DomainError
from core.forms import show_domain_error
from core.i18n import LOCALES, current_locale_code
from events.services import schools_for_choice
from extensions import db, limiter

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only follow a `next` that stays on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return default


def _account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def login_limits():
    from flask import current_app

    return current_app.config["LOGIN_LIMIT_PER_IP"]


def account_limits():
    from flask import current_app

    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def start_session(user) -> None:
    """A fresh session on login, so an id planted before login is worthless after it."""
    locale = session.get("locale") or current_locale_code()
    session.clear()
    login_user(user)
    if user.locale is None and locale in LOCALES:
        # Mail goes out in the account's language: keep the one this person is reading now.
        user.locale = locale


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
@limiter.limit(account_limits, methods=["POST"], key_func=_account_key)
def login():
    """Log in with email and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, form.email.data, form.password.data)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            start_session(user)
            db.session.commit()
            return redirect(safe_next(form.next.data, url_for("events.visits")))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


def end_session() -> None:
    """Log out and forget the session, keeping only the language this browser chose."""
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


@bp.post("/logout")
def logout():
    """Log out and forget the session."""
    end_session()
    flash(_("You have logged out."), "success")
    return redirect(url_for("events.home"))


@bp.post("/language")
def set_language():
    """Switch the interface language; remembered on the account and in this browser."""
    locale = request.form.get("locale", "")
    if locale in LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("events.home")))


@bp.route("/password", methods=["GET", "POST"])
@requires("signed_in")
def change_password():
    """Change one's own password; other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            login_user(current_user._get_current_object())  # this session carries on with the new nonce
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("volunteers.profile"))
    return render_template("accounts/password_change.html", form=form), 422 if form.errors else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
@limiter.limit(account_limits, methods=["POST"], key_func=_account_key)
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = PasswordForgotForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session, form.email.data, g.now)
        db.session.commit()
        flash(_("If an account exists for that email, a link to reset the password is on its way."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/password_forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
def reset_password(token: str):
    """Set a new password with a single-use link."""
    services.check_reset_token(db.session, token, g.now)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db.session, token, form.new_password.data, g.now)
        except DomainError as error:
            db.session.rollback()
            if error.code == "invalid_token":
                raise
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Your password has been reset. Please log in."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/password_reset.html", form=form), 422 if form.errors else 200


def _invitation_form() -> InvitationForm:
    form = InvitationForm()
    form.company.choices = [SelectChoice(0, "—")] + [
        SelectChoice(c.id, c.name) for c in db.session.scalars(select(Company).order_by(Company.name))
    ]
    form.school.choices = [SelectChoice(0, "—")] + [SelectChoice(s.id, s.name) for s in schools_for_choice(db.session)]
    return form


@bp.route("/admin/invitations", methods=["GET", "POST"])
@requires(Role.ADMIN)
def invitations():
    """Invite a school host, company coordinator or programme coordinator by email."""
    form = _invitation_form()
    if form.validate_on_submit():
        from events.models import School

        try:
            services.invite(
                db.session,
                email=form.email.data,
                role=Role(form.role.data),
                invited_by=current_user,
                now=g.now,
                company=db.session.get(Company, form.company.data) if form.company.data else None,
                school=db.session.get(School, form.school.data) if form.school.data else None,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The invitation has been sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("accounts.invitations"))
    pending = db.session.scalars(select(Invitation).order_by(Invitation.created_at.desc()).limit(50)).all()
    return render_template("accounts/invitations.html", form=form, invitations=pending), 422 if form.errors else 200


@bp.post("/admin/invitations/<int:invitation_id>/revoke")
@requires(Role.ADMIN)
def revoke_invitation(invitation_id: int):
    """Withdraw an invitation that has not been used."""
    invitation = db.get_or_404(Invitation, invitation_id)
    services.revoke_invitation(invitation, g.now)
    db.session.commit()
    flash(_("The invitation has been withdrawn."), "success")
    return redirect(url_for("accounts.invitations"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
def accept_invitation(token: str):
    """Create an account from an invitation link."""
    invitation = services.usable_invitation(db.session, token, g.now)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(
                db.session,
                token,
                name=form.name.data,
                password=form.password.data,
                phone=form.phone.data,
                now=g.now,
                locale=session.get("locale"),
            )
        except DomainError as error:
            db.session.rollback()
            if error.code == "invalid_token":
                raise
            show_domain_error(form, error)
        else:
            start_session(user)
            db.session.commit()
            flash(_("Welcome to SciVisit."), "success")
            return redirect(url_for("events.visits"))
    return render_template("accounts/accept_invitation.html", form=form, invitation=invitation), (
        422 if form.errors else 200
    )
