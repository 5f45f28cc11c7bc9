"""The .ics files attached to mail, read by real calendar parsers in fresh processes.

The files are taken from what the SMTP server received: confirmed, then moved an hour later,
then cancelled, at a school in Asia/Urumqi (UTC+6).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from events.services import cancel_visit, update_visit, visit_data
from volunteers import signups

NODE_DIR = Path(__file__).parent / "node"

VOBJECT = """
import json, sys
from datetime import UTC

import vobject
from vobject.icalendar import TimezoneComponent

found = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        calendar = vobject.readOne(f.read())
    event = calendar.vevent
    start = event.dtstart.value
    found.append({
        "summary": event.summary.value,
        "tzid": TimezoneComponent.pickTzid(start.tzinfo),
        "start": start.isoformat(),
        "start_utc": start.astimezone(UTC).isoformat(),
        "status": event.status.value,
        "sequence": int(event.sequence.value),
        "vtimezones": [zone.tzid.value for zone in calendar.contents.get("vtimezone", [])],
    })
print(json.dumps(found))
"""


@pytest.fixture
def attached_calendars(inbox, flask_command, db_session, now, make_school, make_visit, make_user, tmp_path):
    """The .ics files mailed to one volunteer about one visit, in the order they were sent."""
    school = make_school(name="乌鲁木齐市第一小学", timezone="Asia/Urumqi")
    visit = make_visit(school=school, title="火星车科学日")
    volunteer = make_user(locale="en")
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteer, now=now)
    db_session.commit()
    data = visit_data(visit)
    data.starts_at += timedelta(hours=1)
    data.lessons = []
    update_visit(db_session, visit, data, now=now)
    db_session.commit()
    cancel_visit(db_session, visit, now=now)
    flask_command("send-mail")
    paths = []
    for n, received in enumerate(inbox.to(volunteer.email)):
        if "visit.ics" in received.attachments:
            path = tmp_path / f"mail-{n}.ics"
            path.write_text(received.attachments["visit.ics"], encoding="utf-8")
            paths.append(path)
    assert len(paths) == 3
    return paths, visit


def assert_as_a_calendar_reads_them(events: list[dict], visit) -> None:
    confirmed, moved, cancelled = events
    day = visit.starts_at.astimezone(ZoneInfo("Asia/Urumqi")).date().isoformat()
    assert confirmed["start"].startswith(f"{day}T09:00:00")
    assert moved["start"].startswith(f"{day}T10:00:00")
    assert moved["start_utc"] == visit.starts_at.isoformat()  # 04:00 UTC, not Shanghai's 02:00
    assert confirmed["summary"] == moved["summary"] == "火星车科学日"
    assert cancelled["summary"] == "Cancelled: 火星车科学日"  # said in the summary too: Outlook ignores STATUS
    for event in events:
        assert event["tzid"] == "Asia/Urumqi"
        assert event["vtimezones"] == ["Asia/Urumqi"]
    assert [e["status"] for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert confirmed["sequence"] < moved["sequence"] < cancelled["sequence"]


def test_vobject_reads_the_attached_visit_in_school_time_with_its_changes(attached_calendars):
    paths, visit = attached_calendars
    done = subprocess.run(
        [sys.executable, "-c", VOBJECT, *map(str, paths)], capture_output=True, text=True, check=True, timeout=60
    )
    events = json.loads(done.stdout)
    assert all(e["start"].endswith("+06:00") for e in events)
    assert_as_a_calendar_reads_them(events, visit)


@pytest.fixture
def ical_js() -> Path:
    """The ical.js script; skipped without Node or the package, except in CI (REQUIRE_BROWSER=1)."""
    missing = None
    if shutil.which("node") is None:
        missing = "Node.js is not installed"
    elif not (NODE_DIR / "node_modules" / "ical.js").is_dir():
        missing = "ical.js is not installed: npm ci --prefix tests/mail/node (make test does it)"
    if missing and os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {missing}")
    if missing:
        pytest.skip(missing)
    return NODE_DIR / "parse-ics.mjs"


def test_ical_js_reads_the_attached_visit_in_school_time_with_its_changes(ical_js, attached_calendars):
    paths, visit = attached_calendars
    done = subprocess.run(
        ["node", str(ical_js), *map(str, paths)], capture_output=True, text=True, check=True, timeout=60
    )
    events = [{**e, "start_utc": e["startUtc"].replace(".000Z", "+00:00")} for e in json.loads(done.stdout)]
    assert_as_a_calendar_reads_them(events, visit)
