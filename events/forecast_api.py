"""Forecast API: GET /api/v1/forecast, the next weeks' kit demand against available stock (events.forecast)."""

from __future__ import annotations

import marshmallow as ma
from flask import g

from accounts.access import requires
from accounts.models import Role
from api_schemas import ApiBlueprint, id_field
from events import forecast as kit_forecast
from extensions import db

blp = ApiBlueprint("forecast_api", __name__, url_prefix="/api/v1/forecast", description="Kit forecast")


class ForecastArgsSchema(ma.Schema):
    hub_id = id_field(strict=False, load_default=None, metadata={"description": "Only this hub; default: all hubs"})


class WeekDemandSchema(ma.Schema):
    starts_on = ma.fields.Date(required=True, metadata={"description": "The week's Monday (Asia/Shanghai)"})
    needed = ma.fields.Integer(required=True, metadata={"description": "Kits the week's lessons need"})
    held = ma.fields.Integer(required=True, metadata={"description": "Of those, already reserved or shipped"})
    missing = ma.fields.Integer(required=True, metadata={"description": "needed - held"})
    short = ma.fields.Integer(required=True, metadata={"description": "Of the missing, what available stock lacks"})


class KitForecastSchema(ma.Schema):
    kit_type_id = ma.fields.Integer(required=True)
    kit_type_name = ma.fields.String(required=True)
    available = ma.fields.Integer(required=True, metadata={"description": "Kits available now at the hubs in scope"})
    first_short_on = ma.fields.Date(
        required=True, allow_none=True, metadata={"description": "Day of the first lesson stock will not cover"}
    )
    to_order = ma.fields.Integer(required=True, metadata={"description": "Kits to get to cover every lesson"})
    weeks = ma.fields.List(ma.fields.Nested(WeekDemandSchema), required=True)


class ForecastSchema(ma.Schema):
    starts_on = ma.fields.Date(required=True, metadata={"description": "Monday of the first week (Asia/Shanghai)"})
    hub_id = ma.fields.Integer(required=True, allow_none=True)
    kit_types = ma.fields.List(ma.fields.Nested(KitForecastSchema), required=True)


@blp.get("")
@requires(Role.ADMIN)
@blp.arguments(ForecastArgsSchema, location="query")
@blp.response(200, ForecastSchema)
@blp.errors(401, 403)
def get_forecast(args):
    """Per kit type and week for the next 8 weeks: kits needed by scheduled lessons, the first day stock runs
    short and how many kits to order."""
    return kit_forecast.forecast(db.session, now=g.now, hub_id=args["hub_id"])
