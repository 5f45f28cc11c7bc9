"""The stock ledger's chain: appending a movement (counters, head, hash) and verifying the whole chain.

Canonical form. A movement's `hash` is the lower-case hex SHA-256 of the UTF-8 bytes of a JSON object
holding exactly the fields of CANONICAL_FIELDS, written by Python's
`json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`:

- keys sorted, no spaces, no trailing newline; text as it is stored (non-ASCII characters unescaped);
- `id`, `hub_id`, `kit_type_id`, `quantity`, `on_hand_delta`, `reserved_delta`, `value_fen` as JSON integers;
  `counted`, `corrects_id`, `other_hub_id`, `visit_id`, `lesson_id`, `actor_id` as integers or `null`;
- `kind` as its stored value (`"received"`, `"written_off"`, ...); `party`, `reason` as strings;
- `created_at` in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always six fraction digits);
- `prev_hash`: the previous movement's `hash`, or 64 zeros (GENESIS_HASH) for the first;
- `donated` (`false`) only for kits bought, not given (a received movement of a purchase): a field of
  OPTIONAL_FIELDS is written only when it differs from its default, so the hashes of the movements made before
  it existed stay valid.

For example, the first movement could hash
`{"actor_id":1,"corrects_id":null,"counted":null,"created_at":"2026-05-12T17:30:00.000000Z","hub_id":1,"id":1,
"kind":"received","kit_type_id":1,"lesson_id":null,"on_hand_delta":10,"other_hub_id":null,"party":"Donor",
"prev_hash":"000…000","quantity":10,"reason":"","reserved_delta":0,"value_fen":35000,"visit_id":null}`
(on one line). Movement ids are the places in the chain, 1, 2, 3, ... without gaps.

Appending is serialised by the one-row `ledger_head` (count and last hash): `append` first writes to it
(an UPDATE that changes nothing), which takes its row lock on PostgreSQL and the write lock on SQLite, so
two appends never follow the same movement; the counters change by a conditional UPDATE checked by its
rowcount, with CHECK constraints behind it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select, true, union_all, update
from sqlalchemy.orm import Session

from core.db import insert_or_ignore
from core.errors import DomainError
from kits import alerts, lots
from kits.models import GENESIS_HASH, LedgerHead, Movement, MovementKind, StockLevel

CANONICAL_FIELDS = (
    "id",
    "kind",
    "hub_id",
    "kit_type_id",
    "quantity",
    "on_hand_delta",
    "reserved_delta",
    "value_fen",
    "party",
    "reason",
    "counted",
    "corrects_id",
    "other_hub_id",
    "visit_id",
    "lesson_id",
    "actor_id",
    "created_at",
    "prev_hash",
)

#: fields in the canonical form only when they differ from their default (the value every older movement has)
OPTIONAL_FIELDS = {"donated": True}

_head = LedgerHead.__table__
_stock = StockLevel.__table__
_movement = Movement.__table__


def iso_utc(value: datetime) -> str:
    """A time as the canonical form writes it: UTC, microseconds, a Z."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: Mapping) -> bytes:
    """The bytes a movement's hash is computed over (see the module's docstring)."""
    content = {name: values[name] for name in CANONICAL_FIELDS}
    kind = content["kind"]
    content["kind"] = kind.value if isinstance(kind, MovementKind) else str(kind)
    content["created_at"] = iso_utc(content["created_at"])
    for name, default in OPTIONAL_FIELDS.items():
        value = values.get(name, default)
        if value != default:
            content[name] = value
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def movement_hash(values: Mapping) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


@dataclass
class MovementData:
    """One movement to append: what changes at which hub, and why."""

    kind: MovementKind
    hub_id: int
    kit_type_id: int
    quantity: int
    on_hand_delta: int = 0
    reserved_delta: int = 0
    value_fen: int = 0
    party: str = ""
    reason: str = ""
    counted: int | None = None
    corrects_id: int | None = None
    other_hub_id: int | None = None
    visit_id: int | None = None
    lesson_id: int | None = None
    #: received kits bought, not given: False (see Movement.donated)
    donated: bool = True


