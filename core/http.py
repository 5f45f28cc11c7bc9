"""HTTP pieces that the pages, the API plumbing and the login wiring share.

Nothing here knows about a package's rules: which requests are API requests, how an API error
looks, where a `next` link may lead.
"""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

#: every JSON endpoint lives under this path
API_PREFIX = "/api/v1"


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, if the request carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def json_error(code: str, message: str, status: int, **extra):
    """The API's error body: {"error": {"code", "message", ...}}."""
    response = jsonify({"error": {"code": code, "message": message, **extra}})
    response.status_code = status
    return response


def with_error_headers(response, error: HTTPException):
    """`response`, our body for `error`, with the headers Werkzeug gives the error but its Content-Type:
    the Allow of a 405 (RFC 9110 requires it), for one."""
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers.setdefault(name, value)
    return response


def safe_next(target: str | None, default: str) -> str:
    """Only follow a `next` that stays on this site: a path of it, such as `/my/visits?page=2`.

    Browsers read a backslash as a slash and drop tabs and line breaks from an address, so `/\\evil.example`
    and `/<tab>/evil.example` lead to another site as `//evil.example` does: they are refused too.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    return target
