"""Every page of the app, not only those in the navigation, passes axe at phone size in both languages,
and reads well: times with their zone named (never "Asia/Shanghai"), one date style, counted things in plural."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from accounts.services import invite, request_password_reset
from events.models import VisitStatus
from kits import lots, stock
from mail.models import OutboxMessage
from tests.browser.conftest import accessibility_problems, log_in
from tests.conftest import PASSWORD
from volunteers.registration import register_volunteer


@pytest.fixture
def world(make_user, make_company, make_school, make_visit, make_kit_type, db_session, now):
    admin = make_user(Role.ADMIN, email="pages.admin@example.com")
    host = make_user(Role.HOST, email="pages.host@example.com")
    company = make_company(name="Pages Company")
    school = make_school(hosts=[host], name="Pages School", timezone="Asia/Urumqi")
    kit = make_kit_type(name="Pages kit", low_stock_threshold=5)
    gift = stock.receive(db_session, kit_type_id=kit.id, quantity=1, party="Pages donor", actor=admin, now=now)
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
            "/transparency",
            f"/trail/{lots.trail_secret(gift.id)}",
            "/no-such-page",
        ],
        "admin_paths": [
            "/visits/?when=past",
            f"/visits/{published.id}",
            f"/visits/{draft.id}",
            f"/visits/{published.id}/edit",
            f"/visits/{published.id}/cancel",
            f"/visits/{published.id}/kits",
            "/visits/new",
            f"/schools/{school.id}",
            f"/schools/{school.id}/edit",
            "/schools/new",
            "/kits/types/new",
            "/kits/stock",
            "/kits/hubs",
            "/kits/hubs/new",
            "/kits/movements/new",
            "/kits/ledger",
            "/kits/ledger/verify",
            "/kits/forecast",
            f"/kits/movements/{gift.id}/trail",
            "/people/new",
            "/password",
        ],
        "host_paths": [
            "/schools/",
            f"/schools/{school.id}",
            f"/visits/{draft.id}",
            "/visits/",
            f"/visits/{published.id}/scanner",
            f"/visits/{published.id}/kits",
        ],
    }


#: What a page must never say: a zone's identifier, a US short date ("11/30/26"), one thing in the plural.
UNREADABLE = {
    "a time zone identifier": re.compile(r"\b(?:Asia|Europe|America|Africa|Australia|Pacific)/[A-Z]"),
    "a short numeric date": re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"),
    "a plural after 1": re.compile(r"(?<![\d.,])1 (?:places|volunteers|people|students|hours|minutes|kits|visits)\b"),
}


def reading_problems(page) -> list[str]:
    """What the page says (a select's options aside: the time zone list names each zone's identifier too)."""
    text = page.evaluate(
        """() => {
            const copy = document.body.cloneNode(true);
            copy.querySelectorAll("select, script").forEach((node) => node.remove());
            return copy.textContent;
        }"""
    )
    path = page.url.split("/", 3)[-1]
    return [f"/{path}: {what}: {m.group(0)!r}" for what, rule in UNREADABLE.items() for m in rule.finditer(text)]


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_every_page_passes_axe_for_visitors_hosts_and_admins(phone, world, locale):
    problems = []
    page = phone(locale)
    for path in world["anonymous_paths"]:
        response = page.goto(path)
        assert response is not None and response.status in (200, 404), f"{path}: {response.status}"
        problems += accessibility_problems(page) + reading_problems(page)
    for who in ("host", "admin"):
        page = phone(locale)
        log_in(page, world[who].email)
        for path in world[f"{who}_paths"]:
            response = page.goto(path)
            assert response is not None and response.ok, f"{who} {path}: {response.status}"
            problems += accessibility_problems(page) + reading_problems(page)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
