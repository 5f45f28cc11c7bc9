"""Account tables."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import timeutil
from core.db import str_enum
from core.enums import LabelledEnum
from core.i18n import lazy_gettext as _l
from core.timeutil import UTCDateTime
from extensions import db


class Role(LabelledEnum):
    ADMIN = "admin", _l("Programme coordinator")
    COORDINATOR = "coordinator", _l("Company coordinator")
    HOST = "host", _l("School host")
    VOLUNTEER = "volunteer", _l("Volunteer")


class TrainingStatus(LabelledEnum):
    NONE = "none", _l("Not started")
    IN_PROGRESS = "in_progress", _l("In progress")
    COMPLETED = "completed", _l("Completed")


class Company(db.Model):
    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: what volunteers type to register as this company's staff; rotating it revokes the old one
    join_code: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)

    members: Mapped[list[User]] = relationship(back_populates="company")


def writing_locale(chosen: str | None, last_read: str | None) -> str | None:
    """User.mail_locale from its two columns (for a row read without the whole account)."""
    return chosen or last_read


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  #: stored lower-case
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"), index=True)
    #: codes from core.i18n.SPOKEN_LANGUAGES
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[str] = mapped_column(Text, default="")
    training_status: Mapped[TrainingStatus] = mapped_column(
        str_enum(TrainingStatus, "training_status"), default=TrainingStatus.NONE
    )
    #: interface language the person chose (the switch while signed in, or the profile); None follows the
    #: browser. Only a choice is stored here: it overrides the phone's language on every device.
    locale: Mapped[str | None] = mapped_column(String(10))
    #: the language this person's pages were last in when they signed in (their browser's, not a choice):
    #: mail uses it while `locale` is None; pages never do
    last_locale: Mapped[str | None] = mapped_column(String(10))
    #: part of the session id: changing it logs out every session of this account
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    #: any change to the row (calendar feeds show names and phones, and revalidate on it)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now, onupdate=timeutil.now)

    company: Mapped[Company | None] = relationship(back_populates="members")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        """Always: an account becomes a request's user only through a loader (accounts.auth), and both refuse a
        disabled one. UserMixin's asks `is_active`, whose column a commit expires: every signed-in write loaded
        its account again for the page or the headers after it."""
        return True

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def mail_locale(self) -> str | None:
        """The language to write to this person in: their choice, else the one they last read pages in."""
        return writing_locale(self.locale, self.last_locale)

    @property
    def first_name(self) -> str:
        """What a host sees: the given name for Latin names, the name itself for Chinese ones."""
        parts = self.name.split()
        return parts[0] if len(parts) > 1 else self.name


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class Invitation(db.Model):
    """A single-use, expiring link with which an admin invites a host or a coordinator."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    #: the school a host is invited for
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    company: Mapped[Company | None] = relationship()
    school = relationship("School")

    def is_usable(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class PasswordReset(db.Model):
    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
