"""The generator's stock ledger (bench.scale): every visit's kit journey and donations and write-offs in time order,
hashed and chained on from the ledger head, with the counters, lots (first in, first out, as kits.lots), trails,
reservations and journeys that agree with it."""

from __future__ import annotations

import heapq
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

if TYPE_CHECKING:
    from bench.scale import _Writer

#: (on hand, reserved) change per kit moved, by movement kind (the others change no counter)
DELTAS = {
    "received": (1, 0),
    "reserved": (0, 1),
    "released": (0, -1),
    "shipped": (-1, -1),
    "returned": (1, 0),
    "written_off": (-1, 0),
}
CARRIER = "顺丰速运 SF Express"
DONORS = ("星光科技基金会 Star Tech Foundation", "绿源能源 Lvyuan Energy", "Bench Donor")


def _visit_events(visit) -> list[tuple]:
    """The movements of a visit's lessons, as (time, order, kind, hub, kit type, quantity, visit, lesson)."""
    from events.models import VisitStatus
    from kits.models import MovementKind as K

    events = []
    hub = visit.hub_id
    for lesson in visit.lessons:
        q, kt = lesson.needed, lesson.kit_type
        reserved_at = visit.published_at if visit.status == VisitStatus.COMPLETED else visit.created_at
        events.append((reserved_at, 0, K.RESERVED, hub, kt, q, visit, lesson))
        if visit.status == VisitStatus.CANCELLED:
            events.append((visit.cancelled_at, 1, K.RELEASED, hub, kt, q, visit, lesson))
        if visit.status != VisitStatus.COMPLETED:
            continue
        events.append((visit.starts_at - timedelta(days=5), 1, K.SHIPPED, hub, kt, q, visit, lesson))
        received = q - 1 if visit.id % 10 == 0 else q  # now and then one kit lost on the way
        events.append((visit.starts_at - timedelta(days=2), 2, K.RECEIVED_AT_SCHOOL, hub, kt, received, visit, lesson))
        consumed = received if kt.consumable else 1  # reusable kits come back, but for one worn out
        events.append((visit.ends_at, 3, K.CONSUMED, hub, kt, consumed, visit, lesson))
        if received > consumed:
            events.append((visit.ends_at, 4, K.RETURNED, hub, kt, received - consumed, visit, lesson))
    return events


def _ledger_events(sizes, now, rng, kits, visits) -> tuple[list[tuple], dict[tuple[int, int], int]]:
    """Every movement to write, in time order, and the kits each hub's kit type will have reserved."""
    from kits.models import MovementKind as K

    events = [event for visit in visits for event in _visit_events(visit)]
    demand: dict[tuple[int, int], int] = defaultdict(int)
    for _at, _order, kind, hub, kt, quantity, _visit, _lesson in events:
        if kind == K.RESERVED:
            demand[(hub, kt.id)] += quantity
    start = now - timedelta(days=420)
    for hub in kits.hubs:
        for kt in kits.types:
            events.append((start, -1, K.RECEIVED, hub, kt, demand[(hub, kt.id)] + 100, None, None))
    span = int((now - timedelta(hours=1) - start).total_seconds())
    for _ in range(max(sizes.movements - len(events), 0)):
        at = start + timedelta(seconds=rng.randrange(1, span))
        hub, kt = rng.choice(kits.hubs), rng.choice(kits.types)
        if rng.random() < 0.55:
            events.append((at, 5, K.RECEIVED, hub, kt, rng.randint(5, 40), None, None))
        else:
            events.append((at, 5, K.WRITTEN_OFF, hub, kt, rng.randint(1, 3), None, None))
    events.sort(key=lambda e: (e[0], e[1], e[6].id if e[6] else 0, e[7].id if e[7] else 0))
    return events, demand


