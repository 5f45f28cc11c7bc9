"""The interface language: Chinese first, English on request, remembered on the account."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import click_to_page, log_in, log_out, open_menu, server_state, visit


def test_page_is_in_chinese_for_a_chinese_browser(page):
    visit(page, "/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    # The switch offers the other language, named in that language.
    expect(page.get_by_role("button", name="English")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("登录")  # "Log in": needs the zh_CN catalogue translated


def test_language_switch_turns_the_page_english_and_the_next_page_stays_english(page):
    visit(page, "/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    click_to_page(page, page.get_by_role("button", name="English"))

    assert page.url.split("?")[0].endswith("/login"), "the switch comes back to the same page"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.get_by_role("button", name="简体中文")).to_have_attribute("lang", "zh-CN")

    click_to_page(page, open_menu(page).get_by_role("link", name="Register"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Register as a volunteer")


def test_language_chosen_while_logged_in_is_remembered_on_the_account(phone, make_user):
    user = make_user(email="language.switch@example.com")
    user_id, email = user.id, user.email
    page = phone()
    log_in(page, email)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    click_to_page(page, page.get_by_role("button", name="English"))
    assert urlsplit(page.url).path == "/"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert server_state().get(User, user_id).locale == "en"

    log_out(page)
    log_in(page, email)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # Another phone, set to Chinese and never switched: the account's choice wins.
    other = phone()
    log_in(other, email)
    expect(other.locator("html")).to_have_attribute("lang", "en")
    expect(open_menu(other).get_by_role("button", name="Log out")).to_be_visible()
