"""Outbox table."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core import timeutil
from core.db import str_enum
from core.timeutil import UTCDateTime
from extensions import db


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    #: the template under templates/mail/ it was rendered from, to tell messages apart in the outbox page
    template: Mapped[str] = mapped_column(String(100), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: [{"filename", "content_type", "content"}], text content only (calendar files)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    #: tries so far; a claim counts one, and the outcome is written only by the claim with this count
    attempts: Mapped[int] = mapped_column(default=0)
    #: the error of the latest failed try ("" when none failed)
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: when the latest try began
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
