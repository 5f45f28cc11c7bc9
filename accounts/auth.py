"""Flask-Login wiring: session ids that can be revoked, bearer tokens on the API."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from accounts.models import User
from accounts.services import user_for_api_token
from core.http import bearer_token, is_api_request, json_error
from extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, nonce = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_nonce != nonce:
            return None
        return user

    @login_manager.request_loader
    def load_user_from_token(_request) -> User | None:
        token = bearer_token() if is_api_request() else None
        return user_for_api_token(db.session, token) if token else None

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api_request():
            return json_error("unauthorized", str(_l("Please log in.")), 401)
        from flask import flash

        flash(login_manager.login_message, "info")
        return redirect(url_for("accounts.login", next=request.full_path if request.query_string else request.path))
