"""Check-in API: scans one by one and queued, a visit's offline bundle and attendance.

The scanner page (static JS) calls these with the host's session cookie and X-CSRFToken header,
other clients with a bearer token. A scan always answers 200 with `ok` or the reason it did not
count (checkin.scans.REASONS); only a request that cannot be a scan (a bad body, a scan time out
of bounds) is an error.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

import marshmallow as ma
from flask import abort, g, jsonify, make_response, request
from sqlalchemy import select

from accounts.access import SIGNED_IN, requires, viewer
from api_schemas import ApiBlueprint, UtcDateTime, get_or_none, id_field, text
from checkin import scans
from checkin.access import can_scan
from checkin.attendance import checkin_bundle, roll_call
from checkin.models import Direction, Scan
from core.db import nothing_to_commit, statement_by_statement
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from events.models import SlotRole, Visit
from extensions import db

blp = ApiBlueprint("checkin_api", __name__, url_prefix="/api/v1", description="Tickets, check-in and attendance")

#: the most scans one queued batch may carry
MAX_BATCH = 200
#: a batch item whose scan time is out of bounds answers with this reason (it is not stored)
INVALID_SCAN_TIME = "invalid_scan_time"
SCAN_TIME_MESSAGE = _l("The scan's time is impossible: check the date and time on the phone.")
STATES = ("missing", "in", "out")

# ---------------------------------------------------------------- schemas


class ScanRequestSchema(ma.Schema):
    ticket = text(
        200,
        blank=False,
        required=True,
        metadata={"description": "What was scanned or typed: the ticket's URL, its secret, or its short code"},
    )
    direction = ma.fields.Enum(Direction, by_value=True, required=True)
    scan_id = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"[A-Za-z0-9_-]{1,64}\Z", error="1 to 64 letters, digits, - or _."),
        metadata={"description": "The scanning phone's random id for this scan: it counts once however often sent"},
    )
    scanned_at = UtcDateTime(
        load_default=None,
        metadata={"description": "When the phone scanned it (a queued scan arrives later). Default: now"},
    )
    visit_id = id_field(
        load_default=None,
        metadata={
            "description": "The visit the scanner is open for: needed for short codes; a ticket of another visit "
            "answers wrong_visit"
        },
    )


class BatchRequestSchema(ma.Schema):
    scans = ma.fields.List(
        ma.fields.Nested(ScanRequestSchema), required=True, validate=ma.validate.Length(min=1, max=MAX_BATCH)
    )


class VolunteerShownSchema(ma.Schema):
    name = ma.fields.String(required=True)
    role = ma.fields.Enum(SlotRole, by_value=True, required=True)
    role_label = ma.fields.String(required=True, metadata={"description": "The role in the request's language"})
    company = ma.fields.String(required=True, allow_none=True, metadata={"description": "The company's name"})


_REASON = ma.fields.String(
    required=True,
    validate=ma.validate.OneOf([*scans.REASONS, INVALID_SCAN_TIME]),
    metadata={"description": "ok, or why not"},
)


class ScanAnswerSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(["ok", "error"]))
    reason = _REASON
    message = ma.fields.String(
        required=True, metadata={"description": "What the scanner shows, in the request's language"}
    )
    repeated = ma.fields.Boolean(
        required=True,
        metadata={"description": "This scan id was answered before: the first answer, nothing changed now"},
    )
    scanned_at = UtcDateTime(required=True)
    volunteer = ma.fields.Nested(
        VolunteerShownSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Whose ticket it is: only to a scanner allowed for the visit"},
    )


class BatchItemSchema(ScanAnswerSchema):
    """One queued scan's answer; a scan time out of bounds has only scan_id, status, reason and message."""

    scan_id = ma.fields.String(required=True)
    repeated = ma.fields.Boolean()
    scanned_at = UtcDateTime()
    volunteer = ma.fields.Nested(VolunteerShownSchema, allow_none=True)


class BatchAnswerSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(BatchItemSchema), required=True, metadata={"description": "In order"})


