"""What a volunteer needs on the day, and why a role is not open to them, said on the page before they tap.

"On the day" (the school's address with map links, meeting point, travel and signal notes, the day's contact,
what to bring, their role's description) is for volunteers with a place, the school's hosts and programme
coordinators. Each role shows the signup button or the reason the signup would be refused: the page asks
the service's own checks (volunteers.signups.signup_hurdle), so the two give one answer.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask_babel import force_locale, gettext

from accounts.models import Role, TrainingStatus
from core.errors import DomainError
from core.formatting import localtime, timerange, zone_name
from events.models import SlotRole
from mail.models import OutboxMessage
from tests.conftest import PASSWORD
from volunteers import notices, signups
from volunteers.models import Signup, SignupStatus

LOCALES = {"en": "en", "zh-CN": "zh_CN"}
LEAD_PHONE = "139 0000 0001"
ADDRESS = "解放路 12 号"
TRAVEL = "西昌出发约 4 小时山路。From Xichang about 4 hours on mountain roads."
SIGNAL = "操场有信号。Signal on the playground only."
MEETING = "县城汽车站 7:00 Meet at the county bus station"
BRING = "身份证、雨衣\nYour ID card and a raincoat"
DRIVER_TEXT = "驾驶七座车。Drive the seven-seat van; bring your licence."


def text_of(html: str) -> str:
    """The words as a person reads them: tags gone, spaces joined, entities decoded."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def section(html: str) -> str | None:
    """The "On the day" section of a visit page, as HTML, or None."""
    match = re.search(r'<section class="day-of".*?</section>', html, re.S)
    return match.group(0) if match else None


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def in_language(client, header: str) -> str:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = header
    return LOCALES[header]


@pytest.fixture
def day_visit(db_session, make_school, make_visit, make_user, sign):
    """A visit with everything "On the day" shows, a lead instructor with a place, and a driver's own description."""
    school = make_school(address=ADDRESS, township="巴普镇", travel_notes=TRAVEL, connectivity_notes=SIGNAL)
    visit = make_visit(
        school=school,
        roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER),
        capacity=2,
        meeting_point=MEETING,
        what_to_bring=BRING,
    )
    visit.slots[1].description = DRIVER_TEXT
    db_session.commit()
    lead = make_user(name="Lin Lead", phone=LEAD_PHONE)
    sign(visit.slots[0], lead)
    return visit, lead


# ---------------------------------------------------------------- on the day


@pytest.mark.parametrize("header", LOCALES)
def test_a_confirmed_volunteer_sees_the_address_with_map_links_notes_the_days_contact_and_what_to_bring(
    client, login, app, make_user, sign, day_visit, header
):
    visit, _lead = day_visit
    driver = make_user(name="Dora Driver")
    sign(visit.slots[1], driver)
    login(driver)
    locale = in_language(client, header)
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    part = section(html)
    assert part is not None, "no On the day section"
    shown = text_of(part)
    school = visit.school
    with force_locale(locale):
        for label in ("On the day", "Address", "Meeting point", "How to get there", "Mobile signal and Wi-Fi"):
            assert gettext(label) in shown, label
        assert gettext("What to bring") in shown and gettext("Your role") in shown
        assert gettext("%(name)s, lead instructor", name="Lin Lead") in shown
        assert gettext("Programme office: %(contact)s", contact=app.config["PROGRAMME_CONTACT"]) in shown
        assert gettext("Open the map in Amap") in shown
        assert gettext("Open in the phone's map app") in shown
        assert str(SlotRole.DRIVER.label) in shown
    for fact in (school.name, school.region, ADDRESS, MEETING, TRAVEL, SIGNAL, DRIVER_TEXT, LEAD_PHONE):
        assert fact in shown, fact
    assert words(BRING) in shown
    # The links: an Amap search any phone in China opens, a geo: URI for the phone's own map app, a tap to call.
    assert f'href="{school.amap_url.replace("&", "&amp;")}"' in part
    assert school.amap_url.startswith("https://uri.amap.com/search?keyword=")
    assert f'href="{school.geo_uri}"' in part
    assert 'href="tel:13900000001"' in part


