"""Event forms: shape only; the rules for schools and visits live in events.services.

The visit form also converts between itself and the services' input (`VisitForm.data_of`,
`VisitForm.as_visit_data`): fields are copied by the names of the services' dataclasses, with
times shown as wall-clock times at the school.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from datetime import date
from typing import ClassVar

from flask_babel.speaklater import LazyString
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from accounts.models import User
from core.errors import DomainError, all_problems
from core.formatting import zone_choice, zone_name
from core.forms import MultiCheckboxField, NestedForm, PageForm, SelectField, SingleLine, optional_int, strip
from core.i18n import SPOKEN_LANGUAGES
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.timeutil import COMMON_TIMEZONES, DEFAULT_TZ, in_zone, local_to_utc, naive_local_to_utc
from events.models import School, SlotRole, Visit, VisitStatus
from events.queries import VisitFilter
from events.services import SCHOOL_FIELDS, LessonData, SatelliteData, SlotData, VisitData, visit_data
from kits.models import KitType

#: what <input type="time"> sends: minutes, or seconds when a browser adds them
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
#: <input type="datetime-local">; the first one is how a value is written back into the page
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def optional_str(value):
    """Coerce a select's value: the empty option means None."""
    return value or None


def school_choices(schools: list[School], empty_label, *, show_zone: bool = False) -> list[SelectChoice]:
    """Schools by name and province; `show_zone` adds a time zone other than the usual one."""

    def label(school: School) -> str:
        where = school.province
        if show_zone and school.timezone != DEFAULT_TZ:
            where = f"{where}, {zone_name(school.timezone)}"
        return f"{school.name} ({where})"

    return [SelectChoice("", empty_label)] + [SelectChoice(str(s.id), label(s)) for s in schools]


def kit_type_choices(kit_types: list[KitType]) -> list[SelectChoice]:
    return [SelectChoice("", _("No kit"))] + [SelectChoice(str(k.id), k.name) for k in kit_types]


def _has_input(field) -> bool:
    return bool(field.raw_data and str(field.raw_data[0]).strip())


@dataclass(frozen=True)
class WallClock:
    """The form's times are wall-clock times at the school (on the visit's `day`); the services' are UTC."""

    tz: str
    day: date | None = None

    def to_service(self, field, default=MISSING):
        """A field's value as service input; a blank takes the dataclass field's `default`."""
        value = field.data
        if isinstance(field, TimeField):
            return local_to_utc(self.day, value, self.tz) if value else None
        if isinstance(field, DateTimeLocalField):
            return naive_local_to_utc(value, self.tz) if value else None
        return default if value is None and default is not MISSING else value

    def to_form(self, field_class: type, value):
        """A service value as a field of `field_class` shows it."""
        if value is None or not issubclass(field_class, (TimeField, DateTimeLocalField)):
            return value
        local = in_zone(value, self.tz).replace(tzinfo=None)
        return local.time() if issubclass(field_class, TimeField) else local


def _service_values(form, data_class: type, clock: WallClock) -> dict:
    """The form's fields named like the dataclass's fields (its row lists aside), as service input."""
    return {
        f.name: clock.to_service(form[f.name], f.default)
        for f in fields(data_class)
        if f.name in form and not isinstance(form[f.name], FieldList)
    }


def _form_values(form_class: type, item, clock: WallClock) -> dict:
    """A dataclass item's fields that the form has (its row lists aside), as form data."""
    values = {}
    for f in fields(item):
        unbound = getattr(form_class, f.name, None)
        if unbound is not None and unbound.field_class is not FieldList:
            values[f.name] = clock.to_form(unbound.field_class, getattr(item, f.name))
    return values


class RowForm(NestedForm):
    """One row of a repeating part of the visit form. Blank new rows and removed rows are skipped.

    The page shows a row's fields in the order they are declared here.
    """

    #: the services' input for one row; its fields and the form's fields share their names
    data_class: ClassVar[type]
    #: fields a kept row must fill in
    required: tuple[str, ...] = ()

    @classmethod
    def data_of(cls, item, clock: WallClock) -> dict:
        return _form_values(cls, item, clock)

    def as_data(self, clock: WallClock):
        return self.data_class(**_service_values(self, self.data_class, clock))

    def is_blank(self) -> bool:
        raise NotImplementedError

    def is_skipped(self) -> bool:
        return bool(self.remove.data) or self.is_blank()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Marked on the page like any required field, though a blank new row is simply left out.
        for name in self.required:
            self[name].flags.required = True

    def validate(self, extra_validators=None):
        if self.is_skipped():
            return True
        valid = super().validate(extra_validators)
        for name in self.required:
            field = self[name]
            if field.data in (None, "") and not field.errors:
                field.errors.append(_("This field is required."))
                valid = False
        return valid


