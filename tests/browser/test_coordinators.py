"""Coordinators on a phone, in both languages: the visit form keeps its place when a row is added and its
error summary links to the fields; a colleague is signed up in two steps. Axe-clean at 390 and 320 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.browser.conftest import assert_accessible, click_to_page, log_in, server_state, visit
from volunteers.models import Signup

NARROW = {"width": 320, "height": 568}
PHONE = {"width": 390, "height": 844}


def _check_at_both_widths(page) -> None:
    page.set_viewport_size(NARROW)
    assert_accessible(page)
    page.set_viewport_size(PHONE)


@pytest.mark.parametrize("locale", ["zh-CN"])  # each journey in one language: test_all_pages reads every page in both
def test_adding_rows_keeps_the_place_and_the_error_summary_leads_to_each_field(phone, make_user, make_school, locale):
    admin = make_user(Role.ADMIN, email=f"planner.{locale}@example.com")
    school = make_school()
    page = phone(locale)
    log_in(page, admin.email)
    visit(page, f"/visits/new?school_id={school.id}")
    _check_at_both_widths(page)
    page.locator("#lessons-0-title").fill("Water rockets")

    # "Add a role" comes back to the new role, not to the top of a long page.
    click_to_page(page, page.locator("button[name=add_slot]"))
    assert page.url.endswith("#slots-1")
    expect(page.locator("#slots-1")).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0
    expect(page.locator("#lessons-0-title")).to_have_value("Water rockets")
    click_to_page(page, page.locator("button[name=add_lesson]"))
    expect(page.locator("#lessons-1")).to_be_in_viewport()
    _check_at_both_widths(page)

    # Saved with a missing title and a lesson without times: the summary, at the top, links to each field.
    page.locator("#slots-0-capacity").fill("2")
    click_to_page(page, page.locator("form.stack button[name=save]").last)
    summary = page.locator(".error-summary")
    expect(summary).to_be_in_viewport()
    for target in ("#title", "#date", "#starts_at", "#lessons-0-grade", "#lessons-0-starts_at", "#lessons-0-ends_at"):
        expect(summary.locator(f'a[href="{target}"]')).to_have_count(1)
    _check_at_both_widths(page)
    summary.locator('a[href="#lessons-0-ends_at"]').click()
    expect(page.locator("#lessons-0-ends_at")).to_be_in_viewport()
    assert page.url.endswith("#lessons-0-ends_at")
    # Optional details stay folded when nothing in them needs attention.
    expect(page.locator("details.optional")).not_to_have_attribute("open", "")


@pytest.mark.parametrize("locale", ["en-US"])  # each journey in one language: test_all_pages reads every page in both
def test_a_coordinator_signs_up_a_colleague_in_two_steps(phone, make_company, make_user, make_visit, locale):
    company = make_company(name="Rocket Works")
    coordinator = make_user(Role.COORDINATOR, email=f"carla.{locale}@example.com", company=company)
    colleague = make_user(name="Rui Rocket", company=company)
    make_visit(title="火星车科学日 Mars rover day", days_ahead=5)
    wanted = make_visit(title="浮力与密度 Floating and sinking", days_ahead=9)
    page = phone(locale)
    log_in(page, coordinator.email)

    visit(page, "/company/signup")
    _check_at_both_widths(page)
    expect(page.locator(".cards .card")).to_have_count(2)
    click_to_page(page, page.get_by_role("link", name="浮力与密度 Floating and sinking"))
    assert page.url.endswith(f"/company/signup?visit={wanted.id}")
    _check_at_both_widths(page)
    page.locator("#slot-0").check()
    page.locator("#person").select_option(str(colleague.id))
    assert click_to_page(page, page.locator("main form button[type=submit]")) == 200
    assert page.url.endswith("/company/")
    expect(page.locator(".flash-success")).to_contain_text("Rui Rocket")
    assert server_state().query(Signup).filter_by(user_id=colleague.id).one().slot_id == wanted.slots[0].id
