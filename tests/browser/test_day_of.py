"""On a phone, a confirmed volunteer's visit page says what they need on the day, with map links that work
in China; and a role not open to a volunteer says why before they tap. Both languages, axe clean at 390
and 320 px wide."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from playwright.sync_api import expect

from events.models import SlotRole
from tests.browser.conftest import assert_accessible, log_in, visit
from tests.browser.conftest import translated as _t
from volunteers import signups

NARROW = {"width": 320, "height": 568}


def _sign(db_session, slot, user, now):
    signup, _created = signups.sign_up(db_session, slot_id=slot.id, volunteer=user, now=now)
    db_session.commit()
    return signup


@pytest.mark.parametrize("locale", ["zh-CN"])  # each journey in one language: test_all_pages reads every page in both
def test_a_confirmed_volunteer_reads_on_the_day_with_map_links_on_a_phone(
    phone, locale, db_session, now, make_school, make_visit, make_user
):
    school = make_school(
        name="巴普镇中心小学 Bapu Central Primary School",
        township="巴普镇",
        address="美姑县巴普镇解放路 12 号",
        travel_notes="西昌出发约 4 小时山路。From Xichang about 4 hours on mountain roads.",
        connectivity_notes="操场有信号。Signal on the playground only.",
    )
    rover = make_visit(
        school=school,
        roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER),
        capacity=2,
        meeting_point="县城汽车站 7:00 集合 Meet at the county bus station at 7:00",
        what_to_bring="身份证、水杯、雨衣\nYour ID card, a water bottle and a raincoat",
    )
    _sign(db_session, rover.slots[0], make_user(name="林老师 Lin Lead", phone="139 0000 0001"), now)
    driver = make_user(name="Dora Driver", email=f"driver.{locale.lower()}@example.com")
    _sign(db_session, rover.slots[1], driver, now)
    page = phone(locale)
    log_in(page, driver.email)

    visit(page, f"/visits/{rover.id}")
    day_of = page.locator("main section.day-of")
    expect(day_of.get_by_role("heading", name=_t(locale, "On the day"))).to_be_visible()
    expect(day_of).to_contain_text("美姑县巴普镇解放路 12 号")
    expect(day_of).to_contain_text("Meet at the county bus station at 7:00")
    expect(day_of).to_contain_text("From Xichang about 4 hours")
    expect(day_of).to_contain_text("Signal on the playground only.")
    expect(day_of).to_contain_text("Your ID card, a water bottle and a raincoat")
    expect(day_of).to_contain_text(_t(locale, "%(name)s, lead instructor", name="林老师 Lin Lead"))
    expect(day_of).to_contain_text(str(_t(locale, "Driver")))

    amap = day_of.get_by_role("link", name=_t(locale, "Open the map in Amap"))
    expect(amap).to_be_visible()
    href = urlsplit(amap.get_attribute("href"))
    assert (href.scheme, href.netloc, href.path) == ("https", "uri.amap.com", "/search")
    assert parse_qs(href.query)["keyword"] == [school.map_query]
    assert "美姑县巴普镇解放路 12 号" in school.map_query

    geo = day_of.get_by_role("link", name=_t(locale, "Open in the phone's map app")).get_attribute("href")
    assert geo.startswith("geo:0,0?q=") and unquote(geo.removeprefix("geo:0,0?q=")) == school.map_query
    assert day_of.get_by_role("link", name="139 0000 0001").get_attribute("href") == "tel:13900000001"
    # Big enough to tap: each map link is its own line-tall box.
    box = amap.bounding_box()
    assert box is not None and box["height"] >= 24

    page.set_viewport_size(NARROW)
    assert_accessible(page)


@pytest.mark.parametrize("locale", ["en-US"])  # each journey in one language: test_all_pages reads every page in both
def test_a_role_needing_training_says_how_to_get_it_instead_of_a_button(
    phone, app, locale, db_session, make_visit, make_user
):
    rover = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT))
    rover.slots[0].requires_training = True
    db_session.commit()
    person = make_user(email=f"untrained.{locale.lower()}@example.com")
    page = phone(locale)
    log_in(page, person.email)

    visit(page, f"/visits/{rover.id}")
    lead, assistant = page.locator("main .slot-card").all()
    reason = _t(
        locale,
        "This role needs the volunteer training. Ask your company coordinator or the programme office"
        " (%(contact)s) to book it.",
        contact=app.config["PROGRAMME_CONTACT"],
    )
    expect(lead).to_contain_text(reason)
    expect(lead.get_by_role("button")).to_have_count(0)
    expect(assistant.get_by_role("button")).to_have_count(1)
    page.set_viewport_size(NARROW)
    assert_accessible(page)
