"""Assertions and request bodies shared by the API tests."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import school_day


def assert_error(response, status: int, code: str) -> dict:
    """The response is the API's JSON error with this status and code; returns the error body."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def local_iso(value: datetime, tz: str = "Asia/Shanghai") -> str:
    """An aware time as a school's wall clock with its offset, as clients send it."""
    return value.astimezone(ZoneInfo(tz)).isoformat()


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def visit_body(school, *, days_ahead: int = 20, **overrides) -> dict:
    """A valid POST /visits body for `school`: 09:00 to 15:00 local, one slot, one lesson."""
    starts = school_day(days_ahead, time(9, 0), school.timezone)
    body = {
        "school_id": school.id,
        "title": "Rocket day",
        "starts_at": local_iso(starts, school.timezone),
        "ends_at": local_iso(starts + timedelta(hours=6), school.timezone),
        "slots": [{"role": "lead_instructor", "capacity": 2}],
        "lessons": [
            {
                "title": "Water rockets",
                "grade": 5,
                "starts_at": local_iso(starts + timedelta(hours=1), school.timezone),
                "ends_at": local_iso(starts + timedelta(hours=2), school.timezone),
                "students_expected": 30,
            }
        ],
    }
    body.update(overrides)
    return body
