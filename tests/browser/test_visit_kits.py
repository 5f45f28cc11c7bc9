"""Journeys 1 and 5 on a phone: a coordinator plans a visit whose lesson reserves kits, ships them; the
school's host confirms their arrival in Chinese and records what was used; the stock page shows the result."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Role
from kits import stock
from kits.ledger import verify_ledger
from kits.models import VisitKit
from tests.browser.conftest import click_to_page, log_in, log_out, server_state, visit
from tests.conftest import school_date


def test_kits_are_reserved_shipped_confirmed_in_chinese_and_used(
    phone, db_session, now, make_user, make_school, make_kit_type
):
    admin = make_user(Role.ADMIN, email="kits.admin@example.com")
    host = make_user(Role.HOST, email="kits.host@example.com")
    school = make_school(name="Kit Journey Primary", hosts=[host])
    rover = make_kit_type(name="Mars rover kit", students_per_kit=4, consumable=False)
    stock.receive(db_session, kit_type_id=rover.id, quantity=12, party="Star Tech", actor=admin, now=now)
    db_session.commit()

    page = phone("en-US")
    log_in(page, admin.email)
    visit(page, "/visits/new")
    page.get_by_label("School", exact=True).select_option(str(school.id))
    page.get_by_label("Title", exact=True).fill("Rovers at Kit Journey")
    page.get_by_label("Date", exact=True).fill(school_date(21, school.timezone).isoformat())
    page.locator("#starts_at").fill("08:30")
    page.locator("#ends_at").fill("16:00")
    page.locator("#slots-0-role").select_option("lead_instructor")
    page.locator("#slots-0-capacity").fill("1")
    page.locator("#lessons-0-title").fill("Build a Mars rover")
    page.locator("#lessons-0-grade").fill("4")
    page.locator("#lessons-0-starts_at").fill("09:30")
    page.locator("#lessons-0-ends_at").fill("11:00")
    page.locator("#lessons-0-kit_type_id").select_option(str(rover.id))
    page.locator("#lessons-0-students_expected").fill("30")
    assert click_to_page(page, page.get_by_role("button", name="Save").last) == 200
    expect(page.locator("main .lesson-card")).to_contain_text(re.compile(r"Kits reserved\s*8 of 8"))

    assert click_to_page(page, page.locator("main .actions a", has_text="Kits")) == 200
    expect(page.locator("h1")).to_have_text("Kits for Rovers at Kit Journey")
    page.locator(f"#ship{rover.id}-carrier").fill("SF Express")
    page.locator(f"#ship{rover.id}-tracking_number").fill("SF1234567")
    assert click_to_page(page, page.get_by_role("button", name="Ship", exact=True)) == 200
    expect(page.locator(".flashes")).to_contain_text("8 kits shipped.")
    kits_path = page.url
    log_out(page)

    phone_zh = phone("zh-CN")
    log_in(phone_zh, host.email)
    visit(phone_zh, kits_path)
    expect(phone_zh.locator("h1")).to_contain_text("的套件")
    phone_zh.locator(f"#arrival{rover.id}-received").fill("7")
    assert click_to_page(phone_zh, phone_zh.get_by_role("button", name="确认到货")) == 200
    expect(phone_zh.locator("main")).to_contain_text("比发出的少 1 套")
    expect(phone_zh.locator(f"#use{rover.id}-returned")).to_have_value("7")  # reusable kits go back
    phone_zh.locator(f"#use{rover.id}-consumed").fill("1")
    phone_zh.locator(f"#use{rover.id}-returned").fill("6")
    assert click_to_page(phone_zh, phone_zh.locator(f"form[action$='/{rover.id}/use'] button")) == 200
    expect(phone_zh.locator("main")).to_contain_text("仍在学校")

    log_in(page, admin.email)
    visit(page, "/kits/stock")
    expect(page.locator("main table.stock tbody tr", has_text="Mars rover kit")).to_contain_text("10")

    session = server_state()
    journey = session.scalar(select(VisitKit))
    assert (journey.shipped, journey.received, journey.consumed, journey.returned) == (8, 7, 1, 6)
    assert (journey.carrier, journey.tracking_number) == ("SF Express", "SF1234567")
    assert verify_ledger(session).ok
