"""Volunteer API: accounts created by programme coordinators."""

from __future__ import annotations

import marshmallow as ma
from flask import g

from access import requires
from accounts.api import PersonSchema
from accounts.models import Company, Role
from accounts.services import MAX_PASSWORD_LENGTH, create_user
from api_schemas import ApiBlueprint, Text, get_or_none, id_field, text
from core.errors import DomainError
from core.i18n import SPOKEN_LANGUAGES
from extensions import db

blp = ApiBlueprint("volunteers_api", __name__, url_prefix="/api/v1/volunteers", description="People")


class PersonCreateSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    name = text(100, blank=False, required=True)
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
