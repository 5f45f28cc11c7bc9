"""The app for a server a test starts in another process (gunicorn), on a stopped clock.

`create_app()` builds the app from the environment as production does, with its clock standing
still at the instant in SCIVISIT_TEST_NOW (ISO 8601 with an offset), so the server agrees with
the test about what time it is: `"SCIVISIT_TEST_NOW": clock.now.isoformat()`.
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import Flask

import app
from core.timeutil import ensure_aware


def create_app() -> Flask:
    instant = ensure_aware(datetime.fromisoformat(os.environ["SCIVISIT_TEST_NOW"]))
    return app.create_app({"CLOCK": lambda: instant})
