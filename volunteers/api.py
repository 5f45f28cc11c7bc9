"""Volunteer API: accounts created by programme coordinators, signups, waitlists and rosters."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, current_app, g
from flask_login import current_user

from accounts.access import SIGNED_IN, requires, viewer
from accounts.models import Company, Role, TrainingStatus, User
from accounts.schemas import CompanyRefSchema, PersonSchema
from accounts.services import MAX_PASSWORD_LENGTH, create_user
from api_schemas import (
    ApiBlueprint,
    PageArgsSchema,
    Text,
    UtcDateTime,
    get_or_none,
    id_field,
    page_schema,
    paginate,
    text,
)
from core.db import WRITES
from core.errors import DomainError
from core.http import json_error
from core.i18n import SPOKEN_LANGUAGES
from events.access import can_see_visit
from events.models import RoleSlot, SlotRole, Visit, VisitStatus
from events.schemas import SchoolRefSchema
from extensions import db
from volunteers import registration, rosters, signups
from volunteers.access import FULL_ROSTER, TEAM_ROSTER, roster_view
from volunteers.models import Signup, SignupStatus
from volunteers.ticket_links import ticket_urls
from volunteers.waitlist import waitlist_position

blp = ApiBlueprint("volunteers_api", __name__, url_prefix="/api/v1/volunteers", description="People")


class PersonCreateSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    name = text(100, blank=False, one_line=True, required=True)
    password = Text(required=True, validate=ma.validate.Length(max=MAX_PASSWORD_LENGTH))
    roles = ma.fields.List(
        ma.fields.Enum(Role, by_value=True), load_default=list, metadata={"description": "Default: volunteer"}
    )
    company_id = id_field(allow_none=True, load_default=None)
    phone = text(32, allow_none=True, load_default=None)
    languages = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(sorted(SPOKEN_LANGUAGES))),
        load_default=list,
        validate=ma.validate.Length(max=len(SPOKEN_LANGUAGES)),
    )


@blp.post("")
@requires(Role.ADMIN)
@blp.arguments(PersonCreateSchema)
@blp.response(201, PersonSchema)
@blp.errors(401, 403, 404, 409)
def create_person(args):
    """Create an account with any roles; the person can sign in at once."""
    company = None
    if args["company_id"] is not None:
        company = get_or_none(Company, args["company_id"])
        if company is None:
            raise DomainError("not_found", field="company_id")
    user = create_user(
        db.session,
        email=args["email"],
        name=args["name"],
        password=args["password"],
        roles=set(args["roles"]),
        company=company,
        phone=args["phone"],
        languages=sorted(set(args["languages"])),
        now=g.now,
    )
    db.session.commit()
    return user


class PersonChangeSchema(ma.Schema):
    name = text(100, blank=False, one_line=True)
    roles = ma.fields.List(ma.fields.Enum(Role, by_value=True), metadata={"description": "Replaces the roles"})
    company_id = id_field(allow_none=True, metadata={"description": "null: no company"})
    training_status = ma.fields.Enum(TrainingStatus, by_value=True)


@blp.patch("/<int:person_id>")
@requires(Role.ADMIN)
@blp.arguments(PersonChangeSchema)
@blp.response(200, PersonSchema)
@blp.errors(401, 403, 404, 409, 422)
def update_person(args, person_id: int):
    """Change the given fields of someone's account: name, roles, company, training status."""
    person = get_or_none(User, person_id)
    if person is None:
        abort(404)
    if "company_id" in args:
        company_id = args.pop("company_id")
        args["company"] = get_or_none(Company, company_id) if company_id is not None else None
        if company_id is not None and args["company"] is None:
            raise DomainError("not_found", field="company_id")
    registration.update_person(db.session, person, args)
    db.session.commit()
    return person


# ---------------------------------------------------------------- signups

signups_blp = ApiBlueprint(
    "signups_api", __name__, url_prefix="/api/v1", description="Signups for role slots, waitlists and rosters"
)


