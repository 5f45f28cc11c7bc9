"""Times read the same way on every page and in every mail: one date style per language, the zone named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from app import create_app
from core.formatting import clockrange, localdate, localtime, timerange, zone_choice, zone_name
from core.timeutil import COMMON_TIMEZONES
from tests import conftest

#: 01:00 UTC is 09:00 in Beijing and 07:00 in Xinjiang.
START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
END = datetime(2026, 12, 5, 7, 30, tzinfo=UTC)


@pytest.fixture
def app(tmp_path, clock):
    """Formatting needs the languages, not a database."""
    return create_app(conftest.test_config(f"sqlite:///{tmp_path}/unused.sqlite3", tmp_path, clock))


def plain(text: str) -> str:
    return text.replace("\u202f", " ")


@pytest.mark.parametrize(
    ("locale", "tz", "name"),
    [
        ("zh_CN", "Asia/Shanghai", "北京时间"),
        ("en", "Asia/Shanghai", "Beijing time"),
        ("zh_CN", "Asia/Urumqi", "新疆时间（UTC+6）"),
        ("en", "Asia/Urumqi", "Xinjiang time (UTC+6)"),
        ("zh_CN", "Asia/Tokyo", "日本时间"),
        ("en", "Asia/Tokyo", "Japan Time"),
        ("zh_CN", "UTC", "协调世界时（UTC）"),
    ],
)
def test_a_zone_is_named_as_people_say_it_in_the_readers_language(app, locale, tz, name):
    with app.test_request_context(), force_locale(locale):
        assert zone_name(tz) == name


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_zone_a_school_can_have_has_a_name_not_an_identifier(app, locale):
    with app.test_request_context(), force_locale(locale):
        for tz in COMMON_TIMEZONES:
            name = zone_name(tz)
            assert "/" not in name and "Unknown" not in name and "未知" not in name, (tz, name)
            assert zone_choice(tz) == f"{name} ({tz})"


@pytest.mark.parametrize(
    ("locale", "moment", "span", "day"),
    [
        (
            "en",
            "Saturday, December 5, 2026, 9:00 AM (Beijing time)",
            "Saturday, December 5, 2026, 9:00 AM–3:30 PM (Beijing time)",
            "Saturday, December 5, 2026",
        ),
        (
            "zh_CN",
            "2026年12月5日星期六 09:00（北京时间）",
            "2026年12月5日星期六 09:00–15:30（北京时间）",
            "2026年12月5日星期六",
        ),
    ],
)
def test_one_date_style_per_language_for_moments_spans_and_days(app, locale, moment, span, day):
    with app.test_request_context(), force_locale(locale):
        assert plain(localtime(START, "Asia/Shanghai")) == moment
        assert plain(timerange(START, END, "Asia/Shanghai")) == span
        assert localdate(START, "Asia/Shanghai") == day


def test_times_are_the_schools_own_clock(app):
    with app.test_request_context(), force_locale("en"):
        assert plain(timerange(START, END, "Asia/Urumqi")) == (
            "Saturday, December 5, 2026, 7:00 AM–1:30 PM (Xinjiang time (UTC+6))"
        )
        assert plain(clockrange(START, END, "Asia/Urumqi")) == "7:00 AM–1:30 PM"
        assert plain(localtime(START, "Asia/Urumqi", zone=False)) == "Saturday, December 5, 2026, 7:00 AM"


def test_a_time_formatted_once_is_remembered_in_its_own_language_only(app):
    with app.test_request_context():
        with force_locale("en"):
            english = timerange(START, END, "Asia/Shanghai")
        with force_locale("zh_CN"):
            chinese = timerange(START, END, "Asia/Shanghai")
        with force_locale("en"):
            assert timerange(START, END, "Asia/Shanghai") == english
    assert "Beijing time" in english and "北京时间" in chinese
    assert timerange.cache_info().hits >= 1
