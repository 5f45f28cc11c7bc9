"""/sw.js: the service worker for the whole site, with the manifest of the static files it keeps and a version
that follows their contents; and the messages the offline queue shows (checkin/offline_views.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from flask_babel import force_locale

from checkin.offline_views import PLACEHOLDER, checkin_messages
from checkin.scans import REASONS

ROOT = Path(__file__).resolve().parent.parent.parent


def _manifest(response) -> dict:
    found = re.search(r"^var MANIFEST = (\{.*\});$", response.get_data(as_text=True), re.MULTILINE)
    assert found, "no manifest in the worker"
    return json.loads(found.group(1))


def test_the_worker_is_served_for_the_whole_site_fresh_on_every_check(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert PLACEHOLDER not in response.get_data(as_text=True)


def test_the_manifest_lists_what_the_scanner_needs_offline_and_never_the_worker(client):
    manifest = _manifest(client.get("/sw.js"))
    assert {"/static/css/app.css", "/static/js/checkin-queue.js", "/static/js/checkin-bundle.js"} <= set(
        manifest["core"]
    )
    assert "/static/js/sw.js" not in manifest["core"]
    assert all(url.startswith("/static/vendor/") for url in manifest["scanner"])
    assert (manifest["static"], manifest["logout"]) == ("/static/", "/logout")
    assert re.fullmatch(r"[0-9a-f]{16}", manifest["version"])


@pytest.mark.own_app  # it points the app at other static files
def test_the_version_changes_with_a_static_file_and_only_with_its_content(app, client, tmp_path):
    static = tmp_path / "static"
    (static / "js").mkdir(parents=True)
    (static / "css").mkdir()
    shutil.copy(ROOT / "static" / "js" / "sw.js", static / "js" / "sw.js")
    style = static / "css" / "app.css"
    style.write_text("body { color: black; }")
    app.static_folder = str(static)

    first = _manifest(client.get("/sw.js"))
    assert first["core"] == ["/static/css/app.css"]
    style.write_text("body { color: navy;  }")
    changed = _manifest(client.get("/sw.js"))
    assert changed["version"] != first["version"]
    style.write_text("body { color: black; }")
    os.utime(style, ns=(1, 1))  # the same content at another time (another server): the same version
    assert _manifest(client.get("/sw.js"))["version"] == first["version"]


def test_the_offline_messages_cover_every_reason_in_the_page_language(app):
    with app.test_request_context("/"), force_locale("zh_CN"):
        messages = checkin_messages()
        assert messages["already_checked_in"] == str(REASONS["already_checked_in"])
    assert set(messages) == {*REASONS, "unchecked"}
    assert all(isinstance(text, str) and text for text in messages.values())
