"""A signed-in page's account kept by the server process (accounts.token_cache, under the session's id): the next
page finds who is signed in without a query, and never after a logout everywhere, a disabled account or a changed
role; without a shared cache every page looks the account up."""

from __future__ import annotations

import pytest

from accounts.models import Role, User
from accounts.services import end_sessions, set_roles
from tests.conftest import statements_run


def _reads_the_account(statements: list[str]) -> bool:
    return any("FROM user_account" in statement for statement in statements)


@pytest.fixture
def signed_in(client, login, make_user):
    """An admin signed in on `client`, and their first page seen (their account kept from then on)."""
    user = make_user(Role.ADMIN, name="Li Na")
    login(user)
    assert client.get("/kits/stock").status_code == 200
    return user


def test_the_next_page_finds_its_account_without_a_query(cache, client, signed_in):
    with statements_run() as seen:
        page = client.get("/kits/stock")

    assert page.status_code == 200
    assert "Li Na" in client.get("/profile").get_data(as_text=True)
    assert not _reads_the_account(seen), seen


def test_a_logout_everywhere_ends_the_session_at_its_next_page(cache, client, signed_in, db_session):
    end_sessions(db_session.get(User, signed_in.id))
    db_session.commit()

    page = client.get("/kits/stock")

    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_disabled_account_is_signed_out_at_its_next_page(cache, client, signed_in, db_session):
    db_session.get(User, signed_in.id).active = False
    db_session.commit()

    assert client.get("/kits/stock").status_code == 302


def test_a_role_taken_away_counts_at_the_next_page(cache, client, signed_in, db_session):
    set_roles(db_session.get(User, signed_in.id), {Role.VOLUNTEER})
    db_session.commit()

    assert client.get("/kits/stock").status_code == 403


def test_a_kept_account_can_still_be_changed_by_its_page(cache, client, signed_in, db_session):
    """The language switch writes the signed-in person's choice on their account: on the kept copy, merged."""
    response = client.post("/language", data={"locale": "en", "next": "/profile"})

    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(User, signed_in.id).locale == "en"
    assert '<html lang="en"' in client.get("/profile").get_data(as_text=True)


def test_without_a_shared_cache_every_page_looks_its_account_up(client, signed_in):
    with statements_run() as seen:
        assert client.get("/kits/stock").status_code == 200

    assert _reads_the_account(seen)
