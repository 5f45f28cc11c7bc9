"""A donation's public trail: every movement of its kits from arrival at a hub to the visits and classrooms
that used them, read from the lots (kits.lots) of the received movement.

It lives in the events layer because the classrooms are lessons of visits at schools. Like the
transparency page it names organisations, schools and classrooms, never people; visits not yet public
(drafts) are named only as "a school visit".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from events.models import Lesson, School, Visit
from events.transparency import PUBLIC_VISITS
from kits.models import Hub, KitType, Movement, MovementKind, MovementLot


@dataclass
class TrailStep:
    at: datetime
    kind: MovementKind
    quantity: int
    hub: str
    visit_id: int | None = None
    visit: str = ""
    school: str = ""
    timezone: str = ""
    #: the lesson a shipment was for: (title, grade, classroom, students attended or else expected)
    classrooms: list[tuple[str, int, str, int]] = field(default_factory=list)


@dataclass
class Trail:
    donation: Movement
    kit_type: str
    hub: str
    steps: list[TrailStep]

    @property
    def at_hubs(self) -> int:
        """Kits of the donation still at a hub."""
        return sum(step.quantity * _sign(step.kind) for step in self.steps if step.kind not in _AT_SCHOOL)

    @property
    def consumed(self) -> int:
        return sum(step.quantity for step in self.steps if step.kind == MovementKind.CONSUMED)


_AT_SCHOOL = (MovementKind.CONSUMED,)
_INTO_HUB = (MovementKind.TRANSFERRED_IN, MovementKind.RETURNED, MovementKind.RECEIVED)


def _sign(kind: MovementKind) -> int:
    return 1 if kind in _INTO_HUB else -1


def trail(session: Session, donation: Movement) -> Trail:
    """The donation's steps in ledger order, each with the kits of this donation it moved: three queries."""
    rows = session.execute(
        select(Movement, MovementLot.quantity, Hub.name, Visit, School)
        .join(MovementLot, MovementLot.movement_id == Movement.id)
        .join(Hub, Hub.id == Movement.hub_id)
        .outerjoin(Visit, Visit.id == Movement.visit_id)
        .outerjoin(School, School.id == Visit.school_id)
        .where(MovementLot.source_id == donation.id)
        .order_by(Movement.id)
    ).all()
    public = {visit.id for _m, _q, _h, visit, _s in rows if visit is not None and visit.status in PUBLIC_VISITS}
    lesson_ids = {m.lesson_id for m, _q, _h, _v, _s in rows if m.visit_id in public and m.lesson_id is not None}
    classrooms = {}
    if lesson_ids:
        lessons = session.execute(
            select(
                Lesson.id,
                Lesson.title,
                Lesson.grade,
                Lesson.classroom,
                func.coalesce(Lesson.students_attended, Lesson.students_expected),
            ).where(Lesson.id.in_(lesson_ids))
        )
        classrooms = {row[0]: tuple(row[1:]) for row in lessons}
    steps = []
    for movement, quantity, hub, visit, school in rows:
        step = TrailStep(movement.created_at, movement.kind, quantity, hub)
        if visit is not None:
            shown = visit.id in public
            step.visit_id = visit.id if shown else None
            step.visit, step.school = (visit.title, school.name) if shown else ("", "")
            step.timezone = school.timezone
            if movement.lesson_id in classrooms:
                step.classrooms = [classrooms[movement.lesson_id]]
        steps.append(step)
    kit_type = session.get(KitType, donation.kit_type_id)
    return Trail(donation, kit_type.name, session.get(Hub, donation.hub_id).name, steps)