class BundleTicketSchema(ma.Schema):
    hash = ma.fields.String(required=True, metadata={"description": 'SHA-256 hex of "<visit_id>:<secret>"'})
    code_hash = ma.fields.String(required=True, metadata={"description": 'SHA-256 hex of "<visit_id>:<short code>"'})
    signup_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata={"description": "The role in the request's language"})


def _instant(**kwargs) -> ma.fields.String:
    return ma.fields.String(required=True, metadata={"format": "date-time", **kwargs})


class BundleSchema(ma.Schema):
    visit_id = ma.fields.Integer(required=True)
    version = _instant(description="Changes when a ticket is issued or revoked, or the visit changes")
    generated_at = _instant()
    expires_at = _instant(description="Scans checked against the bundle after this are not to be trusted")
    starts_at = _instant()
    ends_at = _instant()
    tickets = ma.fields.List(ma.fields.Nested(BundleTicketSchema), required=True, metadata={"description": "Live"})
    revoked = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "Hashes of tickets that no longer work"}
    )


AttendanceCountsSchema = ma.Schema.from_dict(
    {state: ma.fields.Integer(required=True) for state in ("in", "out", "missing")}, name="AttendanceCountsSchema"
)


class PresentSchema(ma.Schema):
    signup_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.Enum(SlotRole, by_value=True, required=True)
    role_label = ma.fields.String(required=True)
    state = ma.fields.String(required=True, validate=ma.validate.OneOf(STATES))
    checked_in_at = UtcDateTime(required=True, allow_none=True)
    checked_out_at = UtcDateTime(required=True, allow_none=True)


class AttendanceSchema(ma.Schema):
    visit_id = ma.fields.Integer(required=True)
    counts = ma.fields.Nested(AttendanceCountsSchema, required=True)
    people = ma.fields.List(ma.fields.Nested(PresentSchema), required=True)


# ---------------------------------------------------------------- scans


def _scan(args: dict) -> scans.ScanAnswer:
    """One scan by the caller. Raises: validation_error on scanned_at (out of bounds)."""
    try:
        return scans.scan(
            db.session,
            scanner=viewer(),
            ticket=args["ticket"],
            direction=args["direction"],
            scan_id=args["scan_id"],
            scanned_at=args["scanned_at"] or g.now,
            now=g.now,
            visit_id=args["visit_id"],
        )
    except DomainError as error:
        if error.field == "scanned_at":
            raise DomainError("validation_error", SCAN_TIME_MESSAGE, field="scanned_at") from error
        raise


def _answer_body(answer: scans.ScanAnswer, scan_id: str) -> dict:
    """The answer as ScanAnswerSchema writes it (the hottest answer there is is written here, not by marshmallow;
    tests/checkin/test_api.py holds the two to the same JSON)."""
    volunteer = None
    if answer.shows_person and _own(answer, scan_id):
        user = answer.signup.user
        role = answer.signup.slot.role
        volunteer = {
            "name": user.name,
            "role": role.value,
            "role_label": str(role.label),
            "company": user.company.name if user.company is not None else None,
        }
    return {
        "status": "ok" if answer.ok else "error",
        "reason": answer.reason,
        "message": answer.message,
        "repeated": answer.repeated,
        "scanned_at": answer.scanned_at.astimezone(UTC).isoformat(),
        "volunteer": volunteer,
    }


def _own(answer: scans.ScanAnswer, scan_id: str) -> bool:
    """A repeated scan id names the person only to the scanner who sent it first (anyone may call this)."""
    if not answer.repeated:
        return True
    return db.session.scalar(select(Scan.scanner_id).where(Scan.scan_id == scan_id)) == viewer().id


def _commit() -> None:
    """Commit, keeping what the request loaded: the answer is made, and nothing after it needs fresh rows; nothing
    at all when every statement committed itself (core.db.nothing_to_commit).

    Otherwise the response's hooks would load the caller's account and roles again (three more statements
    per scan, and on SQLite a second time under the write lock)."""
    session = db.session()
    if nothing_to_commit(session):  # a check-in on PostgreSQL: its one write committed itself
        return
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


