"""Feeds kept in the shared cache (core.cache), so that an hourly "changed?" from every subscribed calendar costs
no SQL at all while nothing changed, and a feed is built once per change rather than once per fetch.

- A feed's change stamp is kept under its token's hash (`feed_key`) with the data version read before it was
  worked out: any write to what feeds show makes it stale. It is also trusted for at most STAMP_KEPT of the app's
  clock, because an event leaves a feed by time alone (14 days after its cancellation), which no write announces.
- A feed's body is kept under its token's hash and its ETag, which names everything its bytes depend on, so a
  kept body is never stale; it simply ages out (BODY_KEPT).

Without a shared cache (no CACHE_REDIS_URL) every stamp is worked out and every feed built each time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from calendars.stamps import Stamp
from core.cache import shared_cache

#: seconds a stamp is kept and trusted
STAMP_KEPT = 600
#: seconds a built feed is kept
BODY_KEPT = 3600
#: the key of the public feed's stamp (private feeds' keys are their tokens' hashes)
PROGRAMME = "programme"


def kept_stamp(key: str, now: datetime) -> tuple[Stamp | None, int | None]:
    """The feed's kept stamp while it holds, and the data version to keep a fresh one with (None: no cache)."""
    cache = shared_cache()
    if cache is None:
        return None, None
    answer, version = cache.lookup(f"feed:{key}")
    if answer is None:
        return None, version
    worked_out = datetime.fromisoformat(answer["at"])
    if not worked_out <= now < worked_out + timedelta(seconds=STAMP_KEPT):
        return None, version
    last_modified = answer["last_modified"]
    stamp = Stamp(answer["entitled"], answer["etag"], last_modified and datetime.fromisoformat(last_modified))
    return stamp, version


def keep_stamp(key: str, stamp: Stamp, version: int | None, now: datetime) -> None:
    """Keep the stamp worked out at `now`, good while the data version stays `version`."""
    cache = shared_cache()
    if cache is None:
        return
    modified = stamp.last_modified.isoformat() if stamp.last_modified is not None else None
    answer = {"entitled": stamp.entitled, "etag": stamp.etag, "last_modified": modified, "at": now.isoformat()}
    cache.keep(f"feed:{key}", answer, version, longest=STAMP_KEPT)


def feed_body(key: str, stamp: Stamp, build: Callable[[], bytes]) -> bytes:
    """The feed's body for this stamp: kept, or built now and kept."""
    cache = shared_cache()
    name = f"ics:{key}:{stamp.etag.strip(chr(34))}"
    body = cache.get_bytes(name) if cache is not None else None
    if body is None:
        body = build()
        if cache is not None:
            cache.put_bytes(name, body, longest=BODY_KEPT)
    return body
