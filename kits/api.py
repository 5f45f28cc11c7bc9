"""Kit API: kit types."""

from __future__ import annotations

import marshmallow as ma
from flask import g

from accounts.access import SIGNED_IN, requires
from accounts.models import Role
from api_schemas import ApiBlueprint, PageArgsSchema, integer, page_schema, paginate, text, url_field
from extensions import db
from kits import services

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
