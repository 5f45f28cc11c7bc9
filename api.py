"""The /api/v1 plumbing: the flask-smorest Api, bearer-token auth, JSON errors, the OpenAPI document."""

from __future__ import annotations

import hashlib

import marshmallow as ma
from flask import current_app, json, request
from flask_login import current_user
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from core.errors import CODES, DomainError
from core.http import API_PREFIX, bearer_token, is_api_request, json_error
from core.i18n import gettext as _
from extensions import csrf

#: HTTP status -> error code for errors raised by Flask, Werkzeug and webargs rather than by rules
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "invalid_token",
    413: "too_large",
    415: "bad_request",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorDetailSchema(ma.Schema):
    field = ma.fields.String()
    code = ma.fields.String()
    message = ma.fields.String()


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable error code"})
    message = ma.fields.String(required=True, metadata={"description": "Human message in the request's language"})
    field = ma.fields.String()
    details = ma.fields.List(ma.fields.Nested(ErrorDetailSchema))
    errors = ma.fields.Dict(metadata={"description": "Field errors of a request that did not validate"})
    contact = ma.fields.String(metadata={"description": "Whom to ask, when only a coordinator can do it now"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


class SciVisitApi(Api):
    """flask-smorest's Api, documenting each blueprint when the OpenAPI document is first asked for.

    Turning the schemas into OpenAPI takes most of the time the app takes to start (a third of a
    second; every test starts an app) and only the document needs it, so it waits until then.
    """

    ERROR_SCHEMA = ErrorSchema

    @property
    def spec(self):
        waiting, self._undocumented = getattr(self, "_undocumented", []), []
        for blueprint, app, name, parameters in waiting:
            blueprint.register_views_in_doc(self, app, self._spec, name=name, parameters=parameters)
            self._spec.tag({"name": name, "description": blueprint.description})
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value
        self._undocumented = []

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, self._app, name, parameters))

    def _openapi_json(self):
        """The document as flask-smorest makes it, built once per app: nothing in it changes while the app runs
        (serialising it took as long as answering a page), answered 304 to its ETag. Written without indentation,
        which made up nearly half of its bytes (127 kB, now 67 kB; a browser or `jq` shows it indented)."""
        built = current_app.extensions.get("scivisit-openapi")
        if built is None:
            body = json.dumps(self.spec.to_dict(), separators=(",", ":"), sort_keys=False).encode()
            built = current_app.extensions["scivisit-openapi"] = (body, hashlib.sha256(body).hexdigest())
        body, etag = built
        response = current_app.response_class(body, mimetype="application/json")
        response.set_etag(etag)
        return response.make_conditional(request)

    def _register_error_handlers(self):
        # app.create_app installs one handler for pages and API alike; see app.handle_http_error.
        pass


api = SciVisitApi()


def domain_error_response(error: DomainError):
    return json_error(
        error.code,
        error.message,
        error.status,
        **{k: v for k, v in error.as_dict().items() if k not in {"code", "message"}},
    )


def http_error_response(error: HTTPException):
    code = HTTP_CODES.get(error.code or 500, "error")
    data = getattr(error, "data", None) or {}
    extra = {}
    if "messages" in data:  # webargs / marshmallow validation errors, per location
        code = "validation_error"
        extra["errors"] = _flatten_locations(data["messages"])
    if code in CODES:
        message = str(CODES[code][1])
    elif error.code == 405:
        message = _("This method is not allowed here.")
    else:
        message = _("Something went wrong on our side. Please try again.")
    response = json_error(code, message, error.code or 500, **extra)
    for key, value in (data.get("headers") or {}).items():
        response.headers[key] = value
    return response


def _flatten_locations(messages: dict) -> dict:
    """webargs nests errors by location (json, query); clients want them by field."""
    flat: dict = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
    return flat


def protect_session_writes() -> None:
    """Bearer-token requests cannot be forged by another site; cookie-session writes need CSRF."""
    if not is_api_request() or request.method in {"GET", "HEAD", "OPTIONS"} or bearer_token():
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if current_user.is_authenticated:
        csrf.protect()


def init_api(app, blueprints) -> None:
    app.config.setdefault("API_TITLE", "SciVisit API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {"security": [{"bearerAuth": []}, {"cookieAuth": []}]})
    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": "Schedules science visits to schools, volunteers, kits and check-ins."},
        },
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("cookieAuth", {"type": "apiKey", "in": "cookie", "name": "session"})
    app.before_request(protect_session_writes)
    for blueprint in blueprints:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
