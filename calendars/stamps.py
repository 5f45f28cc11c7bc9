"""A feed's change stamp: one cheap SQL statement, read before any feed is built, from which its ETag and
Last-Modified come, so a calendar app asking "changed?" gets its 304 without the feed being built.

The stamp holds, for everything a feed shows, how many rows there are and when the last of them changed
(visits, including their lessons and roles, which change with them; schools; signups; people), the
cancellation time of the last event that has left the feed by the 14-day rule, and the start of the last visit
that has left it by age (HISTORY); with the owner's language and the settings a feed prints, that is all the
feed's bytes depend on. A row leaving the feed lowers a count; a row joining it or changing raises a time. The
statement also asks whether the owner may still have the feed.

Last-Modified is the latest of those times, of the address's own (`CalendarFeed.rotated_at`) and of the moments
the last events left (a cancellation time plus 14 days, a start plus the feed's HISTORY: fixed, so they do not
depend on when anyone asks): it only moves forward.

Two things leave a feed without a trace in it: a visit moving to another school (the school feed), a person
moving to another company (the company feed). They lower a count, so the ETag changes; for Last-Modified, those
feeds also count the last change of any published visit (school) or of anyone's account (company), which may
move it forward when nothing in the feed changed (a client that sends only If-Modified-Since then fetches the
same feed again), never back.

The limit of such stamps: rows carry the time their change began (the request's `now`), so a change that
began before another's in the same feed but committed after it, and was asked about in between, is shown with
the feed's next change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import ColumnElement, Integer, Row, Select, and_, bindparam, func, null, or_, select, true
from sqlalchemy.orm import Session, aliased

from accounts.models import Company, User
from calendars.access import still_entitled
from calendars.models import FeedKind
from events.models import School, Visit, VisitStatus
from volunteers.calendar_events import CANCELLED_SHOWN
from volunteers.models import Signup, SignupStatus

#: the tables whose rows a feed shows or depends on: a write to any of them makes every kept stamp stale
WATCHED_TABLES = frozenset(
    {
        "visit",
        "lesson",
        "role_slot",
        "satellite_school",
        "school",
        "school_host",
        "signup",
        "user_account",
        "user_role",
        "company",
        "calendar_feed",
    }
)

#: part of every ETag: raise it when what a feed prints for the same data changes (a new line, a new format)
FEED_FORMAT = 2

#: how long after its start a visit stays in a feed: a year in a person's, a school's or a company's own feed (last
#: year's visits stay in their calendar), a month in the public programme, which shows what is on and would
#: otherwise grow by every visit ever held (at national scale, ten thousand visits a year: megabytes a fetch)
HISTORY = timedelta(days=365)
PROGRAMME_HISTORY = timedelta(days=30)


def history(kind: FeedKind | None) -> timedelta:
    """How long after its start a visit stays in a feed of `kind` (None: the public programme)."""
    return PROGRAMME_HISTORY if kind is None else HISTORY


@dataclass(frozen=True)
class Stamp:
    entitled: bool
    etag: str
    last_modified: datetime | None


def _visits_counted(where: ColumnElement[bool]):
    """One row: how many visits, the last change of them and of their schools."""
    counted = select(func.count(Visit.id), func.max(Visit.updated_at), func.max(School.updated_at))
    return counted.join(School, School.id == Visit.school_id).where(where).subquery()


def _signups_counted(where: ColumnElement[bool]):
    """One row: how many signups, the last change of them and of their people."""
    person = aliased(User)
    counted = select(func.count(Signup.id), func.max(Signup.updated_at), func.max(person.updated_at))
    return counted.join(person, person.id == Signup.user_id).where(where).subquery()


#: the statuses of a visit shown as itself in the school, company and public feeds (a cancelled one for a while)
SHOWN = (VisitStatus.PUBLISHED, VisitStatus.COMPLETED)


def was_public() -> ColumnElement[bool]:
    """Published once: shown, or cancelled after it was published (a cancelled draft was never anyone's event)."""
    return or_(Visit.status.in_(SHOWN), and_(Visit.status == VisitStatus.CANCELLED, Visit.published_at.is_not(None)))


def _independent(query: Select) -> Select:
    # Each part reads its own tables: none may be correlated to the enclosing statement's.
    return query.correlate(None)


#: the bound parameters of a stamp's statement
_USER, _TARGET, _COMPANY = (bindparam(name, type_=Integer) for name in ("user_id", "target_id", "company_id"))
_HORIZON = bindparam("horizon", type_=Visit.cancelled_at.type)
#: visits that started at or before this (now - the feed's HISTORY) have left the feed
_SINCE = bindparam("since", type_=Visit.starts_at.type)


def left_by_age(since) -> ColumnElement[bool]:
    """Visits that have left a feed by age: started at or before `since` (now - the feed's HISTORY). The feeds
    (calendars.feeds) show the others, so a feed and its stamp cannot disagree on which visits it holds."""
    return Visit.starts_at <= since


def _gone(where: ColumnElement[bool]):
    """The start of the last of the visits `where` picks that has left the feed by age (None: none has)."""
    return _independent(select(func.max(Visit.starts_at)).where(where, left_by_age(_SINCE))).scalar_subquery()


@cache
def stamp_statement(kind: FeedKind | None) -> Select:
    """The one SELECT of a stamp for a feed of `kind` (None: the public feed), built once per kind: its
    parameters are the feed's owner, target and owner's company, the horizon (now - 14 days) and `since` (now -
    the feed's HISTORY).

    Its parts are single-row aggregates side by side in FROM, so each is computed once."""
    if kind is None:
        left = select(func.max(Visit.cancelled_at)).where(
            Visit.status == VisitStatus.CANCELLED, Visit.published_at.is_not(None), Visit.cancelled_at <= _HORIZON
        )
        visits = _visits_counted(was_public())
        return select(true(), *visits.c, _independent(left).scalar_subquery(), _gone(was_public()), null())
    entitled = still_entitled(kind, _TARGET, _USER, _COMPANY)
    own = aliased(Signup)
    extra = []
    floor = null()  # a time Last-Modified does not go below, not part of the ETag
    if kind == FeedKind.PERSONAL:
        theirs = _independent(select(own.visit_id).where(own.user_id == _USER))
        left = select(func.max(own.cancelled_at)).where(
            own.user_id == _USER, own.status == SignupStatus.CANCELLED, own.cancelled_at <= _HORIZON
        )
        visits, signups = _visits_counted(Visit.id.in_(theirs)), _signups_counted(Signup.visit_id.in_(theirs))
        gone = _gone(Visit.id.in_(theirs))
    elif kind == FeedKind.SCHOOL:
        at_school = and_(Visit.school_id == _TARGET, was_public())
        left = select(func.max(Visit.cancelled_at)).where(
            at_school, Visit.status == VisitStatus.CANCELLED, Visit.cancelled_at <= _HORIZON
        )
        shown = _independent(select(Visit.id).where(at_school))
        visits, signups = _visits_counted(at_school), _signups_counted(Signup.visit_id.in_(shown))
        gone = _gone(at_school)
        anywhere = aliased(Visit)
        floor = _independent(select(func.max(anywhere.updated_at)).where(anywhere.published_at.is_not(None)))
    else:
        members = _independent(select(User.id).where(User.company_id == _TARGET))
        theirs = _independent(select(own.visit_id).where(own.user_id.in_(members)))
        left = select(func.max(Visit.cancelled_at)).where(
            Visit.id.in_(theirs), Visit.status == VisitStatus.CANCELLED, Visit.cancelled_at <= _HORIZON
        )
        visits, signups = _visits_counted(Visit.id.in_(theirs)), _signups_counted(Signup.user_id.in_(members))
        gone = _gone(Visit.id.in_(theirs))
        extra.append(_independent(select(Company.name).where(Company.id == _TARGET)).scalar_subquery())
        anyone = aliased(User)
        floor = _independent(select(func.max(anyone.updated_at)))
    # single rows side by side: an explicit join on true, not a cartesian product the SQL linter warns of
    both = visits.join(signups, true())
    if isinstance(floor, Select):
        floor = floor.scalar_subquery()
    parts = [*visits.c, *signups.c, *extra, _independent(left).scalar_subquery(), gone, floor]
    return select(entitled, *parts).select_from(both)


def change_stamp(session: Session, feed: Row | None, locale: str, now: datetime) -> Stamp:
    """Whether the feed may still be served, its ETag and its Last-Modified, from one SQL statement."""
    kind = None if feed is None else feed.kind
    params = {"horizon": now - CANCELLED_SHOWN, "since": now - history(kind)}
    if feed is not None:
        params.update(user_id=feed.user_id, target_id=feed.target_id, company_id=feed.company_id)
    row = session.execute(stamp_statement(kind), params).one()
    entitled, *values, left, gone, floor = row
    times = [value for value in (*values, left, gone, floor) if isinstance(value, datetime)]
    if left is not None:
        times.append(left + CANCELLED_SHOWN)
    if gone is not None:
        times.append(gone + history(kind))
    if feed is not None:
        times.append(feed.rotated_at)
    config = current_app.config
    what = [
        FEED_FORMAT,
        None if feed is None else [feed.kind.value, feed.target_id],
        locale,
        config["BASE_URL"],
        config["PROGRAMME_CONTACT"],
        [value.isoformat() if isinstance(value, datetime) else value for value in (*values, left, gone)],
    ]
    digest = hashlib.sha256(json.dumps(what, ensure_ascii=False).encode()).hexdigest()[:32]
    return Stamp(bool(entitled), f'"{digest}"', max(times) if times else None)
