"""Journeys 1 and 5 on a phone, in both languages for each role: a coordinator plans a visit whose lesson needs
more kits than there are, sees the shortfall before publishing and publishes with a reason, ships what was
reserved; the school's host confirms what arrived and records what was used; the stock page shows the result."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Role
from events.models import Visit, VisitStatus
from kits import stock
from kits.ledger import verify_ledger
from kits.models import VisitKit
from tests.browser.conftest import (
    click_to_page,
    log_in,
    log_out,
    server_state,
    translated,
    translated_plural,
    visit,
)
from tests.conftest import school_date

REASON = "The school lends three rovers of its own."


@pytest.mark.parametrize(("planner", "host_language"), [("en-US", "zh-CN"), ("zh-CN", "en-US")])
def test_kits_are_short_before_publishing_then_shipped_confirmed_and_used(
    phone, db_session, now, make_user, make_school, make_kit_type, planner, host_language
):
    admin = make_user(Role.ADMIN, email="kits.admin@example.com")
    host = make_user(Role.HOST, email="kits.host@example.com")
    school = make_school(name="Kit Journey Primary", hosts=[host])
    rover = make_kit_type(name="Mars rover kit", students_per_kit=4, consumable=False)
    stock.receive(db_session, kit_type_id=rover.id, quantity=12, party="Star Tech", actor=admin, now=now)
    db_session.commit()

    def _(msgid, **values):
        return translated(planner, msgid, **values)

    page = phone(planner)
    log_in(page, admin.email)
    visit(page, "/visits/new")
    page.get_by_label(_("School"), exact=True).select_option(str(school.id))
    page.get_by_label(_("Title"), exact=True).fill("Rovers at Kit Journey")
    page.get_by_label(_("Date"), exact=True).fill(school_date(21, school.timezone).isoformat())
    page.locator("#starts_at").fill("08:30")
    page.locator("#ends_at").fill("16:00")
    page.locator("#slots-0-role").select_option("lead_instructor")
    page.locator("#slots-0-capacity").fill("1")
    page.locator("#lessons-0-title").fill("Build a Mars rover")
    page.locator("#lessons-0-grade").fill("4")
    page.locator("#lessons-0-starts_at").fill("09:30")
    page.locator("#lessons-0-ends_at").fill("11:00")
    page.locator("#lessons-0-kit_type_id").select_option(str(rover.id))
    page.locator("#lessons-0-students_expected").fill("60")  # 15 kits of 4, and there are 12
    assert click_to_page(page, page.get_by_role("button", name=_("Save")).last) == 200

    # Journey 1: the shortfall is shown on the lesson and on the visit before anyone publishes it.
    held = re.escape(_("Kits reserved")) + r"\s*" + re.escape(_("%(reserved)s of %(needed)s", reserved=12, needed=15))
    expect(page.locator("main .lesson-card")).to_contain_text(re.compile(held))
    expect(page.locator("main .lesson-card .kit-shortfall")).to_have_text(
        translated_plural(planner, "%(num)s kit short", "%(num)s kits short", 3)
    )
    short = translated_plural(planner, "The lessons are %(num)s kit short.", "The lessons are %(num)s kits short.", 3)
    expect(page.locator("#kit-shortfall")).to_contain_text(short)

    assert click_to_page(page, page.locator("main .actions a", has_text=_("Publish"))) == 200
    expect(page.locator("h1")).to_have_text(_("Publish %(title)s", title="Rovers at Kit Journey"))
    expect(page.locator("#kit-shortfall")).to_have_text(short)
    # without a reason the form comes back, saying what is missing
    assert click_to_page(page, page.get_by_role("button", name=_("Publish anyway"))) == 422
    expect(page.locator("main")).to_contain_text(_("Say why the visit can go ahead without these kits."))
    assert server_state().scalar(select(Visit.status)) == VisitStatus.DRAFT

    page.get_by_label(_("Why publish although kits are short")).fill(REASON)
    assert click_to_page(page, page.get_by_role("button", name=_("Publish anyway"))) == 200
    expect(page.locator(".flashes")).to_contain_text(
        _("The visit is published. The kit shortfall and your reason are recorded.")
    )
    expect(page.locator("main")).to_contain_text(
        _("Published although kits were short, because: %(reason)s", reason=REASON)
    )

    # Journey 5: the reserved kits are shipped ...
    assert click_to_page(page, page.locator("main .actions a", has_text=_("Kits"))) == 200
    expect(page.locator("h1")).to_have_text(_("Kits for %(title)s", title="Rovers at Kit Journey"))
    page.locator(f"#ship{rover.id}-carrier").fill("SF Express")
    page.locator(f"#ship{rover.id}-tracking_number").fill("SF1234567")
    assert click_to_page(page, page.get_by_role("button", name=_("Ship"), exact=True)) == 200
    expect(page.locator(".flashes")).to_contain_text(
        translated_plural(planner, "%(num)s kit shipped.", "%(num)s kits shipped.", 12)
    )
    kits_path = page.url
    log_out(page)

    # ... the host counts what arrived, and after the lesson records what was used and what goes back.
    school_phone = phone(host_language)
    log_in(school_phone, host.email)
    visit(school_phone, kits_path)
    expect(school_phone.locator("h1")).to_have_text(
        translated(host_language, "Kits for %(title)s", title="Rovers at Kit Journey")
    )
    school_phone.locator(f"#arrival{rover.id}-received").fill("11")
    arrived = school_phone.get_by_role("button", name=translated(host_language, "Confirm arrival"))
    assert click_to_page(school_phone, arrived) == 200
    expect(school_phone.locator("main")).to_contain_text(
        translated(host_language, "(%(count)s fewer than shipped)", count=1)
    )
    expect(school_phone.locator(f"#use{rover.id}-returned")).to_have_value("11")  # reusable kits go back
    school_phone.locator(f"#use{rover.id}-consumed").fill("1")
    school_phone.locator(f"#use{rover.id}-returned").fill("10")
    assert click_to_page(school_phone, school_phone.locator(f"form[action$='/{rover.id}/use'] button")) == 200
    expect(school_phone.locator("main")).to_contain_text(translated(host_language, "Still at the school"))

    log_in(page, admin.email)
    visit(page, "/kits/stock")
    expect(page.locator("main table.stock tbody tr", has_text="Mars rover kit")).to_contain_text("10")

    session = server_state()
    journey = session.scalar(select(VisitKit))
    assert (journey.shipped, journey.received, journey.consumed, journey.returned) == (12, 11, 1, 10)
    assert (journey.carrier, journey.tracking_number) == ("SF Express", "SF1234567")
    assert session.scalar(select(Visit.kits_override_reason)) == REASON
    assert session.scalar(select(Visit.status)) == VisitStatus.PUBLISHED
    assert verify_ledger(session).ok
