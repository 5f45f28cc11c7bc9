"""The feed harness itself is honest: its lint passes a good body and catches each defect alone,
and the four clients read the good body's times and texts exactly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from icalendar import Alarm, Calendar, Event, Timezone, vDuration, vText

from events.ical import calendar as visit_calendar
from events.ical import visit_event, visit_status
from tests.calendars import feedcheck
from tests.calendars.feedcheck import (
    CLIENTS,
    DURATION,
    assert_clean,
    assert_clients_agree,
    lint,
    read_with_clients,
)

URUMQI, SHANGHAI = ZoneInfo("Asia/Urumqi"), ZoneInfo("Asia/Shanghai")
NAME = "科学访问 SciVisit 🚀"

#: The truth the good body is built from; times in UTC are written out, not computed.
EVENTS = [
    {
        "uid": "visit-1@scivisit.test",
        "start": datetime(2026, 5, 27, 9, 0, tzinfo=URUMQI),
        "end": datetime(2026, 5, 27, 15, 0, tzinfo=URUMQI),
        "start_utc": "2026-05-27T03:00:00+00:00",
        "end_utc": "2026-05-27T09:00:00+00:00",
        "summary": '火星车科学日, "Mars rover"; back\\slash \\, 乌鲁木齐市第一小学四年级的火星车科学日 🚀🛰️👩‍🔬 真好玩',
        "location": '乌鲁木齐市第一小学, 新华北路 88 号; 二楼 🏫 (the "blue" gate) 科学楼三层多功能教室和实验室',
        "description": "角色: lead; 集合点: 南门\n带上: 笔记本, 铅笔\\橡皮\n联系人 🚀: 王老师",
        "status": "CONFIRMED",
        "sequence": 2,
        "tzid": "Asia/Urumqi",
    },
    {
        "uid": "visit-2@scivisit.test",
        "start": datetime(2026, 5, 28, 14, 30, tzinfo=SHANGHAI),
        "end": datetime(2026, 5, 28, 16, 0, tzinfo=SHANGHAI),
        "start_utc": "2026-05-28T06:30:00+00:00",
        "end_utc": "2026-05-28T08:00:00+00:00",
        "summary": '候补: 显微镜下的世界; cells, "water" & 🦠',
        "location": "凉山彝族自治州美姑县, 民族中学; 实验楼",
        "description": "第一行\n第二行, 第三行; 完",
        "status": "TENTATIVE",
        "sequence": 0,
        "tzid": "Asia/Shanghai",
    },
    {
        "uid": "visit-3@scivisit.test",
        "start": datetime(2026, 6, 1, 8, 0, tzinfo=SHANGHAI),
        "end": datetime(2026, 6, 1, 11, 45, tzinfo=SHANGHAI),
        "start_utc": "2026-06-01T00:00:00+00:00",
        "end_utc": "2026-06-01T03:45:00+00:00",
        "summary": "已取消: 天文之夜, 望远镜; \\\\ 🌌",
        "location": "成都市第七中学",
        "description": "",
        "status": "CANCELLED",
        "sequence": 5,
        "tzid": "Asia/Shanghai",
    },
]
EXPECTED = [{k: v for k, v in e.items() if k not in ("start", "end")} for e in EVENTS]


def good_body() -> bytes:
    """A feed built with icalendar by hand, its calendar-level properties written as RFC 7986 wants."""
    cal = Calendar()
    cal.add("prodid", "-//SciVisit//feedcheck test//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("name", vText(NAME))
    cal.add("x-wr-calname", vText(NAME))
    cal.add("refresh-interval", vDuration(timedelta(hours=1)), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(timedelta(hours=1)))
    for zone in ("Asia/Shanghai", "Asia/Urumqi"):
        cal.add_component(Timezone.from_tzinfo(ZoneInfo(zone), tzid=zone))
    for data in EVENTS:
        event = Event()
        event.add("uid", data["uid"])
        event.add("dtstamp", datetime(2026, 5, 12, 17, 30, tzinfo=UTC))
        event.add("dtstart", data["start"])
        event.add("dtend", data["end"])
        for key in ("summary", "location", "description", "status", "sequence"):
            event.add(key, data[key])
        for before in (timedelta(days=1), timedelta(hours=2)):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", data["summary"])
            alarm.add("trigger", -before)
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()


GOOD = good_body()


def replace_once(body: bytes, old: bytes, new: bytes) -> bytes:
    assert body.count(old) >= 1, old
    return body.replace(old, new, 1)


def fold_naively(body: bytes, prop: bytes) -> bytes:
    """Refold the first `prop` content line every 75 octets, as a fold that counts bytes only does."""
    match = re.search(rb"\r\n(" + prop + rb"[:;](?:[^\r]|\r\n )*)\r\n", body)
    line = match.group(1).replace(b"\r\n ", b"")
    parts = [line[:75]] + [line[i : i + 74] for i in range(75, len(line), 74)]
    return body[: match.start(1)] + b"\r\n ".join(parts) + body[match.end(1) :]


def test_the_good_body_is_clean_and_folds_inside_multibyte_text():
    assert lint(GOOD) == []
    assert_clean(GOOD)
    lines = GOOD.split(b"\r\n")
    # Folds fall between two multi-byte characters, so a fold counting bytes alone would split one.
    assert any(a[-1] >= 0x80 and b[:1] == b" " and b[1] >= 0x80 for a, b in pairwise(lines))


DEFECTS = {
    "bare LF": (lambda b: replace_once(b, b"\r\nDTSTAMP", b"\nDTSTAMP"), "bare LF"),
    "bare CR": (lambda b: replace_once(b, b"\r\nDTSTAMP", b"\rDTSTAMP"), "bare CR"),
    "no final CRLF": (lambda b: b[:-2], "does not end with CRLF"),
    "over-long line": (lambda b: replace_once(b, b"\r\n ", b""), "more than 75"),
    "fold splitting a UTF-8 character": (lambda b: fold_naively(b, b"SUMMARY"), "a fold splits a UTF-8 character"),
    "invalid UTF-8": (lambda b: replace_once(b, b"UID:visit-2", b"UID:\xffvisit-2"), "not valid UTF-8"),
    "TZID without VTIMEZONE": (
        lambda b: re.sub(rb"BEGIN:VTIMEZONE\r\nTZID:Asia/Urumqi\r\n.*?END:VTIMEZONE\r\n", b"", b, flags=re.S),
        "TZID=Asia/Urumqi, which has no VTIMEZONE",
    ),
    "missing UID": (lambda b: replace_once(b, b"UID:visit-2@scivisit.test\r\n", b""), "no UID"),
    "duplicated UID": (
        lambda b: replace_once(b, b"UID:visit-2@scivisit.test", b"UID:visit-1@scivisit.test"),
        "UID visit-1@scivisit.test is already used",
    ),
    "missing DTSTAMP": (lambda b: replace_once(b, b"DTSTAMP:20260512T173000Z\r\n", b""), "no DTSTAMP"),
    "missing DTSTART": (lambda b: re.sub(rb"DTSTART;TZID=Asia/Shanghai:20260601T080000\r\n", b"", b), "no DTSTART"),
    "X-PUBLISHED-TTL as a timedelta": (
        lambda b: replace_once(b, b"X-PUBLISHED-TTL:PT1H", b"X-PUBLISHED-TTL:6:00:00"),
        "X-PUBLISHED-TTL:6:00:00 is not an RFC 5545 duration",
    ),
    "REFRESH-INTERVAL without VALUE=DURATION": (
        lambda b: replace_once(b, b"REFRESH-INTERVAL;VALUE=DURATION:", b"REFRESH-INTERVAL:"),
        "REFRESH-INTERVAL lacks VALUE=DURATION",
    ),
    "malformed TRIGGER": (lambda b: replace_once(b, b"TRIGGER:-PT2H", b"TRIGGER:-2h"), "TRIGGER:-2h is not"),
    "floating DTSTART": (
        lambda b: replace_once(b, b"DTSTART;TZID=Asia/Shanghai:20260528T143000", b"DTSTART:20260528T143000"),
        "DTSTART:20260528T143000 is floating",
    ),
    "unescaped comma": (
        lambda b: replace_once(b, "LOCATION:乌鲁木齐市第一小学\\,".encode(), "LOCATION:乌鲁木齐市第一小学,".encode()),
        "LOCATION: an unescaped ','",
    ),
    "escaped backslash then an unescaped comma": (
        lambda b: replace_once(b, b"back\\\\slash \\\\\\,", b"back\\\\slash \\\\,"),
        "SUMMARY: an unescaped ','",
    ),
    "unescaped semicolon": (
        lambda b: replace_once(b, "显微镜下的世界\\;".encode(), "显微镜下的世界;".encode()),
        "SUMMARY: an unescaped ';'",
    ),
    "two VCALENDARs": (lambda b: b + b, "2 VCALENDAR components"),
    "END without BEGIN": (lambda b: replace_once(b, b"END:VALARM\r\n", b"END:VALARM\r\nEND:VALARM\r\n"), "END:VALARM"),
    "VERSION 1.0": (lambda b: replace_once(b, b"VERSION:2.0", b"VERSION:1.0"), "not 2.0"),
    "no PRODID": (lambda b: re.sub(rb"PRODID:[^\r]*\r\n", b"", b), "0 PRODID"),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_the_lint_catches_each_defect_alone(defect):
    mutate, expected = DEFECTS[defect]
    bad = mutate(GOOD)
    assert bad != GOOD
    problems = lint(bad)
    assert problems, f"{defect} went unnoticed"
    assert all(expected in p for p in problems), problems
    if defect != "fold splitting a UTF-8 character":  # a naive fold splits every line of the summary
        assert len(problems) == 1, problems
    with pytest.raises(AssertionError, match=re.escape(expected)):
        assert_clean(bad)


def test_durations_follow_rfc_5545_strictly():
    for valid in ("PT1H", "-P1D", "-PT2H", "+PT15M", "P1W", "P1DT2H30M", "PT1M30S", "PT0S"):
        assert DURATION.fullmatch(valid), valid
    for invalid in ("6:00:00", "1:00:00", "P", "PT", "P1D2H", "PT1H30S", "1H", "P1.5H", "-P1W2D", ""):
        assert not DURATION.fullmatch(invalid), invalid


def test_every_client_reads_the_exact_utc_times_and_unchanged_texts():
    readings = assert_clients_agree(GOOD, EXPECTED)
    assert set(readings) == set(CLIENTS)
    for client in CLIENTS:
        facts = readings.calendars[client]
        assert facts["refresh_interval"] == 3600, client
        assert facts["name"] == NAME, client
        assert facts["vtimezones"] == ["Asia/Shanghai", "Asia/Urumqi"], client


def test_the_clients_report_what_differs():
    wrong = [{**EXPECTED[0], "start_utc": "2026-05-27T09:00:00+00:00"}, *EXPECTED[1:]]
    with pytest.raises(AssertionError, match=re.escape("icalendar reads visit-1@scivisit.test differently")):
        assert_clients_agree(GOOD, wrong)
    with pytest.raises(AssertionError, match="sees the events"):
        assert_clients_agree(GOOD, EXPECTED[:2])


def test_a_tzid_without_vtimezone_moves_the_visit_in_ical_js():
    """Why the lint insists: without the Urumqi VTIMEZONE, ical.js takes 09:00 as floating (the
    device's own time), while the Python clients still find the zone by name."""
    bad, removed = re.subn(rb"BEGIN:VTIMEZONE\r\nTZID:Asia/Urumqi\r\n.*?END:VTIMEZONE\r\n", b"", GOOD, flags=re.S)
    assert removed == 1
    readings = read_with_clients(bad)
    if "ical.js" in readings.skipped:
        pytest.skip(readings.skipped["ical.js"])
    assert readings["ical.js"][0]["start_utc"] == "2026-05-27T09:00:00"
    assert readings["ical.js"][0]["tzid"] is None
    assert readings["icalendar"][0]["start_utc"] == EXPECTED[0]["start_utc"]


def test_the_strict_ical_package_refuses_a_floating_start():
    bad = replace_once(GOOD, b"DTSTART;TZID=Asia/Shanghai:20260528T143000", b"DTSTART:20260528T143000")
    with pytest.raises(AssertionError, match="ical cannot read the calendar"):
        read_with_clients(bad)


@pytest.fixture(params=[None, "王老师的科学访问, 乌鲁木齐; \\ 🚀"], ids=["file", "feed"])
def todays_visit_calendar(request, make_school, make_visit, now):
    """What events.ical makes today of one visit with commas, quotes, backslashes, Chinese and emoji: as
    a file (mail, download) and, with a name, as a feed (with alarms and the street address)."""
    school = make_school(
        name='乌鲁木齐市第一小学, "东校区"; 🏫', address="新华北路 88 号, 二楼; 科学楼", timezone="Asia/Urumqi"
    )
    visit = make_visit(school=school, title='火星车科学日, "Mars rover"; back\\slash 🚀 乌鲁木齐市第一小学四年级')
    event = visit_event(
        visit, status=visit_status(visit), sequence=visit.revision, changed_at=now, address=True, alarms=True
    )
    return visit, visit_calendar([event], zones=[school.timezone], name=request.param)


def test_todays_visit_calendar_is_lint_clean(todays_visit_calendar):
    _, body = todays_visit_calendar
    assert_clean(body)


def test_todays_visit_calendar_reads_alike_in_every_client(todays_visit_calendar):
    visit, body = todays_visit_calendar
    school = visit.school
    assert_clients_agree(
        body,
        [
            {
                "uid": f"visit-{visit.id}@scivisit",
                "start_utc": visit.starts_at,
                "end_utc": visit.ends_at,
                "summary": visit.title,
                "status": "CONFIRMED",
                "sequence": visit.revision,
                "location": f"{school.name}, {school.region}, {school.address}",
                "tzid": "Asia/Urumqi",
            }
        ],
    )


def test_without_node_ical_js_is_skipped_with_its_reason_except_in_ci(monkeypatch):
    monkeypatch.setattr(feedcheck.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("REQUIRE_BROWSER", raising=False)
    readings = read_with_clients(GOOD)
    assert readings.skipped == {"ical.js": "Node.js is not installed"}
    assert set(readings) == {"icalendar", "ical", "vobject"}
    with pytest.raises(pytest.skip.Exception, match=re.escape("ical.js: Node.js is not installed")):
        assert_clients_agree(GOOD, EXPECTED)
    for variable, value in (("CI", "true"), ("REQUIRE_BROWSER", "1")):
        with monkeypatch.context() as env:
            env.setenv(variable, value)
            with pytest.raises(pytest.fail.Exception, match=re.escape("CI needs ical.js but Node.js is not installed")):
                read_with_clients(GOOD)
