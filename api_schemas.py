"""Shared pieces of the API's schemas: the blueprint class, strict fields, paging."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus

import marshmallow as ma
from flask import abort, current_app
from flask_smorest import Blueprint
from sqlalchemy import Select
from webargs.flaskparser import FlaskParser

from core.db import MAX_INT, is_database_id
from core.forms import ONE_LINE_MESSAGE, UNSTORABLE_MESSAGE, is_one_line, is_storable
from extensions import MAX_PAGE, db

MAX_PER_PAGE = 100


class ApiParser(FlaskParser):
    """webargs' parser, except that a body which is not JSON is a 400 bad_request.

    webargs reports it as a validation error with a 400 status; it also lets `json` raise
    ValueError (integers of over 4300 digits) and RecursionError (deep nesting) unhandled.
    """

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # load_json treats an empty body as missing, anything else as invalid
        except (ValueError, RecursionError) as error:
            self._handle_invalid_json_error(error, req)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()

    def arguments(self, schema, **kwargs):
        """flask-smorest's, with a schema class made an instance once here: webargs would make one for every
        request (a tenth of a check-in scan's time)."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)

    def errors(self, *statuses: int):
        """Document the error responses (the shared error schema) a view may give.

        flask-smorest's `alt_response` documents a response by wrapping the view in a function that does nothing
        but call it (through `ensure_sync`, which inspects it) on every request; here the documentation its
        wrappers gather is kept on the view itself, and no wrapper runs."""

        def decorator(func):
            documented = func
            for status in statuses:
                documented = self.alt_response(status, response=HTTPStatus(status).name)(documented)
            func._apidoc = documented._apidoc
            return func

        return decorator


#: Documentation of the operations that anonymous callers may use as well.
OPTIONAL_AUTH = {"security": [{}, {"bearerAuth": []}, {"cookieAuth": []}]}


def get_or_none(model, ident: int):
    """The row with this id, or None; ids beyond the column's range are simply not there."""
    if not is_database_id(ident):
        return None
    return db.session.get(model, ident)


# ---------------------------------------------------------------- fields


class Text(ma.fields.String):
    """A string the database can store: no NUL or other control characters, no lone surrogates
    (`core.forms.is_storable`, which every page form applies as well)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not is_storable(text):
            raise ma.ValidationError(str(UNSTORABLE_MESSAGE))
        return text


def not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("May not be blank.")


def _one_line(value: str) -> None:
    """No line breaks or control characters: titles and names end up in mail subjects."""
    if not is_one_line(value):
        raise ma.ValidationError(str(ONE_LINE_MESSAGE))


def text(max_length: int, *, blank: bool = True, one_line: bool = False, **kwargs) -> Text:
    """A string of at most `max_length` characters (the column's size); `blank=False` needs more than spaces,
    `one_line=True` refuses line breaks and control characters."""
    checks = [*([] if blank else [not_blank]), *([_one_line] if one_line else [])]
    return Text(validate=[ma.validate.Length(max=max_length), *checks], **kwargs)


_HTTP_URL = ma.validate.URL(schemes={"http", "https"}, require_tld=False)


def http_url_or_empty(value: str) -> None:
    """An http(s) link or nothing: other schemes (javascript:) must never reach a page."""
    if value:
        _HTTP_URL(value)


def url_field(max_length: int, **kwargs) -> Text:
    return Text(validate=[ma.validate.Length(max=max_length), http_url_or_empty], **kwargs)


class UtcDateTime(ma.fields.AwareDateTime):
    """ISO 8601 with an offset in (naive times are refused), UTC with an offset out."""

    #: Times far from now are typing mistakes, and near datetime's limits converting them
    #: to a school's time zone would overflow.
    EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
    LATEST = datetime(3000, 1, 1, tzinfo=UTC)
    default_error_messages = {"out_of_range": "Must be between 1970 and 2999."}

    def _deserialize(self, value, attr, data, **kwargs):
        aware = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = aware.astimezone(UTC)
        except OverflowError as error:
            raise self.make_error("out_of_range") from error
        if not self.EARLIEST <= utc < self.LATEST:
            raise self.make_error("out_of_range")
        return utc

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None:
            value = value.astimezone(UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def integer(minimum: int = 0, maximum: int = MAX_INT, *, strict: bool = True, **kwargs) -> ma.fields.Integer:
    """An integer within bounds the database can hold; JSON bodies must send a number, not a string."""
    return ma.fields.Integer(strict=strict, validate=ma.validate.Range(min=minimum, max=maximum), **kwargs)


def id_field(**kwargs) -> ma.fields.Integer:
    return integer(1, **kwargs)


class SortedList(ma.fields.List):
    """A list dumped in sorted order, for attributes that are sets."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(sorted(value) if value is not None else None, attr, obj, **kwargs)


# ---------------------------------------------------------------- paging


class PageArgsSchema(ma.Schema):
    page = integer(1, MAX_PAGE, strict=False, load_default=1)
    per_page = integer(1, MAX_PER_PAGE, strict=False, metadata={"description": "Default: the app's PAGE_SIZE"})


class PageSchema(ma.Schema):
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True, metadata={"description": "Items on every page together"})


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """A page of `item_schema` objects: {items, page, per_page, total}."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(name, (PageSchema,), {"items": ma.fields.List(ma.fields.Nested(item_schema), required=True)})


def paginate(items: Select | Sequence, args: dict) -> dict:
    """One page of a query (or of an already loaded list), as page_schema dumps it."""
    page = args["page"]
    per_page = args.get("per_page") or current_app.config["PAGE_SIZE"]
    if isinstance(items, Select):
        result = db.paginate(items, page=page, per_page=per_page, error_out=False)
        return {"items": result.items, "page": page, "per_page": per_page, "total": result.total}
    start = (page - 1) * per_page
    return {"items": items[start : start + per_page], "page": page, "per_page": per_page, "total": len(items)}