class SignupRequestSchema(ma.Schema):
    volunteer_id = id_field(
        metadata={
            "description": "Sign up someone else: programme coordinators anyone, company coordinators their own people"
        }
    )
    override_reason = text(
        500,
        load_default="",
        metadata={"description": "When signing up someone else: overrides the window, requirements and time conflicts"},
    )


class SignupSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(SignupStatus, by_value=True, required=True)
    position = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Place in the slot's waitlist (1 is next); null when not waiting"},
    )
    slot_id = ma.fields.Integer(required=True)
    visit_id = ma.fields.Integer(required=True)


class VisitSummarySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Enum(VisitStatus, by_value=True, required=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    meeting_point = ma.fields.String(required=True)
    school = ma.fields.Nested(SchoolRefSchema, required=True)


class MySignupSchema(SignupSchema):
    role = ma.fields.Enum(SlotRole, by_value=True, required=True)
    cancel_until = UtcDateTime(
        required=True, metadata={"description": "Until then the volunteer may cancel; later, a coordinator can"}
    )
    visit = ma.fields.Nested(VisitSummarySchema, required=True)
    ticket_url = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The ticket's link (its QR code encodes it); null unless the signup is confirmed"},
    )


class MySignupsQuerySchema(PageArgsSchema):
    when = ma.fields.String(
        validate=ma.validate.OneOf(["upcoming", "past"]),
        metadata={"description": "upcoming: confirmed or waiting; past: took part. Default: upcoming, then past"},
    )


class RosterEntrySchema(ma.Schema):
    """One person on a roster; school hosts get only role, first_name and (for the lead instructor) phone."""

    role = ma.fields.Enum(SlotRole, by_value=True, required=True)
    first_name = ma.fields.String(required=True)
    phone = ma.fields.String(allow_none=True)
    signup_id = ma.fields.Integer()
    slot_id = ma.fields.Integer()
    status = ma.fields.Enum(SignupStatus, by_value=True)
    position = ma.fields.Integer(allow_none=True)
    user_id = ma.fields.Integer()
    name = ma.fields.String()
    email = ma.fields.String()
    company = ma.fields.Nested(CompanyRefSchema, allow_none=True)
    signed_up_at = UtcDateTime()
    assigned_by_id = ma.fields.Integer(allow_none=True)
    override_reason = ma.fields.String()


class RosterSchema(ma.Schema):
    visit_id = ma.fields.Integer(required=True)
    view = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([FULL_ROSTER, TEAM_ROSTER]),
        metadata={"description": "full: programme coordinators; team: the school's hosts"},
    )
    entries = ma.fields.List(ma.fields.Nested(RosterEntrySchema), required=True)


def _signup_body(signup: Signup, position: int | None) -> dict:
    return {
        "id": signup.id,
        "status": signup.status,
        "position": position,
        "slot_id": signup.slot_id,
        "visit_id": signup.visit_id,
    }


def _volunteer(actor: User, volunteer_id: int | None) -> User:
    """Who is being signed up: the caller, or the person named (whether the caller may is the service's rule)."""
    if volunteer_id is None:
        return actor
    volunteer = get_or_none(User, volunteer_id)
    if volunteer is None:
        raise DomainError("not_found", field="volunteer_id")
    return volunteer


@signups_blp.post("/slots/<int:slot_id>/signups")
@requires(Role.VOLUNTEER, Role.COORDINATOR, Role.ADMIN)
@signups_blp.arguments(SignupRequestSchema)
@signups_blp.response(201, SignupSchema)
@signups_blp.alt_response(200, schema=SignupSchema, description="The same signup, asked for again")
@signups_blp.errors(401, 403, 404, 409, 422)
def create_signup(args, slot_id: int):
    """Sign up for a role slot: a confirmed place, or the waitlist when it is full. Asking again answers 200."""
    actor = current_user._get_current_object()
    volunteer = _volunteer(actor, args.get("volunteer_id"))
    slot = get_or_none(RoleSlot, slot_id)
    if slot is None or not can_see_visit(actor, slot.visit):
        abort(404)
    signup, created = signups.sign_up(
        db.session,
        slot_id=slot.id,
        volunteer=volunteer,
        now=g.now,
        by=actor,
        override_reason=args["override_reason"],
    )
    body = _signup_body(signup, waitlist_position(db.session, signup))
    db.session.commit()
    return body, 201 if created else 200