class _Lots:
    """Which donations' kits each movement moves, first in, first out, as kits.lots.allocate records them."""

    def __init__(self):
        self.at_hub: dict[tuple[int, int], tuple[list[int], dict[int, int]]] = defaultdict(lambda: ([], {}))
        self.at_visit: dict[tuple[int, int], tuple[list[int], dict[int, int]]] = defaultdict(lambda: ([], {}))

    def allocate(self, movement_id: int, kind, hub: int, kit_type_id: int, quantity: int, visit) -> list:
        from kits.models import MovementKind as K

        hub_lots = self.at_hub[(hub, kit_type_id)]
        if kind == K.RECEIVED:
            _put(hub_lots, movement_id, quantity)
            return [(movement_id, quantity)]
        if kind in (K.SHIPPED, K.WRITTEN_OFF):
            taken = _take(hub_lots, quantity)
            if kind == K.SHIPPED:
                for source, n in taken:
                    _put(self.at_visit[(visit.id, kit_type_id)], source, n)
            return taken
        if kind in (K.CONSUMED, K.RETURNED):
            taken = _take(self.at_visit[(visit.id, kit_type_id)], quantity)
            if kind == K.RETURNED:
                for source, n in taken:
                    _put(hub_lots, source, n)
            return taken
        return []


def ledger(session, writer: _Writer, t, sizes, now, rng, kits, visits, people) -> None:
    """Movements in time order, hashed and chained on from the head; counters, lots, trails, reservations."""
    from kits import lots
    from kits.ledger import lock_head, movement_hash
    from kits.models import MovementKind as K

    events, demand = _ledger_events(sizes, now, rng, kits, visits)
    count, prev_hash = lock_head(session)
    stock: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    allocated = _Lots()
    reservations, journeys = {}, {}
    lot_id = writer.next_id(t.lot)
    for at, _order, kind, hub, kt, quantity, visit, lesson in events:
        key = (hub, kt.id)
        on_hand, reserved = stock[key]
        if kind == K.WRITTEN_OFF and on_hand - reserved - demand[key] < quantity:
            kind, quantity = K.RECEIVED, quantity * 10  # none to spare beyond later reservations: a donation instead
        deltas = DELTAS.get(kind.value, (0, 0))
        deltas = (deltas[0] * quantity, deltas[1] * quantity)
        stock[key] = [on_hand + deltas[0], reserved + deltas[1]]
        if kind == K.RESERVED:
            demand[key] -= quantity
        count += 1
        values = {
            "id": count,
            "kind": kind,
            "hub_id": hub,
            "kit_type_id": kt.id,
            "quantity": quantity,
            "on_hand_delta": deltas[0],
            "reserved_delta": deltas[1],
            "value_fen": quantity * kt.unit_value_fen if kind == K.RECEIVED else 0,
            "party": rng.choice(DONORS) if kind == K.RECEIVED else CARRIER if kind == K.SHIPPED else "",
            "reason": "运输损坏 Damaged in transit" if kind == K.WRITTEN_OFF else "",
            "counted": None,
            "corrects_id": None,
            "other_hub_id": None,
            "visit_id": visit.id if visit else None,
            "lesson_id": lesson.id if lesson and kind in (K.RESERVED, K.RELEASED, K.SHIPPED) else None,
            "actor_id": people.admin if kind in (K.RECEIVED, K.WRITTEN_OFF) else None,
            "created_at": at,
            "prev_hash": prev_hash,
        }
        prev_hash = movement_hash(values)
        writer.add(t.movement, {**values, "hash": prev_hash})
        if kind == K.RECEIVED:
            writer.add(t.trail, {"movement_id": count, "secret_hash": lots.hash_secret(lots.trail_secret(count))})
        for source, n in allocated.allocate(count, kind, hub, kt.id, quantity, visit):
            writer.add(t.lot, {"id": lot_id, "movement_id": count, "source_id": source, "quantity": n})
            lot_id += 1
        if lesson is not None:
            _journey(kind, quantity, hub, kt, visit, lesson, at, reservations, journeys)
    writer.flush_all(t.movement, t.lot, t.trail)
    for row in reservations.values():
        writer.add(t.reservation, row)
    for row in journeys.values():
        writer.add(t.visit_kit, row)
    writer.flush_all(t.reservation, t.visit_kit)
    _counters(session, writer, t, kits, stock)
    session.execute(update(t.head).where(t.head.c.id == 1).values(count=count, hash=prev_hash))


