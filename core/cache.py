"""A cache the server's processes share (Redis), for answers that are costly to work out and cheap to check.

Used where the same question comes often and its answer changes rarely: a calendar app asking every hour
whether a feed changed (calendars.feed_cache). Off unless `CACHE_REDIS_URL` names a Redis server: the embedded
SQLite default runs on one machine and works out every answer each time, which is correct and fast enough there.

Freshness comes from a data version, one counter in Redis: every transaction that wrote a row of a watched
table raises it after it commits. An answer is kept with the version read *before* it was worked out, and is
good only while the version is unchanged, so whatever committed in between, in any process, makes it stale:

- a writer raises the version only after its commit, so an answer read before that is stale by then;
- a reader that read the version before a commit keeps its answer under that older version.

Writes that bypass the app (psql, a restore) raise nothing: each answer is also kept for `longest` seconds at
most. When Redis cannot be reached the cache misses (and logs it, once a minute) and answers are worked out
each time; a version raise lost that way leaves an answer kept before stale for at most `longest` seconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

log = logging.getLogger(__name__)

#: Session.info key: the watched tables this transaction wrote to
_WROTE = "scivisit_cache_wrote"
#: how long (seconds) between two log lines about an unreachable Redis
_QUIET = 60.0


class SharedCache:
    """One app's cache: a Redis client (or none), its key prefix and the tables whose changes make it stale."""

    def __init__(self, url: str | None, prefix: str, watched: frozenset[str]):
        self.prefix = prefix
        self.watched = watched
        self._client = None
        self._complained_at = -_QUIET
        self._here: dict[str, ProcessKept] = {}
        if url:
            import redis

            # A cache must never make a request wait: a slow or absent Redis is a miss, quickly.
            self._client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)

    @property
    def enabled(self) -> bool:
        return self._client is not None

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def _failed(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._complained_at >= _QUIET:
            self._complained_at = now
            log.warning("shared cache unreachable, working answers out afresh: %s", error)

    def lookup(self, name: str) -> tuple[dict | None, int | None]:
        """The answer kept under `name` if still fresh, and the data version now (None: no cache, or no Redis).

        A caller that works the answer out keeps it with `keep(name, answer, version)`, this version."""
        if self._client is None:
            return None, None
        import redis

        try:
            version, stored = self._client.mget(self._key("version"), self._key(name))
        except redis.RedisError as error:
            self._failed(error)
            return None, None
        version = int(version or 0)
        if stored is None:
            return None, version
        kept = json.loads(stored)
        return (kept["answer"] if kept.get("version") == version else None), version

    def keep(self, name: str, answer: dict, version: int | None, *, longest: int) -> None:
        """Keep `answer` (JSON-able) under `name`, good while the data version stays `version`."""
        if self._client is None or version is None:
            return
        self._set(self._key(name), json.dumps({"version": version, "answer": answer}), longest)

    def kept_here(self, name: str, size: int, longest: float | None) -> ProcessKept:
        """This process's own keeper of answers called `name` (made on first use: after a fork, in each worker)."""
        keeper = self._here.get(name)
        if keeper is None:
            keeper = self._here.setdefault(name, ProcessKept(size, longest))
        return keeper

    def version(self) -> int | None:
        """The data version now (None: no cache, or no Redis), for answers a process keeps itself
        (`ProcessKept`): one small read where the answer would cost a query."""
        if self._client is None:
            return None
        import redis

        try:
            # the command itself: redis-py's `get` wrapper (its deprecation checks) cost as much as the read
            return int(self._client.execute_command("GET", self._key("version")) or 0)
        except redis.RedisError as error:
            self._failed(error)
            return None

    def get_bytes(self, name: str) -> bytes | None:
        """Bytes kept under `name` (named by what determines them, so never stale), or None."""
        if self._client is None:
            return None
        import redis

        try:
            return self._client.get(self._key(name))
        except redis.RedisError as error:
            self._failed(error)
            return None

    def put_bytes(self, name: str, data: bytes, *, longest: int) -> None:
        if self._client is not None:
            self._set(self._key(name), data, longest)

    def _set(self, key: str, value, longest: int) -> None:
        import redis

        try:
            self._client.set(key, value, ex=longest)
        except redis.RedisError as error:
            self._failed(error)

    def data_changed(self) -> None:
        """Raise the data version: every answer kept so far is stale."""
        if self._client is None:
            return
        import redis

        try:
            self._client.incr(self._key("version"))
        except redis.RedisError as error:
            self._failed(error)


class ProcessKept:
    """Answers one process keeps in its own memory, each with the shared data version read before it was worked
    out: for objects too costly to rebuild from Redis (an account as an ORM object), still stale the moment any
    process writes what they depend on. At most `size` answers (the oldest goes first), each for `longest`
    seconds of `clock` (None: no time of its own, for answers their caller times by the app's clock, as kept pages
    are); safe under threads."""

    def __init__(self, size: int, longest: float | None, clock: Callable[[], float] = time.monotonic):
        self.size, self.longest, self._clock = size, longest, clock
        self._kept: dict[str, tuple[int, float, object]] = {}
        self._lock = threading.Lock()

    def get(self, name: str, version: int | None):
        """The answer kept under `name` for this data version and not too old, or None."""
        if version is None:
            return None
        kept = self._kept.get(name)
        if kept is None or kept[0] != version:
            return None
        if self.longest is not None and self._clock() - kept[1] > self.longest:
            return None
        return kept[2]

    def put(self, name: str, answer, version: int | None) -> None:
        if version is None:
            return
        with self._lock:
            self._kept.pop(name, None)
            while len(self._kept) >= self.size:
                del self._kept[next(iter(self._kept))]
            self._kept[name] = (version, self._clock(), answer)

    def get_at(self, name: str, version: int | None, now: datetime, longest: timedelta):
        """The answer kept under `name` by `put_at` for this data version, while `now` (the app's clock, for an
        answer that depends on it) lies within `longest` after the time it was kept; else None."""
        kept = self.get(name, version)
        if kept is None or not kept[0] <= now < kept[0] + longest:
            return None
        return kept[1]

    def put_at(self, name: str, answer, version: int | None, now: datetime) -> None:
        """Keep `answer` as worked out at `now` of the app's clock (see `get_at`)."""
        self.put(name, (now, answer), version)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def init_cache(app: Flask, watched: set[str]) -> SharedCache:
    """Give `app` its shared cache, stale whenever a table in `watched` is written."""
    cache = SharedCache(app.config.get("CACHE_REDIS_URL"), app.config["CACHE_KEY_PREFIX"], frozenset(watched))
    app.extensions["scivisit_cache"] = cache
    if not event.contains(Session, "after_flush", _flushed):
        event.listen(Session, "after_flush", _flushed)
        event.listen(Session, "do_orm_execute", _executed)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_rollback", _forget)
    return cache


def shared_cache() -> SharedCache | None:
    """The current app's shared cache (None outside an app, or before init_cache)."""
    return current_app.extensions.get("scivisit_cache") if has_app_context() else None


def process_keeper(name: str, size: int, longest: float | None) -> tuple[ProcessKept | None, int | None]:
    """This process's keeper `name` (`SharedCache.kept_here`) and the data version now to check and keep its
    answers with; (None, None) without a shared cache or while it is switched off."""
    cache = shared_cache()
    if cache is None or not cache.enabled:
        return None, None
    return cache.kept_here(name, size, longest), cache.version()


def _watching(session: Session) -> SharedCache | None:
    """The app's cache when it is on and this transaction has not already written a watched table."""
    if session.info.get(_WROTE):
        return None
    cache = shared_cache()
    return cache if cache is not None and cache.enabled else None


def _flushed(session: Session, _context: UOWTransaction) -> None:
    cache = _watching(session)  # without a cache (the default), a flush costs nothing more
    if cache is None:
        return
    # Still the flush's own lists here: what it inserted, updated (really changed) and deleted.
    changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    if not cache.watched.isdisjoint(obj.__table__.name for obj in changed if hasattr(obj, "__table__")):
        session.info[_WROTE] = True


def _executed(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    cache = _watching(state.session)
    table = getattr(state.statement, "table", None)
    if cache is not None and getattr(table, "name", None) in cache.watched:
        state.session.info[_WROTE] = True


def announces_on_commit(session: Session) -> bool:
    """Whether this transaction wrote a watched table, so that its commit raises the data version."""
    return bool(session.info.get(_WROTE))


def _committed(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        cache = shared_cache()
        if cache is not None:
            cache.data_changed()


def _forget(session: Session) -> None:
    session.info.pop(_WROTE, None)