def test_the_lead_instructor_is_not_given_their_own_number_but_the_programme_office(client, login, app, day_visit):
    visit, lead = day_visit
    login(lead)
    shown = text_of(section(client.get(f"/visits/{visit.id}").get_data(as_text=True)))
    assert "lead instructor" not in shown.replace("Lead instructor", "")
    assert f"Programme office: {app.config['PROGRAMME_CONTACT']}" in shown
    assert "Leads the lessons and the team on the day." in shown  # the role's usual text, as none was written


def test_a_lead_instructor_on_the_waitlist_is_not_the_days_contact(client, login, make_visit, make_user, sign):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT), capacity=1)
    sign(visit.slots[0], make_user(name="Placed Lead", phone="13600000000"))
    assert sign(visit.slots[0], make_user(phone="13700000000")).status == SignupStatus.WAITLISTED
    assistant = make_user()
    sign(visit.slots[1], assistant)
    login(assistant)
    shown = text_of(section(client.get(f"/visits/{visit.id}").get_data(as_text=True)))
    assert "Placed Lead, lead instructor: 13600000000" in shown
    assert "13700000000" not in shown


def test_without_a_lead_instructor_the_days_contact_is_the_programme_office(
    client, login, app, make_visit, make_user, sign
):
    visit = make_visit(roles=(SlotRole.ASSISTANT,))
    assistant = make_user()
    sign(visit.slots[0], assistant)
    login(assistant)
    shown = text_of(section(client.get(f"/visits/{visit.id}").get_data(as_text=True)))
    contact = shown[shown.index("Contact on the day") :]
    assert contact.startswith(f"Contact on the day Programme office: {app.config['PROGRAMME_CONTACT']}")


def test_people_without_a_place_see_neither_on_the_day_nor_the_leads_phone(app, db_session, make_user, sign, day_visit):
    visit, _lead = day_visit
    visit.slots[1].capacity = 1
    db_session.commit()
    sign(visit.slots[1], make_user())
    waiting = make_user()
    assert sign(visit.slots[1], waiting).status == SignupStatus.WAITLISTED
    for person in (None, waiting, make_user(), make_user(Role.COORDINATOR)):
        reader = app.test_client()
        reader.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        if person is not None:
            assert reader.post("/login", data={"email": person.email, "password": PASSWORD}).status_code == 302
        html = reader.get(f"/visits/{visit.id}").get_data(as_text=True)
        assert section(html) is None, person
        for private in (LEAD_PHONE, "13900000001", ADDRESS, TRAVEL, "uri.amap.com", "geo:"):
            assert private not in html, (person, private)


@pytest.mark.parametrize("who", ["host", "admin"])
def test_the_schools_hosts_and_programme_coordinators_see_on_the_day_with_the_leads_phone(
    client, login, db_session, make_user, day_visit, who
):
    visit, _lead = day_visit
    person = make_user(Role.ADMIN) if who == "admin" else make_user(Role.HOST)
    if who == "host":
        visit.school.hosts.append(person)
        db_session.commit()
    login(person)
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    shown = text_of(section(html))
    assert LEAD_PHONE in shown and TRAVEL in shown and ADDRESS in shown
    assert "Your role" not in shown
    # the notes are said once: no second copy in the coordinators' part of the page
    assert text_of(html).count(TRAVEL) == 1


def test_a_volunteer_scanned_in_keeps_on_the_day(client, login, db_session, make_user, sign, day_visit):
    visit, _lead = day_visit
    driver = make_user()
    signup = sign(visit.slots[1], driver)
    signup.status = SignupStatus.ATTENDED
    db_session.commit()
    login(driver)
    assert section(client.get(f"/visits/{visit.id}").get_data(as_text=True)) is not None


# ---------------------------------------------------------------- before the tap


def slot_card(html: str, slot) -> str:
    """The HTML of the slot's card on the visit page (the cards follow the visit's slots)."""
    cards = re.findall(r'<li class="card slot-card">.*?</li>', html, re.S)
    assert len(cards) == len(slot.visit.slots)
    return cards[slot.visit.slots.index(slot)]


def signups_of(db_session, person):
    return db_session.query(Signup).filter_by(user_id=person.id).all()


def signup_form(visit, slot) -> str:
    return f'action="/visits/{visit.id}/slots/{slot.id}/signup"'


