"""Certificates of volunteer hours: what one said when it was issued, and the nonce its verification URL is
derived from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import timeutil
from core.timeutil import UTCDateTime
from extensions import db


class HoursCertificate(db.Model):
    """A printed certificate of a volunteer's hours. Its verification token is never stored: a random nonce
    (the token is an HMAC of it under SECRET_KEY, so the certificate can be printed again) and the SHA-256 of
    the token, by which the verification page finds it. The figures are kept as they were when it was issued,
    so the page shows what the paper says."""

    __tablename__ = "hours_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the language it is printed in: a key of core.i18n.LOCALES
    locale: Mapped[str] = mapped_column(String(10))
    #: the name printed on it
    name: Mapped[str] = mapped_column(String(100))
    #: minutes from check-ins, and the visits attended, when it was issued
    minutes: Mapped[int]
    visits: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")
