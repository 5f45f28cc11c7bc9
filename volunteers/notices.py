"""What volunteers are told: mail about their signups (with the visit as .ics) and reminders before a visit.

Messages go to the outbox in the transaction that made the change, so they commit with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.urls import external_url
from events.models import Visit, VisitStatus
from mail.services import queue_message
from volunteers.calendar_events import reader_locale, signup_calendar
from volunteers.models import ReminderSent, Signup, SignupStatus
from volunteers.waitlist import waitlist_position

#: messages that carry the visit as a calendar file, so calendars add, move or remove it
_WITH_CALENDAR = {"signup_confirmed", "signup_promoted", "signup_cancelled", "visit_changed", "visit_cancelled"}


def notify_signup(session: Session, signup: Signup, template: str, now: datetime, **context) -> None:
    """Mail the volunteer about their signup, in their language, with the visit as .ics where useful (the same
    UID, STATUS and SEQUENCE as in their personal calendar feed: volunteers.calendar_events)."""
    visit = signup.visit
    attachments = []
    if template in _WITH_CALENDAR:
        content = signup_calendar(session, signup, reader_locale(signup.user)).decode()
        attachments.append({"filename": "visit.ics", "content_type": "text/calendar", "content": content})
    queue_message(
        session,
        recipient=signup.user.email,
        template=template,
        locale=signup.user.mail_locale,
        now=now,
        attachments=attachments,
        signup=signup,
        visit=visit,
        position=waitlist_position(session, signup),
        link=external_url("events.visit", visit_id=visit.id),
        contact=current_app.config["PROGRAMME_CONTACT"],
        **context,
    )


def send_reminders(session: Session, now: datetime) -> int:
    """Queue each due reminder exactly once; returns how many were queued.

    A reminder is due `h` hours before the start for every h in REMINDER_HOURS. When several
    are due at once (cron was down), only the nearest is sent and the others count as sent.
    The unique (signup, kind) row decides, so concurrent runs cannot send one twice.
    """
    hours = sorted(current_app.config["REMINDER_HOURS"])
    if not hours:
        return 0
    horizon = now + timedelta(hours=max(hours))
    due = session.scalars(
        select(Signup)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(
            Signup.status == SignupStatus.CONFIRMED,
            Visit.status == VisitStatus.PUBLISHED,
            Visit.starts_at > now,
            Visit.starts_at <= horizon,
        )
        .order_by(Signup.id)
    ).all()
    queued = 0
    for signup in due:
        applicable = [h for h in hours if signup.visit.starts_at - timedelta(hours=h) <= now]
        sent = set(session.scalars(select(ReminderSent.kind).where(ReminderSent.signup_id == signup.id)))
        fresh = [h for h in applicable if str(h) not in sent]
        if not fresh:
            continue
        nearest = min(applicable)
        try:
            with session.begin_nested():
                for h in fresh:
                    session.add(ReminderSent(signup_id=signup.id, kind=str(h), sent_at=now))
                session.flush()
        except IntegrityError:
            continue  # another run claimed it
        if nearest in fresh:
            queue_message(
                session,
                recipient=signup.user.email,
                template="signup_reminder",
                locale=signup.user.mail_locale,
                now=now,
                signup=signup,
                visit=signup.visit,
                # the time really left: a late signup or a late run must not be told "48 hours"
                hours=max(1, round((signup.visit.starts_at - now) / timedelta(hours=1))),
                link=external_url("events.visit", visit_id=signup.visit_id),
            )
            queued += 1
    return queued
