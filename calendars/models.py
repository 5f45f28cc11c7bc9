"""A person's calendar feeds: one row per person, kind and target, holding the nonce their URL is derived from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import timeutil
from core.db import str_enum
from core.enums import LabelledEnum
from core.timeutil import UTCDateTime
from extensions import db


class FeedKind(LabelledEnum):
    """Whose visits a private feed shows: the person's own, a school's (for its hosts), a company's people's
    (for its coordinators). The public programme feed has no row: its address is the same for everyone."""

    PERSONAL = "personal"
    SCHOOL = "school"
    COMPANY = "company"


class CalendarFeed(db.Model):
    """The secret address of one feed. Its token is never stored: only a random nonce (the token is an HMAC
    of it under SECRET_KEY, so the profile page can show the address again) and the SHA-256 of the token,
    by which a calendar app's request finds the row. Rotating draws a new nonce: the old address is gone."""

    __tablename__ = "calendar_feed"
    __table_args__ = (UniqueConstraint("user_id", "kind", "target_id", name="uq_calendar_feed_user_kind_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[FeedKind] = mapped_column(str_enum(FeedKind, "calendar_feed_kind"))
    #: the school (school feed) or company (company feed) it shows; 0 for a personal feed
    target_id: Mapped[int] = mapped_column(default=0)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    #: when the address last changed (created, rotated, or re-derived after a new SECRET_KEY)
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
