"""A volunteer's hours from their check-ins, and certificates of them with a verification link.

A certificate's URL is `BASE_URL/certificates/<token>`: the token is HMAC-SHA256 of a random nonce under
SECRET_KEY (128 bits, `core.security.derived_secret`), so the certificate can be printed again; only the nonce
and the token's SHA-256 are stored. The verification page shows the name, hours, visits and date printed on it
and nothing else. Its owner (or a programme coordinator) can revoke it: the page then says so. A new SECRET_KEY
changes every token, so certificates printed before it no longer verify (print them again).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from accounts.models import User
from core.errors import DomainError
from core.i18n import LOCALES
from core.security import derived_secret
from events.models import School, Visit, VisitStatus
from reports.models import HoursCertificate
from volunteers.models import Signup, SignupStatus


@dataclass(frozen=True)
class HoursLine:
    """One attended visit: when, where, and the minutes from check-ins (None: no check-in record)."""

    visit_id: int
    title: str
    starts_at: datetime
    timezone: str
    school: str
    minutes: int | None


@dataclass(frozen=True)
class HoursSummary:
    lines: list[HoursLine]
    #: minutes from check-ins, and visits attended (with a check-in record or not)
    minutes: int
    visits: int
    #: attended visits without a check-in record, whose time is not counted
    visits_without_checkins: int


def _attended(user: User):
    return (
        select(Signup)
        .join(Visit, Visit.id == Signup.visit_id)
        .where(Signup.user_id == user.id, Signup.status == SignupStatus.ATTENDED)
        .where(Visit.status == VisitStatus.COMPLETED)
    )


def hours_of(session: Session, user: User, *, until: datetime | None = None) -> HoursSummary:
    """A person's attended visits with their minutes, oldest first, and the sums (two statements)."""
    query = _attended(user)
    if until is not None:
        query = query.where(Visit.starts_at <= until)
    lines = [
        HoursLine(*row)
        for row in session.execute(
            query.join(School, School.id == Visit.school_id)
            .with_only_columns(
                Visit.id, Visit.title, Visit.starts_at, School.timezone, School.name, Signup.attended_minutes
            )
            .order_by(Visit.starts_at, Visit.id)
        )
    ]
    minutes, visits, missing = session.execute(
        query.with_only_columns(
            func.coalesce(func.sum(Signup.attended_minutes), 0),
            func.count(func.distinct(Signup.visit_id)),
            func.coalesce(func.sum(case((Signup.attended_minutes.is_(None), 1), else_=0)), 0),
        )
    ).one()
    return HoursSummary(lines, int(minutes), int(visits), int(missing))


def token_of(certificate: HoursCertificate) -> str:
    return derived_secret(f"scivisit-certificate:{certificate.nonce}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_certificate(session: Session, user: User, *, locale: str, now: datetime) -> HoursCertificate:
    """A certificate of the person's hours so far, in `locale`.

    Raises: validation_error (field `locale`) for a language the app does not have.
    """
    if locale not in LOCALES:
        raise DomainError("validation_error", field="locale")
    summary = hours_of(session, user, until=now)
    certificate = HoursCertificate(
        user_id=user.id,
        nonce=secrets.token_hex(16),
        locale=locale,
        name=user.name,
        minutes=summary.minutes,
        visits=summary.visits,
        issued_at=now,
    )
    certificate.token_hash = _hash(token_of(certificate))
    session.add(certificate)
    session.flush()
    return certificate


def certificates_of(session: Session, user: User) -> list[HoursCertificate]:
    """A person's certificates, newest first."""
    return list(
        session.scalars(
            select(HoursCertificate)
            .where(HoursCertificate.user_id == user.id)
            .order_by(HoursCertificate.issued_at.desc(), HoursCertificate.id.desc())
        )
    )


def own_certificate(session: Session, certificate_id: int, user: User) -> HoursCertificate:
    """One of the person's certificates (a programme coordinator may open anyone's).

    Raises: not_found (someone else's too, so its existence is not revealed).
    """
    certificate = session.get(HoursCertificate, certificate_id)
    if certificate is None or not (certificate.user_id == user.id or user.is_admin):
        raise DomainError("not_found")
    return certificate


def find_certificate(session: Session, token: str) -> HoursCertificate | None:
    """The certificate a verification URL names, revoked or not; None for a token that names none."""
    if not token or len(token) > 64:
        return None
    return session.scalar(select(HoursCertificate).where(HoursCertificate.token_hash == _hash(token)))


def revoke_certificate(session: Session, certificate: HoursCertificate, *, now: datetime) -> HoursCertificate:
    """From now on the verification page says the certificate was revoked (revoking twice keeps the first time)."""
    if certificate.revoked_at is None:
        certificate.revoked_at = now
        session.flush()
    return certificate
