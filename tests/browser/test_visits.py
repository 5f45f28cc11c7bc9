"""Planning a visit on a phone, and what anonymous visitors see of visits."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Role
from events.models import SlotRole, Visit
from tests.browser.conftest import click_to_page, log_in, server_state, visit
from tests.conftest import school_date


def _school_date(school, days_ahead: int = 21) -> str:
    return school_date(days_ahead, school.timezone).isoformat()


def _fill_visit(page, school, title: str, starts: str, ends: str) -> None:
    page.get_by_label("School", exact=True).select_option(str(school.id))
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Date", exact=True).fill(_school_date(school))
    page.locator("#starts_at").fill(starts)
    page.locator("#ends_at").fill(ends)


def _save(page) -> int:
    # The form starts with a visually hidden Save so that Enter saves; press the visible one.
    return click_to_page(page, page.get_by_role("button", name="Save").last)


def test_admin_plans_a_visit_with_roles_and_lessons_on_a_phone(phone, make_user, make_school):
    admin = make_user(Role.ADMIN, email="visit.planner@example.com")
    school = make_school(name="Phone Plan Primary School")
    page = phone("en-US")
    log_in(page, admin.email)
    visit(page, "/visits/new")

    _fill_visit(page, school, "Rockets on a phone", "08:30", "16:00")
    page.locator("#slots-0-role").select_option(SlotRole.LEAD_INSTRUCTOR.value)
    page.locator("#slots-0-capacity").fill("1")
    page.locator("#lessons-0-title").fill("Water rockets")
    page.locator("#lessons-0-grade").fill("4")
    page.locator("#lessons-0-starts_at").fill("09:30")
    page.locator("#lessons-0-ends_at").fill("11:00")

    click_to_page(page, page.get_by_role("button", name="Add a role"))
    expect(page.locator("#slots-1-role")).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Rockets on a phone")  # nothing lost
    expect(page.locator("#lessons-0-title")).to_have_value("Water rockets")
    page.locator("#slots-1-role").select_option(SlotRole.ASSISTANT.value)
    page.locator("#slots-1-capacity").fill("4")

    click_to_page(page, page.get_by_role("button", name="Add a lesson"))
    expect(page.locator("#lessons-1-title")).to_be_visible()
    expect(page.locator("#slots-1-capacity")).to_have_value("4")
    page.locator("#lessons-1-title").fill("Paper planes")
    page.locator("#lessons-1-grade").fill("5")
    page.locator("#lessons-1-starts_at").fill("14:00")
    page.locator("#lessons-1-ends_at").fill("15:30")

    assert _save(page) == 200
    assert "/visits/new" not in page.url
    expect(page.locator("h1")).to_have_text("Rockets on a phone")
    expect(page.locator(".flashes")).to_contain_text("has been saved")
    roles = page.locator("main .slot-card h3")
    expect(roles).to_have_count(2)
    expect(roles.nth(0)).to_contain_text("Lead instructor")
    expect(roles.nth(1)).to_contain_text("Teaching assistant")
    expect(page.locator("main .lesson-card h3")).to_have_text(["Water rockets", "Paper planes"])

    saved = server_state().scalar(select(Visit).where(Visit.title == "Rockets on a phone"))
    assert page.url.endswith(f"/visits/{saved.id}")
    assert {slot.role: slot.capacity for slot in saved.slots} == {SlotRole.LEAD_INSTRUCTOR: 1, SlotRole.ASSISTANT: 4}
    assert sorted(lesson.title for lesson in saved.lessons) == ["Paper planes", "Water rockets"]


def test_visit_ending_before_it_starts_shows_the_error_by_the_end_time_and_keeps_the_input(
    phone, make_user, make_school
):
    admin = make_user(Role.ADMIN, email="visit.backwards@example.com")
    school = make_school(name="Backwards Primary School")
    page = phone("en-US")
    log_in(page, admin.email)
    visit(page, "/visits/new")
    _fill_visit(page, school, "Back to front", "15:00", "10:00")
    page.locator("#slots-0-capacity").fill("2")

    assert _save(page) == 422
    assert page.url.endswith("/visits/new")
    ends = page.locator("#ends_at")
    expect(ends).to_have_value("10:00")
    expect(ends).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field.has-error").filter(has=ends).locator("#ends_at-error")).to_have_text(
        "The end must be after the start."
    )
    assert "ends_at-error" in (ends.get_attribute("aria-describedby") or "").split()
    expect(page.locator("#starts_at")).to_have_value("15:00")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Back to front")
    expect(page.get_by_label("School", exact=True)).to_have_value(str(school.id))
    expect(page.locator("#slots-0-capacity")).to_have_value("2")
    assert server_state().scalar(select(Visit).where(Visit.title == "Back to front")) is None


def _assert_no_contacts(page, host) -> None:
    html = page.content()
    for what, value in (("email", host.email), ("phone", host.phone), ("name", host.name)):
        assert value not in html, f"{page.url} shows the host's {what}"
    assert "mailto:" not in html and "tel:" not in html, f"{page.url} links to a contact"


def test_anonymous_visitor_sees_the_start_page_and_a_visit_without_host_contacts(
    page, make_user, make_school, make_visit
):
    host = make_user(Role.HOST, email="host.private@example.com", phone="13912345678")
    school = make_school(name="Open Day Primary School", hosts=[host])
    shown = make_visit(
        school=school,
        title="Open day with magnets",
        livestream_url="https://live.example.org/scivisit/open-day-primary-school/magnets-2026-spring",
    )

    visit(page, "/")
    card = page.locator("main .card").filter(has_text="Open day with magnets")
    expect(card).to_have_count(1)
    _assert_no_contacts(page, host)

    click_to_page(page, card.get_by_role("link", name="Open day with magnets"))
    assert page.url.endswith(f"/visits/{shown.id}")
    expect(page.locator("h1")).to_have_text("Open day with magnets")
    expect(page.locator("main")).to_contain_text("Open Day Primary School")
    _assert_no_contacts(page, host)
