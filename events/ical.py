"""iCalendar for visits: a visit as one VEVENT, and the VCALENDAR around events, for mail, downloads and feeds.

What an event says beyond the visit itself (its STATUS and SEQUENCE, the reader's role, alarms) is the caller's:
`volunteers.calendar_events` for a person's own visit (the same in mail, in their feed and in the download),
`calendars.feeds` for the other feeds. Built in the reader's language (callers use flask_babel.force_locale).
Nothing here reads the clock: DTSTAMP and LAST-MODIFIED are the time of the last change shown, so the same data
always gives the same bytes (a feed's ETag relies on it).

icalendar 7.3 writes NAME and X-WR-CALNAME unescaped, REFRESH-INTERVAL without its required VALUE=DURATION and a
timedelta X-PUBLISHED-TTL as "1:00:00": they are added as vText, with the parameter, and as vDuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone, vDuration, vText

from core.formatting import clockrange
from core.timeutil import DEFAULT_TZ
from core.urls import external_url
from events.models import Visit, VisitStatus

PRODID = "-//SciVisit//Science visits//EN"
CONFIRMED, TENTATIVE, CANCELLED = "CONFIRMED", "TENTATIVE", "CANCELLED"
#: how often a subscribed calendar should fetch a feed again
REFRESH = timedelta(hours=1)
#: reminders before a visit, in personal feeds
ALARMS = (timedelta(days=1), timedelta(hours=2))


def visit_uid(visit_id: int) -> str:
    """A visit's UID, the same in every calendar file and feed for as long as the visit exists."""
    return f"visit-{visit_id}@scivisit"


def visit_status(visit: Visit) -> str:
    """The STATUS of the visit itself (not of someone's place in it): a draft is only tentative."""
    if visit.status == VisitStatus.CANCELLED:
        return CANCELLED
    return TENTATIVE if visit.status == VisitStatus.DRAFT else CONFIRMED


def labelled(label: str, value: str) -> str:
    """One line of a description: "Meeting point: North gate", punctuated as the language writes it."""
    return _("%(label)s: %(value)s", label=label, value=value)


def visit_details(visit: Visit, *, day_of: bool) -> list[str]:
    """The description lines anyone who may see the visit reads (meeting point, lessons); with `day_of` (for
    those who may see what the team needs on the day: volunteers.access.sees_day_of) what to bring and how to
    get there as well."""
    school = visit.school
    lines = []
    if visit.meeting_point:
        lines.append(labelled(_("Meeting point"), visit.meeting_point))
    if day_of and visit.what_to_bring:
        lines.append(labelled(_("What to bring"), visit.what_to_bring))
    if day_of and school.travel_notes:
        lines.append(labelled(_("How to get there"), school.travel_notes))
    if visit.lessons:
        lines.append(_("Lessons"))
        for lesson in visit.lessons:
            what = _(
                "%(time)s %(title)s, grade %(grade)s",
                time=clockrange(lesson.starts_at, lesson.ends_at, school.timezone),
                title=lesson.title,
                grade=lesson.grade,
            )
            lines.append(f"• {labelled(what, lesson.classroom) if lesson.classroom else what}")
    return lines


def visit_location(visit: Visit, *, address: bool) -> str:
    """The school and its region; its street address only for those who may see it (`address`)."""
    school = visit.school
    parts = [school.name, school.region, school.address if address else ""]
    return ", ".join(part for part in parts if part)


def visit_event(
    visit: Visit,
    *,
    status: str,
    sequence: int,
    changed_at: datetime,
    description: Sequence[str] = (),
    address: bool = False,
    alarms: bool = False,
) -> Event:
    """One VEVENT in the school's time zone. A cancelled one also says so in its summary (Outlook ignores
    STATUS) and has no alarms; `changed_at` (the last change shown) is its DTSTAMP and LAST-MODIFIED."""
    zone = ZoneInfo(visit.school.timezone)
    link = external_url("events.visit", visit_id=visit.id)
    summary = _("Cancelled: %(title)s", title=visit.title) if status == CANCELLED else visit.title
    event = Event()
    event.add("uid", visit_uid(visit.id))
    event.add("dtstamp", changed_at)
    event.add("last-modified", changed_at)
    event.add("created", visit.created_at)
    event.add("dtstart", visit.starts_at.astimezone(zone))
    event.add("dtend", visit.ends_at.astimezone(zone))
    event.add("summary", summary)
    event.add("location", visit_location(visit, address=address))
    # Google Calendar shows no URL property: the link is in the description too.
    event.add("description", "\n".join([*description, link]))
    event.add("url", link)
    event.add("sequence", sequence)
    event.add("status", status)
    if alarms and status != CANCELLED:
        for before in ALARMS:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", -before)
            event.add_component(alarm)
    return event


def calendar(
    events: Iterable[Event], *, zones: Iterable[str], name: str | None = None, zone: str = DEFAULT_TZ
) -> bytes:
    """A VCALENDAR with a VTIMEZONE for each of `zones` (every zone its events use), so that every client reads
    local times right. With a `name` it is a feed: named, in `zone` (which gets a VTIMEZONE even when no event
    uses it), fetched again every hour. Without one it is a file to import (mail, a download)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    wanted = list(zones)
    if name is not None:
        cal.add("name", vText(name))
        cal.add("x-wr-calname", vText(name))
        cal.add("x-wr-timezone", zone)
        cal.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(REFRESH))
        wanted.insert(0, zone)
    for tzid in dict.fromkeys(wanted):
        cal.add_component(_vtimezone(tzid))
    for event in events:
        cal.add_component(event)
    return cal.to_ical()


@lru_cache(maxsize=64)
def _vtimezone(name: str) -> Timezone:
    """The VTIMEZONE of a zone; built once per process (it costs ~15 ms and rarely changes)."""
    return Timezone.from_tzinfo(ZoneInfo(name), tzid=name)