def lock_head(session: Session) -> tuple[int, str]:
    """Take the ledger head (its row lock, SQLite's write lock) until the transaction ends: (count, hash).

    An UPDATE that changes nothing, so the lock is taken by the first statement and SQLite never has to
    upgrade a read. The head row is made when missing (a database built without the migration).
    """
    statement = update(_head).where(_head.c.id == 1).values(id=_head.c.id).returning(_head.c.count, _head.c.hash)
    row = session.execute(statement).first()
    if row is None:
        insert_or_ignore(session, LedgerHead, {"id": 1, "count": 0, "hash": GENESIS_HASH}, conflict_on=["id"])
        row = session.execute(statement).one()
    return row.count, row.hash


def stock_counts(session: Session, hub_id: int, kit_type_id: int) -> tuple[int, int]:
    """(on hand, reserved) of a kit type at a hub as they are now; hold the head first to act on them."""
    row = session.execute(
        select(_stock.c.on_hand, _stock.c.reserved).where(
            _stock.c.hub_id == hub_id, _stock.c.kit_type_id == kit_type_id
        )
    ).first()
    return (row.on_hand, row.reserved) if row else (0, 0)


def _change_counters(session: Session, data: MovementData) -> None:
    """Apply the movement's deltas to its counters, unless that would overdraw them: insufficient_stock."""
    if not (data.on_hand_delta or data.reserved_delta):
        return
    on_hand = _stock.c.on_hand + data.on_hand_delta
    reserved = _stock.c.reserved + data.reserved_delta
    statement = (
        update(_stock)
        .where(
            _stock.c.hub_id == data.hub_id,
            _stock.c.kit_type_id == data.kit_type_id,
            on_hand >= 0,
            reserved >= 0,
            on_hand - reserved >= 0,
        )
        .values(on_hand=on_hand, reserved=reserved)
    )
    if session.execute(statement).rowcount == 1:
        return
    # A new row starts empty, so already below any threshold: only a fall after stock was at it is news.
    values = {"hub_id": data.hub_id, "kit_type_id": data.kit_type_id, "on_hand": 0, "reserved": 0, "low_alerted": True}
    # No row yet: make it (0, 0) and try once more; a row that was there already had too few kits.
    inserted = insert_or_ignore(session, StockLevel, values, conflict_on=["hub_id", "kit_type_id"])
    if inserted and session.execute(statement).rowcount == 1:
        return
    raise DomainError("insufficient_stock", field="quantity")


def append(session: Session, data: MovementData, *, actor_id: int | None, now: datetime) -> Movement:
    """Append one movement: change its counters (mailing coordinators when available stock falls below its
    threshold, kits.alerts), chain it to the last one, record which donations' kits it moved (kits.lots),
    move the head.

    Raises: insufficient_stock (nothing is written then).
    """
    count, prev_hash = lock_head(session)
    _change_counters(session, data)
    if data.on_hand_delta != data.reserved_delta:  # what is available changed: maybe crossed the threshold
        alerts.check(session, data.hub_id, data.kit_type_id, now=now)
    values = {**asdict(data), "id": count + 1, "actor_id": actor_id, "created_at": now, "prev_hash": prev_hash}
    digest = movement_hash(values)
    movement = Movement(**values, hash=digest)
    session.add(movement)
    session.flush()
    lots.allocate(session, movement)
    session.execute(update(_head).where(_head.c.id == 1).values(count=count + 1, hash=digest))
    return movement


# ---------------------------------------------------------------- verification


@dataclass
class Verification:
    """What verify_ledger found. `problem`: None, or one of PROBLEMS."""

    ok: bool
    checked: int
    first_bad_id: int | None
    head: str
    head_count: int
    problem: str | None = None
    #: (hub id, kit type id) of counters that differ from the ledger's sums
    mismatched_stock: list[tuple[int, int]] = field(default_factory=list)


