"""Helpers for the volunteer page tests: English pages and signups made through the rules."""

from __future__ import annotations

import pytest

from tests.conftest import statements_run
from volunteers import signups


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English, so the tests can read them."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def sign(db_session, now):
    """Sign someone up through the rules (at `now`, or at another moment for visits in the past)."""

    def do(slot, user, *, at=None, **kwargs):
        signup, _ = signups.sign_up(db_session, slot_id=slot.id, volunteer=user, now=at or now, **kwargs)
        db_session.commit()
        return signup

    return do


@pytest.fixture
def statements(app):
    """How many SQL statements a GET of `path` runs (warm it up first: translations, templates)."""

    def count(client, path: str) -> int:
        with statements_run(transaction_control=True) as seen:
            assert client.get(path).status_code == 200
        return len(seen)

    return count


def page(response) -> str:
    return response.get_data(as_text=True)


def flashes(client, response) -> str:
    """The page a redirect leads to, where its flash messages are shown."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)