def _counters(session, writer: _Writer, t, kits, stock: dict[tuple[int, int], list[int]]) -> None:
    """The per-hub counters: the ledger's sums (added to counters already there)."""
    existing = {tuple(row) for row in session.execute(select(t.stock.c.hub_id, t.stock.c.kit_type_id))}
    thresholds = {kt.id: kt.low_stock_threshold for kt in kits.types}
    for (hub, kit_type_id), (on_hand, reserved) in stock.items():
        if (hub, kit_type_id) in existing:
            session.execute(
                update(t.stock)
                .where(t.stock.c.hub_id == hub, t.stock.c.kit_type_id == kit_type_id)
                .values(on_hand=t.stock.c.on_hand + on_hand, reserved=t.stock.c.reserved + reserved)
            )
            continue
        # below the threshold: as if the low-stock mail went out when it fell there
        low = on_hand - reserved < thresholds[kit_type_id]
        row = {"hub_id": hub, "kit_type_id": kit_type_id, "on_hand": on_hand, "reserved": reserved}
        writer.add(t.stock, {**row, "low_alerted": low})
    writer.flush(t.stock)


def _put(lots: tuple[list[int], dict[int, int]], source: int, quantity: int) -> None:
    heap, left = lots
    if not left.get(source):
        heapq.heappush(heap, source)
    left[source] = left.get(source, 0) + quantity


def _take(lots: tuple[list[int], dict[int, int]], quantity: int) -> list[tuple[int, int]]:
    """Take `quantity` kits from the oldest donations first; what runs past the lots is unattributed."""
    heap, left = lots
    taken = []
    while quantity > 0 and heap:
        source = heap[0]
        n = min(left[source], quantity)
        taken.append((source, n))
        quantity -= n
        left[source] -= n
        if not left[source]:
            heapq.heappop(heap)
            del left[source]
    return taken


def _journey(kind, quantity, hub, kit_type, visit, lesson, at, reservations, journeys) -> None:
    """A lesson's kit_reservation row and its visit's visit_kit row, as the movements so far leave them."""
    from events.models import VisitStatus
    from kits.models import MovementKind as K

    if kind == K.RESERVED and visit.status != VisitStatus.CANCELLED:
        needed = 0 if visit.status == VisitStatus.COMPLETED else quantity  # completion releases: needed 0
        reservations[lesson.id] = {
            "visit_id": visit.id,
            "lesson_id": lesson.id,
            "hub_id": hub,
            "kit_type_id": kit_type.id,
            "needed": needed,
            "reserved": quantity,
            "shipped": 0,
            "shortfall": 0,
        }
    elif kind == K.SHIPPED:
        reservations[lesson.id]["reserved"] -= quantity
        reservations[lesson.id]["shipped"] += quantity
        journeys[(visit.id, kit_type.id)] = {
            "visit_id": visit.id,
            "kit_type_id": kit_type.id,
            "hub_id": hub,
            "shipped": quantity,
            "carrier": CARRIER,
            "tracking_number": f"SF{visit.id:08d}{kit_type.id}",
            "shipped_at": at,
            "received": None,
            "received_at": None,
            "consumed": 0,
            "returned": 0,
        }
    elif kind == K.RECEIVED_AT_SCHOOL:
        journeys[(visit.id, kit_type.id)].update(received=quantity, received_at=at)
    elif kind in (K.CONSUMED, K.RETURNED):
        journeys[(visit.id, kit_type.id)]["consumed" if kind == K.CONSUMED else "returned"] += quantity
