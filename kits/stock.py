"""Kit stock: hubs, the manual movements (received, written off, transferred, adjusted at a stock-take),
corrections, and what the stock page lists. Every movement goes through kits.ledger.append."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from accounts.models import User
from core.db import insert_or_ignore
from core.errors import DomainError
from core.urls import external_url
from kits import lots
from kits.ledger import MovementData, append, lock_head, stock_counts
from kits.models import Hub, KitType, Movement, MovementKind, StockLevel
from mail.services import queue_message

#: the hub a fresh installation has (the migration makes it; `default_hub` when a database has none)
DEFAULT_HUB_NAME = "总仓库 Main hub"

#: kinds people record by hand (the API's and the form's choices); a transfer is two movements
MANUAL_KINDS = ("received", "written_off", "transferred", "adjusted")
#: kinds a correction may reverse (the others belong to lessons and visits, which undo their own)
CORRECTABLE = {
    MovementKind.RECEIVED,
    MovementKind.WRITTEN_OFF,
    MovementKind.TRANSFERRED_OUT,
    MovementKind.TRANSFERRED_IN,
    MovementKind.ADJUSTED,
}


# ---------------------------------------------------------------- hubs


def default_hub(session: Session) -> Hub:
    """The first hub, made (as DEFAULT_HUB_NAME) when there is none."""
    hub = session.scalar(select(Hub).order_by(Hub.id).limit(1))
    if hub is None:
        insert_or_ignore(session, Hub, {"name": DEFAULT_HUB_NAME, "address": "", "active": True}, conflict_on=["name"])
        hub = session.scalar(select(Hub).order_by(Hub.id).limit(1))
    return hub


def create_hub(session: Session, values: dict, *, now: datetime) -> Hub:
    """Add a hub; names are unique.

    Raises: name_taken.
    """
    name = values["name"].strip()
    if session.scalar(select(func.count()).select_from(Hub).where(Hub.name == name)):
        raise DomainError("name_taken", field="name")
    hub = Hub(name=name, address=values.get("address", "") or "", active=True, created_at=now)
    session.add(hub)
    session.flush()
    return hub


def list_hubs(session: Session) -> list[Hub]:
    """Every hub, the default one (the first) first."""
    return list(session.scalars(select(Hub).order_by(Hub.id)))


def _hub(session: Session, hub_id: int | None, *, field: str = "hub_id") -> Hub:
    """The hub with this id (the default hub for None), open for movements.

    Raises: unknown_hub, hub_inactive.
    """
    hub = default_hub(session) if hub_id is None else session.get(Hub, hub_id)
    if hub is None:
        raise DomainError("unknown_hub", field=field)
    if not hub.active:
        raise DomainError("hub_inactive", field=field)
    return hub


def _kit_type(session: Session, kit_type_id: int) -> KitType:
    kit_type = session.get(KitType, kit_type_id)
    if kit_type is None:
        raise DomainError("unknown_kit_type", field="kit_type_id")
    return kit_type


def _positive(quantity: int, field: str = "quantity") -> int:
    if not isinstance(quantity, int) or quantity < 1:
        raise DomainError("validation_error", field=field)
    return quantity


# ---------------------------------------------------------------- movements


def receive(
    session: Session,
    *,
    kit_type_id: int,
    quantity: int,
    party: str,
    value_fen: int | None = None,
    hub_id: int | None = None,
    donated: bool = True,
    donor_email: str = "",
    locale: str | None = None,
    actor: User | None,
    now: datetime,
) -> Movement:
    """Kits donated (`party` gave them) or bought (`donated` False: `party` sold them) arrive at a hub; the value
    defaults to the kit type's unit value. Given the donor's email (kept nowhere but in the outbox), the donation's
    trail address is mailed to it in `locale`; a purchase has no trail.

    Raises: validation_error (quantity, value_fen), party_required, purchase_has_no_donor, unknown_kit_type,
    unknown_hub, hub_inactive.
    """
    _positive(quantity)
    party = (party or "").strip()
    if not party:
        raise DomainError("party_required", field="party")
    if value_fen is not None and value_fen < 0:
        raise DomainError("validation_error", field="value_fen")
    donor_email = (donor_email or "").strip()
    if donor_email and not donated:
        raise DomainError("purchase_has_no_donor", field="donor_email")
    kit_type, hub = _kit_type(session, kit_type_id), _hub(session, hub_id)
    value = kit_type.unit_value_fen * quantity if value_fen is None else value_fen
    data = MovementData(
        MovementKind.RECEIVED,
        hub.id,
        kit_type.id,
        quantity,
        on_hand_delta=quantity,
        value_fen=value,
        party=party,
        donated=donated,
    )
    movement = append(session, data, actor_id=_id(actor), now=now)
    if donor_email:
        link = external_url("transparency.donation_trail", secret=lots.trail_secret(movement.id))
        queue_message(
            session,
            recipient=donor_email,
            template="donation_trail",
            locale=locale,
            now=now,
            movement=movement,
            kit_type=kit_type,
            hub=hub,
            link=link,
        )
    return movement


def write_off(
    session: Session,
    *,
    kit_type_id: int,
    quantity: int,
    reason: str,
    hub_id: int | None = None,
    actor: User | None,
    now: datetime,
) -> Movement:
    """Kits damaged or lost leave the stock; only available kits can be written off.

    Raises: validation_error (quantity), movement_reason_required, insufficient_stock, unknown_kit_type,
    unknown_hub, hub_inactive.
    """
    _positive(quantity)
    reason = _reason(reason)
    kit_type, hub = _kit_type(session, kit_type_id), _hub(session, hub_id)
    data = MovementData(
        MovementKind.WRITTEN_OFF,
        hub.id,
        kit_type.id,
        quantity,
        on_hand_delta=-quantity,
        value_fen=kit_type.unit_value_fen * quantity,
        reason=reason,
    )
    return append(session, data, actor_id=_id(actor), now=now)


def transfer(
    session: Session,
    *,
    kit_type_id: int,
    quantity: int,
    to_hub_id: int,
    hub_id: int | None = None,
    reason: str = "",
    actor: User | None,
    now: datetime,
) -> tuple[Movement, Movement]:
    """Available kits move from one hub to another: two consecutive movements, out and then in.

    Raises: validation_error (quantity), same_hub, insufficient_stock, unknown_kit_type, unknown_hub,
    hub_inactive.
    """
    _positive(quantity)
    kit_type, source = _kit_type(session, kit_type_id), _hub(session, hub_id)
    target = _hub(session, to_hub_id, field="to_hub_id")
    if source.id == target.id:
        raise DomainError("same_hub", field="to_hub_id")
    value = kit_type.unit_value_fen * quantity
    common = {"quantity": quantity, "value_fen": value, "reason": (reason or "").strip()}
    out = MovementData(
        MovementKind.TRANSFERRED_OUT, source.id, kit_type.id, on_hand_delta=-quantity, other_hub_id=target.id, **common
    )
    moved_out = append(session, out, actor_id=_id(actor), now=now)
    into = MovementData(
        MovementKind.TRANSFERRED_IN, target.id, kit_type.id, on_hand_delta=quantity, other_hub_id=source.id, **common
    )
    return moved_out, append(session, into, actor_id=_id(actor), now=now)


def adjust(
    session: Session,
    *,
    kit_type_id: int,
    counted: int,
    reason: str = "",
    hub_id: int | None = None,
    actor: User | None,
    now: datetime,
) -> Movement:
    """A stock-take: the kits counted become the hub's on-hand stock; the difference is recorded (0 too).

    Raises: validation_error (counted), counted_below_reserved, unknown_kit_type, unknown_hub, hub_inactive.
    """
    if not isinstance(counted, int) or counted < 0:
        raise DomainError("validation_error", field="counted")
    kit_type, hub = _kit_type(session, kit_type_id), _hub(session, hub_id)
    lock_head(session)  # what is on hand cannot change between reading it and recording the difference
    on_hand, reserved = stock_counts(session, hub.id, kit_type.id)
    if counted < reserved:
        raise DomainError("counted_below_reserved", field="counted")
    difference = counted - on_hand
    data = MovementData(
        MovementKind.ADJUSTED,
        hub.id,
        kit_type.id,
        abs(difference),
        on_hand_delta=difference,
        value_fen=kit_type.unit_value_fen * abs(difference),
        reason=(reason or "").strip(),
        counted=counted,
    )
    return append(session, data, actor_id=_id(actor), now=now)


def correct(session: Session, movement_id: int, *, reason: str, actor: User | None, now: datetime) -> list[Movement]:
    """Reverse a movement recorded by mistake with a new one that names it (both halves of a transfer).

    Raises: not_found, not_correctable, already_corrected, movement_reason_required, insufficient_stock.
    """
    reason = _reason(reason)
    lock_head(session)  # a second correction of the same movement waits, then sees this one
    original = session.get(Movement, movement_id)
    if original is None:
        raise DomainError("not_found")
    if original.kind not in CORRECTABLE:
        raise DomainError("not_correctable")
    originals = [original]
    if original.kind in (MovementKind.TRANSFERRED_OUT, MovementKind.TRANSFERRED_IN):
        # A transfer is two consecutive movements; the one into the target is reversed first, since
        # only it can fail (its kits may have left the target since).
        partner_id = original.id + (1 if original.kind == MovementKind.TRANSFERRED_OUT else -1)
        originals = sorted([original, session.get(Movement, partner_id)], key=lambda m: m.on_hand_delta, reverse=True)
    corrected = session.scalar(
        select(func.count()).select_from(Movement).where(Movement.corrects_id.in_([m.id for m in originals]))
    )
    if corrected:
        raise DomainError("already_corrected")
    made = []
    for each in originals:
        data = MovementData(
            MovementKind.CORRECTED,
            each.hub_id,
            each.kit_type_id,
            each.quantity,
            on_hand_delta=-each.on_hand_delta,
            reserved_delta=-each.reserved_delta,
            value_fen=each.value_fen,
            party=each.party,
            donated=each.donated,
            reason=reason,
            corrects_id=each.id,
            other_hub_id=each.other_hub_id,
            visit_id=each.visit_id,
            lesson_id=each.lesson_id,
        )
        made.append(append(session, data, actor_id=_id(actor), now=now))
    return made


def record(session: Session, kind: str, values: dict, *, actor: User | None, now: datetime) -> list[Movement]:
    """Record one of the MANUAL_KINDS from a form's or an API body's values: the movements it made.

    `values` holds kit_type_id and hub_id (None: the default hub) and what the kind needs: quantity and
    party (value_fen, donated, donor_email and the mail's locale optional) to receive; quantity and reason to write
    off; quantity and to_hub_id to transfer; counted to adjust. Raises what each kind's service raises.
    """
    common = {"kit_type_id": values["kit_type_id"], "hub_id": values.get("hub_id"), "actor": actor, "now": now}
    if kind == "received":
        party, value_fen = values.get("party", ""), values.get("value_fen")
        email, locale = values.get("donor_email") or "", values.get("locale")
        movement = receive(
            session,
            quantity=values["quantity"],
            party=party,
            value_fen=value_fen,
            donated=values.get("donated", True),
            donor_email=email,
            locale=locale,
            **common,
        )
        return [movement]
    if kind == "written_off":
        return [write_off(session, quantity=values["quantity"], reason=values.get("reason", ""), **common)]
    if kind == "transferred":
        reason = values.get("reason", "")
        return list(
            transfer(session, quantity=values["quantity"], to_hub_id=values["to_hub_id"], reason=reason, **common)
        )
    if kind == "adjusted":
        return [adjust(session, counted=values["counted"], reason=values.get("reason", ""), **common)]
    raise DomainError("validation_error", field="kind")


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("movement_reason_required", field="reason")
    return reason


def _id(actor: User | None) -> int | None:
    return actor.id if actor is not None else None


# ---------------------------------------------------------------- what pages read


@dataclass(frozen=True)
class StockRow:
    """One kit type at one hub, as the stock page and GET /api/v1/stock show it."""

    hub_id: int
    hub_name: str
    kit_type_id: int
    kit_type_name: str
    on_hand: int
    reserved: int
    low_stock_threshold: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def low(self) -> bool:
        return self.available < self.low_stock_threshold


def stock_rows(session: Session, *, hub_id: int | None = None) -> list[StockRow]:
    """Every kit type at every active hub (or at `hub_id`), from the maintained counters: one query."""
    level = and_(StockLevel.hub_id == Hub.id, StockLevel.kit_type_id == KitType.id)
    statement = (
        select(
            Hub.id,
            Hub.name,
            KitType.id,
            KitType.name,
            func.coalesce(StockLevel.on_hand, 0),
            func.coalesce(StockLevel.reserved, 0),
            KitType.low_stock_threshold,
        )
        .select_from(Hub)
        .join(KitType, Hub.active.is_(True))  # every kit type at every active hub, whether it holds any or not
        .outerjoin(StockLevel, level)
        .order_by(Hub.id, KitType.name)
    )
    if hub_id is not None:
        statement = statement.where(Hub.id == hub_id)
    return [StockRow(*row) for row in session.execute(statement)]


def recent_movements(hub_id: int | None = None):
    """The ledger, newest first (a query to page through)."""
    statement = select(Movement).order_by(Movement.id.desc())
    if hub_id is not None:
        statement = statement.where(Movement.hub_id == hub_id)
    return statement