@signups_blp.delete("/signups/<int:signup_id>")
@requires(SIGNED_IN)
@signups_blp.response(204)
@signups_blp.errors(401, 404, 409)
def cancel_signup(signup_id: int):
    """Cancel a signup: the volunteer until the visit's cutoff, their coordinators at any time."""
    signup = get_or_none(Signup, signup_id)
    if signup is None:
        abort(404)
    try:
        signups.cancel_signup(db.session, signup, by=current_user._get_current_object(), now=g.now)
    except DomainError as error:
        if error.code != "cancel_cutoff_passed":
            raise
        db.session.rollback()
        # Tell the volunteer whom to ask, as the page does.
        return json_error(error.code, error.message, error.status, contact=current_app.config["PROGRAMME_CONTACT"])
    db.session.commit()
    return None


@signups_blp.get("/me/signups")
@requires(SIGNED_IN)
@signups_blp.arguments(MySignupsQuerySchema, location="query")
@signups_blp.response(200, page_schema(MySignupSchema))
@signups_blp.errors(401)
def my_signups(args):
    """The caller's coming visits (confirmed, or waiting with their position), then the ones they took part in."""
    mine = rosters.my_visits(db.session, current_user, g.now)
    when = args.get("when")
    chosen = {"upcoming": mine.upcoming, "past": mine.past}.get(when, mine.upcoming + mine.past)
    page = paginate(chosen, args)
    links = ticket_urls(db.session, page["items"])  # may issue a ticket due to an older signup: a write
    page["items"] = [
        {
            **_signup_body(s, mine.positions.get(s.id)),
            "role": s.slot.role,
            "cancel_until": signups.cancel_cutoff_at(s.visit),
            "visit": s.visit,
            "ticket_url": links.get(s.id),
        }
        for s in page["items"]
    ]
    if db.session.info.get(WRITES):  # tickets were issued (committing otherwise would expire what is shown)
        db.session.commit()
    return page


@signups_blp.get("/visits/<int:visit_id>/roster")
@requires(Role.ADMIN, Role.HOST)
@signups_blp.response(200, RosterSchema)
@signups_blp.errors(401, 403, 404)
def visit_roster(visit_id: int):
    """Who comes to a visit: all details for programme coordinators; first names and roles for the school's hosts."""
    visit = get_or_none(Visit, visit_id)
    view = roster_view(viewer(), visit) if visit is not None else None
    if view is None:
        abort(404)  # not theirs: the same answer as a visit that does not exist
    if view == TEAM_ROSTER:
        entries = [
            {"role": m.role, "first_name": m.first_name, "phone": m.phone}
            for m in rosters.host_roster(db.session, visit)
        ]
        return {"visit_id": visit.id, "view": view, "entries": entries}
    entries = [
        {
            "role": row.role,
            "first_name": row.user.first_name,
            "phone": row.user.phone,
            "signup_id": row.signup.id,
            "slot_id": row.signup.slot_id,
            "status": row.signup.status,
            "position": row.position,
            "user_id": row.user.id,
            "name": row.user.name,
            "email": row.user.email,
            "company": row.user.company,
            "signed_up_at": row.signup.created_at,
            "assigned_by_id": row.signup.assigned_by_id,
            "override_reason": row.signup.override_reason,
        }
        for row in rosters.roster_rows(db.session, visit)
    ]
    return {"visit_id": visit.id, "view": view, "entries": entries}
