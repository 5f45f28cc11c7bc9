"""Kit tables: kit types, hubs, per-hub stock counters, and the append-only, hash-chained movement ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import timeutil
from core.db import str_enum
from core.enums import LabelledEnum
from core.i18n import lazy_gettext as _l
from core.timeutil import UTCDateTime
from extensions import db


class KitType(db.Model):
    __tablename__ = "kit_type"
    __table_args__ = (
        CheckConstraint("students_per_kit >= 1", name="students_per_kit_positive"),
        CheckConstraint("unit_value_fen >= 0", name="unit_value_not_negative"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    students_per_kit: Mapped[int] = mapped_column(default=1)
    #: used up in the lesson (True) or returned to a hub afterwards (False)
    consumable: Mapped[bool] = mapped_column(default=True)
    #: value of one kit in fen (1/100 yuan)
    unit_value_fen: Mapped[int] = mapped_column(default=0)
    #: below this many available kits the type is reported as low on stock
    low_stock_threshold: Mapped[int] = mapped_column(default=0)
    lesson_plan_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)


class Hub(db.Model):
    """A place where kits are kept. A fresh installation has one (kits.stock.DEFAULT_HUB_NAME)."""

    __tablename__ = "hub"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    #: an inactive hub is listed but takes no new movements
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)


class StockLevel(db.Model):
    """The maintained counters of one kit type at one hub: what pages read instead of summing the ledger.

    Changed only by the conditional UPDATE of kits.ledger.append, in the transaction that appends the
    movement, with CHECK constraints behind it; `flask verify-ledger` checks them against the ledger.
    """

    __tablename__ = "stock_level"
    __table_args__ = (
        UniqueConstraint("hub_id", "kit_type_id", name="uq_stock_level_hub_kit_type"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"))
    kit_type_id: Mapped[int] = mapped_column(ForeignKey("kit_type.id"), index=True)
    #: kits at the hub, reserved ones included
    on_hand: Mapped[int] = mapped_column(default=0)
    #: kits at the hub set aside for lessons; available = on_hand - reserved
    reserved: Mapped[int] = mapped_column(default=0)
    #: coordinators were told that available fell below the kit type's threshold; cleared when it is back
    #: at or above it (kits.alerts)
    low_alerted: Mapped[bool] = mapped_column(default=False)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MovementKind(LabelledEnum):
    """What happened to the kits. The manual kinds (MANUAL_KINDS) are recorded by people; the others
    come with lessons, shipments and visits."""

    RECEIVED = "received", _l("Received")
    RESERVED = "reserved", _l("Reserved for a lesson")
    RELEASED = "released", _l("Reservation released")
    SHIPPED = "shipped", _l("Shipped to a visit")
    RECEIVED_AT_SCHOOL = "received_at_school", _l("Received at the school")
    CONSUMED = "consumed", _l("Consumed")
    RETURNED = "returned", _l("Returned to a hub")
    WRITTEN_OFF = "written_off", _l("Written off")
    TRANSFERRED_OUT = "transferred_out", _l("Transferred out")
    TRANSFERRED_IN = "transferred_in", _l("Transferred in")
    ADJUSTED = "adjusted", _l("Adjusted at a stock-take")
    CORRECTED = "corrected", _l("Correction")


#: the genesis: the `prev_hash` of the first movement
GENESIS_HASH = "0" * 64


class Movement(db.Model):
    """One line of the append-only stock ledger. Nothing in the app edits or deletes one: a mistake is
    corrected by a new movement (kind `corrected`) that names it in `corrects_id`.

    Each movement changes one hub's counters of one kit type by `on_hand_delta` and `reserved_delta`
    (a transfer is two movements: out at one hub, in at the other). `hash` is SHA-256 over the
    movement's canonical content and `prev_hash`, the hash of the movement before it (kits.ledger
    documents the canonical form), so that any later edit, deletion or insertion shows.
    """

    __tablename__ = "movement"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("id >= 1", name="id_positive"),
        Index("ix_movement_hub_kit_type", "hub_id", "kit_type_id"),
        # a visit's shipments (the reports' donated kits follow their lots) without reading its other movements
        Index("ix_movement_visit_kind", "visit_id", "kind"),
    )

    #: the movement's place in the chain (1, 2, 3, ...), given by the ledger head, never by a sequence
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[MovementKind] = mapped_column(str_enum(MovementKind, "movement_kind"))
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"))
    kit_type_id: Mapped[int] = mapped_column(ForeignKey("kit_type.id"), index=True)
    #: whole kits moved (for a stock-take: the size of the difference)
    quantity: Mapped[int]
    #: what the movement added to the hub's on-hand and reserved counters (negative: took away)
    on_hand_delta: Mapped[int] = mapped_column(default=0)
    reserved_delta: Mapped[int] = mapped_column(default=0)
    #: value of the kits moved, in fen
    value_fen: Mapped[int] = mapped_column(default=0)
    #: the donor or supplier of received kits
    party: Mapped[str] = mapped_column(String(200), default="")
    #: received kits: given by `party` (True) or bought from it (False); a purchase has no donor trail and
    #: is left out of the value of donated kits. True on every other kind (a correction copies its movement's)
    donated: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: why: required for write-offs and corrections
    reason: Mapped[str] = mapped_column(Text, default="")
    #: kits counted at a stock-take (adjusted movements only)
    counted: Mapped[int | None]
    #: the movement this one corrects (reverses)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("movement.id"), unique=True)
    #: the hub at the other end of a transfer
    other_hub_id: Mapped[int | None] = mapped_column(ForeignKey("hub.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), index=True)
    #: no foreign key: a lesson may be removed, and its movements keep naming it
    lesson_id: Mapped[int | None] = mapped_column(index=True)
    #: who recorded it (None: the system)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: unique: two appends can never both follow the same movement
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    hub: Mapped[Hub] = relationship(foreign_keys=[hub_id])
    other_hub: Mapped[Hub | None] = relationship(foreign_keys=[other_hub_id])
    kit_type: Mapped[KitType] = relationship()
    actor = relationship("User")


class LedgerHead(db.Model):
    """The ledger's one head row: how many movements there are and the last one's hash.

    Appending locks it (an UPDATE first, so PostgreSQL holds its row lock and SQLite its write lock)
    so that two appends never share a `prev_hash`; verification compares it with the chain, which
    catches movements deleted from the end.
    """

    __tablename__ = "ledger_head"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    #: the last full verification (kits.ledger.remember_verification): when, whether it passed, how many
    #: movements matched and the head it ended at; the public transparency page shows it
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_ok: Mapped[bool | None]
    verified_count: Mapped[int | None]
    verified_hash: Mapped[str | None] = mapped_column(String(64))


class KitReservation(db.Model):
    """What one lesson holds at its visit's hub: kits reserved (still at the hub) and shipped to the
    school, and the shortfall left when there were too few, so pages read it without summing the ledger.

    `lesson_id` has no foreign key: a removed lesson's row is released and deleted after the lesson is
    gone (kits.reservations.sync), and the ledger keeps naming the lesson's id.
    """

    __tablename__ = "kit_reservation"
    __table_args__ = (
        UniqueConstraint("lesson_id", name="uq_kit_reservation_lesson"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("shipped >= 0", name="shipped_not_negative"),
        CheckConstraint("shortfall >= 0", name="shortfall_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    lesson_id: Mapped[int]
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"))
    kit_type_id: Mapped[int] = mapped_column(ForeignKey("kit_type.id"))
    #: kits the lesson needs (ceil(students / students per kit) + spares) when last synced
    needed: Mapped[int] = mapped_column(default=0)
    #: kits set aside at the hub for the lesson
    reserved: Mapped[int] = mapped_column(default=0)
    #: kits of this lesson's reservation shipped to the school
    shipped: Mapped[int] = mapped_column(default=0)
    #: kits still missing: needed - reserved - shipped, never below 0
    shortfall: Mapped[int] = mapped_column(default=0)

    kit_type: Mapped[KitType] = relationship(lazy="joined")


class JourneyCounts:
    """What a kit type's counts at a visit say: the difference on arrival, and what is still at the school."""

    shipped: int
    received: int | None
    consumed: int
    returned: int

    @property
    def difference(self) -> int | None:
        """Kits received less kits shipped (negative: missing), once the school has counted."""
        return None if self.received is None else self.received - self.shipped

    @property
    def at_school(self) -> int:
        """Kits still at the school: received, neither consumed nor returned."""
        return (self.received or 0) - self.consumed - self.returned


