"""API schemas of people and companies, shared by every API face that shows them."""

from __future__ import annotations

import marshmallow as ma

from accounts.models import Role, TrainingStatus
from api_schemas import SortedList


class CompanyRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class PersonSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    phone = ma.fields.String(required=True, allow_none=True)
    roles = SortedList(ma.fields.Enum(Role, by_value=True), required=True)
    company = ma.fields.Nested(CompanyRefSchema, required=True, allow_none=True)
    languages = ma.fields.List(ma.fields.String(), required=True)
    training_status = ma.fields.Enum(TrainingStatus, by_value=True, required=True)
    locale = ma.fields.String(required=True, allow_none=True)
