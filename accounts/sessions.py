"""Signing in and out of the web session, and the limits on guessing passwords.

Shared by the account pages, the registration page and the token endpoint, so every way in
starts a fresh session and counts against the same limits.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user, login_user, logout_user

from accounts.models import User
from accounts.services import end_sessions, normalise_email
from core.i18n import LOCALES, browser_locale
from extensions import limiter


def login_limits() -> str:
    """Attempts allowed per client address (login, registration, reset, tokens)."""
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def account_limits() -> str:
    """Attempts allowed per account named in the request."""
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def account_key() -> str:
    """The rate-limit key of the account a request names by its email, in a form or a JSON body."""
    email = request.form.get("email")
    if email is None and request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # not a ValueError, so `silent` lets it through; the parser answers 400
            body = None
        email = body.get("email") if isinstance(body, dict) else None
    return "account:" + (normalise_email(email) if isinstance(email, str) else "")


#: Logging in on the page and asking the API for a token guess the same password: one counter per account.
sign_in_limit = limiter.shared_limit(account_limits, scope="sign-in", key_func=account_key, methods=["POST"])


def start_session(user: User) -> None:
    """A fresh session on login, so an id planted before login is worthless after it.

    This browser keeps the language it chose. The account keeps the language this browser asks for
    only as `last_locale`, for mail: stored as the account's `locale` it would override the phone's
    language on every later visit and device, although the person never chose it."""
    chosen = session.get("locale")
    user.last_locale = browser_locale()
    session.clear()
    login_user(user)
    if chosen in LOCALES:
        session["locale"] = chosen


def end_session() -> None:
    """Log out: every session of the account ends on the server too (a copied cookie stops working);
    this browser keeps only the language it chose. The caller commits."""
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
