"""Calendar pages: the feeds calendar apps poll (`/cal/<token>.ics`, `/cal/programme.ics`), a visit's single
`.ics` download, and giving a feed a new address.

A feed answers from its change stamp first (calendars.stamps: the token lookup and one more statement): 304
when the app's ETag or date still holds, the feed built only otherwise. It is `text/calendar; charset=utf-8`,
never compressed (Outlook refuses gzip; nothing in the app compresses), the same whatever the request's
Accept header (Google sends none), and not an attachment, so apps subscribe instead of importing it once.
Feeds are polled hourly, often by a few servers for many people (Google's, Microsoft's): no rate limit.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, g, request, url_for
from flask_login import current_user

from accounts.access import SIGNED_IN, requires, viewer
from calendars import bp, feed_cache, feeds, services
from calendars.stamps import Stamp, change_stamp
from core.http import safe_next
from core.i18n import DEFAULT_LOCALE, current_locale_code
from core.i18n import gettext as _
from core.web import act
from events.access import can_see_visit
from events.models import Visit
from extensions import db, limiter

CALENDAR = "text/calendar"
#: a private feed's address is a secret: not in Referer headers, search engines or shared caches
PRIVATE_HEADERS = {"Cache-Control": "private, no-cache", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
PUBLIC_HEADERS = {"Cache-Control": "public, no-cache"}


def _not_modified(stamp: Stamp) -> bool:
    """RFC 9110: If-None-Match decides when present (weak comparison for GET); else If-Modified-Since."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(stamp.etag.strip('"'))
    since = request.if_modified_since
    return since is not None and stamp.last_modified is not None and stamp.last_modified.replace(microsecond=0) <= since


def _answer(stamp: Stamp, body: Callable[[], bytes], headers: dict) -> Response:
    response = Response(status=304) if _not_modified(stamp) else Response(body(), mimetype=CALENDAR)
    response.headers["ETag"] = stamp.etag
    if stamp.last_modified is not None:
        response.last_modified = stamp.last_modified
    response.headers.update(headers)
    return response


@bp.get("/cal/<token>.ics")
@limiter.exempt
def feed(token: str):
    """A private feed: a person's own visits, a school's for its hosts, a company's people's for its coordinators."""
    key = services.feed_key(token)
    if key is None:
        abort(404)
    stamp, version = feed_cache.kept_stamp(key, g.now)
    row = None
    if stamp is None:
        row = services.find_feed(db.session, key)
        if row is None:
            abort(404)
        stamp = change_stamp(db.session, row, feeds.feed_locale(row), g.now)
        feed_cache.keep_stamp(key, stamp, version, g.now)
    if not stamp.entitled:
        abort(404)

    def build() -> bytes:
        found = row or services.find_feed(db.session, key)
        if found is None:  # closed or given a new address since its stamp was kept
            abort(404)
        return feeds.private_feed(db.session, found, g.now)

    return _answer(stamp, lambda: feed_cache.feed_body(key, stamp, build), PRIVATE_HEADERS)


@bp.get("/cal/programme.ics")
@limiter.exempt
def programme():
    """The public programme feed: published visits, with no personal data."""
    stamp, version = feed_cache.kept_stamp(feed_cache.PROGRAMME, g.now)
    if stamp is None:
        stamp = change_stamp(db.session, None, DEFAULT_LOCALE, g.now)
        feed_cache.keep_stamp(feed_cache.PROGRAMME, stamp, version, g.now)
    build = lambda: feeds.programme_feed(db.session, g.now)  # noqa: E731
    return _answer(stamp, lambda: feed_cache.feed_body(feed_cache.PROGRAMME, stamp, build), PUBLIC_HEADERS)


@bp.get("/visits/<int:visit_id>/calendar.ics")
def visit_calendar(visit_id: int):
    """One visit as a calendar file to import, for a phone whose calendar cannot subscribe."""
    visit = db.get_or_404(Visit, visit_id)
    person = viewer()
    if not can_see_visit(person, visit):
        abort(404)
    body = feeds.visit_download(db.session, visit, person, current_locale_code())
    response = Response(body, mimetype=CALENDAR)
    response.headers["Content-Disposition"] = f'attachment; filename="visit-{visit.id}.ics"'
    return response


@bp.post("/cal/feeds/<kind>/<int:target_id>/rotate")
@requires(SIGNED_IN)
def rotate_feed(kind: str, target_id: int):
    """Give one of one's feeds a new address: the old one stops working at once."""
    person = current_user._get_current_object()
    return act(
        lambda: services.rotate_feed(db.session, person, kind, target_id, g.now),
        done=lambda link: _(
            "%(title)s has a new address. The old one no longer works: subscribe again with the new one.",
            title=link.title,
        ),
        then=safe_next(request.form.get("next"), url_for("volunteers.profile")),
    )
