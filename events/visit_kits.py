"""A visit's kits: its lessons' reservations kept in step, publishing with a shortfall, and the kits'
journey to the school (shipped, arrived, consumed, returned).

kits knows nothing of visits (tests/test_layers.py), so this module turns a visit into the plain data
that kits.reservations and kits.shipping take. Reservations follow the visit through events' in-transaction
signals, as signups do (volunteers.signups): `visit_saved` (lessons created, changed or removed, or the
hub changed) syncs them, `visit_cancelled` and `visit_completed` release what is still reserved, and
`visit_publishing` refuses a visit short of kits unless a reason is given. The receivers are connected by
create_app (connect_receivers), and write their movements in the transaction of the visit's change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from accounts.models import User
from core.db import is_database_id
from core.errors import DomainError, Problems
from events.models import Visit, VisitStatus
from events.signals import visit_cancelled, visit_completed, visit_publishing, visit_saved
from kits import reservations, shipping
from kits.models import Hub, KitReservation, KitType
from kits.reservations import LessonNeed
from kits.stock import default_hub

#: visits whose lessons still hold kits at the hub
OPEN = (VisitStatus.DRAFT, VisitStatus.PUBLISHED)


def check_hub(session: Session, problems: Problems, data, visit: Visit | None) -> None:
    """The visit's hub: the default one when none is given; an unknown one, or a closed one newly chosen, is refused."""
    if data.hub_id is None:
        data.hub_id = visit.hub_id if visit is not None else default_hub(session).id
        return
    # A form's select posts any number; ids beyond the databases' integers name no hub.
    hub = session.get(Hub, data.hub_id) if is_database_id(data.hub_id) else None
    if hub is None:
        problems.add("unknown_hub", "hub_id")
    elif not hub.active and (visit is None or visit.hub_id != hub.id):
        problems.add("hub_inactive", "hub_id")


def lesson_needs(session: Session, visit: Visit) -> list[LessonNeed]:
    """What each lesson needs: ceil(students expected / students per kit) + spares, as Lesson.kits_needed,
    from the kit type the lesson names now (its `kit_type` relationship may still hold the one before).
    Satellite schools follow the livestream, and no data says they get kits, so they add none."""
    needs = []
    for lesson in visit.lessons:
        kit_type = session.get(KitType, lesson.kit_type_id) if lesson.kit_type_id is not None else None
        needed = -(-lesson.students_expected // kit_type.students_per_kit) + lesson.spare_kits if kit_type else 0
        needs.append(LessonNeed(lesson.id, lesson.kit_type_id, needed))
    return needs


def sync_visit(session: Session, visit: Visit, *, actor: User | None = None, now: datetime) -> dict:
    """Reserve what the lessons need, top up a shortfall from new stock, release what they no longer need.

    Raises: visit_locked (cancelled or completed), lesson_kits_shipped.
    """
    if visit.status not in OPEN:
        raise DomainError("visit_locked")
    return reservations.sync(
        session,
        visit_id=visit.id,
        hub_id=visit.hub_id,
        needs=lesson_needs(session, visit),
        actor_id=actor.id if actor else None,
        now=now,
    )


def lesson_reservations(session: Session, visit: Visit) -> dict[int, KitReservation]:
    """The visit's reservation rows by lesson id (what the visit page and the edit form show)."""
    return reservations.reservations(session, visit.id)


def shortfall(session: Session, visit: Visit) -> int:
    return reservations.visit_shortfall(session, visit.id)


def ship(session: Session, visit: Visit, values: dict, *, actor: User | None, now: datetime):
    """Ship reserved kits of one type (values: kit_type_id, quantity, carrier, tracking_number).

    Raises: visit_locked, and what kits.shipping.ship raises.
    """
    if visit.status not in OPEN:
        raise DomainError("visit_locked")
    return shipping.ship(session, visit_id=visit.id, actor_id=_id(actor), now=now, **values)


def confirm_arrival(session: Session, visit: Visit, values: dict, *, actor: User | None, now: datetime):
    """The host counts what arrived (values: kit_type_id, received). Raises what kits.shipping raises."""
    return shipping.confirm_arrival(session, visit_id=visit.id, actor_id=_id(actor), now=now, **values)


def record_use(session: Session, visit: Visit, values: dict, *, actor: User | None, now: datetime):
    """Kits consumed and returned (values: kit_type_id, consumed, returned, hub_id); raises what kits.shipping does."""
    return shipping.record_use(session, visit_id=visit.id, actor_id=_id(actor), now=now, **values)


def summary(session: Session, visit: Visit) -> list[shipping.VisitKitRow]:
    return shipping.visit_kits(session, visit.id)


def _id(actor: User | None) -> int | None:
    return actor.id if actor is not None else None


def _on_saved(visit: Visit, *, session: Session, now: datetime) -> None:
    if visit.status in OPEN:
        sync_visit(session, visit, now=now)


def _on_ended(visit: Visit, *, session: Session, now: datetime) -> None:
    reservations.release_visit(session, visit.id, actor_id=None, now=now)


def _on_publishing(visit: Visit, *, session: Session, now: datetime, override_reason: str = "") -> None:
    if not shortfall(session, visit):
        return
    reason = (override_reason or "").strip()
    if not reason:
        raise DomainError("kit_shortfall", field="override_reason")
    visit.kits_override_reason, visit.kits_overridden_at = reason, now


def connect_receivers() -> None:
    """Keep reservations in step with visits: synced on save, released on cancel and completion, checked on publish."""
    visit_saved.connect(_on_saved)
    visit_cancelled.connect(_on_ended)
    visit_completed.connect(_on_ended)
    visit_publishing.connect(_on_publishing)
