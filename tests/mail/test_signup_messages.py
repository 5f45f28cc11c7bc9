"""Every message of a signup reaches the SMTP server once, in the volunteer's language, in school time.

The school is in Asia/Urumqi (UTC+6), two hours behind the server default (Asia/Shanghai):
a visit at 09:00–15:00 there would read 11:00–17:00 if a message used the wrong zone.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from events.services import cancel_visit, update_visit, visit_data
from mail.services import queue_message
from volunteers import signups

TITLE = "Mars rover day"
SCHOOL = "乌鲁木齐市第一小学"

#: The subject of each message in English.
SUBJECTS = {
    "signup_confirmed": f"You are signed up: {TITLE}",
    "signup_waitlisted": f"You are on the waitlist: {TITLE}",
    "signup_promoted": f"A place is yours: {TITLE}",
    "signup_cancelled": f"Signup cancelled: {TITLE}",
    "visit_changed": f"Visit changed: {TITLE}",
    "visit_cancelled": f"Visit cancelled: {TITLE}",
}

#: What proves the language: strings already in both catalogues, and dates as Babel writes them.
GREETING = {"en": "Hello {name},", "zh_CN": "{name}，您好："}
SCHOOL_LINE = {"en": f"School: {SCHOOL}", "zh_CN": f"学校：{SCHOOL}"}


def clock_time(locale: str, hour: int) -> str:
    if locale == "en":
        return f"{(hour - 1) % 12 + 1}:00 {'AM' if hour < 12 else 'PM'}"
    return f"{hour:02}:00"


#: The school's zone, named in the reader's language.
ZONE = {"en": "(Xinjiang time (UTC+6))", "zh_CN": "（新疆时间（UTC+6））"}


def school_time(locale: str, start_hour: int) -> str:
    """How a visit from `start_hour` to 15:00 reads."""
    return f"{clock_time(locale, start_hour)}–{clock_time(locale, 15)}"


def plain(text: str) -> str:
    """CLDR puts narrow no-break spaces before AM/PM; compare with ordinary ones."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def assert_reads_in(received, person, *, start_hour: int = 9) -> None:
    """The volunteer's language, the school's facts, and times in the school's zone (not Shanghai's)."""
    text = plain(received.text)
    assert GREETING[person.locale].format(name=person.name) in text
    assert SCHOOL_LINE[person.locale] in text
    assert school_time(person.locale, start_hour) in text
    assert ZONE[person.locale] in text and "Asia/" not in text  # the zone as people say it, never its identifier
    if person.locale == "zh_CN":
        assert re.search(r"[\u4e00-\u9fff]", received.subject.replace(TITLE, ""))  # Chinese beyond the title
        assert "星期" in text  # the day of the week, in Chinese
    else:
        assert "day, " in text
    assert clock_time(person.locale, start_hour + 2) not in text  # Shanghai's clock
    assert "http://scivisit.test/visits/" in text


@pytest.fixture
def urumqi_visit(make_school, make_visit):
    def make(**values):
        school = make_school(name=SCHOOL, timezone="Asia/Urumqi")
        return make_visit(school=school, title=TITLE, meeting_point="North gate", **values)

    return make


@pytest.fixture
def volunteers(make_user):
    """One volunteer reading English, one reading Chinese."""
    return {
        "en": make_user(name="Ada Lovelace", locale="en"),
        "zh_CN": make_user(name="李明", locale="zh_CN"),
    }


@pytest.mark.parametrize("first", ["en", "zh_CN"])
def test_confirmed_waitlisted_cancelled_and_promoted_each_arrive_once_in_the_readers_language(
    inbox, flask_command, db_session, now, urumqi_visit, volunteers, first
):
    visit = urumqi_visit(capacity=1)
    holder = volunteers[first]
    waiting = volunteers["zh_CN" if first == "en" else "en"]
    held, _ = signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=holder, now=now)
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=waiting, now=now)
    db_session.commit()
    signups.cancel_signup(db_session, held, by=holder, now=now)

    assert flask_command("send-mail").strip() == "sent 4, failed 0"
    assert flask_command("send-mail").strip() == "sent 0, failed 0"

    confirmed, cancelled = inbox.to(holder.email)
    waitlisted, promoted = inbox.to(waiting.email)
    for received, person in ((confirmed, holder), (cancelled, holder), (waitlisted, waiting), (promoted, waiting)):
        assert TITLE in received.subject
        assert_reads_in(received, person)
    assert set(confirmed.attachments) == set(promoted.attachments) == set(cancelled.attachments) == {"visit.ics"}
    assert waitlisted.attachments == {}
    assert "STATUS:CANCELLED" in cancelled.attachments["visit.ics"]  # calendars that added it remove it
    assert "DTSTART;TZID=Asia/Urumqi:" in confirmed.attachments["visit.ics"]
    if waiting.locale == "en":
        assert "you are number 1 on its waitlist" in waitlisted.text
    assert "office@scivisit.local" in cancelled.text  # whom to contact
    kinds = {
        holder.email: ["signup_confirmed", "signup_cancelled"],
        waiting.email: ["signup_waitlisted", "signup_promoted"],
    }
    reader = volunteers["en"]
    assert [r.subject for r in inbox.to(reader.email)] == [SUBJECTS[kind] for kind in kinds[reader.email]]


