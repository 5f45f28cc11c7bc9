"""Helpers for the account tests: an app whose rate limits are on and start from zero."""

from __future__ import annotations

import pytest

from extensions import limiter


@pytest.fixture
def limited_app(app):
    """The app with its counters reset (the limiter is shared by every app of the process)."""
    limiter.reset()
    return app
