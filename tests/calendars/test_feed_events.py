"""What the feeds say about visits as they change: UIDs that stay, SEQUENCEs that rise, STATUS, the 14 days a
cancelled visit stays, how long a visit stays after its start, and the same event in the mail's calendar file as
in the feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from accounts.models import Role
from calendars.stamps import HISTORY, PROGRAMME_HISTORY
from events.models import VisitStatus
from events.services import cancel_visit, update_school, update_visit, visit_data
from mail.models import OutboxMessage
from tests.calendars.calendar_helpers import PROGRAMME, events_of, feed_path, sequence, uid
from tests.calendars.feedcheck import assert_clean
from volunteers import signups


def _fetch(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data()


def test_moving_a_visit_keeps_its_uid_and_raises_its_sequence_in_every_feed(
    client, db_session, clock, now, make_user, make_school, make_visit
):
    host = make_user(Role.HOST)
    visit = make_visit(school=make_school(hosts=[host]))
    volunteer = make_user(locale="en")
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteer, now=now)
    db_session.commit()
    paths = [feed_path(db_session, volunteer, "personal", now), feed_path(db_session, host, "school", now), PROGRAMME]
    before = [events_of(_fetch(client, path))[uid(visit)] for path in paths]

    later = clock.advance(hours=1)
    data = visit_data(visit)
    data.starts_at += timedelta(hours=1)
    update_visit(db_session, visit, data, now=later)
    db_session.commit()

    for path, old in zip(paths, before, strict=True):
        body = _fetch(client, path)
        assert_clean(body)
        new = events_of(body)[uid(visit)]
        assert sequence(new) > sequence(old), path
        assert new["DTSTART"].dt == old["DTSTART"].dt + timedelta(hours=1)
        assert new["DTSTART"].dt.tzinfo.key == "Asia/Shanghai"
        assert new["DTSTAMP"].dt == later == new["LAST-MODIFIED"].dt


def test_a_school_that_moves_raises_the_sequence_of_its_coming_visits(
    client, db_session, clock, now, make_user, make_school, make_visit
):
    school = make_school(address="1 Hill Road")
    coming, past = make_visit(school=school), make_visit(school=school, status=VisitStatus.COMPLETED, days_ahead=-7)
    volunteer = make_user()
    signups.sign_up(db_session, slot_id=coming.slots[0].id, volunteer=volunteer, now=now)
    db_session.commit()
    path = feed_path(db_session, volunteer, "personal", now)
    before = events_of(_fetch(client, path))[uid(coming)]
    revision_before = past.revision
    clock.advance(minutes=10)
    update_school(db_session, school, {"address": "2 River Road", "travel_notes": "Take the bus"})
    db_session.commit()
    after = events_of(_fetch(client, path))[uid(coming)]
    assert sequence(after) == sequence(before) + 1
    assert str(after["LOCATION"]).endswith(", 2 River Road")
    assert past.revision == revision_before  # a completed visit happened where it happened
    update_school(db_session, school, {"travel_notes": "Take the early bus"})  # not where: the same SEQUENCE
    db_session.commit()
    assert sequence(events_of(_fetch(client, path))[uid(coming)]) == sequence(after)


def test_cancelling_a_visit_shows_it_cancelled_with_a_higher_sequence_and_a_translated_prefix(
    client, db_session, clock, now, make_user, make_visit
):
    visit = make_visit(title="Mars rover day")
    reader = make_user(locale="en")
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=reader, now=now)
    db_session.commit()
    personal = feed_path(db_session, reader, "personal", now)
    confirmed = events_of(_fetch(client, personal))[uid(visit)]
    public = events_of(_fetch(client, PROGRAMME))[uid(visit)]

    cancel_visit(db_session, visit, now=clock.advance(hours=2))
    db_session.commit()

    cancelled = events_of(_fetch(client, personal))[uid(visit)]
    assert (str(confirmed["STATUS"]), str(cancelled["STATUS"])) == ("CONFIRMED", "CANCELLED")
    assert sequence(cancelled) > sequence(confirmed)
    assert str(cancelled["SUMMARY"]) == "Cancelled: Mars rover day"  # Outlook shows no STATUS
    assert "VALARM" not in [c.name for c in cancelled.subcomponents]  # no reminder of what will not happen
    in_public = events_of(_fetch(client, PROGRAMME))[uid(visit)]
    assert str(in_public["STATUS"]) == "CANCELLED" and sequence(in_public) > sequence(public)
    summary = str(in_public["SUMMARY"])  # in Chinese, the programme's language
    assert summary != "Mars rover day" and summary.endswith("Mars rover day")


def test_a_waitlisted_place_is_tentative_and_confirmed_with_a_higher_sequence_once_promoted(
    client, db_session, clock, now, make_user, make_visit
):
    visit = make_visit(capacity=1)
    holder, waiting = make_user(), make_user()
    held, _ = signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=holder, now=now)
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=waiting, now=now)
    db_session.commit()
    path = feed_path(db_session, waiting, "personal", now)
    tentative = events_of(_fetch(client, path))[uid(visit)]
    assert str(tentative["STATUS"]) == "TENTATIVE"

    signups.cancel_signup(db_session, held, by=holder, now=clock.advance(minutes=10))
    db_session.commit()

    promoted = events_of(_fetch(client, path))[uid(visit)]
    assert str(promoted["STATUS"]) == "CONFIRMED"
    assert sequence(promoted) > sequence(tentative)
    # the day's details come with the place: the school's address, whom to call
    assert "Contact on the day" not in str(tentative["DESCRIPTION"])


def test_a_cancelled_place_stays_14_days_then_leaves_and_last_modified_never_goes_back(
    client, db_session, clock, now, make_user, make_visit
):
    kept, dropped = make_visit(days_ahead=30), make_visit(days_ahead=20)
    volunteer = make_user()
    for visit in (kept, dropped):
        signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteer, now=now)
    db_session.commit()
    (place,) = [s for s in db_session.scalars(select(signups.Signup)) if s.visit_id == dropped.id]
    cancelled_at = clock.advance(hours=3)
    signups.cancel_signup(db_session, place, by=volunteer, now=cancelled_at)
    db_session.commit()
    path = feed_path(db_session, volunteer, "personal", now)

    seen = []
    for moment in (cancelled_at, cancelled_at + timedelta(days=14, seconds=-1), cancelled_at + timedelta(days=14)):
        clock.set(moment)
        response = client.get(path)
        seen.append((events_of(response.get_data()), response.last_modified, response.headers["ETag"]))
    (during, lm_during, etag_during), (last, lm_last, _), (after, lm_after, etag_after) = seen
    assert str(during[uid(dropped)]["STATUS"]) == "CANCELLED" and str(last[uid(dropped)]["STATUS"]) == "CANCELLED"
    assert set(after) == {uid(kept)}
    assert lm_during == lm_last == cancelled_at
    assert lm_after == cancelled_at + timedelta(days=14)  # the leaving moment: later, and the same for every asker
    assert etag_after != etag_during
    # Apple asks with the date it holds: the feed changed since, so it gets the feed
    asked = client.get(path, headers={"If-Modified-Since": lm_last.strftime("%a, %d %b %Y %H:%M:%S GMT")})
    assert asked.status_code == 200


@pytest.mark.parametrize(
    ("kind", "kept"),
    [("personal", HISTORY), ("school", HISTORY), ("company", HISTORY), ("public", PROGRAMME_HISTORY)],
)
def test_a_visit_leaves_a_feed_its_history_after_its_start_and_last_modified_never_goes_back(
    client, db_session, clock, team, kind, kept
):
    path, start = team.paths()[kind], team.visit.starts_at
    seen = []
    for moment in (start + kept - timedelta(seconds=1), start + kept):
        clock.set(moment)
        response = client.get(path)
        assert response.status_code == 200
        seen.append((events_of(response.get_data()), response.last_modified, response.headers["ETag"]))
    (last, lm_last, etag_last), (after, lm_after, etag_after) = seen
    assert uid(team.visit) in last
    assert uid(team.visit) not in after
    assert lm_after == start + kept > lm_last  # the leaving moment: later, and the same for every asker
    assert etag_after != etag_last
    for asked in ({"If-None-Match": etag_last}, {"If-Modified-Since": lm_last.strftime("%a, %d %b %Y %H:%M:%S GMT")}):
        assert client.get(path, headers=asked).status_code == 200  # changed since: the feed, not a 304


def test_a_year_old_visit_is_not_in_a_new_subscription_but_a_recent_one_is(
    client, db_session, now, make_user, make_school, make_visit
):
    host = make_user(Role.HOST)
    school = make_school(hosts=[host])
    old = make_visit(school=school, status=VisitStatus.COMPLETED, days_ahead=-366)
    recent = make_visit(school=school, status=VisitStatus.COMPLETED, days_ahead=-364)
    last_month = make_visit(school=school, status=VisitStatus.COMPLETED, days_ahead=-29)
    school_feed = events_of(_fetch(client, feed_path(db_session, host, "school", now)))
    assert uid(old) not in school_feed and {uid(recent), uid(last_month)} <= set(school_feed)
    programme = events_of(_fetch(client, PROGRAMME))
    assert uid(last_month) in programme and uid(recent) not in programme


def test_signing_up_again_after_cancelling_never_lowers_the_sequence(
    client, db_session, clock, now, make_user, make_visit
):
    visit = make_visit(capacity=2)
    volunteer = make_user()
    path = feed_path(db_session, volunteer, "personal", now)
    first, _ = signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteer, now=now)
    db_session.commit()
    confirmed = sequence(events_of(_fetch(client, path))[uid(visit)])
    signups.cancel_signup(db_session, first, by=volunteer, now=clock.advance(minutes=5))
    db_session.commit()
    cancelled = sequence(events_of(_fetch(client, path))[uid(visit)])
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteer, now=clock.advance(minutes=5))
    db_session.commit()
    again = events_of(_fetch(client, path))[uid(visit)]
    assert confirmed < cancelled < sequence(again)
    assert str(again["STATUS"]) == "CONFIRMED"


def _attached_event(db_session, person, template: str):
    message = db_session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == person.email, OutboxMessage.template == template)
        .order_by(OutboxMessage.id.desc())
    ).first()
    (attachment,) = message.attachments
    (event,) = Calendar.from_ical(attachment["content"]).walk("VEVENT")
    return event


def _same_event(mailed, fed) -> None:
    for key in ("UID", "SEQUENCE", "STATUS", "SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "LOCATION", "DESCRIPTION"):
        assert mailed[key].to_ical() == fed[key].to_ical(), key


def test_the_mails_calendar_file_and_the_personal_feed_give_the_same_uid_sequence_and_status(
    client, db_session, clock, now, make_user, make_visit
):
    visit = make_visit(capacity=1)
    holder, waiting = make_user(locale="en"), make_user(locale="zh_CN")
    held, _ = signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=holder, now=now)
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=waiting, now=now)
    db_session.commit()
    paths = {person.id: feed_path(db_session, person, "personal", now) for person in (holder, waiting)}

    def fed(person):
        return events_of(_fetch(client, paths[person.id]))[uid(visit)]

    _same_event(_attached_event(db_session, holder, "signup_confirmed"), fed(holder))

    data = visit_data(visit)
    data.starts_at += timedelta(hours=1)
    update_visit(db_session, visit, data, now=clock.advance(hours=1))
    db_session.commit()
    _same_event(_attached_event(db_session, holder, "visit_changed"), fed(holder))
    waiting_changed = _attached_event(db_session, waiting, "visit_changed")
    assert str(waiting_changed["STATUS"]) == "TENTATIVE"
    _same_event(waiting_changed, fed(waiting))

    signups.cancel_signup(db_session, held, by=holder, now=clock.advance(hours=1))
    db_session.commit()
    _same_event(_attached_event(db_session, holder, "signup_cancelled"), fed(holder))
    _same_event(_attached_event(db_session, waiting, "signup_promoted"), fed(waiting))

    cancel_visit(db_session, visit, now=clock.advance(hours=1))
    db_session.commit()
    last = _attached_event(db_session, waiting, "visit_cancelled")
    assert str(last["STATUS"]) == "CANCELLED"
    _same_event(last, fed(waiting))


def test_feeds_read_in_their_owners_language_and_the_programme_in_chinese(
    client, db_session, now, make_user, make_visit
):
    visit = make_visit()
    readers = {"en": make_user(locale="en"), "zh_CN": make_user(locale=None)}
    readers["zh_CN"].last_locale = "zh_CN"  # never chose: the language they last read pages in
    readers["en"].last_locale = "zh_CN"  # their choice comes first
    for person in readers.values():
        signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=person, now=now)
    db_session.commit()
    english = _fetch(client, feed_path(db_session, readers["en"], "personal", now)).decode()
    chinese = _fetch(client, feed_path(db_session, readers["zh_CN"], "personal", now)).decode()
    programme = client.get(PROGRAMME, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your role: Lead instructor" in english and "Your role" not in chinese
    assert "您的岗位" in chinese and "主讲老师" in chinese
    assert "课程" in programme and "Lessons" not in programme  # the request's language does not choose it


@pytest.mark.parametrize("kind", ["personal", "programme"])
def test_an_empty_feed_still_has_its_time_zone(client, db_session, now, make_user, kind):
    path = PROGRAMME if kind == "programme" else feed_path(db_session, make_user(), "personal", now)
    body = _fetch(client, path)
    assert_clean(body)
    calendar = Calendar.from_ical(body)
    assert calendar.walk("VEVENT") == []
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body and b"X-PUBLISHED-TTL:PT1H\r\n" in body
