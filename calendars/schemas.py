"""API schemas of calendar feeds."""

from __future__ import annotations

import marshmallow as ma

KINDS = ("personal", "school", "company", "public")


class FeedSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    title = ma.fields.String(required=True, metadata={"description": "In the request's language"})
    url = ma.fields.String(
        required=True,
        metadata={"description": "The feed's address; a private feed's holds its secret token, the public one's none"},
    )
    webcal_url = ma.fields.String(required=True, metadata={"description": "The same address as webcal://"})
    target_id = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The school or company a school or company feed shows; 0: personal; null: public"},
    )
