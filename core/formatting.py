"""Jinja filters: times in a school's time zone and money, formatted for the page language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency
from flask_babel import get_locale

from core.timeutil import DEFAULT_TZ


def localtime(value: datetime | None, tz: str = DEFAULT_TZ, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt, tzinfo=ZoneInfo(tz), locale=get_locale())


def localdate(value: datetime | None, tz: str = DEFAULT_TZ, fmt: str = "full") -> str:
    if value is None:
        return ""
    return format_date(value.astimezone(ZoneInfo(tz)).date(), fmt, locale=get_locale())


def timerange(start: datetime, end: datetime, tz: str = DEFAULT_TZ) -> str:
    """'Saturday, 5 December 2026, 09:00–15:30' in the page language, in the school's zone."""
    zone = ZoneInfo(tz)
    locale = get_locale()
    day = format_date(start.astimezone(zone).date(), "full", locale=locale)
    start_t = format_time(start, "short", tzinfo=zone, locale=locale)
    end_t = format_time(end, "short", tzinfo=zone, locale=locale)
    return f"{day} {start_t}–{end_t}"


def fen(value: int | None) -> str:
    return format_currency((value or 0) / 100, "CNY", locale=get_locale())
