"""Calendar feeds checked as their readers see them: a lint of the raw bytes, and four real parsers.

    lint(body) -> list[str]              every problem in the bytes (an empty list: clean)
    assert_clean(body)                   fails with that list
    read_with_clients(body)              {client: [event, ...]}, with `.calendars` and `.skipped`
    assert_clients_agree(body, expected) every client sees exactly the expected events

The lint reads the bytes itself (line endings, octets, folds and escapes are what the parsers
hide). The clients are icalendar and the strict `ical` package in this process, vobject in a
fresh process (it registers global state) and ical.js under Node (tests/mail/node), whose
absence skips that client except in CI (CI=true or REQUIRE_BROWSER=1), where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

# ------------------------------------------------------------------------------------------ lint

#: RFC 5545 3.3.6 dur-value, strictly: hours, then minutes, then seconds, none skipped in between.
_DUR_TIME = r"T(?:\d+H(?:\d+M(?:\d+S)?)?|\d+M(?:\d+S)?|\d+S)"
DURATION = re.compile(rf"[+-]?P(?:\d+W|\d+D(?:{_DUR_TIME})?|{_DUR_TIME})")
DURATION_PROPERTIES = {"DURATION", "TRIGGER", "X-PUBLISHED-TTL", "REFRESH-INTERVAL"}
#: single-valued TEXT properties whose commas and semicolons must be escaped
TEXT_PROPERTIES = {"SUMMARY", "LOCATION", "DESCRIPTION", "COMMENT", "CONTACT", "NAME", "X-WR-CALNAME", "X-WR-CALDESC"}
#: times of an event that must be in UTC or carry a TZID (inside a VTIMEZONE they are local on purpose)
ZONED_PROPERTIES = {"DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE"}
MAX_OCTETS = 75


class _Component:
    def __init__(self, name: str, line: int) -> None:
        self.name = name
        self.line = line
        self.properties: list[tuple[int, str, dict[str, list[str]], str]] = []  # line, name, params, value
        self.children: list[_Component] = []

    def values(self, name: str) -> list[str]:
        return [value for _, prop, _, value in self.properties if prop == name]

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def lint(body: bytes) -> list[str]:
    """Every problem found in a calendar body, each as "line N: what" (physical line numbers)."""
    if not body:
        return ["the body is empty"]
    problems: list[str] = []
    physical = _physical_lines(body, problems)
    content = _unfold(physical, problems)
    calendars = _components(content, problems)
    _check_calendars(calendars, problems)
    return problems


def assert_clean(body: bytes) -> None:
    """Fail with the lint's problems, if any."""
    problems = lint(body)
    shown = problems[:40] + ([f"... and {len(problems) - 40} more"] if len(problems) > 40 else [])
    assert not problems, f"{len(problems)} problem(s) in the calendar:\n" + "\n".join(shown)


def _physical_lines(body: bytes, problems: list[str]) -> list[bytes]:
    """The lines, split on any line ending; each ending other than CRLF is a problem, and so is a
    line longer than 75 octets."""
    lines, start = [], 0
    for number, match in enumerate(re.finditer(rb"\r\n|\r|\n", body), start=1):
        lines.append(body[start : match.start()])
        start = match.end()
        if match.group() != b"\r\n":
            bare = "LF" if match.group() == b"\n" else "CR"
            problems.append(f"line {number}: ends with a bare {bare}, not CRLF")
    if start < len(body):
        lines.append(body[start:])
        problems.append(f"line {len(lines)}: the body does not end with CRLF")
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_OCTETS:
            problems.append(f"line {number}: {len(line)} octets, more than {MAX_OCTETS}")
    return lines


