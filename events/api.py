"""Event API: schools and visits."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, g
from sqlalchemy import select

from accounts.access import SIGNED_IN, requires, viewer
from accounts.models import Role, User
from api_schemas import (
    OPTIONAL_AUTH,
    ApiBlueprint,
    PageArgsSchema,
    Text,
    UtcDateTime,
    get_or_none,
    id_field,
    integer,
    page_schema,
    paginate,
    text,
    url_field,
)
from core.errors import DomainError
from core.kept_pages import kept_for_visitors
from events import queries, services
from events import visit_kits as kit_journey
from events.access import can_see_kits, can_see_school, can_see_visit
from events.models import School, SlotRole, Visit, VisitStatus
from events.queries import VisitFilter
from events.schemas import SchoolRefSchema
from events.services import LessonData, SatelliteData, SlotData, VisitData
from extensions import db

schools_blp = ApiBlueprint("schools_api", __name__, url_prefix="/api/v1/schools", description="Schools")
visits_blp = ApiBlueprint("visits_api", __name__, url_prefix="/api/v1/visits", description="Visits to schools")

MAX_HOSTS = 50
MAX_LESSONS = 50
MAX_SATELLITES = 200
MAX_STUDENTS = 100_000
MAX_CAPACITY = 10_000
MAX_SPARE_KITS = 10_000

# ---------------------------------------------------------------- schools


class HostRefSchema(ma.Schema):
    id = ma.fields.Integer()


class SchoolSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    province = ma.fields.String(required=True)
    prefecture = ma.fields.String(required=True)
    county = ma.fields.String(required=True)
    township = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)
    travel_notes = ma.fields.String(required=True)
    connectivity_notes = ma.fields.String(required=True)
    archived = ma.fields.Boolean(required=True, attribute="is_archived")
    host_ids = ma.fields.Pluck(HostRefSchema, "id", many=True, attribute="hosts", required=True)


class SchoolCreateSchema(ma.Schema):
    name = text(200, blank=False, one_line=True, required=True)
    province = text(50, blank=False, required=True)
    prefecture = text(50)
    county = text(50)
    township = text(50)
    address = text(300)
    timezone = text(50, metadata={"description": "IANA time zone; default Asia/Shanghai"})
    travel_notes = text(5000)
    connectivity_notes = text(5000)
    host_ids = ma.fields.List(id_field(), validate=ma.validate.Length(max=MAX_HOSTS))


class SchoolChangeSchema(SchoolCreateSchema):
    """Every field is optional; host_ids, when given, replaces the hosts."""

    name = text(200, blank=False, one_line=True)
    province = text(50, blank=False)
    archived = ma.fields.Boolean()


def _hosts(ids: list[int]) -> list[User]:
    users = list(db.session.scalars(select(User).where(User.id.in_(set(ids))).order_by(User.name)))
    if len(users) != len(set(ids)):
        raise DomainError("not_found", field="host_ids")
    return users


def _school_or_404(school_id: int) -> School:
    school = get_or_none(School, school_id)
    if school is None or not can_see_school(viewer(), school):
        abort(404)
    return school


@schools_blp.get("")
@requires(Role.ADMIN, Role.HOST)
@schools_blp.arguments(PageArgsSchema, location="query")
@schools_blp.response(200, page_schema(SchoolSchema))
@schools_blp.errors(401, 403)
def list_schools(args):
    """Schools: every school for programme coordinators, their own schools for hosts."""
    return paginate(queries.list_schools(viewer(), include_archived=True), args)


@schools_blp.post("")
@requires(Role.ADMIN)
@schools_blp.arguments(SchoolCreateSchema)
@schools_blp.response(201, SchoolSchema)
@schools_blp.errors(401, 403, 404)
def create_school(args):
    """Add a school."""
    hosts = _hosts(args.pop("host_ids", []))
    school = services.create_school(db.session, args, hosts=hosts, now=g.now)
    db.session.commit()
    return school


@schools_blp.get("/<int:school_id>")
@requires(SIGNED_IN)
@schools_blp.response(200, SchoolSchema)
@schools_blp.errors(401, 404)
def get_school(school_id: int):
    """One school, for programme coordinators and the school's hosts."""
    return _school_or_404(school_id)


