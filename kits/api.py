"""Kit API: kit types, hubs, stock per hub and kit type, recording movements, verifying the ledger."""

from __future__ import annotations

import marshmallow as ma
from flask import g

from accounts.access import SIGNED_IN, requires, viewer
from accounts.models import Role
from api_schemas import (
    ApiBlueprint,
    PageArgsSchema,
    UtcDateTime,
    id_field,
    integer,
    page_schema,
    paginate,
    text,
    url_field,
)
from core.i18n import LOCALES
from extensions import db
from kits import services, stock
from kits.ledger import PROBLEMS, verify_ledger
from kits.models import MovementKind

blp = ApiBlueprint("kits_api", __name__, url_prefix="/api/v1/kit-types", description="Kit types")


class KitTypeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    students_per_kit = ma.fields.Integer(required=True)
    consumable = ma.fields.Boolean(required=True, metadata={"description": "Used up in the lesson, or returned"})
    unit_value_fen = ma.fields.Integer(required=True, metadata={"description": "Value of one kit in fen"})
    low_stock_threshold = ma.fields.Integer(required=True)
    lesson_plan_url = ma.fields.String(required=True)


class KitTypeCreateSchema(ma.Schema):
    name = text(200, blank=False, one_line=True, required=True)
    description = text(5000, load_default="")
    students_per_kit = integer(1, 1000, load_default=1)
    consumable = ma.fields.Boolean(load_default=True)
    unit_value_fen = integer(0, load_default=0)
    low_stock_threshold = integer(0, 1_000_000, load_default=0)
    lesson_plan_url = url_field(500, load_default="")


@blp.get("")
@requires(SIGNED_IN)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(KitTypeSchema))
@blp.errors(401)
def list_kit_types(args):
    """Kit types, by name."""
    return paginate(services.list_kit_types(db.session), args)


@blp.post("")
@requires(Role.ADMIN)
@blp.arguments(KitTypeCreateSchema)
@blp.response(201, KitTypeSchema)
@blp.errors(401, 403, 409)
def create_kit_type(args):
    """Add a kit type; names are unique."""
    kit_type = services.create_kit_type(db.session, args, now=g.now)
    db.session.commit()
    return kit_type


# ---------------------------------------------------------------- hubs, stock and the ledger

stock_blp = ApiBlueprint("stock_api", __name__, url_prefix="/api/v1", description="Hubs, kit stock and its ledger")


class HubSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    active = ma.fields.Boolean(required=True, metadata={"description": "An inactive hub takes no new movements"})


class HubCreateSchema(ma.Schema):
    name = text(200, blank=False, one_line=True, required=True)
    address = text(2000, load_default="")


class StockArgsSchema(PageArgsSchema):
    hub_id = id_field(strict=False, load_default=None, metadata={"description": "Only this hub"})


class StockSchema(ma.Schema):
    hub_id = ma.fields.Integer(required=True)
    hub_name = ma.fields.String(required=True)
    kit_type_id = ma.fields.Integer(required=True)
    kit_type_name = ma.fields.String(required=True)
    on_hand = ma.fields.Integer(required=True, metadata={"description": "Kits at the hub, reserved ones included"})
    reserved = ma.fields.Integer(required=True, metadata={"description": "Kits set aside for lessons"})
    available = ma.fields.Integer(required=True, metadata={"description": "on_hand - reserved"})
    low_stock_threshold = ma.fields.Integer(required=True)
    low = ma.fields.Boolean(required=True, metadata={"description": "available < low_stock_threshold"})


_QUANTITY = {"received", "written_off", "transferred"}


class MovementCreateSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(stock.MANUAL_KINDS))
    kit_type_id = id_field(required=True)
    hub_id = id_field(load_default=None, metadata={"description": "Default: the default hub (the first)"})
    quantity = integer(1, 1_000_000, load_default=None, metadata={"description": "Whole kits (not for adjusted)"})
    counted = integer(0, 1_000_000, load_default=None, metadata={"description": "Kits counted (adjusted only)"})
    to_hub_id = id_field(load_default=None, metadata={"description": "Where the kits go (transferred only)"})
    party = text(200, one_line=True, load_default="", metadata={"description": "Donor or supplier (received)"})
    value_fen = integer(0, load_default=None, metadata={"description": "Value in fen (received; default: unit value)"})
    reason = text(2000, load_default="", metadata={"description": "Why (required to write off)"})
    donated = ma.fields.Boolean(
        load_default=True,
        metadata={"description": "Received: given by `party` (true) or bought from it (false: no donor trail)"},
    )
    donor_email = ma.fields.Email(
        load_default=None,
        validate=ma.validate.Length(max=254),
        metadata={"description": "Received: the donor's address, mailed the trail (kept nowhere else)"},
    )
    locale = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(list(LOCALES)), metadata={"description": "The mail's language"}
    )

    @ma.validates_schema
    def _fields_of_the_kind(self, data, **_kwargs):
        kind = data.get("kind")
        needed = [
            *(["quantity"] if kind in _QUANTITY else []),
            *(["counted"] if kind == "adjusted" else []),
            *(["to_hub_id"] if kind == "transferred" else []),
        ]
        missing = {name: ["Required for this kind of movement."] for name in needed if data.get(name) is None}
        if missing:
            raise ma.ValidationError(missing)


