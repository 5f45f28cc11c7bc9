"""The service worker that keeps the scanner and "My ticket" for a phone without a signal (README: "Check-in
offline"), and the messages the scanner's offline queue (static/js/checkin-queue.js) shows.

The worker's source is static/js/sw.js; it is served at /sw.js so that its scope can be the whole site, with
a manifest of the static files it keeps and a version that changes whenever one of them does (so a deployment
installs a new worker, which fills a new cache and drops the old one).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, url_for

from checkin import bp
from checkin.scans import REASONS
from core.i18n import lazy_gettext as _l
from extensions import limiter

#: in the worker's source, replaced by the manifest
PLACEHOLDER = '/*MANIFEST*/ { version: "dev", core: [], scanner: [], static: "/static/", logout: "/logout" }'
#: what every page may need offline (kept when the worker installs), and what only the scanner does
CORE = ("css", "js", "favicon.svg")
SCANNER = ("vendor/zxing-wasm",)

#: what the offline queue says beyond a scan's reason (checkin.scans.REASONS)
OFFLINE_MESSAGES = {
    "unchecked": _l(
        "No network, and this phone has no offline list for this visit: "
        "the scan is saved and checked when the network returns."
    ),
}


@bp.app_template_global("checkin_messages")
def checkin_messages() -> dict[str, str]:
    """Reason code -> message, in the page's language, for the scanner's answers made without a network."""
    return {code: str(message) for code, message in {**REASONS, **OFFLINE_MESSAGES}.items()}


@bp.get("/sw.js")
@limiter.exempt
def service_worker():
    """The service worker, with the manifest of the static files it keeps."""
    static = Path(current_app.static_folder)
    core, scanner = _files(static, CORE), _files(static, SCANNER)
    manifest = {
        "version": _version(static, (*core, *scanner)),
        "core": [url_for("static", filename=name) for name in core],
        "scanner": [url_for("static", filename=name) for name in scanner],
        "static": url_for("static", filename=""),
        "logout": url_for("accounts.logout"),
    }
    source = (static / "js" / "sw.js").read_text(encoding="utf-8").replace(PLACEHOLDER, json.dumps(manifest), 1)
    response = Response(source, mimetype="text/javascript")
    # Browsers check for a new worker on every visit; it is small.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def _files(static: Path, roots: tuple[str, ...]) -> list[str]:
    """The files under `roots` (relative to static/), as static/ names, sorted; never the worker itself."""
    found = []
    for root in roots:
        path = static / root
        if path.is_file():
            found.append(root)
        elif path.is_dir():
            found += [p.relative_to(static).as_posix() for p in path.rglob("*") if p.is_file()]
    return sorted(name for name in found if name != "js/sw.js" and not Path(name).name.startswith((".", "LICENSE")))


def _version(static: Path, names: tuple[str, ...]) -> str:
    stats = tuple((name, (static / name).stat().st_size, (static / name).stat().st_mtime_ns) for name in names)
    sw = static / "js" / "sw.js"
    return _digest(static, (*stats, ("js/sw.js", sw.stat().st_size, sw.stat().st_mtime_ns)))


@lru_cache(maxsize=8)
def _digest(static: Path, stats: tuple) -> str:
    """A hash of the files' contents (not their times, which differ from one server to the next); computed
    again only when a file's size or time changed."""
    digest = hashlib.sha256()
    for name, _size, _mtime in stats:
        digest.update(name.encode())
        digest.update(hashlib.sha256((static / name).read_bytes()).digest())
    return digest.hexdigest()[:16]
