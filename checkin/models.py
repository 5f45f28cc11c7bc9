"""Tickets, attendance and every scan attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import timeutil
from core.db import str_enum
from core.enums import LabelledEnum
from core.i18n import lazy_gettext as _l
from core.timeutil import UTCDateTime
from extensions import db
from volunteers.models import Signup

_LIVE_SQL = text("revoked_at IS NULL")


class Direction(LabelledEnum):
    IN = "in", _l("Check in")
    OUT = "out", _l("Check out")


class Ticket(db.Model):
    """A confirmed signup's ticket. Its secret is never stored: only a random nonce (the secret is
    an HMAC of it under the app's SECRET_KEY, so the volunteer's page can show it again) and the
    SHA-256 of the secret and of the short code, by which scans find it. A database leak alone
    therefore reveals no usable ticket."""

    __tablename__ = "ticket"
    __table_args__ = (
        # one live ticket per signup, however many requests ask for one at once
        Index("uq_ticket_live_signup", "signup_id", unique=True, sqlite_where=_LIVE_SQL, postgresql_where=_LIVE_SQL),
        UniqueConstraint("visit_id", "code_hash", name="uq_ticket_visit_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("signup.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 of "<visit id>:<short code>": the code is valid only for its visit
    code_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    signup: Mapped[Signup] = relationship(lazy="joined", innerjoin=True)


class Attendance(db.Model):
    """When a volunteer came and left: one row per signup, made by the first check-in that counts."""

    __tablename__ = "attendance"

    signup_id: Mapped[int] = mapped_column(ForeignKey("signup.id", ondelete="CASCADE"), primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: not checked out: closed at the visit's end when the visit was completed
    closed_at_end: Mapped[bool] = mapped_column(Boolean, default=False)
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    correction_reason: Mapped[str] = mapped_column(Text, default="")

    signup: Mapped[Signup] = relationship(lazy="joined", innerjoin=True)


class Scan(db.Model):
    """Every scan attempt with its answer, failed ones too. `scan_id` (the scanning phone's random id)
    makes a scan count once however often a queue sends it."""

    __tablename__ = "checkin_scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(64), unique=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("signup.id", ondelete="SET NULL"))
    scanner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "scan_direction"))
    reason: Mapped[str] = mapped_column(String(30))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)


class Poster(db.Model):
    """A visit's self check-in poster. Like a ticket's, its secret is never stored: a random nonce (the
    secret is an HMAC of it, so the poster can be printed again) and the SHA-256 of the secret."""

    __tablename__ = "checkin_poster"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