@schools_blp.patch("/<int:school_id>")
@requires(Role.ADMIN)
@schools_blp.arguments(SchoolChangeSchema)
@schools_blp.response(200, SchoolSchema)
@schools_blp.errors(401, 403, 404)
def update_school(args, school_id: int):
    """Change the given fields of a school; host_ids replaces the hosts, archived archives or restores."""
    school = _school_or_404(school_id)
    hosts = _hosts(args.pop("host_ids")) if "host_ids" in args else None
    archived = args.pop("archived", None)
    services.update_school(db.session, school, args, hosts=hosts)
    if archived is True:
        services.archive_school(db.session, school, now=g.now)
    elif archived is False:
        services.restore_school(db.session, school)
    db.session.commit()
    return school


# ---------------------------------------------------------------- visits


class SlotSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    role = ma.fields.Enum(SlotRole, by_value=True, required=True)
    capacity = ma.fields.Integer(required=True)
    taken = ma.fields.Integer(required=True)
    places_left = ma.fields.Integer(required=True)
    requires_training = ma.fields.Boolean(required=True)
    required_language = ma.fields.String(required=True, allow_none=True)
    description = ma.fields.String(
        required=True, metadata={"description": "What the role does and brings; empty: the role's usual text"}
    )
    description_shown = ma.fields.String(
        required=True, metadata={"description": "The description, or the role's usual text in the caller's language"}
    )


class LessonSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    grade = ma.fields.Integer(required=True)
    classroom = ma.fields.String(required=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    kit_type_id = ma.fields.Integer(required=True, allow_none=True)
    students_expected = ma.fields.Integer(required=True)
    kits_needed = ma.fields.Integer(required=True)


class SatelliteSchema(ma.Schema):
    school_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, attribute="school.name")
    students_expected = ma.fields.Integer(required=True)


class VisitSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    school = ma.fields.Nested(SchoolRefSchema, required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Enum(VisitStatus, by_value=True, required=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    signup_opens_at = UtcDateTime(required=True, allow_none=True)
    signup_closes_at = UtcDateTime(
        required=True, allow_none=True, metadata={"description": "null: signup closes at the start"}
    )
    meeting_point = ma.fields.String(required=True)
    what_to_bring = ma.fields.String(required=True)
    livestream_url = ma.fields.String(required=True)
    hub_id = ma.fields.Integer(required=True, metadata={"description": "The hub the lessons' kits come from"})
    slots = ma.fields.List(ma.fields.Nested(SlotSchema), required=True)
    lessons = ma.fields.List(ma.fields.Nested(LessonSchema), required=True)
    satellites = ma.fields.List(ma.fields.Nested(SatelliteSchema), required=True)


def _unique_ids(items: list[dict], field: str) -> None:
    ids = [item["id"] for item in items if "id" in item]
    if len(ids) != len(set(ids)):
        raise ma.ValidationError("Each id may appear only once.", field)


class SlotInSchema(ma.Schema):
    role = ma.fields.Enum(SlotRole, by_value=True, required=True)
    # Below 1 is the capacity_too_small rule of the service, reported with its own code.
    capacity = ma.fields.Integer(
        strict=True, required=True, validate=ma.validate.Range(max=MAX_CAPACITY), metadata={"minimum": 1}
    )
    requires_training = ma.fields.Boolean(load_default=False)
    required_language = Text(allow_none=True, load_default=None, validate=ma.validate.Length(max=20))
    description = text(2000, load_default="")


class SlotChangeSchema(SlotInSchema):
    id = id_field(
        metadata={"description": "An existing slot of this visit to keep; without it, the slot of the same role"}
    )


class LessonInSchema(ma.Schema):
    title = text(200, blank=False, one_line=True, required=True)
    grade = integer(1, 12, required=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    students_expected = integer(0, MAX_STUDENTS, required=True)
    kit_type_id = id_field(allow_none=True, load_default=None)
    classroom = text(100, load_default="")
    spare_kits = integer(0, MAX_SPARE_KITS, load_default=0)


class LessonChangeSchema(LessonInSchema):
    id = id_field(metadata={"description": "An existing lesson of this visit to keep"})


class SatelliteInSchema(ma.Schema):
    school_id = id_field(required=True)
    students_expected = integer(0, MAX_STUDENTS, required=True)


def _list(schema: type[ma.Schema], maximum: int, **kwargs) -> ma.fields.List:
    return ma.fields.List(ma.fields.Nested(schema), validate=ma.validate.Length(max=maximum), **kwargs)


class VisitCreateSchema(ma.Schema):
    school_id = id_field(required=True)
    title = text(200, blank=False, one_line=True, required=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    signup_opens_at = UtcDateTime(allow_none=True, load_default=None)
    signup_closes_at = UtcDateTime(allow_none=True, load_default=None)
    meeting_point = text(300, load_default="")
    what_to_bring = text(2000, load_default="")
    livestream_url = url_field(500, load_default="")
    hub_id = id_field(load_default=None, metadata={"description": "Where the lessons' kits come from; default hub"})
    slots = _list(SlotInSchema, len(SlotRole), load_default=list)
    lessons = _list(LessonInSchema, MAX_LESSONS, load_default=list)
    satellites = _list(SatelliteInSchema, MAX_SATELLITES, load_default=list)


class VisitChangeSchema(ma.Schema):
    """Every field is optional; slots, lessons and satellites, when given, replace the lists."""

    school_id = id_field()
    title = text(200, blank=False, one_line=True)
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    signup_opens_at = UtcDateTime(allow_none=True)
    signup_closes_at = UtcDateTime(allow_none=True)
    meeting_point = text(300)
    what_to_bring = text(2000)
    livestream_url = url_field(500)
    hub_id = id_field()
    slots = _list(SlotChangeSchema, len(SlotRole))
    lessons = _list(LessonChangeSchema, MAX_LESSONS)
    satellites = _list(SatelliteInSchema, MAX_SATELLITES)

    @ma.validates_schema
    def ids_are_unique(self, data: dict, **kwargs) -> None:
        for field in ("slots", "lessons"):
            _unique_ids(data.get(field, []), field)


class VisitQuerySchema(PageArgsSchema):
    status = ma.fields.Enum(VisitStatus, by_value=True)
    school_id = id_field(strict=False)
    starts_from = UtcDateTime(data_key="from", metadata={"description": "Visits starting at or after"})
    starts_before = UtcDateTime(data_key="to", metadata={"description": "Visits starting before"})


def _visit_or_404(visit_id: int) -> Visit:
    visit = get_or_none(Visit, visit_id)
    if visit is None or not can_see_visit(viewer(), visit):
        abort(404)
    return visit


CHILD_LISTS = ("slots", "lessons", "satellites")


def _slots(visit: Visit | None, items: list[dict]) -> list[SlotData]:
    # A slot sent without an id keeps the unclaimed slot of its role, with its signups:
    # dropping that row and inserting a new one would collide on the role's unique key.
    claimed = {item["id"] for item in items if "id" in item}
    by_role = {slot.role: slot.id for slot in visit.slots if slot.id not in claimed} if visit else {}
    return [SlotData(**{"id": by_role.get(item["role"]), **item}) for item in items]


def _satellites(visit: Visit | None, items: list[dict]) -> list[SatelliteData]:
    by_school = {s.school_id: s.id for s in visit.satellites} if visit else {}
    return [SatelliteData(id=by_school.get(item["school_id"]), **item) for item in items]


@visits_blp.get("")
@kept_for_visitors
@visits_blp.arguments(VisitQuerySchema, location="query")
@visits_blp.response(200, page_schema(VisitSchema))
@visits_blp.doc(**OPTIONAL_AUTH)
def list_visits(args):
    """Visits this caller may see, latest first; anonymous callers see published visits."""
    user = viewer()
    filters = VisitFilter(
        status=args.get("status"),
        school_id=args.get("school_id"),
        starts_from=args.get("starts_from"),
        starts_before=args.get("starts_before"),
    )
    query = queries.list_visits(user, filters, g.now).options(*queries.VISIT_ITEM)
    if user is None:
        query = query.where(Visit.status == VisitStatus.PUBLISHED)
    return paginate(query, args)


@visits_blp.post("")
@requires(Role.ADMIN)
@visits_blp.arguments(VisitCreateSchema)
@visits_blp.response(201, VisitSchema)
@visits_blp.errors(401, 403, 404, 409)
def create_visit(args):
    """Create a draft visit with its role slots, lessons and satellite schools."""
    data = VisitData(
        **{k: v for k, v in args.items() if k not in CHILD_LISTS},
        slots=_slots(None, args["slots"]),
        lessons=[LessonData(**item) for item in args["lessons"]],
        satellites=_satellites(None, args["satellites"]),
    )
    visit = services.create_visit(db.session, data, now=g.now)
    db.session.commit()
    return visit


@visits_blp.get("/<int:visit_id>")
@visits_blp.response(200, VisitSchema)
@visits_blp.errors(404)
@visits_blp.doc(**OPTIONAL_AUTH)
def get_visit(visit_id: int):
    """One visit."""
    return _visit_or_404(visit_id)


@visits_blp.patch("/<int:visit_id>")
@requires(Role.ADMIN)
@visits_blp.arguments(VisitChangeSchema)
@visits_blp.response(200, VisitSchema)
@visits_blp.errors(401, 403, 404, 409)
def update_visit(args, visit_id: int):
    """Change the given fields of a visit; slots, lessons and satellites, when given, replace the lists."""
    visit = _visit_or_404(visit_id)
    data = services.visit_data(visit)
    for key, value in args.items():
        if key not in CHILD_LISTS:
            setattr(data, key, value)
    if "slots" in args:
        data.slots = _slots(visit, args["slots"])
    if "lessons" in args:
        data.lessons = [LessonData(**item) for item in args["lessons"]]
    if "satellites" in args:
        data.satellites = _satellites(visit, args["satellites"])
    services.update_visit(db.session, visit, data, now=g.now)
    db.session.commit()
    return visit


class PublishSchema(ma.Schema):
    override_reason = text(
        2000,
        load_default="",
        metadata={"description": "Why publish although lessons are short of kits (needed then: 409 kit_shortfall)"},
    )


@visits_blp.post("/<int:visit_id>/publish")
@requires(Role.ADMIN)
@visits_blp.arguments(PublishSchema, required=False)
@visits_blp.response(200, VisitSchema)
@visits_blp.errors(401, 403, 404, 409)
def publish_visit(args, visit_id: int):
    """Publish a draft visit: volunteers can see it and sign up; kits short need a reason (409 kit_shortfall)."""
    visit = _visit_or_404(visit_id)
    services.publish_visit(db.session, visit, now=g.now, override_reason=args.get("override_reason", ""))
    db.session.commit()
    return visit


@visits_blp.post("/<int:visit_id>/cancel")
@requires(Role.ADMIN)
@visits_blp.response(200, VisitSchema)
@visits_blp.errors(401, 403, 404, 409)
def cancel_visit(visit_id: int):
    """Cancel a draft or published visit."""
    visit = _visit_or_404(visit_id)
    services.cancel_visit(db.session, visit, now=g.now)
    db.session.commit()
    return visit


class VisitKitSchema(ma.Schema):
    kit_type_id = ma.fields.Integer(required=True)
    kit_type_name = ma.fields.String(required=True)
    consumable = ma.fields.Boolean(required=True)
    needed = ma.fields.Integer(required=True, metadata={"description": "Kits the lessons need"})
    reserved = ma.fields.Integer(required=True, metadata={"description": "Kits set aside at the hub"})
    shortfall = ma.fields.Integer(required=True, metadata={"description": "Kits the lessons still miss"})
    shipped = ma.fields.Integer(required=True)
    received = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Counted at the school; null: not confirmed yet"}
    )
    consumed = ma.fields.Integer(required=True)
    returned = ma.fields.Integer(required=True)
    carrier = ma.fields.String(required=True)
    tracking_number = ma.fields.String(required=True)


class VisitKitsSchema(ma.Schema):
    visit_id = ma.fields.Integer(required=True)
    hub_id = ma.fields.Integer(required=True)
    shortfall = ma.fields.Integer(required=True, metadata={"description": "Kits missing over all lessons"})
    override_reason = ma.fields.String(
        required=True, metadata={"description": "Why the visit was published although kits were short"}
    )
    kits = ma.fields.List(ma.fields.Nested(VisitKitSchema), required=True)


def _kits_visit_or_error(visit_id: int) -> Visit:
    """The visit, if the caller may see its kits: 404 if the visit is hidden, 403 otherwise."""
    visit = _visit_or_404(visit_id)
    if not can_see_kits(viewer(), visit):
        raise DomainError("forbidden")
    return visit


def _kits_answer(visit: Visit) -> dict:
    rows = kit_journey.summary(db.session, visit)
    return {
        "visit_id": visit.id,
        "hub_id": visit.hub_id,
        "shortfall": sum(row.shortfall for row in rows),
        "override_reason": visit.kits_override_reason,
        "kits": rows,
    }


@visits_blp.get("/<int:visit_id>/kits")
@requires(SIGNED_IN)
@visits_blp.response(200, VisitKitsSchema)
@visits_blp.errors(401, 403, 404)
def visit_kits(visit_id: int):
    """A visit's kits per kit type: reserved, shipped, received, consumed, returned (coordinators and its hosts)."""
    return _kits_answer(_kits_visit_or_error(visit_id))


class ShipSchema(ma.Schema):
    quantity = integer(1, 1_000_000, required=True, metadata={"description": "Reserved kits to ship"})
    carrier = text(100, one_line=True, load_default="")
    tracking_number = text(100, one_line=True, load_default="")


class ArrivalSchema(ma.Schema):
    received = integer(0, 1_000_000, required=True, metadata={"description": "Kits counted at the school"})


class UseSchema(ma.Schema):
    consumed = integer(0, 1_000_000, load_default=0)
    returned = integer(0, 1_000_000, load_default=0)
    hub_id = id_field(load_default=None, metadata={"description": "Where returned kits go; default: the visit's hub"})


def _kit_step(visit_id: int, kit_type_id: int, step, args: dict) -> dict:
    visit = _kits_visit_or_error(visit_id)
    step(db.session, visit, {"kit_type_id": kit_type_id, **args}, actor=viewer(), now=g.now)
    db.session.commit()
    return _kits_answer(visit)


@visits_blp.post("/<int:visit_id>/kits/<int:kit_type_id>/ship")
@requires(Role.ADMIN)
@visits_blp.arguments(ShipSchema)
@visits_blp.response(200, VisitKitsSchema)
@visits_blp.errors(401, 403, 404, 409)
def ship_kits(args, visit_id: int, kit_type_id: int):
    """Ship reserved kits of a type to the school (409 ship_exceeds_reserved, arrival_already_confirmed)."""
    return _kit_step(visit_id, kit_type_id, kit_journey.ship, args)


@visits_blp.post("/<int:visit_id>/kits/<int:kit_type_id>/arrival")
@requires(Role.ADMIN, Role.HOST)
@visits_blp.arguments(ArrivalSchema)
@visits_blp.response(200, VisitKitsSchema)
@visits_blp.errors(401, 403, 404, 409)
def confirm_kits(args, visit_id: int, kit_type_id: int):
    """The school's host (or a coordinator) counts what arrived (409 nothing_shipped, 422 received_exceeds_shipped)."""
    return _kit_step(visit_id, kit_type_id, kit_journey.confirm_arrival, args)


@visits_blp.post("/<int:visit_id>/kits/<int:kit_type_id>/use")
@requires(Role.ADMIN, Role.HOST)
@visits_blp.arguments(UseSchema)
@visits_blp.response(200, VisitKitsSchema)
@visits_blp.errors(401, 403, 404, 409)
def use_kits(args, visit_id: int, kit_type_id: int):
    """Kits consumed at the school and returned to a hub (409 arrival_not_confirmed, 422 kit_count_exceeds_received)."""
    return _kit_step(visit_id, kit_type_id, kit_journey.record_use, args)