class SlotForm(RowForm):
    data_class = SlotData
    row_label = _l("Role %(number)s")

    id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    role = SelectField(
        _l("Volunteer role"),
        coerce=SlotRole,
        choices=SlotRole.choices(),
    )
    capacity = IntegerField(_l("Places"), validators=[Optional(), NumberRange(max=500)])
    required_language = SelectField(
        _l("Language required"),
        coerce=optional_str,
        choices=[SelectChoice("", _l("Any language"))]
        + [SelectChoice(code, label) for code, label in SPOKEN_LANGUAGES.items()],
        default="",
    )
    requires_training = BooleanField(_l("Training required"))
    description = TextAreaField(
        _l("What this role does and brings"),
        description=_l("Leave empty for the usual text for the role."),
        validators=[Length(max=2000)],
        filters=[strip],
    )
    remove = BooleanField(_l("Remove this role"))

    required = ("capacity",)

    def is_blank(self) -> bool:
        return self.id.data is None and not _has_input(self.capacity)


class LessonForm(RowForm):
    data_class = LessonData
    row_label = _l("Lesson %(number)s")

    id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    title = StringField(_l("Lesson title"), validators=[Length(max=200), SingleLine()], filters=[strip])
    grade = IntegerField(_l("Grade"), validators=[Optional(), NumberRange(min=1, max=12)])
    classroom = StringField(_l("Classroom"), validators=[Length(max=100)], filters=[strip])
    starts_at = TimeField(_l("Starts"), format=TIME_FORMATS, validators=[Optional()])
    ends_at = TimeField(_l("Ends"), format=TIME_FORMATS, validators=[Optional()])
    kit_type_id = SelectField(_l("Kit type"), coerce=optional_int, choices=[])
    students_expected = IntegerField(_l("Students expected"), default=0, validators=[Optional(), NumberRange(min=0)])
    spare_kits = IntegerField(_l("Spare kits"), default=0, validators=[Optional(), NumberRange(min=0)])
    remove = BooleanField(_l("Remove this lesson"))

    required = ("title", "grade", "starts_at", "ends_at")

    def is_blank(self) -> bool:
        return self.id.data is None and not self.title.data


class SatelliteForm(RowForm):
    data_class = SatelliteData
    row_label = _l("Satellite school %(number)s")

    id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    school_id = SelectField(_l("School watching remotely"), coerce=optional_int, choices=[])
    students_expected = IntegerField(_l("Students expected"), default=0, validators=[Optional(), NumberRange(min=0)])
    remove = BooleanField(_l("Remove this school"))

    required = ("school_id",)

    def is_blank(self) -> bool:
        return self.id.data is None and self.school_id.data is None