def _training(now, visit, person, make_visit, sign):
    visit.slots[0].requires_training = True
    return "requirement_missing", lambda contact: [
        gettext(
            "This role needs the volunteer training. Ask your company coordinator or the programme office"
            " (%(contact)s) to book it.",
            contact=contact,
        )
    ]


def _language(now, visit, person, make_visit, sign):
    visit.slots[0].required_language = "yi"
    return "requirement_missing", lambda contact: [
        gettext(
            "This role needs someone who speaks %(language)s. If you do, add it to the languages in your profile.",
            language=gettext("Yi (Nuosu)"),
        )
    ]


def _not_yet_open(now, visit, person, make_visit, sign):
    opens = now + timedelta(days=2)
    visit.signup_opens_at = opens
    tz = visit.school.timezone
    return "signup_closed", lambda contact: [gettext("Signup opens %(time)s.", time=localtime(opens, tz))]


def _closed(now, visit, person, make_visit, sign):
    visit.signup_closes_at = now - timedelta(hours=1)
    return "signup_closed", lambda contact: [gettext("Signup for this visit has closed.")]


def _conflict(now, visit, person, make_visit, sign):
    other = make_visit(title="Kite day", starts_at=visit.starts_at, ends_at=visit.ends_at)
    sign(other.slots[0], person)
    return "time_conflict", lambda contact: [
        gettext("You are already signed up for another visit at the same time:"),
        f"Kite day ({timerange(other.starts_at, other.ends_at, other.school.timezone)})",
        gettext("To come to this one instead, cancel that signup first."),
    ]


CAUSES = {
    "needs training": _training,
    "needs a language": _language,
    "signup not yet open": _not_yet_open,
    "signup closed": _closed,
    "time conflict": _conflict,
}


@pytest.mark.parametrize("header", LOCALES)
@pytest.mark.parametrize("cause", CAUSES)
def test_a_role_not_open_to_the_volunteer_says_why_and_what_to_do_instead_of_a_button(
    client, login, app, db_session, now, make_visit, make_user, sign, cause, header
):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR,))
    person = make_user()
    code, expected = CAUSES[cause](now, visit, person, make_visit, sign)
    db_session.commit()
    login(person)
    locale = in_language(client, header)
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    card = slot_card(html, visit.slots[0])
    assert signup_form(visit, visit.slots[0]) not in card
    shown = text_of(card)
    with force_locale(locale):
        for sentence in expected(app.config["PROGRAMME_CONTACT"]):
            assert words(sentence) in shown, sentence
    if cause == "time conflict":
        [other] = [s.visit for s in signups_of(db_session, person)]
        assert f'<a href="/visits/{other.id}">Kite day</a>' in card
    # The tap the page holds back would have been refused for the same reason.
    assert signups.signup_hurdle(db_session, visit.slots[0], person, now).code == code
    with pytest.raises(DomainError) as refused:
        signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=person, now=now)
    assert refused.value.code == code
    db_session.rollback()


@pytest.mark.parametrize("header", LOCALES)
def test_a_full_role_offers_the_waitlist_and_says_so(client, login, make_visit, make_user, sign, header):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT), capacity=1)
    sign(visit.slots[0], make_user())
    login(make_user())
    locale = in_language(client, header)
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    full, open_ = slot_card(html, visit.slots[0]), slot_card(html, visit.slots[1])
    with force_locale(locale):
        waitlist = gettext("All places are taken: you can join the waitlist, and we email you if a place frees up.")
        assert waitlist in text_of(full)
        assert gettext("Join the waitlist for %(role)s", role=SlotRole.LEAD_INSTRUCTOR.label) in text_of(full)
        assert waitlist not in text_of(open_)
    assert signup_form(visit, visit.slots[0]) in full and signup_form(visit, visit.slots[1]) in open_


@pytest.mark.parametrize("header", LOCALES)
def test_an_account_that_does_not_volunteer_is_told_once_how_to_and_gets_no_buttons(
    client, login, app, make_visit, make_user, header
):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT))
    login(make_user(Role.HOST))
    locale = in_language(client, header)
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    with force_locale(locale):
        told = gettext(
            "Only volunteer accounts sign up for roles. To volunteer yourself, ask the programme office"
            " (%(contact)s) to add the volunteer role to your account.",
            contact=app.config["PROGRAMME_CONTACT"],
        )
    assert text_of(html).count(told) == 1
    assert "/signup" not in html


