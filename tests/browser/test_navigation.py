"""Every page the navigation leads to works and passes axe at phone size, for each kind of account."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import invite
from tests.browser.conftest import accessibility_problems, log_in, open_menu


def _nav_paths(page) -> list[str]:
    hrefs = page.locator("header nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    paths = list(dict.fromkeys(hrefs))
    assert paths, "the navigation has no links"
    return paths


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (
            (Role.ADMIN,),
            {"/", "/visits/", "/schools/", "/kits/stock", "/people/", "/companies/", "/admin/invitations", "/profile"},
        ),
        ((Role.VOLUNTEER,), {"/", "/visits/", "/profile"}),
    ],
    ids=["admin", "volunteer"],
)
def test_every_page_in_the_navigation_passes_axe_on_a_phone(
    page, roles, expected, make_user, make_company, make_visit, make_kit_type, db_session, now
):
    # Something on every list, so that tables and cards are checked too, not only empty states.
    company = make_company(name="Navigation Company")
    make_kit_type(name="Navigation kit")
    make_visit(title="Navigation visit")
    inviter = make_user(Role.ADMIN, email="nav.inviter@example.com")
    invite(db_session, email="nav.invited@example.com", role=Role.ADMIN, invited_by=inviter, now=now)
    db_session.commit()
    person = make_user(*roles, email=f"nav.{roles[0].value}@example.com", company=company)
    log_in(page, person.email)

    paths = _nav_paths(page)
    assert expected <= set(paths), f"missing from the navigation: {expected - set(paths)}"
    problems = []
    for path in paths:
        with page.expect_navigation() as navigation:
            open_menu(page).locator(f'a[href="{path}"]').tap()
        response = navigation.value
        assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"
        assert urlsplit(page.url).path == path
        # Every page is checked before failing, so one run lists all that needs fixing.
        problems += accessibility_problems(page)
        expect(page.locator("h1"), f"{path} has one h1").to_have_count(1)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
