"""Signup tables, and registrations waiting for their confirmation by mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import timeutil
from core.db import str_enum
from core.enums import LabelledEnum
from core.i18n import lazy_gettext as _l
from core.timeutil import UTCDateTime
from extensions import db


class SignupStatus(LabelledEnum):
    CONFIRMED = "confirmed", _l("Confirmed")
    WAITLISTED = "waitlisted", _l("Waitlisted")
    CANCELLED = "cancelled", _l("Cancelled")
    ATTENDED = "attended", _l("Attended")
    NO_SHOW = "no_show", _l("No-show")


#: statuses that hold a place or a place in the queue
ACTIVE_STATUSES = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)
_ACTIVE_SQL = text("status IN ('confirmed', 'waitlisted')")


class Signup(db.Model):
    """A volunteer in a role slot of a visit."""

    __tablename__ = "signup"
    __table_args__ = (
        # One active signup per person and visit, whatever arrives at the same moment.
        Index(
            "uq_signup_active_visit_user",
            "visit_id",
            "user_id",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
        Index("ix_signup_slot_queue", "slot_id", "status", "queue_number"),
        UniqueConstraint("slot_id", "queue_number", name="uq_signup_slot_queue_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("role_slot.id", ondelete="CASCADE"))
    #: the slot's visit, kept here so one person's signups per visit can be unique
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    status: Mapped[SignupStatus] = mapped_column(str_enum(SignupStatus, "signup_status"))
    #: waitlist ticket number within the slot; None for people confirmed straight away
    queue_number: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: who signed this person up or moved them, when it was not the person themself
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: why a coordinator overrode the rules (required when they did)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    #: minutes at the visit from check-in to check-out, set by checkin when the visit is completed (or a
    #: coordinator corrects the times); None for a visit held before check-in, which counts in full
    attended_minutes: Mapped[int | None]
    #: bumped on every change of status, and above the person's earlier signups for the visit when made: with
    #: the visit's revision, the iCalendar SEQUENCE of the visit in the person's calendar (mail and feed)
    revision: Mapped[int] = mapped_column(default=0)

    slot = relationship("RoleSlot", lazy="joined")
    visit = relationship("Visit", lazy="joined")
    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    assigned_by = relationship("User", foreign_keys=[assigned_by_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ReminderSent(db.Model):
    """A reminder that went out; the unique key makes each one go out once however often cron runs."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("signup_id", "kind", name="uq_reminder_sent_signup_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("signup.id", ondelete="CASCADE"))
    #: hours before the start, as a string ("48", "3")
    kind: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)


#: the longest `next` a pending registration keeps (a longer one is dropped: the person lands on the default page)
MAX_NEXT_LENGTH = 500


class PendingRegistration(db.Model):
    """A registration with a join code, waiting for its owner to confirm the address by the link mailed to it.

    The account is created only when the link is used, so registering never tells whether the address
    already has an account (see `volunteers.registration.register_volunteer`).
    """

    __tablename__ = "pending_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  #: stored lower-case, as accounts store it
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    #: codes from core.i18n.SPOKEN_LANGUAGES
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the language the form was read in: the confirmation mail's, then the account's `last_locale` (not a choice)
    locale: Mapped[str | None] = mapped_column(String(10))
    #: hashed as an account's password is (PASSWORD_HASH_METHOD); the password itself is never kept
    password_hash: Mapped[str] = mapped_column(String(255))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"), index=True)
    #: where to go once confirmed (a local path, checked again with safe_next when used); "" for the default
    next_url: Mapped[str] = mapped_column(String(MAX_NEXT_LENGTH), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    #: each registration deletes the rows past it, used or not, so unconfirmed details do not pile up
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    company = relationship("Company")

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at
