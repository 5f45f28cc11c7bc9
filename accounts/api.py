"""Account API: bearer tokens and the signed-in person."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, g
from flask_login import current_user

from accounts import services
from accounts.access import SIGNED_IN, requires
from accounts.schemas import PersonSchema
from accounts.sessions import login_limits, sign_in_limit
from api_schemas import ApiBlueprint, Text
from core.http import bearer_token
from extensions import db, limiter

blp = ApiBlueprint("accounts_api", __name__, url_prefix="/api/v1", description="Tokens and the signed-in person")


class TokenRequestSchema(ma.Schema):
    email = Text(required=True, validate=ma.validate.Length(max=254))
    password = Text(required=True, validate=ma.validate.Length(max=services.MAX_PASSWORD_LENGTH))


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True, metadata={"description": "Send as `Authorization: Bearer <token>`"})


@blp.post("/tokens")
@limiter.limit(login_limits)
@sign_in_limit
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.errors(401, 429)
@blp.doc(security=[])
def create_token(args):
    """Exchange an email and password for a bearer token."""
    user = services.authenticate(db.session, args["email"], args["password"])
    token = services.issue_api_token(db.session, user, g.now)
    db.session.commit()
    return {"token": token}, {"Cache-Control": "no-store"}


@blp.delete("/tokens/current")
@requires(SIGNED_IN)
@blp.response(204)
@blp.errors(401)
@blp.doc(security=[{"bearerAuth": []}])
def revoke_token():
    """Revoke the bearer token this request carries."""
    token = bearer_token()
    if token is None or not services.revoke_api_token(db.session, token, g.now):
        abort(401)  # signed in with a session cookie: there is no token to revoke
    db.session.commit()


@blp.get("/me")
@requires(SIGNED_IN)
@blp.response(200, PersonSchema)
@blp.errors(401)
def me():
    """The signed-in person."""
    return current_user._get_current_object()