@blp.post("/checkins")
@requires(SIGNED_IN)
@blp.arguments(ScanRequestSchema)
@blp.response(200, ScanAnswerSchema)
@blp.errors(400, 401, 422)
def check_in(args):
    """Check a ticket in or out. Answers `ok` or the reason it did not count; the same scan_id again gets the
    first answer (`repeated`). Anyone signed in may ask: a scanner not allowed for the visit gets `not_allowed`."""
    if args["direction"] == Direction.IN:
        # one scan whose one write is one statement on PostgreSQL (checkin.scan_sql): no transaction around it
        statement_by_statement(db.session)
    answer = _scan(args)
    body = _answer_body(answer, args["scan_id"])
    _commit()
    return jsonify(body)


@blp.post("/checkins/batch")
@requires(SIGNED_IN)
@blp.arguments(BatchRequestSchema)
@blp.response(200, BatchAnswerSchema)
@blp.errors(400, 401, 422)
def check_in_batch(args):
    """A queue of scans made offline, each answered as POST /checkins would, in order. A scan time out of bounds
    answers that item `invalid_scan_time` (not stored); the other scans still count."""
    results = []
    for item in args["scans"]:
        try:
            answer = _scan(item)
        except DomainError as error:
            if error.field != "scanned_at":
                raise
            results.append(
                {"scan_id": item["scan_id"], "status": "error", "reason": INVALID_SCAN_TIME, "message": error.message}
            )
            continue
        results.append({"scan_id": item["scan_id"], **_answer_body(answer, item["scan_id"])})
    _commit()
    return jsonify({"results": results})


# ---------------------------------------------------------------- a visit's bundle and attendance


def _visit_for_scanner(visit_id: int) -> Visit:
    visit = get_or_none(Visit, visit_id)
    if visit is None:
        abort(404)
    if not can_scan(viewer(), visit):
        abort(403)
    return visit


def _etag(bundle: dict) -> str:
    """Of the bundle's content but the moment it was made: its version, and what a version misses (a new name,
    the request's language)."""
    content = json.dumps({k: v for k, v in bundle.items() if k != "generated_at"}, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()[:32]


@blp.get("/visits/<int:visit_id>/checkin-bundle")
@requires(SIGNED_IN)
@blp.response(200, BundleSchema)
@blp.alt_response(304, description="Not modified: the If-None-Match ETag is the bundle's")
@blp.errors(401, 403, 404)
def visit_checkin_bundle(visit_id: int):
    """What a scanner needs to answer scans offline: for each live ticket a SHA-256 over the visit and its secret,
    with name and role; the revoked tickets; a version and an expiry. For programme coordinators and the hosts of
    the visit's school. Send the ETag back in If-None-Match: 304 while nothing changed."""
    visit = _visit_for_scanner(visit_id)
    bundle = BundleSchema().dump(checkin_bundle(db.session, visit, g.now))
    tag = _etag(bundle)
    response = make_response("", 304) if request.if_none_match.contains_weak(tag) else jsonify(bundle)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blp.get("/visits/<int:visit_id>/attendance")
@requires(SIGNED_IN)
@blp.response(200, AttendanceSchema)
@blp.errors(401, 403, 404)
def visit_attendance(visit_id: int):
    """Who has a place at the visit, and who came and left: for programme coordinators and the school's hosts."""
    visit = _visit_for_scanner(visit_id)
    call = roll_call(db.session, visit)
    people = [
        {
            "signup_id": person.signup.id,
            "name": person.signup.user.name,
            "role": person.signup.slot.role,
            "role_label": person.signup.slot.role.label,
            "state": person.state,
            "checked_in_at": person.attendance.checked_in_at if person.attendance else None,
            "checked_out_at": person.attendance.checked_out_at if person.attendance else None,
        }
        for person in call.people
    ]
    counts = {state: call.count(state) for state in ("in", "out", "missing")}
    return {"visit_id": visit.id, "counts": counts, "people": people}
