"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, jsonify, make_response, render_template
from flask import Request as FlaskRequest
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

import api as api_plumbing
from config import from_environment
from core import kept_pages
from core.cache import init_cache
from core.db import (
    MAX_INT,
    check_idle_connections,
    configure_sqlite,
    end_reads_with_commit,
    forbid_writes_in_safe_requests,
)
from core.errors import DomainError
from core.http import is_api_request, json_error
from core.i18n import LOCALES, current_locale_code, html_lang, install_template_gettext, selected_locale
from core.i18n import gettext as _
from extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent


class _BodyWithinLimit(LimitedStream):
    """A body of unknown length (chunked), read at most one byte past MAX_CONTENT_LENGTH and refused there.

    Werkzeug stops such a body at the limit and hands the truncated part to the parser as if it were
    whole; reading one byte more tells a body that fits from one that does not.
    """

    def __init__(self, stream, limit: int) -> None:
        super().__init__(stream, limit + 1, is_max=True)
        self._max = limit

    def readinto(self, buffer) -> int | None:
        size = super().readinto(buffer)
        if self._pos > self._max:
            raise RequestEntityTooLarge()
        return size


class Request(FlaskRequest):
    """Flask's request, refusing (413) a chunked body over MAX_CONTENT_LENGTH instead of truncating it."""

    @cached_property
    def stream(self):
        limit = self.max_content_length
        if limit is not None and self.content_length is None and self.environ.get("wsgi.input_terminated"):
            return _BodyWithinLimit(self.environ["wsgi.input"], limit)
        return super().stream


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI, error pages."""
    app = Flask(__name__, instance_path=os.environ.get("SCIVISIT_INSTANCE", str(ROOT / "instance")))
    app.request_class = Request
    app.config.update(from_environment(Path(app.instance_path)))
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    # Ids in paths stay within the database's INTEGER: a larger one is simply not there (404), not an overflow.
    app.url_map.converters["int"] = DatabaseId
    _init_extensions(app)
    _register_blueprints(app)
    _init_cache(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    _register_health(app)
    _warn_about_rate_limits(app)

    from cli import register_cli

    register_cli(app)
    if app.config["MAIL_WORKER_THREAD"] and not app.config.get("TESTING"):
        from mail.worker import start_mail_thread

        start_mail_thread(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
        check_idle_connections(db.engine)
    forbid_writes_in_safe_requests(db.session)
    end_reads_with_commit(app, db.session)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    kept_pages.install(app)
    babel.init_app(app, locale_selector=selected_locale, default_translation_directories=str(ROOT / "translations"))
    install_template_gettext(app)
    limiter.init_app(app)

    from accounts.auth import init_login

    init_login(app)


def _init_cache(app: Flask) -> None:
    """The shared cache, stale whenever a table is written that something it keeps depends on. After the
    blueprints: the modules that say what their kept answers show import the models, and importing them before
    every blueprint's models are declared left SQLAlchemy's mappers unconfigured under gunicorn."""
    from accounts import token_cache
    from calendars import stamps
    from events.queries import PUBLIC_TABLES

    init_cache(app, watched=stamps.WATCHED_TABLES | token_cache.WATCHED_TABLES | PUBLIC_TABLES)


def _register_blueprints(app: Flask) -> None:
    from accounts.api import blp as accounts_api
    from accounts.views import bp as accounts_bp
    from calendars import bp as calendars_bp
    from calendars import subscribe_views as _calendar_subscribing  # noqa: F401  (routes join the blueprint)
    from calendars import views as _calendar_views  # noqa: F401
    from calendars.api import blp as calendars_api
    from checkin import attendance_views, offline_views, scanner_views, views  # noqa: F401  (routes join the blueprint)
    from checkin import bp as checkin_bp
    from checkin.api import blp as checkin_api
    from checkin.hours import connect_receivers as close_checkins_on_completion
    from checkin.ticket_links import register as register_ticket_links
    from checkin.tickets import connect_receivers as issue_tickets_on_confirmation
    from events.api import schools_blp, visits_blp
    from events.forecast_api import blp as forecast_api
    from events.kit_views import bp as visit_kits_bp
    from events.transparency_views import bp as transparency_bp
    from events.views import bp as events_bp
    from events.visit_kits import connect_receivers as keep_kit_reservations
    from kits.api import blp as kits_api
    from kits.api import stock_blp as stock_api
    from kits.views import bp as kits_bp
    from reports import bp as reports_bp
    from reports import views as _report_views  # noqa: F401  (routes join the blueprint)
    from reports.api import blp as reports_api
    from volunteers import team_views  # noqa: F401  (its routes join the volunteers blueprint)
    from volunteers.api import blp as volunteers_api
    from volunteers.api import signups_blp as signups_api
    from volunteers.signups import connect_receivers
    from volunteers.views import bp as volunteers_bp

    for blueprint in (
        accounts_bp,
        volunteers_bp,
        events_bp,
        visit_kits_bp,
        transparency_bp,
        kits_bp,
        checkin_bp,
        calendars_bp,
        reports_bp,
    ):
        app.register_blueprint(blueprint)
    api_plumbing.init_api(
        app,
        [
            accounts_api,
            schools_blp,
            visits_blp,
            kits_api,
            stock_api,
            forecast_api,
            volunteers_api,
            signups_api,
            checkin_api,
            calendars_api,
            reports_api,
        ],
    )
    # Visit changes reach signups through events' signals; connected here, not as a side effect of an import.
    connect_receivers()
    # Confirmed places get their tickets through volunteers' signals; a completed visit closes its check-ins.
    issue_tickets_on_confirmation()
    # "My signups" gets each ticket's link through volunteers' hook (volunteers.ticket_links).
    register_ticket_links(app)
    close_checkins_on_completion()
    # Lessons' kit reservations follow their visit through events' signals (events.visit_kits).
    keep_kit_reservations()


def _error_page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


ERROR_PAGES = {
    400: (lambda: _("Bad request"), lambda: _("The request could not be understood.")),
    403: (lambda: _("Not allowed"), lambda: _("You do not have permission to see this page.")),
    404: (lambda: _("Page not found"), lambda: _("This page does not exist or has moved.")),
    405: (lambda: _("Not allowed"), lambda: _("This method is not allowed here.")),
    410: (lambda: _("Link expired"), lambda: _("This link is not valid or has expired.")),
    413: (lambda: _("Too large"), lambda: _("The request is too large. Send less data and try again.")),
    429: (lambda: _("Too many attempts"), lambda: _("Too many attempts. Please wait a minute and try again.")),
    500: (lambda: _("Something went wrong"), lambda: _("Something went wrong on our side. Please try again.")),
    503: (
        lambda: _("Temporarily unavailable"),
        lambda: _("The service is briefly unavailable. Please try again in a moment."),
    ),
}


def _register_error_handlers(app: Flask) -> None:
    from core.http import with_error_headers

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        return with_error_headers(make_response(http_error_answer(error)), error)

    def http_error_answer(error: HTTPException):
        if isinstance(error, CSRFError):
            error.code = 400
        if is_api_request():
            if isinstance(error, CSRFError):
                return json_error("csrf_failed", str(DomainError("csrf_failed").message), 400)
            return api_plumbing.http_error_response(error)
        status = error.code or 500
        title, message = ERROR_PAGES.get(status, ERROR_PAGES[500] if status >= 500 else ERROR_PAGES[400])
        if isinstance(error, CSRFError):
            message = lambda: DomainError("csrf_failed").message  # noqa: E731
        response = _error_page(status, title(), message())
        if status == 429:
            return response[0], 429, {"Retry-After": "60"}
        return response

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        db.session.rollback()
        if is_api_request():
            return api_plumbing.domain_error_response(error)
        return _error_page(error.status, error.message, error.message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(SQLAlchemyTimeoutError)
    def handle_database_unavailable(error: Exception):
        # The database cannot be reached (down, restarting, pool exhausted): a client may try again later.
        app.logger.exception("database unavailable", exc_info=error)
        db.session.rollback()
        # Whoever it was, the rest of this request (the language, the headers) must not ask the
        # database again: answer as to an anonymous visitor. `g._login_user` is Flask-Login's
        # per-request cache of the current user.
        g._login_user = login_manager.anonymous_user()
        response = make_response(handle_http_error(ServiceUnavailable()))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        # Never a traceback to the client; the log keeps it.
        app.logger.exception("unhandled error", exc_info=error)
        db.session.rollback()
        return handle_http_error(InternalServerError())


def _register_template_helpers(app: Flask) -> None:
    from core import formatting

    app.jinja_env.filters.update(
        localtime=formatting.localtime,
        localdate=formatting.localdate,
        day=formatting.day,
        timerange=formatting.timerange,
        clockrange=formatting.clockrange,
        clocktime=formatting.clocktime,
        zone_name=formatting.zone_name,
        fen=formatting.fen,
    )

    @app.context_processor
    def inject_globals():
        locale = current_locale_code()
        return {"current_locale": locale, "html_lang": html_lang(locale), "locales": LOCALES}

    @app.before_request
    def remember_now():
        from core import timeutil

        g.now = timeutil.now()

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config["PRODUCTION"] and app.config["HSTS_MAX_AGE"] > 0:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_MAX_AGE']}")
        if current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "private, no-store")
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    @limiter.exempt
    def healthz():
        """Liveness: answers without touching the database."""
        return jsonify(status="ok")

    @app.get("/readyz")
    @limiter.exempt
    def readyz():
        """Readiness: the database and the rate-limit store answer too."""
        checks = {"database": "ok", "rate_limit_store": "ok"}
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # any database failure means not ready
            app.logger.exception("readiness check failed: database")
            checks["database"] = "unavailable"
        if not app.config["RATELIMIT_ENABLED"]:
            checks["rate_limit_store"] = "disabled"
        elif not _rate_limit_store_answers():
            app.logger.error("readiness check failed: rate-limit store %s", app.config["RATELIMIT_STORAGE_URI"])
            checks["rate_limit_store"] = "unavailable"
        ready = all(value in ("ok", "disabled") for value in checks.values())
        return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503

    # Browsers ask for it on every first visit and often drop the request halfway: answered from memory,
    # so no file is left open by a dropped connection.
    icon = (Path(app.static_folder) / "favicon.svg").read_bytes()

    @app.get("/favicon.ico")
    @limiter.exempt
    def favicon():
        return icon, 200, {"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"}


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: a whole number from 0 to PostgreSQL's INTEGER maximum."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(url_map, *args, **kwargs)


def _rate_limit_store_answers() -> bool:
    try:
        return bool(limiter.storage.check())
    except Exception:  # an unreachable store may raise instead of answering False
        return False


def _warn_about_rate_limits(app: Flask) -> None:
    """Several processes counting in their own memory multiply every limit by their number."""
    if app.config["PRODUCTION"] and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is memory:// in production: each server process counts on its own, so "
            "every login and signup limit is multiplied by the number of processes. Set it to a shared "
            "store, for example redis://127.0.0.1:6379/0."
        )
