"""Jinja filters: times in a school's time zone and money, formatted for the page language.

One style per language on every page and in every mail: the full date ("Saturday, December 5,
2026" / "2026年12月5日星期六"), the short time ("9:00 AM" / "09:00"), and the zone named as
people say it ("Beijing time" / "北京时间"), never as an identifier like "Asia/Shanghai".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache, wraps
from typing import TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_name
from babel.numbers import format_currency
from flask_babel import get_locale

from core.i18n import current_locale, gettext, locale_key
from core.i18n import lazy_gettext as _l
from core.timeutil import DEFAULT_TZ

F = TypeVar("F", bound=Callable[..., str])


def per_language(function: F) -> F:
    """`function`'s answers remembered per page language, a few thousand at most: lists show the same visits'
    times on request after request, and formatting them with Babel took a fifth of a page's time. (A formatter
    depends on its arguments and the language only: the catalogues and CLDR's data do not change while a
    process runs.)"""

    @lru_cache(maxsize=4096)
    def remembered(language: tuple | None, *args, **kwargs) -> str:
        return function(*args, **kwargs)

    @wraps(function)
    def formatted(*args, **kwargs) -> str:
        locale = current_locale()
        return remembered(None if locale is None else locale_key(locale), *args, **kwargs)

    formatted.cache_info = remembered.cache_info
    return formatted


#: Zones whose everyday name CLDR does not give: China's two clocks as people in China say
#: them (CLDR says "China Standard Time" and "GMT+06:00"), and UTC (CLDR: "Unknown Region").
_SPOKEN_NAMES = {
    "Asia/Shanghai": _l("Beijing time"),
    "Asia/Urumqi": _l("Xinjiang time (UTC+6)"),
    "UTC": _l("Coordinated Universal Time (UTC)"),
}


@per_language
def zone_name(tz: str = DEFAULT_TZ) -> str:
    """A time zone as people name it, in the page language: 'Beijing time', '日本时间'."""
    spoken = _SPOKEN_NAMES.get(tz)
    if spoken is not None:
        return str(spoken)
    return get_timezone_name(ZoneInfo(tz), "long", zone_variant="generic", locale=get_locale())


def zone_choice(tz: str) -> str:
    """A zone as a form offers it: its name, then its identifier for whoever knows them."""
    return f"{zone_name(tz)} ({tz})"


@per_language
def localdate(value: datetime | None, tz: str = DEFAULT_TZ) -> str:
    """'Saturday, December 5, 2026': the date at the school."""
    if value is None:
        return ""
    return format_date(value.astimezone(ZoneInfo(tz)).date(), "full", locale=get_locale())


@per_language
def day(value: date | None) -> str:
    """'Dec 7, 2026': a calendar day (already in the zone it belongs to)."""
    return format_date(value, "medium", locale=get_locale()) if value is not None else ""


@per_language
def clocktime(value: datetime | None, tz: str = DEFAULT_TZ) -> str:
    """'9:00 AM' / '09:00': the time of day at the school."""
    if value is None:
        return ""
    return format_time(value, "short", tzinfo=ZoneInfo(tz), locale=get_locale())


def clockrange(start: datetime, end: datetime, tz: str = DEFAULT_TZ) -> str:
    """'9:00 AM–10:30 AM': a span within a day already named."""
    return f"{clocktime(start, tz)}–{clocktime(end, tz)}"


@per_language
def localtime(value: datetime | None, tz: str = DEFAULT_TZ, *, zone: bool = True) -> str:
    """'Saturday, December 5, 2026, 9:00 AM (Beijing time)': a moment at the school."""
    if value is None:
        return ""
    when = gettext("%(date)s, %(time)s", date=localdate(value, tz), time=clocktime(value, tz))
    return _with_zone(when, tz) if zone else when


@per_language
def timerange(start: datetime, end: datetime, tz: str = DEFAULT_TZ, *, zone: bool = True) -> str:
    """'Saturday, December 5, 2026, 9:00 AM–3:30 PM (Beijing time)': a visit at the school."""
    when = gettext(
        "%(date)s, %(start)s–%(end)s", date=localdate(start, tz), start=clocktime(start, tz), end=clocktime(end, tz)
    )
    return _with_zone(when, tz) if zone else when


def _with_zone(when: str, tz: str) -> str:
    return gettext("%(when)s (%(zone)s)", when=when, zone=zone_name(tz))


@per_language
def fen(value: int | None) -> str:
    """An amount in fen as yuan with two decimals ('CN¥1,909.50', '¥1,909.50'), exactly (no float)."""
    return format_currency(Decimal(value or 0) / 100, "CNY", locale=get_locale())
