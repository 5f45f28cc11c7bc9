"""Feeds through the shared cache (Redis), as several server processes serve them: a 304 that runs no SQL while
nothing changed, a feed built once per change, and never a stale answer after a write, a new address, a lost
right or the 14 days after which a cancelled visit leaves."""

from __future__ import annotations

import logging

import pytest
import redis
from sqlalchemy import select

from accounts import token_cache
from accounts.models import Role
from accounts.services import set_roles
from calendars.models import CalendarFeed
from calendars.services import rotate_feed
from calendars.stamps import PROGRAMME_HISTORY, WATCHED_TABLES
from core.cache import SharedCache
from events.services import cancel_visit, update_visit, visit_data
from extensions import db
from mail.models import OutboxMessage
from tests.calendars.calendar_helpers import PROGRAMME, events_of, feed_path, get_counting, uid
from tests.conftest import REDIS_URL


def _cache(url: str, prefix: str) -> SharedCache:
    """Another server process's cache: its own client on the same Redis, watching what the app's watches."""
    return SharedCache(url, prefix, WATCHED_TABLES | token_cache.WATCHED_TABLES)


def _retitled(db_session, visit, title: str, now) -> None:
    data = visit_data(visit)
    data.title = title
    update_visit(db_session, visit, data, now=now)
    db_session.commit()


@pytest.mark.parametrize("kind", ["personal", "school", "company", "public"])
def test_a_304_from_a_kept_stamp_runs_no_sql(cache, client, team, kind):
    path = team.paths()[kind]
    first, _ = get_counting(client, path)
    assert first.status_code == 200
    again, statements = get_counting(client, path, {"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert statements == []
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_feed_is_built_once_until_something_changes(cache, client, team):
    path = team.paths()["personal"]
    first = client.get(path)
    again, statements = get_counting(client, path)
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert statements == []


def test_a_write_from_another_process_makes_the_kept_stamp_stale(cache, client, db_session, clock, now, team):
    path = team.paths()["personal"]
    first = client.get(path)
    clock.advance(minutes=10)
    # Another server process: its own cache client on the same Redis, under the same prefix.
    other = _cache(REDIS_URL, cache.prefix)
    db.session.info.clear()
    _retitled(db_session, team.visit, "Floating eggs", clock.now)
    other.data_changed()
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert str(events_of(changed.get_data())[uid(team.visit)]["SUMMARY"]) == "Floating eggs"
    assert changed.headers["ETag"] != first.headers["ETag"]


@pytest.mark.parametrize("kind", ["personal", "school", "company", "public"])
def test_a_change_the_feed_shows_is_served_at_once(cache, client, db_session, clock, team, kind):
    path = team.paths()[kind]
    first = client.get(path)
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    clock.advance(minutes=10)
    _retitled(db_session, team.visit, "Mars rovers", clock.now)
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert str(events_of(changed.get_data())[uid(team.visit)]["SUMMARY"]) == "Mars rovers"


def test_writes_feeds_do_not_show_keep_the_stamps(cache, client, db_session, now, team):
    path = team.paths()["personal"]
    first = client.get(path)
    db_session.add(OutboxMessage(recipient="someone@example.org", subject="Hello", body="Hi", created_at=now))
    db_session.commit()
    again, statements = get_counting(client, path, {"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert statements == []


def test_a_rolled_back_change_keeps_the_stamps(cache, client, db_session, clock, team):
    path = team.paths()["personal"]
    first = client.get(path)
    clock.advance(minutes=1)
    data = visit_data(team.visit)
    data.title = "Never saved"
    update_visit(db_session, team.visit, data, now=clock.now)
    db_session.rollback()
    again, statements = get_counting(client, path, {"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert statements == []


def test_a_kept_stamp_does_not_keep_an_old_address_working(cache, client, db_session, clock, team):
    old = team.paths()["personal"]
    assert client.get(old).status_code == 200
    clock.advance(minutes=1)
    rotate_feed(db_session, team.volunteer, "personal", 0, clock.now)
    db_session.commit()
    assert client.get(old).status_code == 404
    assert client.get(feed_path(db_session, team.volunteer, "personal", clock.now)).status_code == 200


def test_a_kept_stamp_does_not_outlive_the_right_to_the_feed(cache, client, db_session, clock, team):
    path = team.paths()["school"]
    assert client.get(path).status_code == 200
    clock.advance(minutes=1)
    set_roles(team.host, {Role.VOLUNTEER})
    db_session.commit()
    assert client.get(path).status_code == 404


def test_a_kept_stamp_is_trusted_for_ten_minutes_of_the_clock(cache, client, clock, team):
    path = team.paths()["personal"]
    first = client.get(path)
    clock.advance(minutes=9)
    assert get_counting(client, path, {"If-None-Match": first.headers["ETag"]})[1] == []
    clock.advance(minutes=1)
    again, statements = get_counting(client, path, {"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert len(statements) == 2  # worked out again: the token lookup and the change stamp


def test_a_cancelled_visit_leaves_after_14_days_with_no_write(cache, client, db_session, clock, team):
    path = team.paths()["public"]
    clock.advance(hours=1)
    cancel_visit(db_session, team.visit, now=clock.now)
    db_session.commit()
    shown = client.get(path)
    assert uid(team.visit) in events_of(shown.get_data())
    clock.advance(days=14, minutes=1)
    gone = client.get(path, headers={"If-None-Match": shown.headers["ETag"]})
    assert gone.status_code == 200
    assert uid(team.visit) not in events_of(gone.get_data())


def test_a_visit_leaves_the_programme_a_month_after_its_start_with_no_write(cache, client, db_session, clock, team):
    path = team.paths()["public"]
    shown = client.get(path)
    assert uid(team.visit) in events_of(shown.get_data())
    clock.set(team.visit.starts_at + PROGRAMME_HISTORY)
    gone = client.get(path, headers={"If-None-Match": shown.headers["ETag"]})
    assert gone.status_code == 200
    assert uid(team.visit) not in events_of(gone.get_data())


def test_feeds_are_served_without_redis_and_it_is_logged(app, client, team, caplog):
    before = app.extensions["scivisit_cache"]
    app.extensions["scivisit_cache"] = _cache("redis://127.0.0.1:9/0", "unreachable")
    try:
        with caplog.at_level(logging.WARNING, logger="core.cache"):
            for path in (team.paths()["personal"], PROGRAMME):
                first = client.get(path)
                assert first.status_code == 200
                assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    finally:
        app.extensions["scivisit_cache"] = before
    assert [r.getMessage() for r in caplog.records if "shared cache unreachable" in r.getMessage()]


def test_the_stamp_and_body_live_under_the_tokens_hash_not_the_token(cache, client, db_session, team):
    path = team.paths()["personal"]
    client.get(path)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    keys = [key.decode() for key in redis.Redis.from_url(REDIS_URL).scan_iter(f"{cache.prefix}:*")]
    assert keys and not [key for key in keys if token in key]
    (feed,) = db_session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == team.volunteer.id))
    assert f"{cache.prefix}:feed:{feed.token_hash}" in keys
