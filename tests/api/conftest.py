"""API fixtures: bearer tokens."""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.services import issue_api_token


@pytest.fixture
def bearer(db_session, now):
    """Headers that authenticate as `user` with a fresh API token."""

    def headers(user) -> dict:
        token = issue_api_token(db_session, user, now)
        db_session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def admin(make_user, bearer):
    """Bearer headers of a programme coordinator."""
    return bearer(make_user(Role.ADMIN))
