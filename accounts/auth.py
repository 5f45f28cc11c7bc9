"""Flask-Login wiring: session ids that can be revoked, bearer tokens on the API."""

from __future__ import annotations

from flask import Flask, g, redirect, request, url_for

from accounts.models import User
from accounts.services import user_for_api_token, user_for_session
from core.http import bearer_token, is_api_request, json_error
from core.i18n import lazy_gettext as _l
from extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        if is_api_request() and bearer_token():
            return None  # a request that carries a token is authenticated by that token alone
        return user_for_session(db.session, session_id)

    @login_manager.request_loader
    def load_user_from_token(_request) -> User | None:
        user = _token_user()
        return user or None

    @app.before_request
    def refuse_bad_tokens():
        """A token that is unknown, revoked or of a disabled account is a 401, whatever else the request carries."""
        if _token_user() is False:
            response = json_error("unauthorized", str(_l("Please log in.")), 401)
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api_request():
            return json_error("unauthorized", str(_l("Please log in.")), 401)
        from flask import flash

        flash(login_manager.login_message, "info")
        return redirect(url_for("accounts.login", next=request.full_path if request.query_string else request.path))


def _token_user() -> User | bool | None:
    """The account of the request's bearer token: None without a token, False for a token that is no good.

    Looked up once per request and kept in `g`.
    """
    if "token_user" not in g:
        token = bearer_token() if is_api_request() else None
        g.token_user = None if not token else (user_for_api_token(db.session, token) or False)
    return g.token_user
