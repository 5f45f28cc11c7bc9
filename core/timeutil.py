"""Time: stored as UTC, shown in a school's time zone, `now` passed into services.

Two clocks: `utcnow()` is the wall clock; `now()` is the app's clock, which every request
(`g.now`), CLI command, the mail thread and the models' timestamp defaults read. It is the
wall clock unless the app's config names another in `CLOCK` (a callable returning an aware
datetime), which is how the tests fix and move time.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, has_app_context
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

DEFAULT_TZ = "Asia/Shanghai"

#: The zones offered in forms: China's, and a few where partner companies sit.
COMMON_TIMEZONES = [
    "Asia/Shanghai",
    "Asia/Urumqi",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "America/New_York",
    "UTC",
]


def utcnow() -> datetime:
    """The wall clock, aware UTC. Code that serves the app reads `now()` instead."""
    return datetime.now(UTC)


def now() -> datetime:
    """The app's clock, aware UTC: the app's `CLOCK` setting when there is one, else the wall clock."""
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            return ensure_aware(clock())
    return utcnow()


@functools.cache
def _zone_names() -> frozenset[str]:
    """The IANA zones this machine knows: read once (available_timezones() walks the zone files, about 30 ms)."""
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    if not name or name not in _zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_to_utc(day: date, at: time, tz_name: str) -> datetime:
    """A wall-clock time at a school, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def naive_local_to_utc(value: datetime, tz_name: str) -> datetime:
    return value.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def in_zone(value: datetime, tz_name: str) -> datetime:
    return value.astimezone(ZoneInfo(tz_name))


def ensure_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given where an aware one is required")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC on every database and gives them back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return ensure_aware(value).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
