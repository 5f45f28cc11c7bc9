"""Lots: which donation's kits each movement moved, so a donor can follow their gift (the donor trail).

The rule, first in, first out per hub and kit type. A received movement is a lot of its own, kits bought as
well as kits given (only a donation has a trail). Kits leaving
a hub (shipped, written off, transferred out, counted short at a stock-take, a correction taking kits
away) are taken from the oldest donations (lowest movement id) that still have kits of that type at that
hub; a correction reversing a receipt takes that donation's kits first. Kits arriving at a hub by a
transfer bring the lots the transfer took at the other hub; a correction giving kits back (a write-off
reversed) gives back the lots it took. At a school, kits consumed and returned are taken first in, first
out from the lots shipped to that visit and not yet consumed or returned; kits returned count at the hub
they go to. Kits found at a stock-take belong to no donation, and when a hub's donated kits run out the
rest of a movement is unattributed (no row).

`allocate` runs in kits.ledger.append, in the movement's transaction (appends are serialised by the
ledger head, so two movements never take the same kits). The rows are derived: anyone can recompute them
from the ledger in id order. `flask verify-ledger` does not, since first in, first out needs memory for
every lot still open, not the constant memory the chain check keeps.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from core.security import derived_secret
from kits.models import DonationTrail, Movement, MovementKind, MovementLot

_lot = MovementLot.__table__
_movement = Movement.__table__

#: kinds whose kits are allocated among a visit's shipped lots, not a hub's
AT_SCHOOL = (MovementKind.CONSUMED, MovementKind.RETURNED)


def trail_secret(movement_id: int) -> str:
    """The 128-bit secret in a donation's trail address, derived from its movement id and the purpose."""
    return derived_secret(f"scivisit-donation-trail:{movement_id}")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def find_donation(session: Session, secret: str) -> Movement | None:
    """The received movement whose trail secret this is, or None."""
    movement_id = session.scalar(
        select(DonationTrail.movement_id).where(DonationTrail.secret_hash == hash_secret(secret))
    )
    return session.get(Movement, movement_id) if movement_id is not None else None


def allocate(session: Session, movement: Movement) -> None:
    """Record which donations the movement's kits came from (the module's rule)."""
    kind, quantity = movement.kind, movement.quantity
    if kind == MovementKind.RECEIVED:
        _write(session, movement.id, [(movement.id, quantity)])
        if movement.donated:  # kits bought are a lot too (first in, first out), but have no donor to follow them
            secret_hash = hash_secret(trail_secret(movement.id))
            session.execute(insert(DonationTrail).values(movement_id=movement.id, secret_hash=secret_hash))
    elif kind in AT_SCHOOL:
        _write(session, movement.id, _take(_at_visit(session, movement), quantity))
    elif kind == MovementKind.TRANSFERRED_IN:
        _write(session, movement.id, _copied(session, movement.id - 1, quantity))
    elif kind == MovementKind.CORRECTED and movement.on_hand_delta > 0:
        _write(session, movement.id, _copied(session, movement.corrects_id, quantity))
    elif movement.on_hand_delta < 0:
        balances = _at_hub(session, movement)
        if kind == MovementKind.CORRECTED:  # a receipt reversed: its own kits go first
            balances.sort(key=lambda lot: lot[0] != movement.corrects_id)
        _write(session, movement.id, _take(balances, -movement.on_hand_delta))


def _write(session: Session, movement_id: int, lots: list[tuple[int, int]]) -> None:
    rows = [{"movement_id": movement_id, "source_id": source, "quantity": count} for source, count in lots if count]
    if rows:
        session.execute(insert(_lot), rows)


def _take(balances: list[tuple[int, int]], quantity: int) -> list[tuple[int, int]]:
    taken = []
    for source, left in balances:
        if quantity <= 0:
            break
        count = min(left, quantity)
        taken.append((source, count))
        quantity -= count
    return taken


def _copied(session: Session, movement_id: int | None, quantity: int) -> list[tuple[int, int]]:
    if movement_id is None:
        return []
    rows = session.execute(
        select(_lot.c.source_id, _lot.c.quantity).where(_lot.c.movement_id == movement_id).order_by(_lot.c.source_id)
    )
    return _take([tuple(row) for row in rows], quantity)


def _at_hub(session: Session, movement: Movement) -> list[tuple[int, int]]:
    """Kits of each donation still at the movement's hub, oldest donation first."""
    sign = case((_movement.c.on_hand_delta > 0, 1), (_movement.c.on_hand_delta < 0, -1), else_=0)
    return _balances(session, movement, sign, _movement.c.hub_id == movement.hub_id)


def _at_visit(session: Session, movement: Movement) -> list[tuple[int, int]]:
    """Kits of each donation shipped to the movement's visit and neither consumed nor returned yet."""
    sign = case((_movement.c.kind == MovementKind.SHIPPED, 1), else_=-1)
    kinds = _movement.c.kind.in_([MovementKind.SHIPPED, *AT_SCHOOL])
    return _balances(session, movement, sign, _movement.c.visit_id == movement.visit_id, kinds)


def _balances(session: Session, movement: Movement, sign, *where) -> list[tuple[int, int]]:
    """Per donation, the sum of its lots signed by `sign` over the movements before this one of its kit type
    that `where` selects, where positive, oldest donation first: one aggregate."""
    left = func.sum(sign * _lot.c.quantity)
    statement = (
        select(_lot.c.source_id, left)
        .join(_movement, _movement.c.id == _lot.c.movement_id)
        .where(_movement.c.kit_type_id == movement.kit_type_id, _movement.c.id != movement.id, *where)
        .group_by(_lot.c.source_id)
        .having(left > 0)
        .order_by(_lot.c.source_id)
    )
    return [tuple(row) for row in session.execute(statement)]
