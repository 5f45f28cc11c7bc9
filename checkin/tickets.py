"""Tickets: issued to confirmed signups, found by their secret or short code, revoked and reissued.

A ticket's secret is HMAC-SHA256(SECRET_KEY, nonce), 128 bits in 22 URL-safe characters, so
`BASE_URL/t/<secret>` stays short enough for a version-4 QR code at error correction M. The
short code for typing by hand is derived the same way, in an alphabet without look-alikes.
Only the nonce and SHA-256 hashes are stored: a leaked database gives no usable ticket.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkin.models import Ticket
from core.errors import DomainError
from core.security import derived_mac, derived_secret, is_derived_secret
from volunteers.models import Signup, SignupStatus
from volunteers.signals import place_confirmed

#: signups whose ticket works; a cancelled or no-show signup's ticket is revoked with it
TICKETED = (SignupStatus.CONFIRMED, SignupStatus.ATTENDED)

#: the short code's alphabet: no 0/O, 1/I/L, nor U/V to mix up
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 8


@dataclass(frozen=True)
class IssuedTicket:
    """A ticket with what only the app can work out again: its secret and short code."""

    ticket: Ticket
    secret: str
    code: str

    @property
    def code_shown(self) -> str:
        """The short code in two groups of four, as people read and type it."""
        return f"{self.code[:4]}-{self.code[4:]}"


def _label(purpose: str, nonce: str) -> str:
    return f"scivisit-ticket-{purpose}:{nonce}"


def secret_of(nonce: str, purpose: str = "secret") -> str:
    """The 128-bit URL-safe secret derived from `nonce` (`purpose` keeps a poster's apart from a ticket's)."""
    return derived_secret(_label(purpose, nonce))


def code_of(nonce: str) -> str:
    number = int.from_bytes(derived_mac(_label("code", nonce)), "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hash_code(visit_id: int, code: str) -> str:
    return hashlib.sha256(f"{visit_id}:{code}".encode()).hexdigest()


def bundle_hash(visit_id: int, secret: str) -> str:
    """What an offline scanner keeps of a ticket: SHA-256 over its visit and secret."""
    return hashlib.sha256(f"{visit_id}:{secret}".encode()).hexdigest()


def normalise_code(typed: str) -> str | None:
    """A typed short code as issued (upper case, without spaces or the dash), or None if it cannot be one."""
    cleaned = re.sub(r"[\s\-]", "", typed or "").upper()
    if len(cleaned) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in cleaned):
        return None
    return cleaned


def secret_from(text: str) -> str | None:
    """The secret in what was scanned or typed: a ticket URL (`…/t/<secret>`) or the secret itself."""
    candidate = (text or "").strip().rstrip("/")
    if "/t/" in candidate:
        candidate = candidate.rsplit("/t/", 1)[1].split("/", 1)[0].split("?", 1)[0]
    return candidate if is_derived_secret(candidate) else None


def issued(ticket: Ticket) -> IssuedTicket:
    return IssuedTicket(ticket, secret_of(ticket.nonce), code_of(ticket.nonce))


def live_ticket(session: Session, signup: Signup) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.signup_id == signup.id, Ticket.revoked_at.is_(None)))


def ticket_for(session: Session, signup: Signup, now: datetime) -> IssuedTicket:
    """The signup's ticket, issued now if it has none (or if SECRET_KEY changed since, which would
    make its page show a secret no scan could match).

    Raises: signup_not_active (only a confirmed signup has a ticket).
    """
    if signup.status not in TICKETED:
        raise DomainError("signup_not_active")
    ticket = live_ticket(session, signup)
    if ticket is not None:
        shown = issued(ticket)
        if hash_secret(shown.secret) == ticket.secret_hash:
            return shown
        ticket.revoked_at = now
        session.flush()
    return _issue(session, signup, now)


def reissue_ticket(session: Session, signup: Signup, now: datetime) -> IssuedTicket:
    """A new ticket for the signup; the old one stops working at once.

    Raises: signup_not_active.
    """
    if signup.status not in TICKETED:
        raise DomainError("signup_not_active")
    session.execute(
        update(Ticket).where(Ticket.signup_id == signup.id, Ticket.revoked_at.is_(None)).values(revoked_at=now)
    )
    return _issue(session, signup, now)


def _issue(session: Session, signup: Signup, now: datetime) -> IssuedTicket:
    taken = set(session.scalars(select(Ticket.code_hash).where(Ticket.visit_id == signup.visit_id)))
    while True:  # a code already used in the visit (one chance in about 10^10) draws again
        nonce = secrets.token_urlsafe(24)
        secret, code = secret_of(nonce), code_of(nonce)
        if hash_code(signup.visit_id, code) not in taken:
            break
    ticket = Ticket(
        signup_id=signup.id,
        visit_id=signup.visit_id,
        nonce=nonce,
        secret_hash=hash_secret(secret),
        code_hash=hash_code(signup.visit_id, code),
        issued_at=now,
    )
    session.add(ticket)
    session.flush()
    return IssuedTicket(ticket, secret, code)


def find_ticket(session: Session, secret: str | None) -> Ticket | None:
    """The ticket with this secret, revoked or not (a revoked ticket answers `revoked`, not `unknown`)."""
    if not secret:
        return None
    return session.scalar(select(Ticket).where(Ticket.secret_hash == hash_secret(secret)))


def is_live(ticket: Ticket) -> bool:
    return ticket.revoked_at is None and ticket.signup.status in TICKETED


def _on_place_confirmed(signup: Signup, *, session: Session, now: datetime) -> None:
    if live_ticket(session, signup) is None:
        _issue(session, signup, now)


def connect_receivers() -> None:
    """Every confirmed place gets its ticket in the transaction that confirms it."""
    place_confirmed.connect(_on_place_confirmed)
