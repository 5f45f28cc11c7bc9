"""Helpers for the event tests: English pages, people, and visit input as a form would send it."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from accounts.models import Role
from core.timeutil import DEFAULT_TZ, local_to_utc
from events.services import VisitData
from tests.conftest import school_date


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English, so the tests can read them."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def volunteer(make_user):
    return make_user(Role.VOLUNTEER, name="Vera Volunteer")


def day_ahead(days: int = 14, tz: str = DEFAULT_TZ) -> date:
    """The date at a school in zone `tz`, `days` days after the test's start (the `now` fixture)."""
    return school_date(days, tz)


def visit_data(school, *, days: int = 14, start: time = time(9), end: time = time(15), **values) -> VisitData:
    """Input for a visit to `school`, with times given as wall-clock times at the school."""
    day = day_ahead(days, school.timezone)
    return VisitData(
        school_id=school.id,
        title=values.pop("title", "Egg drop day"),
        starts_at=local_to_utc(day, start, school.timezone),
        ends_at=local_to_utc(values.pop("end_day", day), end, school.timezone),
        **values,
    )


def at_school(school, hour: int, minute: int = 0, *, days: int = 14) -> datetime:
    return local_to_utc(day_ahead(days, school.timezone), time(hour, minute), school.timezone)


def visit_form(school, *, days: int = 14, start="09:00", end="15:00", slots=(), lessons=(), satellites=(), **fields):
    """What the visit form posts: rows as `slots-0-capacity`; a checkbox is sent only when ticked."""
    data = {
        "school_id": str(school.id),
        "title": "Balloon day",
        "date": day_ahead(days, school.timezone).isoformat(),
        "starts_at": start,
        "ends_at": end,
        "signup_opens_at": "",
        "signup_closes_at": "",
        "meeting_point": "",
        "livestream_url": "",
        "notes": "",
        **fields,
    }
    for name, rows in (("slots", slots), ("lessons", lessons), ("satellites", satellites)):
        for index, row in enumerate(rows):
            for key, value in row.items():
                if value is True:
                    value = "y"
                if value is not False and value is not None:
                    data[f"{name}-{index}-{key}"] = str(value)
    return data
