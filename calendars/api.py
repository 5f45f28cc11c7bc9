"""Calendar API: the feeds the caller may subscribe to."""

from __future__ import annotations

from flask import g

from accounts.access import viewer
from api_schemas import OPTIONAL_AUTH, ApiBlueprint
from calendars.schemas import FeedSchema
from calendars.services import feeds_for
from extensions import db

blp = ApiBlueprint("calendars_api", __name__, url_prefix="/api/v1/calendars", description="Calendar feeds")


@blp.get("")
@blp.response(200, FeedSchema(many=True))
@blp.doc(**OPTIONAL_AUTH)
def list_calendars():
    """The feeds the caller may subscribe to, with their addresses; anonymous callers get the public one."""
    feeds = feeds_for(db.session, viewer(), g.now)
    db.session.commit()  # a feed's address is made the first time it is asked for
    return feeds
