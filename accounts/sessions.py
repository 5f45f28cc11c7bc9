"""Signing in and out of the web session, and the limits on guessing passwords.

Shared by the account pages, the registration page and the token endpoint, so every way in
starts a fresh session and counts against the same limits.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import login_user, logout_user

from accounts.models import User
from core.i18n import LOCALES, current_locale_code


def login_limits() -> str:
    """Attempts allowed per client address (login, registration, reset, tokens)."""
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def account_limits() -> str:
    """Attempts allowed per account named in the request."""
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def form_account_key() -> str:
    """The rate-limit key of the account a form names by its email field."""
    return "account:" + (request.form.get("email") or "").strip().lower()


def start_session(user: User) -> None:
    """A fresh session on login, so an id planted before login is worthless after it."""
    locale = session.get("locale") or current_locale_code()
    session.clear()
    login_user(user)
    if user.locale is None and locale in LOCALES:
        # Mail goes out in the account's language: keep the one this person is reading now.
        user.locale = locale


def end_session() -> None:
    """Log out and forget the session, keeping only the language this browser chose."""
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
