"""Limits and failures at the edge: a body over MAX_CONTENT_LENGTH is refused unread (413), and a database
that cannot be reached is a 503 (JSON under /api/v1, a page elsewhere), never a traceback."""

from __future__ import annotations

import io
import json

import pytest

from config import from_environment
from tests.api.helpers import assert_error

MB = 1024 * 1024


class Body(io.RawIOBase):
    """A request body as a client sends it, counting how much of it the app reads."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.content[self.read_bytes : self.read_bytes + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.read_bytes += len(chunk)
        return len(chunk)


TWO_MB = b"a" * 2 * MB


def _with_length(body: Body, size: int) -> dict:
    return {"environ_overrides": {"wsgi.input": body, "CONTENT_LENGTH": str(size)}}


def _chunked(body: Body) -> dict:
    # What gunicorn and Werkzeug's server hand the app for `Transfer-Encoding: chunked`: no
    # Content-Length, and a stream they end themselves.
    return {
        "headers": {"Transfer-Encoding": "chunked", "Accept-Language": "en"},
        "environ_overrides": {"wsgi.input": body, "wsgi.input_terminated": True},
    }


def test_the_body_limit_is_one_megabyte_unless_configured(monkeypatch, tmp_path):
    monkeypatch.delenv("MAX_CONTENT_LENGTH", raising=False)
    assert from_environment(tmp_path)["MAX_CONTENT_LENGTH"] == MB
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "65536")
    assert from_environment(tmp_path)["MAX_CONTENT_LENGTH"] == 65536


def test_a_two_megabyte_json_body_is_a_json_too_large_without_being_read(client):
    body = Body(TWO_MB)
    response = client.post("/api/v1/tokens", content_type="application/json", **_with_length(body, 2 * MB))
    assert_error(response, 413, "too_large")
    assert body.read_bytes == 0


def test_a_chunked_json_body_over_the_limit_is_refused_at_the_limit(client):
    body = Body(TWO_MB)
    response = client.post("/api/v1/tokens", content_type="application/json", **_chunked(body))
    assert_error(response, 413, "too_large")
    assert body.read_bytes <= MB + 1


@pytest.mark.app_config(MAX_CONTENT_LENGTH=1000)
def test_a_chunked_body_within_the_limit_is_read_whole(client):
    data = json.dumps({"email": "nobody@example.com", "password": "not-the-password"}).encode()
    for padded in (data, data.ljust(1000)):  # up to exactly the limit
        response = client.post("/api/v1/tokens", content_type="application/json", **_chunked(Body(padded)))
        assert_error(response, 401, "invalid_credentials")
    over = data.ljust(1001)
    response = client.post("/api/v1/tokens", content_type="application/json", **_chunked(Body(over)))
    assert_error(response, 413, "too_large")


def test_a_two_megabyte_form_is_a_translated_too_large_page(client):
    response = client.post("/login", data={"email": "a" * 2 * MB, "password": "x"}, headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "<h1>Too large</h1>" in page and "Traceback" not in page

    body = Body(TWO_MB)
    response = client.post("/login", content_type="application/x-www-form-urlencoded", **_with_length(body, 2 * MB))
    assert response.status_code == 413 and body.read_bytes == 0


def test_a_chunked_form_over_the_limit_is_refused_not_truncated(client):
    body = Body(TWO_MB)
    response = client.post("/login", content_type="application/x-www-form-urlencoded", **_chunked(body))
    assert response.status_code == 413
    assert "<h1>Too large</h1>" in response.get_data(as_text=True)
    assert body.read_bytes <= MB + 1


def test_when_the_database_is_down_the_api_answers_a_json_unavailable(unreachable_app):
    client = unreachable_app.test_client()
    for response in (
        client.get("/api/v1/visits"),
        client.get("/api/v1/me", headers={"Authorization": "Bearer some-token"}),
        client.post("/api/v1/tokens", json={"email": "a@example.com", "password": "x"}),
    ):
        error = assert_error(response, 503, "unavailable")
        assert response.headers["Retry-After"]
        assert "sqlite" not in error["message"].lower() and "psycopg" not in error["message"].lower()


def test_when_the_database_is_down_pages_are_a_translated_unavailable_page(unreachable_app):
    client = unreachable_app.test_client()
    anonymous = client.get("/", headers={"Accept-Language": "en"})
    with client.session_transaction() as session:  # someone who logged in before the database went away
        session["_user_id"] = "1:some-nonce"
    signed_in = client.get("/visits/", headers={"Accept-Language": "en"})
    for response in (anonymous, signed_in):
        page = response.get_data(as_text=True)
        assert response.status_code == 503
        assert response.mimetype == "text/html"
        assert response.headers["Retry-After"]
        assert "<h1>Temporarily unavailable</h1>" in page
        assert "Traceback" not in page and "OperationalError" not in page
