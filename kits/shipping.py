"""A visit's kits after they are reserved: shipped from the hub, counted at the school, then consumed
there or returned to a hub. One VisitKit row per visit and kit type holds the counts; every step is a
ledger movement carrying the visit's id.

Plain data in (visit ids, kit type ids, counts): who may do what, and when, is the events layer's
(events.visit_kits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import DomainError
from kits.ledger import MovementData, append, lock_head
from kits.models import JourneyCounts, KitReservation, KitType, MovementKind, VisitKit
from kits.stock import _hub as open_hub


def _count(value, field: str, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise DomainError("validation_error", field=field)
    return value


def _visit_kit(session: Session, visit_id: int, kit_type_id: int) -> VisitKit | None:
    return session.scalar(select(VisitKit).where(VisitKit.visit_id == visit_id, VisitKit.kit_type_id == kit_type_id))


def ship(
    session: Session,
    *,
    visit_id: int,
    kit_type_id: int,
    quantity: int,
    carrier: str = "",
    tracking_number: str = "",
    actor_id: int | None,
    now: datetime,
) -> VisitKit:
    """Ship reserved kits of one type to the visit's school: on hand and reserved both fall at the hub.

    Raises: validation_error (quantity), ship_exceeds_reserved, arrival_already_confirmed.
    """
    _count(quantity, "quantity", minimum=1)
    lock_head(session)
    rows = session.scalars(
        select(KitReservation)
        .where(KitReservation.visit_id == visit_id, KitReservation.kit_type_id == kit_type_id)
        .order_by(KitReservation.lesson_id)
    ).all()
    if quantity > sum(row.reserved for row in rows):
        raise DomainError("ship_exceeds_reserved", field="quantity")
    visit_kit = _visit_kit(session, visit_id, kit_type_id)
    if visit_kit is not None and visit_kit.received is not None:
        raise DomainError("arrival_already_confirmed")
    if visit_kit is None:
        visit_kit = VisitKit(visit_id=visit_id, kit_type_id=kit_type_id, hub_id=rows[0].hub_id, shipped=0)
        visit_kit.consumed = visit_kit.returned = 0
        session.add(visit_kit)
    remaining = quantity
    for row in rows:
        take = min(row.reserved, remaining)
        if take:
            data = MovementData(
                MovementKind.SHIPPED,
                row.hub_id,
                kit_type_id,
                take,
                on_hand_delta=-take,
                reserved_delta=-take,
                party=(carrier or "").strip(),
                reason=(tracking_number or "").strip(),
                visit_id=visit_id,
                lesson_id=row.lesson_id,
            )
            append(session, data, actor_id=actor_id, now=now)
            row.reserved -= take
            row.shipped += take
            remaining -= take
    visit_kit.shipped += quantity
    visit_kit.carrier = (carrier or "").strip() or visit_kit.carrier or ""
    visit_kit.tracking_number = (tracking_number or "").strip() or visit_kit.tracking_number or ""
    visit_kit.shipped_at = now
    session.flush()
    return visit_kit


def confirm_arrival(
    session: Session, *, visit_id: int, kit_type_id: int, received: int, actor_id: int | None, now: datetime
) -> VisitKit:
    """The school counts the kits of one type that arrived; a difference from what was shipped stays recorded.

    Raises: validation_error (received), nothing_shipped, arrival_already_confirmed, received_exceeds_shipped.
    """
    _count(received, "received")
    lock_head(session)
    visit_kit = _visit_kit(session, visit_id, kit_type_id)
    if visit_kit is None or not visit_kit.shipped:
        raise DomainError("nothing_shipped")
    if visit_kit.received is not None:
        raise DomainError("arrival_already_confirmed")
    if received > visit_kit.shipped:
        raise DomainError("received_exceeds_shipped", field="received")
    difference = received - visit_kit.shipped
    data = MovementData(
        MovementKind.RECEIVED_AT_SCHOOL,
        visit_kit.hub_id,
        kit_type_id,
        received,
        reason=f"shipped {visit_kit.shipped}, received {received}" if difference else "",
        visit_id=visit_id,
    )
    append(session, data, actor_id=actor_id, now=now)
    visit_kit.received, visit_kit.received_at = received, now
    session.flush()
    return visit_kit


def record_use(
    session: Session,
    *,
    visit_id: int,
    kit_type_id: int,
    consumed: int,
    returned: int,
    hub_id: int | None = None,
    actor_id: int | None,
    now: datetime,
) -> VisitKit:
    """After the lessons: kits consumed at the school, and kits returned to a hub (by default the one they
    came from), where they count as on hand again. Both together cannot pass what is still at the school.

    Raises: validation_error (consumed, returned), arrival_not_confirmed, kit_count_exceeds_received,
    unknown_hub, hub_inactive.
    """
    _count(consumed, "consumed")
    _count(returned, "returned")
    if not consumed and not returned:
        raise DomainError("validation_error", field="consumed")
    lock_head(session)
    visit_kit = _visit_kit(session, visit_id, kit_type_id)
    if visit_kit is None or visit_kit.received is None:
        raise DomainError("arrival_not_confirmed")
    if consumed + returned > visit_kit.at_school:
        raise DomainError("kit_count_exceeds_received", field="consumed" if consumed else "returned")
    hub = open_hub(session, visit_kit.hub_id if hub_id is None else hub_id)
    if consumed:
        data = MovementData(MovementKind.CONSUMED, visit_kit.hub_id, kit_type_id, consumed, visit_id=visit_id)
        append(session, data, actor_id=actor_id, now=now)
    if returned:
        data = MovementData(
            MovementKind.RETURNED, hub.id, kit_type_id, returned, on_hand_delta=returned, visit_id=visit_id
        )
        append(session, data, actor_id=actor_id, now=now)
    visit_kit.consumed += consumed
    visit_kit.returned += returned
    session.flush()
    return visit_kit


@dataclass(frozen=True)
class VisitKitRow(JourneyCounts):
    """One kit type at a visit, as its kits page and GET /api/v1/visits/{id}/kits show it."""

    kit_type_id: int
    kit_type_name: str
    consumable: bool
    needed: int
    reserved: int
    shortfall: int
    shipped: int
    received: int | None
    consumed: int
    returned: int
    carrier: str = ""
    tracking_number: str = ""


def visit_kits(session: Session, visit_id: int) -> list[VisitKitRow]:
    """Per kit type: needed, reserved, shortfall (from the lessons' rows) and the journey's counts; two queries."""
    totals: dict[int, list[int]] = {}
    for row in session.scalars(select(KitReservation).where(KitReservation.visit_id == visit_id)):
        needed, reserved, shortfall = totals.setdefault(row.kit_type_id, [0, 0, 0])
        totals[row.kit_type_id] = [needed + row.needed, reserved + row.reserved, shortfall + row.shortfall]
    journeys = {vk.kit_type_id: vk for vk in session.scalars(select(VisitKit).where(VisitKit.visit_id == visit_id))}
    listed = set(totals) | set(journeys)
    kit_types = session.scalars(select(KitType).where(KitType.id.in_(listed)).order_by(KitType.name))
    rows = []
    for kit_type in kit_types:
        needed, reserved, shortfall = totals.get(kit_type.id, [0, 0, 0])
        journey = journeys.get(kit_type.id)
        rows.append(
            VisitKitRow(
                kit_type.id,
                kit_type.name,
                kit_type.consumable,
                needed,
                reserved,
                shortfall,
                journey.shipped if journey else 0,
                journey.received if journey else None,
                journey.consumed if journey else 0,
                journey.returned if journey else 0,
                journey.carrier if journey else "",
                journey.tracking_number if journey else "",
            )
        )
    return rows
