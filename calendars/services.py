"""A person's feeds: which they may subscribe to, their secret addresses (made on first need, rotated on
request), and finding a feed from the address a calendar app asks for.

A private feed's address is `BASE_URL/cal/<token>.ics`, the token 128 bits derived from the row's random nonce
with HMAC under SECRET_KEY (core.security.derived_secret), as a ticket's secret is: the database holds only the
nonce and the token's SHA-256, so a leaked database alone opens no feed. Rotating draws a new nonce, and the old
address answers 404 from then on. A new SECRET_KEY changes every address (shown anew on the person's next look).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from accounts.models import Company, Role, User
from calendars.access import may_have_feed
from calendars.models import CalendarFeed, FeedKind
from core.db import begin_write, insert_or_ignore
from core.errors import DomainError
from core.i18n import gettext as _
from core.security import derived_secret, hash_token, is_derived_secret
from core.urls import external_url
from events.access import hosted_school_ids
from events.models import School

PUBLIC = "public"


@dataclass(frozen=True)
class FeedLink:
    """A feed someone may subscribe to, as their pages and the API offer it."""

    #: personal, school, company or public
    kind: str
    #: in the current language: "My visits", "Visits to <school>", "<company> team visits", "Programme"
    title: str
    #: the absolute address (BASE_URL's scheme: https in production); the public feed's carries no token
    url: str
    #: the school or company it shows; 0 for a personal feed, None for the public one
    target_id: int | None

    @property
    def webcal_url(self) -> str:
        """The same address as `webcal://`, which phones and desktop calendars open as "subscribe"."""
        return re.sub(r"^https?://", "webcal://", self.url)

    @property
    def rotate_args(self) -> dict | None:
        """`url_for("calendars.rotate_feed", **rotate_args)` gives this feed a new address; None: it has none."""
        return None if self.kind == PUBLIC else {"kind": self.kind, "target_id": self.target_id}


def token_of(nonce: str) -> str:
    """A feed's secret token, derived from its nonce."""
    return derived_secret(f"scivisit-calendar:{nonce}")


def programme_link() -> FeedLink:
    """The public programme feed: published visits, no personal data, the same address for everyone."""
    return FeedLink(PUBLIC, _("Programme"), external_url("calendars.programme"), None)


def _entitled(session: Session, user: User) -> list[tuple[FeedKind, int, str]]:
    """(kind, target, title) of each private feed `user` may have, in the order pages list them."""
    if not user.active:
        return []
    found = []
    if Role.VOLUNTEER in user.roles:
        found.append((FeedKind.PERSONAL, 0, _("My visits")))
    if Role.HOST in user.roles:
        schools = session.scalars(select(School).where(School.id.in_(hosted_school_ids(user))).order_by(School.name))
        found += [(FeedKind.SCHOOL, s.id, _("Visits to %(school)s", school=s.name)) for s in schools]
    if Role.COORDINATOR in user.roles and user.company is not None:
        title = _("%(company)s team visits", company=user.company.name)
        found.append((FeedKind.COMPANY, user.company.id, title))
    return found


def feed_title(session: Session, kind: FeedKind, target_id: int) -> str:
    """A private feed's title in the current language (its calendar's name)."""
    if kind == FeedKind.SCHOOL:
        school = session.get(School, target_id)
        return _("Visits to %(school)s", school=school.name if school else "")
    if kind == FeedKind.COMPANY:
        company = session.get(Company, target_id)
        return _("%(company)s team visits", company=company.name if company else "")
    return _("My visits")


def _rows(session: Session, user_id: int) -> dict[tuple[FeedKind, int], CalendarFeed]:
    query = select(CalendarFeed).where(CalendarFeed.user_id == user_id)
    # read again after the statements that changed them, not from the identity map
    feeds = session.scalars(query.execution_options(populate_existing=True))
    return {(feed.kind, feed.target_id): feed for feed in feeds}


