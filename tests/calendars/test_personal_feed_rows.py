"""The personal feed reads its visits as plain rows (calendars.feeds._shown_signups), not as ORM objects: each of
its events must be, byte for byte, the event the person's mail writes from the signup itself
(volunteers.calendar_events.signup_event), in every state a place can be in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from accounts.models import Role
from calendars.stamps import HISTORY
from events.models import SlotRole, VisitStatus
from tests.calendars.calendar_helpers import events_of, feed_path, uid
from volunteers import signups
from volunteers.calendar_events import lead_instructors, signup_event
from volunteers.models import Signup, SignupStatus


def _event_text(db_session, signup, locale: str) -> str:
    """The VEVENT the mail's calendar file holds for `signup`, with the feed's alarms."""
    lead = lead_instructors(db_session, [signup.visit_id]).get(signup.visit_id)
    with force_locale(locale):
        return signup_event(signup, lead=lead, alarms=True)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_event_of_a_personal_feed_is_the_one_its_signup_writes(
    client, db_session, clock, now, make_user, make_school, make_visit, locale
):
    owner = make_user(Role.VOLUNTEER, Role.HOST, locale=locale)
    lead = make_user(name="Li Lead", phone="13900000000")
    hosted = make_school(hosts=[owner], address="1 Hill Road", travel_notes="Bus 7, then walk uphill")
    other = make_school(address="2 River Road", travel_notes="Ferry at 7:00", timezone="Asia/Urumqi")
    roles = (SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT)

    def visit(**values):
        return make_visit(roles=roles, capacity=1, what_to_bring="Water, a hat", meeting_point="North gate", **values)

    at_own_school = visit(school=hosted, lessons=2)
    at_own_school.lessons[0].classroom = "Lab 2; top floor"
    waitlisted, attended, place_cancelled, visit_cancelled = (visit(school=other, days_ahead=d) for d in (3, 5, 7, 9))
    again, long_cancelled = visit(school=other, days_ahead=11), visit(school=other, days_ahead=13)
    too_old = visit(school=other, days_ahead=-(HISTORY.days + 2), status=VisitStatus.COMPLETED)
    db_session.commit()

    def sign(slot, person=owner):
        signup, _ = signups.sign_up(db_session, slot_id=slot.id, volunteer=person, now=now)
        return signup

    sign(at_own_school.slots[0], lead)
    mine = {at_own_school.id: sign(at_own_school.slots[1])}
    sign(waitlisted.slots[1], make_user())  # the one place taken: the owner waits
    mine[waitlisted.id] = sign(waitlisted.slots[1])
    assert mine[waitlisted.id].status == SignupStatus.WAITLISTED
    mine[attended.id] = sign(attended.slots[1])
    sign(attended.slots[0], lead)
    mine[place_cancelled.id] = signups.cancel_signup(db_session, sign(place_cancelled.slots[1]), by=owner, now=now)
    mine[visit_cancelled.id] = sign(visit_cancelled.slots[1])
    signups.cancel_signup(db_session, sign(again.slots[1]), by=owner, now=now)
    mine[again.id] = sign(again.slots[0])  # signed up again, in another role: the later signup is the event
    sign(long_cancelled.slots[1])
    # Long over: a place the rules cannot give any more, as the row holds it.
    slot = too_old.slots[1]
    db_session.add(
        Signup(slot_id=slot.id, visit_id=too_old.id, user_id=owner.id, status=SignupStatus.ATTENDED, confirmed_at=now)
    )
    db_session.commit()
    # States the rules reach over time, set as the rows hold them.
    attended.status, mine[attended.id].status = VisitStatus.COMPLETED, SignupStatus.ATTENDED
    visit_cancelled.status, visit_cancelled.cancelled_at = VisitStatus.CANCELLED, now - timedelta(days=2)
    long_cancelled.status, long_cancelled.cancelled_at = VisitStatus.CANCELLED, now - timedelta(days=15)
    db_session.commit()

    body = client.get(feed_path(db_session, owner, "personal", now)).get_data(as_text=True)

    assert set(events_of(body.encode())) == {uid(v) for v in (at_own_school, waitlisted, attended)} | {
        uid(v) for v in (place_cancelled, visit_cancelled, again)
    }
    for visit_id, signup in mine.items():
        expected = _event_text(db_session, signup, locale)
        assert expected in body, f"visit {visit_id}: {signup.status}"
    # What the states put in the events (lines unfolded), so that the comparison above compares what matters.
    hosted_event = _event_text(db_session, mine[at_own_school.id], locale).replace("\r\n ", "")
    assert "1 Hill Road" in hosted_event and "13900000000" in hosted_event and "Lab 2\\; top floor" in hosted_event
    assert "River Road" not in _event_text(db_session, mine[waitlisted.id], locale)
    assert "River Road" in _event_text(db_session, mine[attended.id], locale).replace("\r\n ", "")
    assert "STATUS:TENTATIVE" in _event_text(db_session, mine[waitlisted.id], locale)
    assert "STATUS:CANCELLED" in _event_text(db_session, mine[place_cancelled.id], locale)
    assert "STATUS:CANCELLED" in _event_text(db_session, mine[visit_cancelled.id], locale)
    assert "TZID=Asia/Urumqi" in _event_text(db_session, mine[attended.id], locale)
