"""Journey 7 on a phone: a donor follows their gift to the classrooms. An admin records a donation with the
donor's email, gives the donor the trail link (and its QR code); the visit's kits are shipped, the host
confirms their arrival and records their use; the donor's trail then names the school, the visit, the
classroom and its students, and the public transparency page lists the gift. No person is named anywhere."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, ngettext
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Role
from kits import stock
from kits.ledger import verify_ledger
from kits.models import Movement, MovementKind
from mail.models import OutboxMessage
from tests.browser.conftest import APP_LOCALES, click_to_page, log_in, log_out, server_state, visit
from tests.browser.conftest import translated as _t
from tests.checkin.svg_qr import decode_svg

DONOR = "星光科技基金会, Star Tech"
DONOR_EMAIL = "gifts@startech.example.org"


def _n(browser_locale: str, singular: str, plural: str, num: int) -> str:
    with force_locale(APP_LOCALES[browser_locale]):
        return ngettext(singular, plural, num)


def _label(browser_locale: str, kind: MovementKind) -> str:
    with force_locale(APP_LOCALES[browser_locale]):
        return str(kind.label)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_donor_follows_their_gift_from_the_hub_to_the_classroom(
    phone, locale, db_session, now, make_user, make_school, make_kit_type, make_visit
):
    admin = make_user(Role.ADMIN, email="trail.admin@example.com", name="王管理 Wang Admin")
    host = make_user(Role.HOST, email="trail.host@example.com", name="李老师 Li Host")
    school = make_school(name="巴普镇中心小学 Bapu Central Primary", hosts=[host])
    rover = make_kit_type(name="Mars rover kit", students_per_kit=4, consumable=False)
    hub = stock.default_hub(db_session)  # the migrations seed it; the tests' schema is made without them
    db_session.commit()

    # The admin records the gift, with the donor's email, on the "record a movement" page.
    page = phone(locale)
    log_in(page, admin.email)
    visit(page, "/kits/movements/new")
    page.locator("input[name=kind][value=received]").check()
    page.locator("#kit_type_id").select_option(str(rover.id))
    page.locator("#hub_id").select_option(str(hub.id))
    page.locator("#quantity").fill("10")
    page.locator("#party").fill(DONOR)
    page.locator("#donor_email").fill(DONOR_EMAIL)
    page.locator("#value").fill("1234.50")
    status = click_to_page(page, page.locator("main form button[type=submit]"))
    assert status == 200, page.locator("main").inner_text()
    gift = server_state().scalar(select(Movement).where(Movement.kind == MovementKind.RECEIVED))
    assert (gift.party, gift.quantity, gift.value_fen) == (DONOR, 10, 123_450)
    expect(page.locator(".flashes")).to_contain_text(
        _t(locale, "Recorded in the ledger as movement %(number)s.", number=gift.id)
    )

    # Its trail page gives the link and a QR code of that same link.
    visit(page, f"/kits/movements/{gift.id}/trail")
    expect(page.locator("main")).to_contain_text(DONOR)
    link = page.locator("main a.hash").get_attribute("href")
    trail_path = urlsplit(link).path
    assert trail_path.startswith("/trail/"), link
    expect(page.locator("main a.hash")).to_have_text(link)
    assert decode_svg(page.locator(".poster-qr").inner_html()) == [link]

    # The donor was mailed the link; the email is kept nowhere else.
    session = server_state()
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == DONOR_EMAIL)).all()
    assert len(mails) == 1 and link in mails[0].body, [m.body for m in mails]
    assert DONOR_EMAIL not in (gift.party or "")

    # The donor, with no account, opens the link and sees the receipt.
    donor = phone(locale)
    visit(donor, trail_path)
    expect(donor.locator("h1")).to_have_text(_t(locale, "Where your kits went"))
    expect(donor.locator("main")).to_contain_text(DONOR)
    expect(donor.locator("main p").first).to_contain_text("1,234.50")
    expect(donor.locator("main")).to_contain_text(
        _n(locale, "%(num)s kit of this gift is still at a hub.", "%(num)s kits of this gift are still at a hub.", 10)
        % {"num": 10}
    )

    # A visit whose lesson (30 students, 4 a kit) reserves 8 of these kits.
    trip = make_visit(school=school, kit_type=rover, title="火星车科学日 Mars rover day", days_ahead=7)
    lesson = trip.lessons[0]
    lesson.classroom = "四年级二班 Class 4-2"
    db_session.commit()

    visit(page, f"/visits/{trip.id}/kits")
    page.locator(f"#ship{rover.id}-carrier").fill("SF Express")
    page.locator(f"#ship{rover.id}-tracking_number").fill("SF7654321")
    assert click_to_page(page, page.locator(f"form[action$='/{rover.id}/ship'] button")) == 200
    log_out(page)

    host_phone = phone(locale)
    log_in(host_phone, host.email)
    visit(host_phone, f"/visits/{trip.id}/kits")
    host_phone.locator(f"#arrival{rover.id}-received").fill("8")
    assert click_to_page(host_phone, host_phone.locator(f"form[action$='/{rover.id}/arrival'] button")) == 200
    host_phone.locator(f"#use{rover.id}-consumed").fill("2")
    host_phone.locator(f"#use{rover.id}-returned").fill("6")
    assert click_to_page(host_phone, host_phone.locator(f"form[action$='/{rover.id}/use'] button")) == 200

    # The donor reloads the trail: the school, the visit, the classroom and its students, what was used.
    visit(donor, trail_path)
    main = donor.locator("main")
    steps = main.locator("ol.cards > li")
    shipped = steps.filter(has=donor.locator("h2", has_text=_label(locale, MovementKind.SHIPPED)))
    expect(shipped.get_by_role("link", name=trip.title)).to_have_attribute("href", f"/visits/{trip.id}")
    expect(shipped).to_contain_text(lesson.classroom)
    expect(shipped).to_contain_text(_t(locale, "Lesson “%(title)s”, grade %(grade)s", title=lesson.title, grade=4))
    expect(shipped).to_contain_text(_n(locale, "%(num)s student", "%(num)s students", 30) % {"num": 30})
    for kind, count in ((MovementKind.SHIPPED, 8), (MovementKind.CONSUMED, 2), (MovementKind.RETURNED, 6)):
        step = steps.filter(has=donor.locator("h2", has_text=_label(locale, kind)))
        expect(step.locator("h2")).to_have_text(
            f"{_label(locale, kind)}: " + _n(locale, "%(num)s kit", "%(num)s kits", count) % {"num": count}
        )
        expect(step).to_contain_text(school.name)
    expect(main).to_contain_text(
        _n(locale, "%(num)s was used up in a lesson.", "%(num)s were used up in lessons.", 2) % {"num": 2}
    )
    expect(main).to_contain_text(
        _n(locale, "%(num)s kit of this gift is still at a hub.", "%(num)s kits of this gift are still at a hub.", 8)
        % {"num": 8}
    )
    trail_text = main.inner_text()

    # The public transparency page lists the gift and the school.
    visit(donor, "/transparency")
    transparency = donor.locator("main")
    expect(transparency.locator("#donations ~ ul h3", has_text=DONOR)).to_have_count(1)
    expect(transparency).to_contain_text(school.name)
    public_text = transparency.inner_text()

    for text in (trail_text, public_text):
        for person in (admin, host):
            assert person.name not in text and person.email not in text
        assert DONOR_EMAIL not in text

    assert verify_ledger(server_state()).ok