def test_programme_coordinators_are_not_told_to_volunteer(client, login, make_visit, make_user):
    visit = make_visit()
    login(make_user(Role.ADMIN))
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Only volunteer accounts" not in html
    assert signup_form(visit, visit.slots[0]) not in html


def test_a_volunteer_who_meets_every_rule_gets_the_button_and_no_reason(
    client, login, db_session, make_visit, make_user
):
    visit = make_visit(roles=(SlotRole.INTERPRETER,))
    visit.slots[0].requires_training = True
    visit.slots[0].required_language = "yi"
    db_session.commit()
    person = make_user(languages=["yi"])
    person.training_status = TrainingStatus.COMPLETED
    db_session.commit()
    login(person)
    card = slot_card(client.get(f"/visits/{visit.id}").get_data(as_text=True), visit.slots[0])
    assert signup_form(visit, visit.slots[0]) in card
    assert 'class="notice hurdle"' not in card


# ---------------------------------------------------------------- my visits


@pytest.mark.parametrize("header", LOCALES)
def test_my_visits_cards_show_the_time_at_the_schools_zone_and_the_meeting_point(
    client, login, make_school, make_visit, make_user, sign, header
):
    visit = make_visit(school=make_school(timezone="Asia/Urumqi"), meeting_point=MEETING)
    without = make_visit(title="Kite day", days_ahead=20)
    volunteer = make_user()
    sign(visit.slots[0], volunteer)
    sign(without.slots[0], volunteer)
    login(volunteer)
    locale = in_language(client, header)
    html = client.get("/my/visits").get_data(as_text=True)
    cards = re.findall(r'<li class="card">.*?</li>', html, re.S)
    assert len(cards) == 2
    first, second = (text_of(card) for card in cards)
    with force_locale(locale):
        # the visit's times end with its zone, named in the page's language
        assert gettext("%(when)s (%(zone)s)", when="", zone=zone_name("Asia/Urumqi")) in first
        assert gettext("%(when)s (%(zone)s)", when="", zone=zone_name("Asia/Shanghai")) in second
        assert f"{gettext('Meeting point')} {MEETING}" in first
        assert gettext("Meeting point") not in second  # none was given
    assert "Asia/" not in first + second


# ---------------------------------------------------------------- mail


def outbox_body(db_session, person, template: str) -> str:
    [message] = db_session.query(OutboxMessage).filter_by(recipient=person.email, template=template).all()
    return message.body


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_confirmation_and_the_reminder_carry_the_meeting_point_what_to_bring_the_role_and_the_map(
    db_session, day_visit, make_user, sign, locale
):
    visit, _lead = day_visit
    driver = make_user(locale=locale)
    sign(visit.slots[1], driver)
    notices.send_reminders(db_session, visit.starts_at - timedelta(hours=2))
    db_session.commit()
    school = visit.school
    for template in ("signup_confirmed", "signup_reminder"):
        body = outbox_body(db_session, driver, template)
        with force_locale(locale):
            assert gettext("Meeting point: %(place)s", place=MEETING) in body
            assert gettext("What to bring: %(things)s", things=BRING) in body
            assert gettext("What the role does and brings: %(description)s", description=DRIVER_TEXT) in body
            assert gettext("Address: %(address)s", address=school.map_query) in body
            assert gettext("Map (Amap): %(link)s", link=school.amap_url) in body
        # the link ends its line, so mail apps that turn it into a link take all of it and nothing more
        assert ADDRESS in body and f"{school.amap_url}\n" in body


def test_the_waitlist_mail_leaves_out_what_only_the_team_needs(db_session, day_visit, make_user, sign):
    visit, _lead = day_visit
    visit.slots[1].capacity = 1
    db_session.commit()
    sign(visit.slots[1], make_user())
    waiting = make_user(locale="en")
    sign(visit.slots[1], waiting)
    body = outbox_body(db_session, waiting, "signup_waitlisted")
    assert "uri.amap.com" not in body and ADDRESS not in body and DRIVER_TEXT not in body
    assert f"Meeting point: {MEETING}" in body
