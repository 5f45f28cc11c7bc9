"""Every page of the app, not only those in the navigation, passes axe at phone size in both languages."""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.services import invite, request_password_reset
from events.models import VisitStatus
from mail.models import OutboxMessage
from tests.browser.conftest import accessibility_problems, log_in
from tests.conftest import PASSWORD
from volunteers.registration import register_volunteer


@pytest.fixture
def world(make_user, make_company, make_school, make_visit, make_kit_type, db_session, now):
    admin = make_user(Role.ADMIN, email="pages.admin@example.com")
    host = make_user(Role.HOST, email="pages.host@example.com")
    company = make_company(name="Pages Company")
    school = make_school(hosts=[host], name="Pages School")
    kit = make_kit_type(name="Pages kit")
    published = make_visit(school=school, title="Pages visit", kit_type=kit, lessons=2)
    draft = make_visit(school=school, status=VisitStatus.DRAFT, days_ahead=30, title="Pages draft")
    cancelled = make_visit(status=VisitStatus.CANCELLED, days_ahead=40, title="Pages cancelled")
    _, invitation = invite(
        db_session, email="pages.new@example.com", role=Role.HOST, invited_by=admin, now=now, school=school
    )
    request_password_reset(db_session, admin.email, now)
    register_volunteer(
        db_session,
        join_code=company.join_code,
        email="pages.joiner@example.com",
        name="Pages Joiner",
        password=PASSWORD,
        now=now,
    )
    db_session.commit()
    reset_body = db_session.query(OutboxMessage).filter_by(recipient=admin.email).one().body
    reset_path = reset_body[reset_body.index("/password/reset/") :].split()[0]
    confirm_body = db_session.query(OutboxMessage).filter_by(recipient="pages.joiner@example.com").one().body
    confirm_path = confirm_body[confirm_body.index("/register/confirm/") :].split()[0]
    return {
        "admin": admin,
        "host": host,
        "anonymous_paths": [
            "/",
            "/login",
            "/register",
            "/register/sent",
            confirm_path,
            "/password/forgot",
            reset_path,
            f"/invitation/{invitation}",
            f"/visits/{published.id}",
            f"/visits/{cancelled.id}",
            "/no-such-page",
        ],
        "admin_paths": [
            "/visits/?when=past",
            f"/visits/{published.id}",
            f"/visits/{draft.id}",
            f"/visits/{published.id}/edit",
            f"/visits/{published.id}/cancel",
            "/visits/new",
            f"/schools/{school.id}",
            f"/schools/{school.id}/edit",
            "/schools/new",
            "/kits/types/new",
            "/people/new",
            "/password",
        ],
        "host_paths": ["/schools/", f"/schools/{school.id}", f"/visits/{draft.id}", "/visits/"],
    }


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_every_page_passes_axe_for_visitors_hosts_and_admins(phone, world, locale):
    problems = []
    page = phone(locale)
    for path in world["anonymous_paths"]:
        response = page.goto(path)
        assert response is not None and response.status in (200, 404), f"{path}: {response.status}"
        problems += accessibility_problems(page)
    for who in ("host", "admin"):
        page = phone(locale)
        log_in(page, world[who].email)
        for path in world[f"{who}_paths"]:
            response = page.goto(path)
            assert response is not None and response.ok, f"{who} {path}: {response.status}"
            problems += accessibility_problems(page)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
