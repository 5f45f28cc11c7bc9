"""Logging in, registering with a join code and moving by keyboard, on a phone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Role, User
from mail.models import OutboxMessage
from tests.browser.conftest import assert_accessible, click_to_page, log_in, open_menu, server_state, visit
from tests.conftest import PASSWORD


def test_login_with_email_and_password_lands_on_the_visits_page(page, make_user):
    user = make_user(email="login.ok@example.com")
    log_in(page, user.email)
    expect(page.locator("h1")).to_have_count(1)
    expect(open_menu(page).locator("form button[type=submit]")).to_be_visible()  # "Log out"


def test_wrong_password_shows_the_error_by_the_form_and_stays_on_the_login_page(phone, make_user):
    user = make_user(email="login.wrong@example.com")
    page = phone("en-US")
    visit(page, "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not-the-password")
    status = click_to_page(page, page.locator("main form").get_by_role("button", name="Log in"))

    assert status == 422
    assert page.url.split("?")[0].endswith("/login")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The email or password is not right.")
    # The message sits right above the form it is about, and the email typed is kept.
    expect(page.locator("main .error-summary + form")).to_have_count(1)
    expect(page.get_by_label("Email")).to_have_value(user.email)
    expect(page.get_by_label("Password")).to_have_value("")


def test_registration_with_a_company_join_code_is_confirmed_from_the_mail_and_logs_in(phone, make_company):
    company = make_company(name="Register OK Company")
    page = phone("en-US")
    visit(page, "/register")
    page.get_by_label("Company join code").fill(company.join_code.lower())
    page.get_by_label("Your name").fill("Liu Yang")
    page.get_by_label("Email").fill("register.ok@example.com")
    page.get_by_label("Mobile phone").fill("13800005678")
    page.get_by_label("Mandarin").check()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    click_to_page(page, page.get_by_role("button", name="Create my account"))

    # No account yet: the address must be confirmed first, from the link mailed to it.
    assert page.url.endswith("/register/sent"), page.url
    expect(page.locator("h1")).to_have_text("Check your email")
    assert server_state().scalar(select(User).where(User.email == "register.ok@example.com")) is None
    body = server_state().scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "register.ok@example.com"))
    visit(page, re.search(r"http://scivisit\.test(/register/confirm/\S+)", body).group(1))
    expect(page.locator("h1")).to_have_text("Confirm your registration")
    click_to_page(page, page.locator("main").get_by_role("button", name="Create my account"))

    assert urlsplit(page.url).path == "/", page.url
    expect(page.locator(".flashes")).to_contain_text("Liu Yang")
    expect(open_menu(page).get_by_role("button", name="Log out")).to_be_visible()
    user = server_state().scalar(select(User).where(User.email == "register.ok@example.com"))
    assert user is not None
    assert user.company_id == company.id
    assert user.roles == {Role.VOLUNTEER}
    assert user.languages == ["mandarin"]


def test_wrong_join_code_shows_the_error_by_the_join_code_and_keeps_the_input(phone, make_company):
    make_company(name="Register Wrong Company")
    page = phone("en-US")
    visit(page, "/register")
    page.get_by_label("Company join code").fill("NOSUCHCODE")
    page.get_by_label("Your name").fill("Chen Jing")
    page.get_by_label("Email").fill("register.wrong@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    status = click_to_page(page, page.get_by_role("button", name="Create my account"))

    assert status == 422
    assert page.url.split("?")[0].endswith("/register")
    join_code = page.get_by_label("Company join code")
    expect(join_code).to_have_value("NOSUCHCODE")
    expect(join_code).to_have_attribute("aria-invalid", "true")
    error = page.locator("#join_code-error")
    expect(error).to_have_text("This join code is not valid. Ask your company coordinator.")
    # Next to the field: in the same field block, and announced with it.
    expect(page.locator(".field.has-error").filter(has=join_code).locator("#join_code-error")).to_be_visible()
    assert "join_code-error" in (join_code.get_attribute("aria-describedby") or "").split()
    expect(page.get_by_label("Your name")).to_have_value("Chen Jing")
    expect(page.get_by_label("Email")).to_have_value("register.wrong@example.com")
    assert server_state().scalar(select(User).where(User.email == "register.wrong@example.com")) is None


def test_skip_link_is_the_first_thing_focused_and_moves_focus_to_main(page):
    visit(page, "/login")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is off screen: {box}"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    assert_accessible(page)