class MovementSchema(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "The movement's place in the chain"})
    kind = ma.fields.Enum(MovementKind, by_value=True, required=True)
    hub_id = ma.fields.Integer(required=True)
    kit_type_id = ma.fields.Integer(required=True)
    quantity = ma.fields.Integer(required=True)
    on_hand_delta = ma.fields.Integer(required=True)
    reserved_delta = ma.fields.Integer(required=True)
    value_fen = ma.fields.Integer(required=True)
    party = ma.fields.String(required=True)
    donated = ma.fields.Boolean(required=True, metadata={"description": "Received: false for kits bought"})
    reason = ma.fields.String(required=True)
    counted = ma.fields.Integer(required=True, allow_none=True)
    corrects_id = ma.fields.Integer(required=True, allow_none=True)
    other_hub_id = ma.fields.Integer(required=True, allow_none=True)
    visit_id = ma.fields.Integer(required=True, allow_none=True)
    lesson_id = ma.fields.Integer(required=True, allow_none=True)
    actor_id = ma.fields.Integer(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    prev_hash = ma.fields.String(required=True)
    hash = ma.fields.String(required=True, metadata={"description": "SHA-256 of the canonical form (kits.ledger)"})


class MovementsSchema(ma.Schema):
    movements = ma.fields.List(
        ma.fields.Nested(MovementSchema), required=True, metadata={"description": "A transfer makes two"}
    )


class VerificationSchema(ma.Schema):
    ok = ma.fields.Boolean(required=True)
    checked = ma.fields.Integer(required=True, metadata={"description": "Movements that matched, in order"})
    first_bad_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "The first movement that no longer matches"}
    )
    head = ma.fields.String(required=True, metadata={"description": "The ledger head's hash"})
    problem = ma.fields.String(
        required=True, allow_none=True, validate=ma.validate.OneOf(PROBLEMS), metadata={"description": "What is wrong"}
    )


@stock_blp.get("/hubs")
@requires(Role.ADMIN)
@stock_blp.arguments(PageArgsSchema, location="query")
@stock_blp.response(200, page_schema(HubSchema))
@stock_blp.errors(401, 403)
def list_hubs(args):
    """Hubs, the default one first."""
    return paginate(stock.list_hubs(db.session), args)


@stock_blp.post("/hubs")
@requires(Role.ADMIN)
@stock_blp.arguments(HubCreateSchema)
@stock_blp.response(201, HubSchema)
@stock_blp.errors(401, 403, 409)
def create_hub(args):
    """Add a hub; names are unique."""
    hub = stock.create_hub(db.session, args, now=g.now)
    db.session.commit()
    return hub


@stock_blp.get("/stock")
@requires(Role.ADMIN)
@stock_blp.arguments(StockArgsSchema, location="query")
@stock_blp.response(200, page_schema(StockSchema))
@stock_blp.errors(401, 403)
def list_stock(args):
    """Stock per hub and kit type, from the maintained counters."""
    return paginate(stock.stock_rows(db.session, hub_id=args["hub_id"]), args)


@stock_blp.post("/stock/movements")
@requires(Role.ADMIN)
@stock_blp.arguments(MovementCreateSchema)
@stock_blp.response(201, MovementsSchema)
@stock_blp.errors(401, 403, 409)
def record_movement(args):
    """Record a received, written_off, transferred or adjusted movement; 409 insufficient_stock if it would overdraw."""
    kind = args.pop("kind")
    movements = stock.record(db.session, kind, args, actor=viewer(), now=g.now)
    db.session.commit()
    return {"movements": movements}


@stock_blp.get("/ledger/verify")
@requires(Role.ADMIN)
@stock_blp.response(200, VerificationSchema)
@stock_blp.errors(401, 403)
def verify():
    """Check the whole ledger's hash chain and the counters against it. A read: the outcome the transparency page
    shows is kept by the admin page's check and by `flask verify-ledger`."""
    return verify_ledger(db.session)