#: edited: a movement's content no longer gives its hash; broken: a movement does not follow the one
#: before it (one was deleted or inserted); head: the chain does not end where the head says (movements
#: deleted or added at the end); counters: stock levels differ from the ledger's sums
PROBLEMS = ("edited", "broken", "head", "counters")


def verify_ledger(session: Session, *, batch: int = 2000) -> Verification:
    """Check the whole chain in id order, streaming (constant memory), then the counters against the ledger.

    One statement reads the movements with the head beside them, so on PostgreSQL both come from one
    snapshot even while others append; the counters are compared in one GROUP BY statement.
    """
    columns = [_movement.c[name] for name in (*CANONICAL_FIELDS, *OPTIONAL_FIELDS, "hash")]
    rows = session.execute(
        select(*columns, _head.c.count.label("head_count"), _head.c.hash.label("head_hash"))
        .select_from(_movement.outerjoin(_head, true()))
        .order_by(_movement.c.id)
        .execution_options(yield_per=batch)
    )
    running, checked = GENESIS_HASH, 0
    head_count, head_hash = None, None
    for row in rows:
        values = row._mapping
        head_count, head_hash = values["head_count"], values["head_hash"]
        problem = None
        if values["id"] != checked + 1 or values["prev_hash"] != running:
            problem = "broken"
        elif movement_hash(values) != values["hash"]:
            problem = "edited"
        if problem:
            rows.close()
            return _result(checked, values["id"], head_hash, head_count, problem)
        running = values["hash"]
        checked += 1
    if head_count is None:  # no movement: the head alone
        head = session.execute(select(_head.c.count, _head.c.hash)).first()
        head_count, head_hash = (head.count, head.hash) if head else (0, GENESIS_HASH)
    if head_count != checked or head_hash != running:
        first_bad = min(head_count or 0, checked) + 1 if head_count != checked else checked
        return _result(checked, first_bad, head_hash, head_count, "head")
    mismatched = _mismatched_counters(session)
    if mismatched:
        return Verification(False, checked, None, head_hash, head_count, "counters", mismatched)
    return Verification(True, checked, None, head_hash, head_count)


def remember_verification(session: Session, result: Verification, *, now: datetime) -> None:
    """Keep a verification's outcome on the head row, for the public transparency page (which never verifies:
    a full check reads every movement)."""
    values = {
        "verified_at": now,
        "verified_ok": result.ok,
        "verified_count": result.checked,
        "verified_hash": result.head,
    }
    session.execute(update(_head).where(_head.c.id == 1).values(**values))


def head_state(session: Session) -> LedgerHead | None:
    """The head row: movement count, head hash and the last verification (None before the first movement)."""
    return session.get(LedgerHead, 1)


def _result(checked: int, bad_id: int, head_hash, head_count, problem: str) -> Verification:
    return Verification(False, checked, bad_id, head_hash or GENESIS_HASH, head_count or 0, problem)


def _mismatched_counters(session: Session) -> list[tuple[int, int]]:
    """Counters minus the ledger's sums, per hub and kit type, in one statement: the non-zero ones."""
    both = union_all(
        select(_stock.c.hub_id, _stock.c.kit_type_id, _stock.c.on_hand, _stock.c.reserved),
        select(
            _movement.c.hub_id,
            _movement.c.kit_type_id,
            -_movement.c.on_hand_delta,
            -_movement.c.reserved_delta,
        ),
    ).subquery()
    on_hand, reserved = both.c.on_hand, both.c.reserved
    statement = (
        select(both.c.hub_id, both.c.kit_type_id)
        .group_by(both.c.hub_id, both.c.kit_type_id)
        .having((func.sum(on_hand) != 0) | (func.sum(reserved) != 0))
        .order_by(both.c.hub_id, both.c.kit_type_id)
    )
    return [(row.hub_id, row.kit_type_id) for row in session.execute(statement)]
