"""Who came to a visit: the roll call a scanner shows, and the bundle an offline scanner checks against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, lazyload

from accounts.models import User
from checkin.models import Attendance, Ticket
from checkin.tickets import TICKETED, bundle_hash, secret_of
from events.models import Visit
from volunteers.models import Signup

#: an offline bundle is good until this long after the visit ends
BUNDLE_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Present:
    signup: Signup
    attendance: Attendance | None

    @property
    def state(self) -> str:
        """ "missing", "in" or "out"."""
        if self.attendance is None:
            return "missing"
        return "out" if self.attendance.checked_out_at else "in"


@dataclass
class RollCall:
    people: list[Present] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for person in self.people if person.state == state)

    @property
    def missing(self) -> list[Present]:
        return [person for person in self.people if person.state == "missing"]

    @property
    def arrived(self) -> list[Present]:
        return [person for person in self.people if person.state != "missing"]


def roll_call(session: Session, visit: Visit) -> RollCall:
    """Everyone with a place at the visit, with when they came and left: one query."""
    rows = session.execute(
        select(Signup, Attendance)
        .join(Signup.user)
        .outerjoin(Attendance, Attendance.signup_id == Signup.id)
        # Attendance.signup is the row's signup, loaded already: its default inner join would drop the missing
        .options(contains_eager(Signup.user), lazyload(Attendance.signup))
        .where(Signup.visit_id == visit.id, Signup.status.in_(TICKETED))
        .order_by(User.name, Signup.id)
    ).all()
    return RollCall([Present(signup, attendance) for signup, attendance in rows])


def checkin_bundle(session: Session, visit: Visit, now: datetime) -> dict:
    """What a scanner needs to answer scans with no network: for each live ticket SHA-256 over the
    visit and its secret (never the secret) and over the visit and its short code, with the
    volunteer's name and role; the hashes of tickets that no longer work; a version and an expiry.
    """
    tickets = session.scalars(
        select(Ticket).join(Ticket.signup).options(contains_eager(Ticket.signup)).where(Ticket.visit_id == visit.id)
    ).all()
    live, revoked = [], []
    for ticket in tickets:
        digest = bundle_hash(visit.id, secret_of(ticket.nonce))
        if ticket.revoked_at is None and ticket.signup.status in TICKETED:
            live.append(
                {
                    "hash": digest,
                    "code_hash": ticket.code_hash,
                    "signup_id": ticket.signup_id,
                    "name": ticket.signup.user.name,
                    "role": ticket.signup.slot.role.label,
                }
            )
        else:
            revoked.append(digest)
    version = max([visit.updated_at, *(t.revoked_at or t.issued_at for t in tickets)])
    return {
        "visit_id": visit.id,
        "version": version.isoformat(),
        "generated_at": now.isoformat(),
        "expires_at": (visit.ends_at + BUNDLE_LIFETIME).isoformat(),
        "starts_at": visit.starts_at.isoformat(),
        "ends_at": visit.ends_at.isoformat(),
        "tickets": live,
        "revoked": revoked,
    }
