"""A visit's poster: a printed QR code that volunteers scan to check themselves in.

The poster's URL, `BASE_URL/p/<secret>`, is made like a ticket's: the secret is an HMAC of a
random nonce under the app's SECRET_KEY (with its own purpose, so it is never a ticket's secret),
and only the nonce and the SHA-256 of the secret are stored. The URL alone checks no one in: the
volunteer must be logged in and hold a confirmed place at the visit, inside the window a host's
scan keeps to (checkin.scans.attend), and every attempt is stored as a scan by the volunteer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import User
from checkin.models import Direction, Poster
from checkin.scans import ScanAnswer, attend, earlier_answer, keep
from checkin.tickets import TICKETED, hash_secret, live_ticket, secret_of
from core.db import insert_or_ignore
from events.models import Visit
from volunteers.models import Signup


@dataclass(frozen=True)
class IssuedPoster:
    poster: Poster
    secret: str


def poster_secret_of(nonce: str) -> str:
    return secret_of(nonce, purpose="poster")


def current_poster(session: Session, visit: Visit) -> IssuedPoster | None:
    """The visit's poster as it can be printed now; None if it has none yet, or if SECRET_KEY changed since
    (its secret would match nothing). Reads only."""
    poster = session.get(Poster, visit.id)
    if poster is None:
        return None
    secret = poster_secret_of(poster.nonce)
    return IssuedPoster(poster, secret) if hash_secret(secret) == poster.secret_hash else None


def poster_for(session: Session, visit: Visit, now: datetime) -> IssuedPoster:
    """The visit's poster, made now if it has none (or made again if SECRET_KEY changed since).

    Two requests at once make one poster: the database keeps the first.
    """
    shown = current_poster(session, visit)
    if shown is not None:
        return shown
    nonce = secrets.token_urlsafe(24)
    values = dict(nonce=nonce, secret_hash=hash_secret(poster_secret_of(nonce)), created_at=now)
    if session.get(Poster, visit.id) is None:
        insert_or_ignore(session, Poster, dict(visit_id=visit.id, **values), conflict_on=["visit_id"])
    else:
        session.execute(update(Poster).where(Poster.visit_id == visit.id).values(**values))
    poster = session.get(Poster, visit.id, populate_existing=True)  # ours, or the one another request made first
    return IssuedPoster(poster, poster_secret_of(poster.nonce))


def find_poster(session: Session, secret: str | None) -> Poster | None:
    if not secret:
        return None
    return session.scalar(select(Poster).where(Poster.secret_hash == hash_secret(secret)))


def place_at(session: Session, volunteer: User, visit_id: int) -> Signup | None:
    """The volunteer's place at the visit that lets them check in (a confirmed or attended signup), if any."""
    return session.scalar(
        select(Signup).where(Signup.visit_id == visit_id, Signup.user_id == volunteer.id, Signup.status.in_(TICKETED))
    )


def self_check_in(session: Session, volunteer: User, poster_secret: str, scan_id: str, now: datetime) -> ScanAnswer:
    """Check oneself in at the visit of the poster scanned, now. Stored as a scan by the volunteer.

    `ok`, or the reason: unknown_ticket (no such poster), not_signed_up (no confirmed place at the
    visit), or one of the time and state reasons a host's scan gives (too_early, too_late,
    visit_cancelled, already_checked_in). A scan id answers once, however often it is sent.
    """
    earlier = earlier_answer(session, scan_id)
    if earlier is not None:
        return earlier
    poster = find_poster(session, poster_secret)
    signup = place_at(session, volunteer, poster.visit_id) if poster is not None else None
    ticket = live_ticket(session, signup) if signup is not None else None
    if poster is None:
        answer = ScanAnswer("unknown_ticket", Direction.IN, now)
    elif signup is None:
        answer = ScanAnswer("not_signed_up", Direction.IN, now)
    else:
        answer = ScanAnswer(attend(session, signup, Direction.IN, now), Direction.IN, now, signup)
    return keep(
        session,
        answer,
        scan_id=scan_id,
        visit_id=poster.visit_id if poster is not None else None,
        ticket_id=ticket.id if ticket is not None else None,
        scanner=volunteer,
        now=now,
    )