def test_a_visit_change_and_its_cancellation_reach_everyone_signed_up_once_saying_what_changed(
    inbox, flask_command, db_session, now, urumqi_visit, volunteers
):
    visit = urumqi_visit(capacity=1)
    for person in volunteers.values():  # one confirmed, one waitlisted: both are told
        signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=person, now=now)
    db_session.commit()
    flask_command("send-mail")
    before = len(inbox.received)

    data = visit_data(visit)
    data.starts_at += timedelta(hours=1)
    data.lessons = []
    data.meeting_point = "South gate"
    update_visit(db_session, visit, data, now=now)
    flask_command("send-mail")
    cancel_visit(db_session, visit, now=now)
    flask_command("send-mail")
    flask_command("send-mail")

    assert len(inbox.received) == before + 4
    for person in volunteers.values():
        changed, cancelled = inbox.to(person.email)[-2:]
        assert_reads_in(changed, person, start_hour=10)
        assert_reads_in(cancelled, person, start_hour=10)
        text = plain(changed.text)
        if person.locale == "en":
            assert (changed.subject, cancelled.subject) == (SUBJECTS["visit_changed"], SUBJECTS["visit_cancelled"])
            assert re.search(
                r"When: \w+, .+, 9:00 AM–3:00 PM → \w+, .+, 10:00 AM–3:00 PM \(Xinjiang time \(UTC\+6\)\)", text
            )
        else:
            assert re.search(r"星期. 09:00–15:00 → .+星期. 10:00–15:00（新疆时间（UTC\+6））", text)
        assert "North gate → South gate" in text
        assert "SEQUENCE:1" in changed.attachments["visit.ics"]
        assert "STATUS:CANCELLED" in cancelled.attachments["visit.ics"]


def test_send_reminders_sends_each_reminder_once_however_often_it_runs(
    inbox, flask_command, clock, db_session, now, urumqi_visit, volunteers
):
    visit = urumqi_visit(capacity=2)
    for person in volunteers.values():
        signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=person, now=now)
    db_session.commit()
    flask_command("send-mail")
    before = {person.email: len(inbox.to(person.email)) for person in volunteers.values()}

    clock.set(visit.starts_at - timedelta(hours=72))
    assert flask_command("send-reminders").strip() == "queued 0 reminder(s)"
    for hours_before in (48, 3):
        clock.set(visit.starts_at - timedelta(hours=hours_before))
        runs = [flask_command("send-reminders").strip() for _ in range(3)]
        assert runs == ["queued 2 reminder(s)", "queued 0 reminder(s)", "queued 0 reminder(s)"]
        assert flask_command("send-mail").strip() == "sent 2, failed 0"
        assert flask_command("send-mail").strip() == "sent 0, failed 0"
    clock.set(visit.starts_at - timedelta(hours=1))
    assert flask_command("send-reminders").strip() == "queued 0 reminder(s)"
    assert flask_command("send-mail").strip() == "sent 0, failed 0"

    for person in volunteers.values():
        reminders = inbox.to(person.email)[before[person.email] :]
        assert len(reminders) == 2
        for received in reminders:
            assert_reads_in(received, person)
            assert TITLE in received.subject
    reader = volunteers["en"].email
    english = [r.subject for r in inbox.to(reader)[before[reader] :]]
    assert english == [f"Reminder: {TITLE} starts in 48 hours", f"Reminder: {TITLE} starts in 3 hours"]


def test_a_reminder_for_a_late_signup_says_the_time_really_left(
    inbox, flask_command, clock, db_session, now, urumqi_visit, volunteers
):
    visit = urumqi_visit()
    person = volunteers["en"]
    starts = visit.starts_at
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=person, now=starts - timedelta(minutes=70))
    clock.set(starts - timedelta(minutes=65))
    assert flask_command("send-reminders").strip() == "queued 1 reminder(s)"
    flask_command("send-mail")
    assert inbox.to(person.email)[-1].subject == f"Reminder: {TITLE} starts in 1 hour"


def test_every_line_of_every_message_is_translated_into_chinese(db_session, now, urumqi_visit, volunteers):
    visit = urumqi_visit()
    signup, _ = signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteers["zh_CN"], now=now)
    context = {
        "signup": signup,
        "visit": visit,
        "position": 1,
        "hours": 3,
        "link": "http://scivisit.test/visits/1",
        "contact": "office",
        "changes": {"starts_at": (visit.starts_at - timedelta(hours=1), visit.starts_at), "meeting_point": ("", "X")},
    }
    untranslated = []
    for template in (*SUBJECTS, "signup_reminder"):
        en, zh = (
            queue_message(db_session, recipient="x@example.com", template=template, locale=locale, now=now, **context)
            for locale in ("en", "zh_CN")
        )
        same = set(f"{en.subject}\n{en.body}".splitlines()) & set(f"{zh.subject}\n{zh.body}".splitlines())
        untranslated += [f"{template}: {line}" for line in same if line.strip() and context["link"] not in line]
    assert untranslated == []
