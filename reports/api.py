"""Reports API: the programme's figures for a period, whole or by company, region, school or month, and a
person's own hours. The same services and access predicates as the pages."""

from __future__ import annotations

import marshmallow as ma
from flask import g

from accounts.access import SIGNED_IN, requires, viewer
from accounts.models import Role
from api_schemas import ApiBlueprint, UtcDateTime
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from extensions import db
from reports import certificates, services
from reports.periods import period_of
from reports.services import Row

blp = ApiBlueprint("reports_api", __name__, url_prefix="/api/v1", description="Impact reports and hours")

#: the API's groupings: region is province, prefecture and county
API_GROUPINGS = ("company", "region", "school", "month")
BAD_GROUPING = _l("group_by must be one of: company, region, school, month.")


class SummaryArgsSchema(ma.Schema):
    first = ma.fields.Date(data_key="from", load_default=None, metadata={"description": "First day (Beijing time)"})
    last = ma.fields.Date(data_key="to", load_default=None, metadata={"description": "Last day, included"})
    group_by = ma.fields.String(
        load_default=None,
        metadata={"description": "company, region, school or month; anything else is a 400 bad_request"},
    )


class FiguresSchema(ma.Schema):
    visits = ma.fields.Integer(required=True, metadata={"description": "Completed visits starting in the period"})
    schools = ma.fields.Integer(required=True, metadata={"description": "Host and satellite schools reached"})
    students = ma.fields.Integer(required=True, metadata={"description": "Students attended, as recorded"})
    volunteer_minutes = ma.fields.Integer(required=True, metadata={"description": "From check-in to check-out"})
    volunteers = ma.fields.Integer(required=True, metadata={"description": "People who attended"})
    minutes_per_volunteer = ma.fields.Integer(required=True)
    visits_without_checkins = ma.fields.Integer(
        required=True, metadata={"description": "Visits with no check-in: their hours are not counted"}
    )
    visits_without_student_counts = ma.fields.Integer(
        required=True, metadata={"description": "Visits where a lesson's or satellite's students were not recorded"}
    )
    kits_delivered = ma.fields.Integer(
        required=True,
        metadata={"description": "Kits the schools confirmed as received; shipped but not yet confirmed count as 0"},
    )
    kits_consumed = ma.fields.Integer(required=True, metadata={"description": "Kits the schools used up"})
    kit_value_fen = ma.fields.Integer(
        required=True,
        metadata={
            "description": "Value of kits delivered in fen (1/100 yuan): kits received times each kit type's value, "
            "whoever gave them or sold them"
        },
    )
    donated_value_fen = ma.fields.Integer(
        required=True,
        metadata={
            "description": "Value of the donated kits among those delivered, in fen: the kits shipments took from "
            "donations (not purchases), at each donation's value per kit, times received / shipped"
        },
    )


class RowSchema(ma.Schema):
    group = ma.fields.Dict(
        keys=ma.fields.String(),
        required=True,
        metadata={
            "description": "What the row is about: company_id and company; province, prefecture and county; "
            "school_id and school; or month (YYYY-MM)"
        },
    )
    current = ma.fields.Nested(FiguresSchema, required=True)
    previous = ma.fields.Nested(FiguresSchema, required=True)


class PeriodSchema(ma.Schema):
    first = ma.fields.Date(data_key="from", required=True)
    last = ma.fields.Date(data_key="to", required=True)
    previous_from = ma.fields.Date(required=True)
    previous_to = ma.fields.Date(required=True)


class SummarySchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema, required=True)
    group_by = ma.fields.String(required=True, allow_none=True)
    totals = ma.fields.Nested(RowSchema, required=True)
    rows = ma.fields.List(ma.fields.Nested(RowSchema), required=True)


def _row(row: Row) -> dict:
    group = {k: v for k, v in row.labels.items() if k not in ("all", "user_id_key")}
    return {"group": group, "current": row.current.as_dict(), "previous": row.previous.as_dict()}


@blp.get("/reports/summary")
@requires(Role.ADMIN)
@blp.arguments(SummaryArgsSchema, location="query")
@blp.response(200, SummarySchema)
@blp.errors(400, 401, 403, 422)
def summary(args):
    """The programme's figures for a period (default: the last twelve months) and the previous period of the same
    length, whole and, with `group_by`, per company, region, school or month. For programme coordinators."""
    group_by = args["group_by"]
    if group_by is not None and group_by not in API_GROUPINGS:
        raise DomainError("bad_request", BAD_GROUPING, field="group_by")
    period = period_of(args["first"], args["last"], g.now)
    total, tables = services.report(db.session, period, (group_by,) if group_by else ())
    rows = tables[group_by].rows if group_by else []
    return {
        "period": {
            "first": period.first,
            "last": period.last,
            "previous_from": period.previous.first,
            "previous_to": period.previous.last,
        },
        "group_by": group_by,
        "totals": _row(total),
        "rows": [_row(row) for row in rows],
    }


class HoursLineSchema(ma.Schema):
    visit_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    starts_at = UtcDateTime(required=True)
    school = ma.fields.String(required=True)
    minutes = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "From check-ins; null: no check-in record"}
    )


class MyHoursSchema(ma.Schema):
    minutes = ma.fields.Integer(required=True, metadata={"description": "From check-ins, every attended visit"})
    hours = ma.fields.Decimal(required=True, as_string=True, metadata={"description": "The minutes in hours, 0.1"})
    visits = ma.fields.Integer(required=True)
    visits_without_checkins = ma.fields.Integer(required=True)
    lines = ma.fields.List(ma.fields.Nested(HoursLineSchema), required=True, metadata={"description": "Oldest first"})


@blp.get("/me/hours")
@requires(SIGNED_IN)
@blp.response(200, MyHoursSchema)
@blp.errors(401)
def my_hours():
    """The caller's attended visits with the minutes from check-ins, and the sums."""
    summary = certificates.hours_of(db.session, viewer())
    return {
        "minutes": summary.minutes,
        "hours": services.hours(summary.minutes),
        "visits": summary.visits,
        "visits_without_checkins": summary.visits_without_checkins,
        "lines": summary.lines,
    }
