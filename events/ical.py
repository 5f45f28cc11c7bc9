"""iCalendar for visits: a visit as one VEVENT, and the VCALENDAR around events, for mail, downloads and feeds.

What an event says beyond the visit itself (its STATUS and SEQUENCE, the reader's role, alarms) is the caller's:
`volunteers.calendar_events` for a person's own visit (the same in mail, in their feed and in the download),
`calendars.feeds` for the other feeds. Built in the reader's language (callers use flask_babel.force_locale).
Nothing here reads the clock: DTSTAMP and LAST-MODIFIED are the time of the last change shown, so the same data
always gives the same bytes (a feed's ETag relies on it).

The content lines are written here (RFC 5545: TEXT escaped, UTC and TZID date-times, lines folded at 75 octets
between UTF-8 characters), in icalendar's property order, for speed: icalendar's component model costs about a
millisecond an event, most of the time a feed of hundreds of visits took to build. icalendar still makes each
VTIMEZONE (once per zone and process), and the tests read every kind of feed with four calendar programs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone

from core.formatting import clockrange
from core.i18n import gettext as _
from core.timeutil import DEFAULT_TZ
from core.urls import external_url
from events.models import Visit, VisitStatus

PRODID = "-//SciVisit//Science visits//EN"
CONFIRMED, TENTATIVE, CANCELLED = "CONFIRMED", "TENTATIVE", "CANCELLED"
#: how often a subscribed calendar should fetch a feed again (a DURATION: an hour)
REFRESH = "PT1H"
#: reminders before a visit, in personal feeds (TRIGGER durations: a day and two hours before)
ALARMS = ("-P1D", "-PT2H")
CRLF = "\r\n"
#: lines stay below this many octets (RFC 5545 3.1: at most 75); longer ones go on, on lines that start with a space
LINE_OCTETS = 75


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma, and every line break as \\n."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """A content line folded below 75 octets a line (as icalendar folds), never inside a UTF-8 character nor inside
    a backslash escape (some clients misread an escape split by a fold)."""
    if len(line) < LINE_OCTETS and line.isascii():  # most lines: short, one octet a character
        return line
    raw = line.encode()
    if len(raw) < LINE_OCTETS:
        return line
    parts, start, most = [], 0, LINE_OCTETS - 1
    while len(raw) - start > most:
        end = start + most
        while raw[end] & 0xC0 == 0x80:  # inside a character: cut before it
            end -= 1
        escapes = len(raw[start:end]) - len(raw[start:end].rstrip(b"\\"))
        if escapes % 2 and end - 1 > start:  # the last backslash escapes the next character: keep them together
            end -= 1
        parts.append(raw[start:end])
        start = end
    parts.append(raw[start:])
    return (CRLF + " ").join(part.decode() for part in parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(moment: datetime, zone: str) -> str:
    return f"TZID={zone}:{moment.astimezone(ZoneInfo(zone)).strftime('%Y%m%dT%H%M%S')}"


def _lines(*lines: str) -> str:
    return CRLF.join([_fold(line) for line in lines]) + CRLF


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
) -> str:
    """One VEVENT in the school's time zone, as content lines. A cancelled one also says so in its summary
    (Outlook ignores STATUS) and has no alarms; `changed_at` (the last change shown) is its DTSTAMP and
    LAST-MODIFIED."""
    zone = visit.school.timezone
    link = external_url("events.visit", visit_id=visit.id)
    summary = _text(_("Cancelled: %(title)s", title=visit.title) if status == CANCELLED else visit.title)
    changed = _utc(changed_at)
    event = _lines(
        "BEGIN:VEVENT",
        f"SUMMARY:{summary}",
        f"DTSTART;{_local(visit.starts_at, zone)}",
        f"DTEND;{_local(visit.ends_at, zone)}",
        f"DTSTAMP:{changed}",
        f"UID:{visit_uid(visit.id)}",
        f"SEQUENCE:{sequence}",
        f"CREATED:{_utc(visit.created_at)}",
        # Google Calendar shows no URL property: the link is in the description too.
        f"DESCRIPTION:{_text(chr(10).join([*description, link]))}",
        f"LAST-MODIFIED:{changed}",
        f"LOCATION:{_text(visit_location(visit, address=address))}",
        f"STATUS:{status}",
        f"URL:{link}",
    )
    if alarms and status != CANCELLED:
        for trigger in ALARMS:
            event += _lines(
                "BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{summary}", f"TRIGGER:{trigger}", "END:VALARM"
            )
    return event + "END:VEVENT" + CRLF


def calendar(events: Iterable[str], *, zones: Iterable[str], name: str | None = None, zone: str = DEFAULT_TZ) -> bytes:
    """A VCALENDAR with a VTIMEZONE for each of `zones` (every zone its events use), so that every client reads
    local times right. With a `name` it is a feed: named, in `zone` (which gets a VTIMEZONE even when no event
    uses it), fetched again every hour. Without one it is a file to import (mail, a download)."""
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "METHOD:PUBLISH"]
    wanted = list(zones)
    if name is not None:
        head += [
            f"NAME:{_text(name)}",
            f"X-WR-CALNAME:{_text(name)}",
            f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
            f"X-PUBLISHED-TTL:{REFRESH}",
            f"X-WR-TIMEZONE:{zone}",
        ]
        wanted.insert(0, zone)
    parts = [_lines(*head), *(_vtimezone(tzid) for tzid in dict.fromkeys(wanted)), *events, "END:VCALENDAR" + CRLF]
    return "".join(parts).encode()


@lru_cache(maxsize=64)
def _vtimezone(name: str) -> str:
    """The VTIMEZONE of a zone; built once per process (it costs ~15 ms and rarely changes)."""
    return Timezone.from_tzinfo(ZoneInfo(name), tzid=name).to_ical().decode()
