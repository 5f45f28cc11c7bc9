"""Helpers of the calendar feed tests: a person's feed address, the events a body holds, statement counts."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from calendars.services import feeds_for
from tests.conftest import statements_run

PROGRAMME = "/cal/programme.ics"


def feed_path(db_session, user, kind: str, now) -> str:
    """The path of `user`'s feed of `kind` ("personal", "school", "company"), its row made and committed."""
    links = feeds_for(db_session, user, now)
    db_session.commit()
    (link,) = [link for link in links if link.kind == kind]
    return urlsplit(link.url).path


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def events_of(body: bytes) -> dict[str, Event]:
    """UID -> VEVENT, as icalendar reads them."""
    return {str(e["UID"]): e for e in parse(body).walk("VEVENT")}


def uid(visit) -> str:
    return f"visit-{visit.id}@scivisit"


def calendar_text(value) -> str:
    """A calendar-level TEXT property (NAME, X-WR-CALNAME) unescaped: icalendar 7.3 leaves them escaped."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), str(value))


def sequence(event: Event) -> int:
    return int(event["SEQUENCE"])


def get_counting(client, path: str, headers: dict | None = None):
    """GET `path`; the response and the SQL statements it ran (transaction control left out)."""
    with statements_run() as seen:
        response = client.get(path, headers=headers or {})
    return response, seen