def _unfold(lines: list[bytes], problems: list[str]) -> list[tuple[int, str]]:
    """Content lines (first physical line number, text). A physical line that is not UTF-8 on its
    own is a problem: a fold inside a character when the unfolded line decodes, bad bytes if not."""
    grouped: list[tuple[int, list[bytes]]] = []
    for number, line in enumerate(lines, start=1):
        if line[:1] in (b" ", b"\t"):
            if not grouped:
                problems.append(f"line {number}: a continuation line with no line before it")
                continue
            grouped[-1][1].append(line[1:])
        elif line:
            grouped.append((number, [line]))
        else:
            problems.append(f"line {number}: an empty line")
    content = []
    for first, parts in grouped:
        joined = b"".join(parts)
        try:
            text = joined.decode("utf-8")
            whole = True
        except UnicodeDecodeError:
            text, whole = joined.decode("utf-8", errors="replace"), False
        for offset, part in enumerate(lines[first - 1 : first - 1 + len(parts)]):
            try:
                part.decode("utf-8")
            except UnicodeDecodeError:
                what = "a fold splits a UTF-8 character" if whole else "not valid UTF-8"
                problems.append(f"line {first + offset}: {what}")
        content.append((first, text))
    return content


def _parse(text: str) -> tuple[str, dict[str, list[str]], str] | None:
    """name, {PARAM: [values]}, value of one content line; None if it is not one."""
    match = re.match(r"[A-Za-z0-9-]+", text)
    if not match:
        return None
    name, i, params = match.group().upper(), match.end(), {}
    while i < len(text) and text[i] == ";":
        key = re.match(r"[A-Za-z0-9-]+=", text[i + 1 :])
        if not key:
            return None
        values, i = [], i + 1 + key.end()
        while True:
            if text[i : i + 1] == '"':
                end = text.find('"', i + 1)
                if end < 0:
                    return None
                values.append(text[i + 1 : end])
                i = end + 1
            else:
                value = re.match(r'[^";:,]*', text[i:]).group()
                values.append(value)
                i += len(value)
            if text[i : i + 1] != ",":
                break
            i += 1
        params[key.group()[:-1].upper()] = values
    if text[i : i + 1] != ":":
        return None
    return name, params, text[i + 1 :]


def _components(content: list[tuple[int, str]], problems: list[str]) -> list[_Component]:
    """The top-level components; BEGIN/END that do not pair up are problems."""
    top: list[_Component] = []
    stack: list[_Component] = []
    for line, text in content:
        parsed = _parse(text)
        if parsed is None:
            problems.append(f"line {line}: not a content line: {text[:40]!r}")
            continue
        name, params, value = parsed
        if name == "BEGIN":
            component = _Component(value.upper(), line)
            (stack[-1].children if stack else top).append(component)
            stack.append(component)
        elif name == "END":
            open_names = [c.name for c in stack]
            if not stack or stack[-1].name != value.upper():
                opened = f"BEGIN:{stack[-1].name} (line {stack[-1].line})" if stack else "nothing"
                problems.append(f"line {line}: END:{value} but the open component is {opened}")
            if value.upper() in open_names:
                del stack[len(open_names) - 1 - open_names[::-1].index(value.upper()) :]
        elif stack:
            stack[-1].properties.append((line, name, params, value))
        else:
            problems.append(f"line {line}: {name} outside any component")
    for component in stack:
        problems.append(f"line {component.line}: BEGIN:{component.name} is never ended")
    return top


def _check_calendars(top: list[_Component], problems: list[str]) -> None:
    calendars = [c for c in top if c.name == "VCALENDAR"]
    for other in (c for c in top if c.name != "VCALENDAR"):
        problems.append(f"line {other.line}: {other.name} outside VCALENDAR")
    if len(calendars) != 1:
        problems.append(f"{len(calendars)} VCALENDAR components, not exactly one")
    for calendar in calendars:
        for prop in ("PRODID", "VERSION"):
            if len(calendar.values(prop)) != 1:
                problems.append(f"line {calendar.line}: VCALENDAR has {len(calendar.values(prop))} {prop}, not one")
        if any(v != "2.0" for v in calendar.values("VERSION")):
            problems.append(f"line {calendar.line}: VERSION is {calendar.values('VERSION')}, not 2.0")
        _check_events(calendar, problems)
        _check_properties(calendar, problems)