class VisitKit(JourneyCounts, db.Model):
    """One kit type's journey to a visit: shipped, confirmed at the school, consumed and returned."""

    __tablename__ = "visit_kit"
    __table_args__ = (
        UniqueConstraint("visit_id", "kit_type_id", name="uq_visit_kit_visit_kit_type"),
        CheckConstraint("shipped >= 0", name="shipped_not_negative"),
        CheckConstraint("received IS NULL OR (received >= 0 AND received <= shipped)", name="received_within_shipped"),
        CheckConstraint("consumed >= 0 AND returned >= 0", name="used_not_negative"),
        CheckConstraint("consumed + returned <= COALESCE(received, 0)", name="used_within_received"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    kit_type_id: Mapped[int] = mapped_column(ForeignKey("kit_type.id"))
    #: the hub the kits were shipped from
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"))
    shipped: Mapped[int] = mapped_column(default=0)
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: kits the school counted on arrival (None: not confirmed yet); a difference from shipped stays recorded
    received: Mapped[int | None]
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consumed: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int] = mapped_column(default=0)

    kit_type: Mapped[KitType] = relationship(lazy="joined")


class MovementLot(db.Model):
    """Which donation's kits a movement moved (kits.lots documents the FIFO rule): a derived record, not part
    of the hash chain, so that a donor's trail can follow their kits from the hub to the classroom.

    A received movement is its own lot (`source_id` = `movement_id`); every other movement that moves kits
    in or out of a hub, or at a school, has one row per donation it took kits from.
    """

    __tablename__ = "movement_lot"
    __table_args__ = (
        UniqueConstraint("movement_id", "source_id", name="uq_movement_lot_movement_source"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(ForeignKey("movement.id"), index=True)
    #: the received movement (the donation) the kits came from
    source_id: Mapped[int] = mapped_column(ForeignKey("movement.id"), index=True)
    quantity: Mapped[int]


class DonationTrail(db.Model):
    """The secret address of a donation's public trail: only the SHA-256 of the secret is kept, and the secret
    is derived from the movement id under SECRET_KEY (kits.lots.trail_secret), so it can be shown again."""

    __tablename__ = "donation_trail"

    movement_id: Mapped[int] = mapped_column(ForeignKey("movement.id"), primary_key=True, autoincrement=False)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