def _ensure(session: Session, user_id: int, wanted: list[tuple[FeedKind, int]], now: datetime) -> None:
    """Make the missing rows: INSERT … ON CONFLICT DO NOTHING, so two first looks at once make one address."""
    for kind, target_id in wanted:
        nonce = secrets.token_urlsafe(24)
        values = {
            "user_id": user_id,
            "kind": kind,
            "target_id": target_id,
            "nonce": nonce,
            "token_hash": hash_token(token_of(nonce)),
            "created_at": now,
            "rotated_at": now,
        }
        insert_or_ignore(session, CalendarFeed, values, conflict_on=["user_id", "kind", "target_id"])


def feeds_for(session: Session, user: User | None, now: datetime) -> list[FeedLink]:
    """Every feed `user` may subscribe to (anyone: the public one, listed last), with its address.

    Makes a feed's row the first time it is asked for (and renews the stored hash after a new SECRET_KEY),
    declaring the write with core.db.begin_write: a page or API view calling this commits afterwards.
    """
    if user is None:
        return [programme_link()]
    entitled = _entitled(session, user)
    user_id = user.id
    rows = _rows(session, user_id)
    missing = [(kind, target) for kind, target, _title in entitled if (kind, target) not in rows]
    stale = [(feed.id, feed.nonce) for feed in rows.values() if hash_token(token_of(feed.nonce)) != feed.token_hash]
    if missing or stale:
        begin_write(session)
        _ensure(session, user_id, missing, now)
        for feed_id, nonce in stale:  # unless rotated meanwhile
            session.execute(
                update(CalendarFeed)
                .where(CalendarFeed.id == feed_id, CalendarFeed.nonce == nonce)
                .values(token_hash=hash_token(token_of(nonce)), rotated_at=now)
            )
        rows = _rows(session, user_id)
    links = [
        FeedLink(kind.value, title, _feed_url(rows[(kind, target)].nonce), target)
        for kind, target, title in entitled
        if (kind, target) in rows
    ]
    return [*links, programme_link()]


def _feed_url(nonce: str) -> str:
    return external_url("calendars.feed", token=token_of(nonce))


def rotate_feed(session: Session, user: User, kind: str, target_id: int, now: datetime) -> FeedLink:
    """Give one of `user`'s feeds a new address; the old one answers 404 from now on.

    Raises: not_found (no such feed for this person).
    """
    try:
        feed_kind = FeedKind(kind)
    except ValueError:
        raise DomainError("not_found") from None
    school = session.get(School, target_id) if feed_kind == FeedKind.SCHOOL else None
    if not may_have_feed(user, feed_kind, target_id, school):
        raise DomainError("not_found")
    _ensure(session, user.id, [(feed_kind, target_id)], now)
    nonce = secrets.token_urlsafe(24)
    session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.kind == feed_kind, CalendarFeed.target_id == target_id)
        .values(nonce=nonce, token_hash=hash_token(token_of(nonce)), rotated_at=now)
    )
    return FeedLink(feed_kind.value, feed_title(session, feed_kind, target_id), _feed_url(nonce), target_id)


def feed_key(token: str) -> str | None:
    """What a feed is found and cached by: its token's hash; None for what cannot be a token."""
    return hash_token(token) if is_derived_secret(token) else None


#: a feed by its token's hash, with what serving it needs of its owner (built once: the feeds' hot path)
_FEED = (
    select(
        CalendarFeed.kind,
        CalendarFeed.target_id,
        CalendarFeed.user_id,
        CalendarFeed.rotated_at,
        User.active,
        User.locale,
        User.last_locale,
        User.company_id,
    )
    .join(User, User.id == CalendarFeed.user_id)
    .where(CalendarFeed.token_hash == bindparam("key"))
)


def find_feed(session: Session, key: str) -> Row | None:
    """The feed whose token hashes to `key` (feed_key), in one statement; None when there is none or its owner's
    account is closed. (Whether the owner may still have it is part of its change stamp.)"""
    row = session.execute(_FEED, {"key": key}).first()
    return row if row is not None and row.active else None
