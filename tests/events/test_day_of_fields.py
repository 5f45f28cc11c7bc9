"""What a volunteer needs on the day, as a visit stores it: what to bring, a description per role, a map link."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from flask_babel import force_locale
from sqlalchemy import select

from events.models import ROLE_DESCRIPTIONS, RoleSlot, SlotRole, Visit
from events.services import SlotData, create_visit, update_visit, visit_data
from extensions import db
from tests.events.conftest import visit_data as data_for
from tests.events.conftest import visit_form

BRING = "身份证、水杯、雨衣\nYour ID card, a water bottle, a raincoat"
DRIVER_TEXT = "驾驶七座车往返县城。\nDrive the seven-seat van; bring your licence."


def reread(visit_id: int) -> Visit:
    db.session.expire_all()
    return db.session.get(Visit, visit_id)


def test_a_visit_keeps_what_to_bring_and_each_roles_description_through_create_and_update(db_session, now, make_school):
    data = data_for(
        make_school(),
        what_to_bring=BRING,
        slots=[
            SlotData(role=SlotRole.DRIVER, capacity=2, description=DRIVER_TEXT),
            SlotData(role=SlotRole.ASSISTANT, capacity=3),
        ],
    )
    visit = create_visit(db_session, data, now=now)
    db_session.commit()

    saved = reread(visit.id)
    assert saved.what_to_bring == BRING
    driver, assistant = saved.slots
    assert (driver.description, assistant.description) == (DRIVER_TEXT, "")
    again = visit_data(saved)
    assert again.what_to_bring == BRING
    assert [slot.description for slot in again.slots] == [DRIVER_TEXT, ""]

    again.what_to_bring = ""
    again.slots[1].description = "Help the groups"
    update_visit(db_session, saved, again, now=now)
    db_session.commit()
    saved = reread(visit.id)
    assert saved.what_to_bring == ""
    assert [slot.description for slot in saved.slots] == [DRIVER_TEXT, "Help the groups"]


def test_a_slot_without_a_description_shows_the_usual_text_of_its_role(db_session, now, make_school):
    visit = create_visit(
        db_session,
        data_for(make_school(), slots=[SlotData(role=role, capacity=1) for role in SlotRole]),
        now=now,
    )
    with force_locale("en"):
        shown = {slot.role: slot.description_shown for slot in visit.slots}
    assert shown["lead_instructor"].startswith("Leads the lessons")
    assert shown["driver"].startswith("Drives the team")
    assert all(shown.values()) and len(set(shown.values())) == len(SlotRole)
    visit.slots[0].description = "Our own words"
    assert visit.slots[0].description_shown == "Our own words"


def test_the_form_saves_what_to_bring_and_a_roles_description_and_shows_them_again(client, login, admin, make_school):
    school = make_school()
    login(admin)
    response = client.post(
        "/visits/new",
        data=visit_form(
            school,
            what_to_bring="  " + BRING + "  ",
            slots=[
                {"role": "driver", "capacity": 2, "description": DRIVER_TEXT},
                {"role": "assistant", "capacity": 3, "description": "   "},
            ],
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    visit = db.session.scalars(select(Visit)).one()
    assert visit.what_to_bring == BRING
    assert [slot.description for slot in visit.slots] == [DRIVER_TEXT, ""]

    html = client.get(f"/visits/{visit.id}/edit").get_data(as_text=True)
    assert 'name="what_to_bring"' in html and "Your ID card, a water bottle, a raincoat</textarea>" in html
    assert 'name="slots-0-description"' in html and "bring your licence.</textarea>" in html
    # The row's hint says an empty description shows the role's usual text, and the field points at it.
    assert 'aria-describedby="slots-1-description-hint"' in html
    assert "Leave empty for the usual text for the role." in html

    shown = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "bring your licence." in shown
    with force_locale("en"):
        assert str(ROLE_DESCRIPTIONS[SlotRole.ASSISTANT]) in shown


def test_the_form_refuses_a_description_longer_than_2000_characters(client, login, admin, make_school):
    login(admin)
    response = client.post(
        "/visits/new",
        data=visit_form(make_school(), slots=[{"role": "driver", "capacity": 2, "description": "x" * 2001}]),
    )
    assert response.status_code == 422
    assert 'id="slots-0-description-error"' in response.get_data(as_text=True)
    assert db.session.scalars(select(RoleSlot)).first() is None


def test_a_schools_map_links_search_for_its_region_and_address(make_school):
    school = make_school(
        name="巴普镇中心小学",
        province="四川省",
        prefecture="凉山彝族自治州",
        county="美姑县",
        township="巴普镇",
        address="解放路 12 号",
    )
    amap = urlsplit(school.amap_url)
    assert (amap.scheme, amap.netloc, amap.path) == ("https", "uri.amap.com", "/search")
    query = parse_qs(amap.query)
    assert query["keyword"] == ["四川省 凉山彝族自治州 美姑县 巴普镇 解放路 12 号"]
    assert query["src"] == ["scivisit"]
    assert " " not in school.amap_url and "&" not in query["keyword"][0]

    assert school.geo_uri.startswith("geo:0,0?q=")
    assert unquote(school.geo_uri.removeprefix("geo:0,0?q=")) == "四川省 凉山彝族自治州 美姑县 巴普镇 解放路 12 号"
    assert " " not in school.geo_uri

    # Without an address the map looks for the school by name in its region; '&' cannot break the query.
    school.address = ""
    school.name = "Sun & Moon School"
    assert parse_qs(urlsplit(school.amap_url).query)["keyword"] == [
        "四川省 凉山彝族自治州 美姑县 巴普镇 Sun & Moon School"
    ]
    assert unquote(school.geo_uri.removeprefix("geo:0,0?q=")).endswith("Sun & Moon School")
