"""Account pages: log in and out, language, passwords, invitations, the outbox of mail that failed."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from accounts import services
from accounts.access import SIGNED_IN, requires
from accounts.forms import AcceptInvitationForm, LoginForm, PasswordChangeForm, PasswordForgotForm, PasswordResetForm
from accounts.models import Role
from accounts.sessions import account_key, account_limits, end_session, login_limits, sign_in_limit, start_session
from core.http import safe_next
from core.i18n import LOCALES
from core.i18n import gettext as _
from core.web import act, form_status, paginate, submit
from extensions import db, limiter
from mail import services as mail

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
@sign_in_limit
def login():
    """Log in with email and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():

        def log_in():
            user = services.authenticate(db.session, form.email.data, form.password.data)
            start_session(user)
            return user

        done = submit(form, log_in, done=None, then=lambda _r: safe_next(form.next.data, url_for("events.home")))
        if done:
            return done
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.post("/logout")
def logout():
    """Log out and forget the session."""
    end_session()
    db.session.commit()
    flash(_("You have logged out."), "success")
    return redirect(url_for("events.home"))


@bp.post("/language")
def set_language():
    """Switch the interface language: the person's choice, kept in this browser and, signed in, on the account
    (so it wins over the phone's language on every device)."""
    locale = request.form.get("locale", "")
    if locale in LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("events.home")))


@bp.route("/password", methods=["GET", "POST"])
@requires(SIGNED_IN)
def change_password():
    """Change one's own password; other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()

        def change():
            services.change_password(db.session, user, form.current_password.data, form.new_password.data, g.now)
            login_user(user)  # this session carries on with the new nonce

        done = submit(
            form,
            change,
            done=lambda _r: _("Your password has been changed."),
            then=lambda _r: url_for("volunteers.profile"),
        )
        if done:
            return done
    return render_template("accounts/password_change.html", form=form), form_status(form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
@limiter.limit(account_limits, methods=["POST"], key_func=account_key)
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = PasswordForgotForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session, form.email.data, g.now)
        db.session.commit()
        flash(_("If an account exists for that email, a link to reset the password is on its way."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/password_forgot.html", form=form), form_status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
def reset_password(token: str):
    """Set a new password with a single-use link."""
    services.check_reset_token(db.session, token, g.now)
    form = PasswordResetForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: services.reset_password(db.session, token, form.new_password.data, g.now),
            done=lambda _r: _("Your password has been reset. Please log in."),
            then=lambda _r: url_for("accounts.login"),
            error_pages={"invalid_token"},
        )
        if done:
            return done
    return render_template("accounts/password_reset.html", form=form), form_status(form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
def accept_invitation(token: str):
    """Create an account from an invitation link."""
    invitation = services.usable_invitation(db.session, token, g.now)
    form = AcceptInvitationForm()
    if form.validate_on_submit():

        def accept():
            user = services.accept_invitation(
                db.session,
                token,
                name=form.name.data,
                password=form.password.data,
                phone=form.phone.data,
                now=g.now,
            )
            start_session(user)
            return user

        done = submit(
            form,
            accept,
            done=lambda _r: _("Welcome to SciVisit."),
            then=lambda _r: url_for("events.home"),
            error_pages={"invalid_token"},
        )
        if done:
            return done
    return render_template("accounts/accept_invitation.html", form=form, invitation=invitation), form_status(form)


# ---------------------------------------------------------------- the outbox


@bp.get("/admin/outbox")
@requires(Role.ADMIN)
def outbox():
    """Messages that could not be sent: given up, or waiting to be tried again."""
    return render_template("accounts/outbox.html", page=paginate(mail.troubled_messages()))


@bp.post("/admin/outbox/<int:message_id>/retry")
@requires(Role.ADMIN)
def retry_message(message_id: int):
    """Try a failed message again at the next delivery run, with all its tries."""
    return act(
        lambda: mail.retry_message(db.session, message_id, g.now),
        done=lambda message: _("The message to %(recipient)s will be sent again.", recipient=message.recipient),
        then=url_for("accounts.outbox"),
    )