class VisitForm(PageForm):
    """A visit with its roles, lessons and satellite schools, on one page that needs no JavaScript.

    Times are wall-clock times at the chosen school; `as_visit_data` turns them into UTC.
    """

    school_id = SelectField(
        _l("School"), coerce=optional_int, choices=[], validators=[DataRequired(message=_l("Choose a school."))]
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[strip])
    date = DateField(_l("Date"), validators=[DataRequired()])
    starts_at = TimeField(_l("Starts"), format=TIME_FORMATS, validators=[DataRequired()])
    ends_at = TimeField(_l("Ends"), format=TIME_FORMATS, validators=[DataRequired()])
    signup_opens_at = DateTimeLocalField(_l("Signup opens"), format=DATETIME_LOCAL_FORMATS, validators=[Optional()])
    signup_closes_at = DateTimeLocalField(_l("Signup closes"), format=DATETIME_LOCAL_FORMATS, validators=[Optional()])
    meeting_point = StringField(_l("Meeting point"), validators=[Length(max=300)], filters=[strip])
    what_to_bring = TextAreaField(_l("What to bring"), validators=[Length(max=2000)], filters=[strip])
    livestream_url = URLField(
        _l("Livestream link"),
        # Anyone may follow this link from the public visit page: web links only, no other schemes.
        validators=[
            Optional(),
            Regexp(r"^https?://[^\s/?#]+\.[^\s]+$", message=_l("Use a web link (https://…).")),
            Length(max=500),
        ],
        filters=[strip],
    )
    notes = TextAreaField(_l("Notes for the team"), validators=[Length(max=5000)])
    cancel_cutoff_hours = IntegerField(
        _l("Volunteers may cancel until (hours before the start)"),
        default=24,
        validators=[Optional(), NumberRange(min=0, max=720)],
    )
    hub_id = SelectField(
        _l("Kits come from"),
        coerce=optional_int,
        choices=[],
        validate_choice=False,  # the rules check the hub (unknown_hub, hub_inactive)
        description=_l("The hub the lessons' kits are reserved at."),
    )
    slots = FieldList(FormField(SlotForm), _l("Volunteer roles"), min_entries=1)
    lessons = FieldList(FormField(LessonForm), _l("Lessons"), min_entries=1)
    satellites = FieldList(FormField(SatelliteForm), _l("Schools watching the livestream"))

    #: each repeating part of the form -> the form of one of its rows
    ROWS: ClassVar[dict[str, type[RowForm]]] = {"slots": SlotForm, "lessons": LessonForm, "satellites": SatelliteForm}
    #: the name of each add-row button (a submit button without JavaScript) -> the list it grows
    ADD_BUTTONS = {"add_slot": "slots", "add_lesson": "lessons", "add_satellite": "satellites"}

    @classmethod
    def data_of(cls, visit: Visit) -> dict:
        """A saved visit as the form shows it: wall-clock times at the school."""
        data = visit_data(visit)
        clock = WallClock(visit.school.timezone)
        values = _form_values(cls, data, clock)
        values["date"] = in_zone(visit.starts_at, clock.tz).date()
        for name, row_form in cls.ROWS.items():
            values[name] = [row_form.data_of(item, clock) for item in getattr(data, name)]
        return values

    def add_requested_row(self, formdata) -> bool:
        """Whether an add-row button was pressed; if so its list grows, keeping what was typed."""
        grow = next((rows for button, rows in self.ADD_BUTTONS.items() if button in formdata), None)
        if grow is not None:
            self[grow].append_entry()
        return grow is not None

    def set_choices(self, *, schools: list[School], kit_types: list[KitType], hubs: list = ()) -> None:
        """Offer `schools` as the host and the satellite schools, `kit_types` for each lesson, `hubs` for the kits."""
        self.school_id.choices = school_choices(schools, _("Choose a school"), show_zone=True)
        self.hub_id.choices = [SelectChoice(str(hub.id), hub.name) for hub in hubs]
        kits = kit_type_choices(kit_types)
        satellites = school_choices(schools, _("Choose a school"))
        for row in self.lessons:
            row.form.kit_type_id.choices = kits
        for row in self.satellites:
            row.form.school_id.choices = satellites

    def as_visit_data(self, tz: str) -> tuple[VisitData, dict[str, list[int]]]:
        """The validated form as service input (`tz`: the school's zone), and the form row behind each item.

        Removed and blank rows are left out, so the services number rows differently from the
        form: `positions[list][i]` is the form row of the service's item i (see `on_form_rows`).
        """
        clock = WallClock(tz, self.date.data)
        positions: dict[str, list[int]] = {name: [] for name in self.ROWS}
        lists: dict[str, list] = {name: [] for name in self.ROWS}
        for name in self.ROWS:
            for index, entry in enumerate(self[name]):
                if not entry.form.is_skipped():
                    positions[name].append(index)
                    lists[name].append(entry.form.as_data(clock))
        return VisitData(**_service_values(self, VisitData, clock), **lists), positions


_ROW_FIELD = re.compile(r"^(slots|lessons|satellites)-(\d+)-(.+)$")


def on_form_rows(error: DomainError, positions: dict[str, list[int]]) -> DomainError:
    """Renumber the rows a service's error names (`lessons-0-title`) as the form's rows."""
    for problem in all_problems(error):
        match = _ROW_FIELD.match(problem.field or "")
        if match:
            name, index, rest = match.groups()
            problem.field = f"{name}-{positions[name][int(index)]}-{rest}"
    return error