def _check_events(calendar: _Component, problems: list[str]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for event in (c for c in calendar.walk() if c.name == "VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART"):
            count = len(event.values(prop))
            if count != 1:
                problems.append(f"line {event.line}: VEVENT has {count or 'no'} {prop}, not one")
        for uid in event.values("UID"):
            key = (uid, "".join(event.values("RECURRENCE-ID")))
            if key in seen:
                problems.append(f"line {event.line}: UID {uid} is already used by the VEVENT at line {seen[key]}")
            seen.setdefault(key, event.line)


def _check_properties(calendar: _Component, problems: list[str]) -> None:
    zones = {tzid for c in calendar.walk() if c.name == "VTIMEZONE" for tzid in c.values("TZID")}
    local = {id(c) for z in calendar.walk() if z.name == "VTIMEZONE" for c in z.walk()}
    missing: set[str] = set()
    for component in calendar.walk():
        for line, name, params, value in component.properties:
            where = f"line {line}: {name}"
            for tzid in params.get("TZID", []):
                if tzid not in zones and tzid not in missing:
                    missing.add(tzid)
                    problems.append(f"{where} uses TZID={tzid}, which has no VTIMEZONE")
            problems.extend(f"{where}{problem}" for problem in _value_problems(name, params, value))
            if name in ZONED_PROPERTIES and id(component) not in local:
                problems.extend(f"{where}{problem}" for problem in _zone_problems(params, value))


def _value_problems(name: str, params: dict[str, list[str]], value: str) -> list[str]:
    kind = [v.upper() for v in params.get("VALUE", [])]
    problems = []
    if name == "REFRESH-INTERVAL" and kind != ["DURATION"]:
        problems.append(" lacks VALUE=DURATION")
    if name in DURATION_PROPERTIES and kind != ["DATE-TIME"] and not DURATION.fullmatch(value):
        problems.append(f":{value} is not an RFC 5545 duration (such as PT1H or -P1D)")
    if name in TEXT_PROPERTIES and (problem := _escape_problem(value)):
        problems.append(f": {problem}")
    return problems


def _zone_problems(params: dict[str, list[str]], value: str) -> list[str]:
    problems = []
    for one in value.split(","):
        if "T" in one and not one.endswith("Z") and "TZID" not in params:
            problems.append(f":{one} is floating (neither UTC nor a TZID)")
        if one.endswith("Z") and "TZID" in params:
            problems.append(f":{one} is UTC but carries a TZID")
    return problems


def _escape_problem(value: str) -> str | None:
    """What is wrong with a TEXT value's escaping: `\\,` is a comma, `\\\\,` a backslash and a bare comma."""
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\":
            if value[i + 1 : i + 2] not in ("\\", ";", ",", "n", "N"):
                return f"a backslash that escapes nothing at {value[max(0, i - 10) : i + 10]!r}"
            i += 2
            continue
        if char in ",;":
            return f"an unescaped {char!r} at {value[max(0, i - 10) : i + 10]!r}"
        i += 1
    return None


# --------------------------------------------------------------------------------------- clients

NODE_DIR = Path(__file__).resolve().parent.parent / "mail" / "node"
CLIENTS = ("icalendar", "ical", "vobject", "ical.js")
EVENT_KEYS = ("uid", "summary", "location", "description", "status", "sequence", "start_utc", "end_utc", "tzid")
#: what assert_clients_agree compares at the least; an expected event may add description and tzid
AGREED_KEYS = ("uid", "start_utc", "end_utc", "summary", "status", "sequence", "location")

VOBJECT = r"""
import json, sys
from datetime import UTC, date, datetime

import vobject
from vobject.icalendar import TimezoneComponent, stringToDurations

def instant(value):
    if value is None or not isinstance(value, datetime):
        return value.isoformat() if isinstance(value, date) else None
    if value.tzinfo is None:
        return value.isoformat()
    return value.astimezone(UTC).isoformat()

def tzid(value):
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    if value.utcoffset().total_seconds() == 0 and value.tzname() == "UTC":
        return "UTC"
    return TimezoneComponent.pickTzid(value.tzinfo)

def one(component, name):
    found = component.contents.get(name)
    return found[0].value if found else None

with open(sys.argv[1], encoding="utf-8") as f:
    calendar = vobject.readOne(f.read())
events = []
for event in calendar.contents.get("vevent", []):
    start = one(event, "dtstart")
    end = one(event, "dtend")
    if end is None and one(event, "duration") is not None:
        end = start + one(event, "duration")
    events.append({
        "uid": one(event, "uid"), "summary": one(event, "summary"), "location": one(event, "location"),
        "description": one(event, "description"), "status": one(event, "status"),
        "sequence": int(one(event, "sequence") or 0), "start_utc": instant(start), "end_utc": instant(end),
        "tzid": tzid(start),
    })
refresh = one(calendar, "refresh-interval")
print(json.dumps({
    "calendar": {
        "name": one(calendar, "name"), "x_wr_calname": one(calendar, "x-wr-calname"),
        "refresh_interval": int(stringToDurations(refresh)[0].total_seconds()) if refresh else None,
        "vtimezones": [one(zone, "tzid") for zone in calendar.contents.get("vtimezone", [])],
    },
    "events": events,
}))
"""


class Readings(dict):
    """{client: [event, ...]}; `.calendars` {client: calendar-level facts}; `.skipped` {client: why}."""

    def __init__(self) -> None:
        super().__init__()
        self.calendars: dict[str, dict] = {}
        self.skipped: dict[str, str] = {}


def read_with_clients(body: bytes) -> Readings:
    """The events of a calendar as icalendar, ical, vobject and ical.js read them.

    Each event: uid, summary, location, description, status, sequence (int), start_utc and end_utc
    (ISO 8601 in UTC; the wall-clock text for a floating time, the date for an all-day one), tzid
    (the start's zone: a TZID, "UTC", or None when floating). Calendar facts (name, x_wr_calname,
    refresh_interval in seconds, vtimezones) are in `.calendars`. A client that cannot read the
    body fails the test, naming it.
    """
    readings = Readings()
    node_missing = _node_missing()
    with tempfile.TemporaryDirectory(prefix="feedcheck-") as folder:
        path = Path(folder) / "feed.ics"
        path.write_bytes(body)
        env = {**os.environ, "TZ": "UTC"}  # a floating time must not borrow the machine's zone
        running = {"vobject": subprocess.Popen([sys.executable, "-c", VOBJECT, str(path)], **_pipes(env))}
        if node_missing:
            readings.skipped["ical.js"] = node_missing
        else:
            script = str(NODE_DIR / "parse-ics.mjs")
            running["ical.js"] = subprocess.Popen(["node", script, "--feed", str(path)], **_pipes(env))
        for client, read in (("icalendar", _read_icalendar), ("ical", _read_ical)):
            try:
                readings.calendars[client], readings[client] = read(body)
            except Exception as error:
                _stop(running)
                raise AssertionError(f"{client} cannot read the calendar: {error!r}") from error
        for client, process in running.items():
            try:
                out, err = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                _stop(running)
                raise AssertionError(f"{client} did not finish reading the calendar in 60 s") from None
            if process.returncode != 0:
                _stop(running)
                raise AssertionError(f"{client} cannot read the calendar:\n{err[-2000:]}")
            found = json.loads(out)
            readings.calendars[client] = found["calendar"]
            readings[client] = [_from_node(e) if client == "ical.js" else e for e in found["events"]]
    return readings


def assert_clients_agree(body: bytes, expected: list[dict]) -> Readings:
    """Every client sees exactly the expected events, matched by uid.

    Each expected event gives uid, start_utc, end_utc (an aware datetime or its ISO text in UTC),
    summary, status, sequence and location, and may add description and tzid. A client skipped
    for want of Node skips the test, after the others were checked.
    """
    truth = {}
    for event in expected:
        missing = set(AGREED_KEYS) - set(event)
        unknown = set(event) - set(EVENT_KEYS)
        if missing or unknown:
            raise ValueError(f"an expected event lacks {sorted(missing)} or has unknown {sorted(unknown)}: {event}")
        for key in ("start_utc", "end_utc"):
            event = {**event, key: _instant(event[key])}
        truth[event["uid"]] = event
    readings = read_with_clients(body)
    wrong = []
    for client, events in readings.items():
        uids = [e["uid"] for e in events]
        if sorted(uids) != sorted(truth):
            wrong.append(f"{client} sees the events {sorted(uids)}, expected {sorted(truth)}")
            continue
        for event in events:
            want = truth[event["uid"]]
            seen = {key: event[key] for key in want}
            if seen != want:
                diff = {key: (seen[key], want[key]) for key in want if seen[key] != want[key]}
                wrong.append(f"{client} reads {event['uid']} differently (seen, expected): {diff}")
    assert not wrong, "\n".join(wrong)
    if readings.skipped:
        pytest.skip("; ".join(f"{client}: {why}" for client, why in readings.skipped.items()))
    return readings


def _node_missing() -> str | None:
    """Why ical.js cannot run (None if it can); a failure instead in CI."""
    missing = None
    if shutil.which("node") is None:
        missing = "Node.js is not installed"
    elif not (NODE_DIR / "node_modules" / "ical.js").is_dir():
        missing = "ical.js is not installed: npm ci --prefix tests/mail/node (make test does it)"
    if missing and (os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true"):
        pytest.fail(f"CI needs ical.js but {missing}")
    return missing


def _pipes(env: dict) -> dict:
    return {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, "env": env}


def _stop(running: dict[str, subprocess.Popen]) -> None:
    for process in running.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


def _instant(value) -> str | None:
    """An instant as the clients' dicts carry it (see read_with_clients)."""
    if isinstance(value, str):
        if len(value) == 10:
            return value
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo is None else value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None


def _tzid(value, param: str | None = None) -> str | None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    if param:
        return param
    if value.utcoffset().total_seconds() == 0 and value.tzname() == "UTC":
        return "UTC"
    return getattr(value.tzinfo, "key", None) or str(value.tzinfo)


def _text(value) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _read_icalendar(body: bytes) -> tuple[dict, list[dict]]:
    from icalendar import Calendar

    calendar = Calendar.from_ical(body)
    events = []
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART", None)
        end = event.end if "DTEND" in event or "DURATION" in event else None
        params = event["DTSTART"].params if "DTSTART" in event else {}
        events.append(
            {
                "uid": _text(event.get("UID")),
                "summary": _text(event.get("SUMMARY")),
                "location": _text(event.get("LOCATION")),
                "description": _text(event.get("DESCRIPTION")),
                "status": _text(event.get("STATUS")),
                "sequence": int(event.decoded("SEQUENCE", 0)),
                "start_utc": _instant(start),
                "end_utc": _instant(end),
                "tzid": _tzid(start, params.get("TZID")),
            }
        )
    refresh = calendar.decoded("REFRESH-INTERVAL", None)
    facts = {
        "name": _text(calendar.get("NAME")),
        "x_wr_calname": _text(calendar.get("X-WR-CALNAME")),
        "refresh_interval": int(refresh.total_seconds()) if hasattr(refresh, "total_seconds") else None,
        "vtimezones": [_text(zone.get("TZID")) for zone in calendar.walk("VTIMEZONE")],
    }
    return facts, events


def _read_ical(body: bytes) -> tuple[dict, list[dict]]:
    from ical.calendar_stream import IcsCalendarStream

    calendar = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    events = [
        {
            "uid": event.uid,
            "summary": event.summary,
            "location": event.location,
            "description": event.description,
            "status": event.status.value if event.status else None,
            "sequence": int(event.sequence or 0),
            "start_utc": _instant(event.dtstart),
            "end_utc": _instant(event.end),
            "tzid": _tzid(event.dtstart),
        }
        for event in calendar.events
    ]
    extras = {extra.name.lower(): extra.value for extra in calendar.extras}
    facts = {
        "name": calendar.name[0] if calendar.name else None,
        "x_wr_calname": extras.get("x-wr-calname"),
        "refresh_interval": int(calendar.refresh_interval.total_seconds()) if calendar.refresh_interval else None,
        "vtimezones": [zone.tz_id for zone in calendar.timezones],
    }
    return facts, events


def _from_node(event: dict) -> dict:
    return {
        **{key: event.get(key) for key in ("uid", "summary", "location", "description", "status")},
        "sequence": int(event.get("sequence") or 0),
        "start_utc": _instant(event.get("start")),
        "end_utc": _instant(event.get("end")),
        "tzid": None if event.get("tzid") in (None, "floating") else event["tzid"],
    }
