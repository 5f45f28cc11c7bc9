"""Every kind of feed as real calendar programs read it: icalendar, the strict `ical` package, vobject and
ical.js (tests/calendars/feedcheck.py), with a waitlisted place, a cancelled visit and a visit at a school in
another time zone, names full of commas, quotes, Chinese and emoji."""

from __future__ import annotations

import pytest

from accounts.models import Role
from events.services import cancel_visit
from tests.calendars.calendar_helpers import PROGRAMME, events_of, feed_path, sequence, uid
from tests.calendars.feedcheck import assert_clean, assert_clients_agree
from volunteers import signups


@pytest.mark.parametrize("kind", ["personal", "school", "company", "public"])
def test_every_kind_of_feed_reads_the_same_in_four_calendar_programs(
    client, db_session, now, make_user, make_school, make_visit, make_company, kind
):
    company = make_company('Star, "Tech"; 星辰 🚀')
    host = make_user(Role.HOST)
    beijing = make_school(hosts=[host], name="希望小学, 第一; 分校 🏫", address="山路 1 号; Hill")
    urumqi = make_school(hosts=[make_user(Role.HOST)], name="乌鲁木齐第一小学", timezone="Asia/Urumqi")
    coming = make_visit(school=beijing, title='火星车, "rover"; day \\ 🚀', capacity=1)
    far = make_visit(school=urumqi, title="浮起来的鸡蛋 🥚", days_ahead=20)
    called_off = make_visit(school=beijing, title="Balloon, that will not burn", days_ahead=30)
    volunteer = make_user(company=company, locale="en")
    other = make_user(company=company)
    coordinator = make_user(Role.COORDINATOR, company=company, locale="en")
    signups.sign_up(db_session, slot_id=coming.slots[0].id, volunteer=other, now=now)
    signups.sign_up(db_session, slot_id=coming.slots[0].id, volunteer=volunteer, now=now)  # full: waitlisted
    signups.sign_up(db_session, slot_id=far.slots[0].id, volunteer=volunteer, now=now)
    signups.sign_up(db_session, slot_id=called_off.slots[0].id, volunteer=volunteer, now=now)
    db_session.commit()
    cancel_visit(db_session, called_off, now=now)
    db_session.commit()
    owner = {"personal": volunteer, "school": host, "company": coordinator}.get(kind)
    path = PROGRAMME if owner is None else feed_path(db_session, owner, kind, now)

    body = client.get(path).get_data()

    assert_clean(body)
    events = events_of(body)
    statuses = {"personal": {coming: "TENTATIVE"}}.get(kind, {})
    shown = [coming, called_off] if kind == "school" else [coming, far, called_off]  # the host's school only
    expected = []
    for visit in shown:
        event = events[uid(visit)]
        cancelled = visit is called_off
        expected.append(
            {
                "uid": uid(visit),
                "start_utc": visit.starts_at,
                "end_utc": visit.ends_at,
                "summary": str(event["SUMMARY"]),
                "status": "CANCELLED" if cancelled else statuses.get(visit, "CONFIRMED"),
                "sequence": sequence(event),
                "location": str(event["LOCATION"]),
                "tzid": visit.school.timezone,
            }
        )
        assert str(event["SUMMARY"]).endswith(visit.title)
    assert set(events) == {e["uid"] for e in expected}
    assert_clients_agree(body, expected)