class VisitFilterForm(PageForm):
    """The visit list's filters, read from the query string (see `applied`).

    A filter left at "any" is absent from the query string or sent empty; both mean the empty
    choice, which coerces to None, so neither is ever an error.
    """

    class Meta:
        csrf = False

    when = SelectField(
        _l("When"),
        choices=[
            SelectChoice("upcoming", _l("Upcoming")),
            SelectChoice("past", _l("Past")),
            SelectChoice("all", _l("All dates")),
        ],
        default="upcoming",
    )
    school_id = SelectField(_l("School"), coerce=optional_int, choices=[])
    # With the default coerce (str) an absent value stays None, which no choice equals: "Not a valid choice".
    province = SelectField(_l("Region"), coerce=optional_str, choices=[])
    status = SelectField(_l("Status"), coerce=optional_str, choices=[])

    def set_choices(self, *, schools: list[School], provinces: list[str], see_drafts: bool) -> None:
        self.school_id.choices = school_choices(schools, _("Any school"))
        self.province.choices = [SelectChoice("", _("Any region"))] + [SelectChoice(p, p) for p in provinces]
        statuses = [s for s in VisitStatus if see_drafts or s != VisitStatus.DRAFT]
        self.status.choices = [SelectChoice("", _("Any status")), *VisitStatus.choices(statuses)]

    def applied(self) -> VisitFilter:
        """The filters the list applies (call after `set_choices`).

        A value that is not one of a filter's choices (an edited or stale link: a school since
        archived, a status this person does not see) is ignored rather than shown as an error:
        the filter goes back to its default, so the form shows what the list applies.
        """
        self.validate()
        for field in self:
            if field.errors:
                field.data, field.errors = field.default, []
        when = self.when.data
        return VisitFilter(
            when="" if when == "all" else when,
            school_id=self.school_id.data,
            province=self.province.data or "",
            status=VisitStatus(self.status.data) if self.status.data else None,
        )


class SchoolFilterForm(PageForm):
    class Meta:
        csrf = False

    archived = BooleanField(_l("Include archived schools"))


class SchoolForm(PageForm):
    name = StringField(_l("School name"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[strip])
    province = StringField(_l("Province"), validators=[DataRequired(), Length(max=50)], filters=[strip])
    prefecture = StringField(_l("Prefecture"), validators=[Length(max=50)], filters=[strip])
    county = StringField(_l("County"), validators=[Length(max=50)], filters=[strip])
    township = StringField(_l("Township"), validators=[Length(max=50)], filters=[strip])
    address = StringField(_l("Address"), validators=[Length(max=300)], filters=[strip])
    timezone = SelectField(
        _l("Time zone"),
        choices=[SelectChoice(tz, LazyString(zone_choice, tz)) for tz in COMMON_TIMEZONES],
        default=DEFAULT_TZ,
    )
    travel_notes = TextAreaField(_l("How to get there"), validators=[Length(max=5000)])
    connectivity_notes = TextAreaField(_l("Mobile signal and Wi-Fi"), validators=[Length(max=5000)])
    hosts = MultiCheckboxField(_l("Hosts"), coerce=int, choices=[])

    @classmethod
    def data_of(cls, school: School) -> dict:
        """A saved school as the form shows it."""
        data = {name: getattr(school, name) for name in SCHOOL_FIELDS}
        data["hosts"] = [host.id for host in school.hosts]
        return data

    def values(self) -> dict:
        """The school's fields as service input."""
        return {name: self[name].data or "" for name in SCHOOL_FIELDS}

    def chosen_hosts(self, candidates: list[User]) -> list[User]:
        """The people ticked as hosts, out of the `candidates` offered."""
        by_id = {person.id: person for person in candidates}
        return [by_id[person_id] for person_id in self.hosts.data or []]

    def set_host_choices(self, people: list[User]) -> None:
        self.hosts.choices = [SelectChoice(str(p.id), f"{p.name} ({p.email})") for p in people]

    def keep_timezone(self, name: str) -> None:
        """A school set up with a zone outside the usual list keeps it as a choice."""
        if name and name not in COMMON_TIMEZONES:
            self.timezone.choices = [*self.timezone.choices, SelectChoice(name, zone_choice(name))]
