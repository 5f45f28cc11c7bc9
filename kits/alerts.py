"""Low-stock alerts: programme coordinators are mailed once each time a kit type's available stock at a hub
falls below its threshold.

kits.ledger.append, the one place counters change, calls `check` after every movement that changes what
is available, in the movement's transaction. The counter row remembers that it was reported
(`StockLevel.low_alerted`): one conditional UPDATE sets the mark when available < threshold and clears it
(re-arms) when available is back at or above it, and only an UPDATE that sets it queues mail, so staying
below sends nothing and a second fall after a rise sends again. Appends are serialised by the ledger head,
so two movements cannot both see the mark unset. A threshold raised above the stock is noticed at the
next movement of that kit type at that hub.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import Role, User, UserRole
from core.urls import external_url
from kits.models import Hub, KitType, StockLevel
from mail.services import queue_message

_stock = StockLevel.__table__
_kit_type = KitType.__table__


def check(session: Session, hub_id: int, kit_type_id: int, *, now: datetime) -> bool:
    """Set or clear the counter's low mark to match its stock; mail coordinators when it was set. True if mailed."""
    threshold = select(_kit_type.c.low_stock_threshold).where(_kit_type.c.id == kit_type_id).scalar_subquery()
    low = (_stock.c.on_hand - _stock.c.reserved) < threshold
    statement = (
        update(_stock)
        .where(_stock.c.hub_id == hub_id, _stock.c.kit_type_id == kit_type_id, _stock.c.low_alerted != low)
        .values(low_alerted=low)
        .returning(_stock.c.low_alerted, _stock.c.on_hand - _stock.c.reserved)
    )
    row = session.execute(statement).first()
    if row is None or not row[0]:
        return False
    _mail_coordinators(session, session.get(Hub, hub_id), session.get(KitType, kit_type_id), row[1], now=now)
    return True


def coordinators(session: Session) -> list[User]:
    """Active programme coordinators (Role.ADMIN), who hear of low stock."""
    statement = select(User).join(UserRole).where(UserRole.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    return list(session.scalars(statement))


def _mail_coordinators(session: Session, hub: Hub, kit_type: KitType, available: int, *, now: datetime) -> None:
    link = external_url("kits.stock_page")
    for person in coordinators(session):
        queue_message(
            session,
            recipient=person.email,
            template="low_stock",
            locale=person.mail_locale,
            now=now,
            person=person,
            hub=hub,
            kit_type=kit_type,
            available=available,
            link=link,
        )
