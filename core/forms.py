"""Form helpers shared by every package."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import wtforms
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import FieldList, Form, FormField, HiddenField, RadioField, SelectMultipleField, ValidationError, widgets

from core.errors import DomainError, all_problems
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

#: line breaks (CR, LF, NEL, U+2028, U+2029) and every other C0 and C1 control character
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: what a one-line field says when it holds one of them
ONE_LINE_MESSAGE = _l("Use one line, without line breaks or control characters.")


#: what no text may hold, on one line or many: NUL (PostgreSQL cannot store it), the other C0 control
#: characters but tab and line breaks, DEL, and lone surrogates (no encoding can write them)
UNSTORABLE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
#: what a field (or an API field) says when it holds one of them
UNSTORABLE_MESSAGE = _l("Contains characters that cannot be saved, such as NUL or other control characters.")


def is_one_line(value: str) -> bool:
    """True when `value` has no line break or control character (it may end up in a mail header)."""
    return CONTROL_CHARACTERS.search(value) is None


def is_storable(value: str) -> bool:
    """True when `value` holds nothing that a text column, a page or a mail cannot carry."""
    return UNSTORABLE_CHARACTERS.search(value) is None


def storable(value):
    """A filter every field of every form runs first (see `StorableFields`): text that cannot be stored is
    the field's error, shown next to it, instead of a database error after validation."""
    texts = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(text, str) and not is_storable(text) for text in texts):
        raise ValueError(UNSTORABLE_MESSAGE)
    return value


def storable_or_nothing(value):
    """The filter of a hidden field (a `next` link): it carries what a page or a link put there, and nobody
    can correct it, so text that cannot be stored is dropped instead of becoming an error no one sees."""
    try:
        return storable(value)
    except ValueError:
        return None


class StorableFields:
    """A form's Meta: each field filters its input through `storable` before its own filters.

    Lists of rows and nested forms take no filters; their rows' own fields do (NestedForm).
    """

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if not issubclass(field_class, FieldList | FormField):
            first = storable_or_nothing if issubclass(field_class, HiddenField) else storable
            options = {**options, "filters": [first, *unbound_field.kwargs.get("filters", ())]}
        return super().bind_field(form, unbound_field, options)


@dataclass(frozen=True)
class ErrorLink:
    """One line of a form's error summary: the message, and the id of the field to correct (None: no field)."""

    target: str | None
    text: str


class PageForm(FlaskForm):
    """The base of every page's form: no field takes text that cannot be stored (`storable`)."""

    Meta = StorableFields

    def error_links(self) -> list[ErrorLink]:
        """Every error of the form, each with the field it belongs to, rows of repeating parts included."""
        return [ErrorLink(None, str(message)) for message in self.form_errors] + _links(self, None)


class NestedForm(Form):
    """The base of a form inside another (a row of a FieldList of FormFields), under the same rule."""

    Meta = StorableFields

    #: how the page names the row numbered `number` ("Lesson %(number)s"); None: the list's label and number
    row_label: ClassVar[object | None] = None


def _labelled(row: str | None, label: str, message: str) -> str:
    """A summary line such as 'Lesson 1, Starts: This field is required.', punctuated as the language does."""
    if row is not None:
        label = _("%(row)s, %(field)s", row=row, field=label)
    return _("%(field)s: %(message)s", field=label, message=message)


def _links(form, row_name: str | None) -> list[ErrorLink]:
    """The error links of `form`'s fields; `row_name` names the row of a repeating part they are in."""
    links = []
    for field in form:
        if isinstance(field, FieldList):
            links += [
                ErrorLink(field.id, _labelled(row_name, field.label.text, m))
                for m in field.errors
                if isinstance(m, str)
            ]
            for number, entry in enumerate(field.entries, 1):
                row = getattr(entry, "form", None)
                if row is None:
                    links += _links([entry], row_name)
                    continue
                label = getattr(row, "row_label", None)
                name = f"{field.label.text} {number}" if label is None else str(label) % {"number": number}
                links += _links(row, name)
        elif isinstance(field, FormField):
            links += _links(field.form, row_name)
        elif field.errors:
            message = " ".join(str(e) for e in field.errors)
            if getattr(field.widget, "input_type", None) == "hidden":
                # Nobody can correct a hidden field (an expired CSRF token): the message alone.
                links.append(ErrorLink(None, message))
                continue
            # A group of radio buttons or checkboxes is reached through its first option.
            grouped = isinstance(field, RadioField | MultiCheckboxField)
            target = f"{field.id}-0" if grouped else field.id
            links.append(ErrorLink(target, _labelled(row_name, field.label.text, message)))
    return links


class _Select(widgets.Select):
    """WTForms' select, whose plain options (no attributes of their own) are written straight out: html_params
    sorting and escaping a dictionary per option, and Markup's formatting, took about a millisecond for 44
    options (the visit list's filters: a school for each of dozens), a quarter of that now. The same markup as
    WTForms writes (its attributes sorted: `selected` before `value`); an option with attributes of its own goes
    through WTForms."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or choice.value)
        selected = " selected" if choice.selected else ""
        return Markup(f'<option{selected} value="{escape(value)}">{label}</option>')  # noqa: S704  (escaped)


class SelectField(wtforms.SelectField):
    """WTForms' SelectField, with the quicker widget above: use this one in forms."""

    widget = _Select()


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes (rendered inside a fieldset with a legend)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SingleLine:
    """Refuse line breaks and control characters in a field a person types on one line (a title, a name)."""

    field_flags = {}

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and not is_one_line(field.data):
            raise ValidationError(ONE_LINE_MESSAGE)


def optional_int(value):
    """Coerce a select's value: the empty option means None."""
    if value is None or value == "":
        return None
    return int(value)


def strip(value):
    return value.strip() if isinstance(value, str) else value


def show_domain_error(form, error: DomainError) -> None:
    """Put each problem next to its field; problems without a field go to the top of the form."""
    for problem in all_problems(error):
        target = _find_field(form, problem.field) if problem.field else None
        if target is not None:
            if not isinstance(target.errors, list):
                target.errors = list(target.errors)
            target.errors.append(problem.message)
        else:
            form.form_errors.append(problem.message)
    _regather_list_errors(form)


def _regather_list_errors(form) -> None:
    """A FieldList gathers its rows' errors when validated; gather again after adding problems."""
    for field in form:
        if hasattr(field, "entries"):
            own = [message for message in field.errors if isinstance(message, str)]
            per_row = [entry.errors for entry in field.entries]
            field.errors = (per_row if any(per_row) else []) + own


def _find_field(form, name: str):
    """Find 'slots-0-capacity' inside FieldLists of FormFields as well as plain 'email'."""
    if name in form._fields:
        return form._fields[name]
    for field in form:
        if hasattr(field, "entries"):
            for entry in field.entries:
                if name == entry.name:
                    return entry
                sub = getattr(entry, "form", None)
                if sub is not None and name.startswith(entry.name + "-"):
                    inner = name[len(entry.name) + 1 :]
                    if inner in sub._fields:
                        return sub._fields[inner]
        elif name.startswith(field.name + "-") and hasattr(field, "form"):
            return _find_field(field.form, name[len(field.name) + 1 :])
    return None
