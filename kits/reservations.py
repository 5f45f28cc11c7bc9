"""Kits reserved for lessons: one KitReservation row per lesson that needs kits, kept in step with what
the lesson needs by `reserved` and `released` movements at its visit's hub.

Plain data in, so that kits knows nothing of visits: the events layer (events.visit_kits) says which
lessons of a visit need how many kits of which type from which hub, and calls `sync` whenever that may
have changed. `sync` holds the ledger head throughout, so two visits wanting the last kits are served
one after the other: the second reserves what is left and records its shortfall.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import DomainError
from kits.ledger import MovementData, append, lock_head, stock_counts
from kits.models import KitReservation, MovementKind


@dataclass(frozen=True)
class LessonNeed:
    """What one lesson needs: `needed` kits of `kit_type_id` (None: the lesson uses no kit)."""

    lesson_id: int
    kit_type_id: int | None
    needed: int


def reservations(session: Session, visit_id: int) -> dict[int, KitReservation]:
    """A visit's reservation rows by lesson id."""
    rows = session.scalars(select(KitReservation).where(KitReservation.visit_id == visit_id))
    return {row.lesson_id: row for row in rows}


def visit_shortfall(session: Session, visit_id: int) -> int:
    """How many kits the visit's lessons still miss, in all."""
    total = select(func.coalesce(func.sum(KitReservation.shortfall), 0)).where(KitReservation.visit_id == visit_id)
    return session.scalar(total) or 0


def sync(
    session: Session, *, visit_id: int, hub_id: int, needs: list[LessonNeed], actor_id: int | None, now: datetime
) -> dict[int, KitReservation]:
    """Reserve or release kits so that each lesson holds what it needs, as far as stock allows.

    Releases come first (lessons removed, reduced, or moved to another kit type or hub), so kits one
    lesson frees can serve another. A lesson short of kits reserves what is available and records the
    shortfall; calling again once stock arrived tops it up.

    Raises: lesson_kits_shipped (a lesson whose kits were shipped is removed or changes kit type or hub).
    """
    lock_head(session)
    rows = reservations(session, visit_id)
    wanted = {need.lesson_id: need for need in needs if need.kit_type_id is not None}
    for lesson_id, row in list(rows.items()):
        need = wanted.get(lesson_id)
        if need is not None and (need.kit_type_id, hub_id) == (row.kit_type_id, row.hub_id):
            _release(session, row, min(row.reserved, max(row.reserved + row.shipped - need.needed, 0)), actor_id, now)
            continue
        if row.shipped:
            raise DomainError("lesson_kits_shipped")
        _release(session, row, row.reserved, actor_id, now)
        session.delete(row)
        del rows[lesson_id]
    session.flush()  # rows deleted before a lesson's new row takes its place (the unit of work inserts first)
    for need in wanted.values():
        row = rows.get(need.lesson_id)
        if row is None:
            row = KitReservation(
                visit_id=visit_id,
                lesson_id=need.lesson_id,
                hub_id=hub_id,
                kit_type_id=need.kit_type_id,
                reserved=0,
                shipped=0,
            )
            session.add(row)
            rows[need.lesson_id] = row
        row.needed = need.needed
        missing = need.needed - row.reserved - row.shipped
        if missing > 0:
            on_hand, reserved = stock_counts(session, hub_id, need.kit_type_id)
            _reserve(session, row, min(missing, on_hand - reserved), actor_id, now)
        row.shortfall = max(need.needed - row.reserved - row.shipped, 0)
    session.flush()
    return rows


def release_visit(session: Session, visit_id: int, *, actor_id: int | None, now: datetime) -> None:
    """Give back every kit still reserved for a visit (cancelled or over); rows of shipped kits stay."""
    lock_head(session)
    for row in reservations(session, visit_id).values():
        _release(session, row, row.reserved, actor_id, now)
        row.needed = row.shortfall = 0
        if not row.shipped:
            session.delete(row)
    session.flush()


def _movement(kind: MovementKind, row: KitReservation, quantity: int, reserved_delta: int) -> MovementData:
    return MovementData(
        kind,
        row.hub_id,
        row.kit_type_id,
        quantity,
        reserved_delta=reserved_delta,
        visit_id=row.visit_id,
        lesson_id=row.lesson_id,
    )


def _reserve(session: Session, row: KitReservation, quantity: int, actor_id: int | None, now: datetime) -> None:
    if quantity > 0:
        append(session, _movement(MovementKind.RESERVED, row, quantity, quantity), actor_id=actor_id, now=now)
        row.reserved += quantity


def _release(session: Session, row: KitReservation, quantity: int, actor_id: int | None, now: datetime) -> None:
    if quantity > 0:
        append(session, _movement(MovementKind.RELEASED, row, quantity, -quantity), actor_id=actor_id, now=now)
        row.reserved -= quantity
