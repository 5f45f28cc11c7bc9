"""What the public transparency page and its CSV show: what was donated, where kits went, and the ledger's
head and last verification. No personal data: donors are organisations as entered on receipt; schools and
visits are named, people never are (no names, emails or phones; movements' actors are left out).

It lives in the events layer because where kits went is told by visits, schools and lessons, which kits
may not import (tests/test_layers.py). Students reached are the lessons of the visit that used the kit type:
the students the host counted (Lesson.students_attended), or those expected until someone counted.

Verifying the whole chain reads every movement, too slow for a public page: the page shows the head as
it is now and the outcome of the last verification (an admin's page or API call, or `flask verify-ledger`),
kept on the head row by kits.ledger.remember_verification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from events.models import Lesson, School, Visit, VisitStatus
from kits.models import KitType, Movement, MovementKind, VisitKit

#: visits whose kits the public sees (a draft's title and school are not public yet)
PUBLIC_VISITS = (VisitStatus.PUBLISHED, VisitStatus.COMPLETED)
#: donations the page lists; the CSV has them all
PAGE_ROWS = 100


@dataclass(frozen=True)
class Donation:
    movement_id: int
    received_at: datetime
    donor: str
    kit_type: str
    quantity: int
    value_fen: int
    #: reversed later by a correction (a mistaken entry)
    corrected: bool


@dataclass(frozen=True)
class Delivery:
    """One kit type's journey to one visit."""

    school: str
    visit_id: int
    visit: str
    starts_at: datetime
    timezone: str
    kit_type: str
    shipped: int
    received: int | None
    consumed: int
    returned: int
    students: int


def donations(session: Session, *, limit: int | None = PAGE_ROWS) -> list[Donation]:
    """Donations (received movements of kits given, not bought), newest first, with whether a correction
    reversed them: one query."""
    correction = aliased(Movement)
    statement = (
        select(
            Movement.id,
            Movement.created_at,
            Movement.party,
            KitType.name,
            Movement.quantity,
            Movement.value_fen,
            correction.id.is_not(None),
        )
        .join(KitType, KitType.id == Movement.kit_type_id)
        .outerjoin(correction, correction.corrects_id == Movement.id)
        .where(Movement.kind == MovementKind.RECEIVED, Movement.donated.is_(True))
        .order_by(Movement.id.desc())
        .limit(limit)
    )
    return [Donation(*row) for row in session.execute(statement)]


def deliveries(session: Session, *, limit: int | None = PAGE_ROWS) -> list[Delivery]:
    """Kits shipped to public visits, newest visit first, with the students of the lessons that used them."""
    students = (
        select(func.coalesce(func.sum(func.coalesce(Lesson.students_attended, Lesson.students_expected)), 0))
        .where(Lesson.visit_id == VisitKit.visit_id, Lesson.kit_type_id == VisitKit.kit_type_id)
        .scalar_subquery()
    )
    statement = (
        select(
            School.name,
            Visit.id,
            Visit.title,
            Visit.starts_at,
            School.timezone,
            KitType.name,
            VisitKit.shipped,
            VisitKit.received,
            VisitKit.consumed,
            VisitKit.returned,
            students,
        )
        .join(Visit, Visit.id == VisitKit.visit_id)
        .join(School, School.id == Visit.school_id)
        .join(KitType, KitType.id == VisitKit.kit_type_id)
        .where(Visit.status.in_(PUBLIC_VISITS), VisitKit.shipped > 0)
        .order_by(Visit.starts_at.desc(), VisitKit.id)
        .limit(limit)
    )
    return [Delivery(*row) for row in session.execute(statement)]
