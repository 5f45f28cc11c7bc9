"""API schemas of schools and visits that other packages' API faces show as well."""

from __future__ import annotations

import marshmallow as ma


class SchoolRefSchema(ma.Schema):
    """A school as other records mention it: enough to name it and read its times."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)
    region = ma.fields.String(required=True)
