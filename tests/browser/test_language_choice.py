"""An account holds a language only when its person chose one: until then every phone shows its own
language; a choice in the profile holds on every phone, and "Same as my phone/browser" undoes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import assert_accessible, click_to_page, log_in, server_state, visit

#: the phone's language -> <html lang>, the profile's heading, its Save button, the other language
PHONES = {
    "zh-CN": {"lang": "zh-CN", "profile": "个人资料", "save": "保存", "other": ("en", "en")},
    "en-US": {"lang": "en", "profile": "My profile", "save": "Save", "other": ("zh_CN", "zh-CN")},
}
NARROW = {"width": 320, "height": 568}  # what 200 % zoom leaves of a 640 px wide screen


def test_a_person_who_never_chose_reads_each_phone_in_its_own_language(phone, make_user):
    user = make_user(email="never.chose@example.com")
    english, chinese = phone("en-US"), phone("zh-CN")
    log_in(english, user.email)
    log_in(chinese, user.email)
    expect(english.locator("html")).to_have_attribute("lang", "en")
    expect(chinese.locator("html")).to_have_attribute("lang", "zh-CN")

    visit(english, "/profile")  # after the other phone logged in: still English here
    expect(english.locator("html")).to_have_attribute("lang", "en")
    expect(english.get_by_label("Language of SciVisit")).to_have_value("")
    expect(english.locator("#locale option:checked")).to_have_text("Same as my phone/browser")
    assert server_state().get(User, user.id).locale is None


@pytest.mark.parametrize("locale", list(PHONES))
def test_a_language_chosen_in_the_profile_holds_on_every_phone_until_same_as_my_phone_is_chosen(
    phone, make_user, locale
):
    reads = PHONES[locale]
    code, other_lang = reads["other"]
    user = make_user(email=f"chooser.{locale.lower()}@example.com", name="Lin Chooser")
    page = phone(locale)
    log_in(page, user.email)
    visit(page, "/profile")
    expect(page.locator("h1")).to_have_text(reads["profile"])
    select = page.locator("#locale")
    expect(select).to_have_value("")
    page.set_viewport_size(NARROW)
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})

    select.select_option(code)
    click_to_page(page, page.locator("main form button[type=submit]", has_text=reads["save"]))
    expect(page.locator("html")).to_have_attribute("lang", other_lang)
    expect(page.locator("#locale")).to_have_value(code)
    assert server_state().get(User, user.id).locale == code

    second = phone(locale)  # another phone in the first language, its switch never touched
    log_in(second, user.email)
    expect(second.locator("html")).to_have_attribute("lang", other_lang)

    page.locator("#locale").select_option("")
    click_to_page(page, page.locator("main form.stack button[type=submit]"))
    expect(page.locator("html")).to_have_attribute("lang", reads["lang"])
    expect(page.locator("#locale")).to_have_value("")
    assert server_state().get(User, user.id).locale is None
    visit(second, "/profile")
    expect(second.locator("html")).to_have_attribute("lang", reads["lang"])
