"""Event forms: shape only; the rules for schools and visits live in events.services."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from accounts.models import User
from core.forms import MultiCheckboxField, strip
from core.i18n import SPOKEN_LANGUAGES
from core.timeutil import COMMON_TIMEZONES, DEFAULT_TZ
from events.models import SLOT_ROLE_LABELS, VISIT_STATUS_LABELS, School, SlotRole, VisitStatus
from kits.models import KitType

#: what <input type="time"> sends: minutes, or seconds when a browser adds them
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
#: <input type="datetime-local">; the first one is how a value is written back into the page
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def optional_int(value):
    """Coerce a select's value: the empty option means None."""
    if value is None or value == "":
        return None
    return int(value)


def school_choices(schools: list[School], empty_label, *, show_zone: bool = False) -> list[SelectChoice]:
    """Schools by name and province; `show_zone` adds a time zone other than the usual one."""

    def label(school: School) -> str:
        where = school.province
        if show_zone and school.timezone != DEFAULT_TZ:
            where = f"{where}, {school.timezone}"
        return f"{school.name} ({where})"

    return [SelectChoice("", empty_label)] + [SelectChoice(str(s.id), label(s)) for s in schools]


def kit_type_choices(kit_types: list[KitType]) -> list[SelectChoice]:
    return [SelectChoice("", _("No kit"))] + [SelectChoice(str(k.id), k.name) for k in kit_types]


def _has_input(field) -> bool:
    return bool(field.raw_data and str(field.raw_data[0]).strip())


class RowForm(Form):
    """One row of a repeating part of the visit form. Blank new rows and removed rows are skipped."""

    #: fields a kept row must fill in
    required: tuple[str, ...] = ()

    def is_blank(self) -> bool:
        raise NotImplementedError

    def is_skipped(self) -> bool:
        return bool(self.remove.data) or self.is_blank()

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
    id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    role = SelectField(_l("Volunteer role"), choices=[SelectChoice(r.value, SLOT_ROLE_LABELS[r]) for r in SlotRole])
    capacity = IntegerField(_l("Places"), validators=[Optional(), NumberRange(max=500)])
    requires_training = BooleanField(_l("Training required"))
    required_language = SelectField(
        _l("Language required"),
        choices=[SelectChoice("", _l("Any language"))]
        + [SelectChoice(code, label) for code, label in SPOKEN_LANGUAGES.items()],
        default="",
    )
    remove = BooleanField(_l("Remove this role"))

    required = ("capacity",)

    def is_blank(self) -> bool:
        return self.id.data is None and not _has_input(self.capacity)


class LessonForm(RowForm):
    id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    title = StringField(_l("Lesson title"), validators=[Length(max=200)], filters=[strip])
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
    id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    school_id = SelectField(_l("School watching remotely"), coerce=optional_int, choices=[])
    students_expected = IntegerField(_l("Students expected"), default=0, validators=[Optional(), NumberRange(min=0)])
    remove = BooleanField(_l("Remove this school"))

    required = ("school_id",)

    def is_blank(self) -> bool:
        return self.id.data is None and self.school_id.data is None


class VisitForm(FlaskForm):
    """A visit with its roles, lessons and satellite schools, on one page that needs no JavaScript.

    Times are wall-clock times at the chosen school; the view converts them to UTC.
    """

    school_id = SelectField(
        _l("School"), coerce=optional_int, choices=[], validators=[DataRequired(message=_l("Choose a school."))]
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    date = DateField(_l("Date"), validators=[DataRequired()])
    starts_at = TimeField(_l("Starts"), format=TIME_FORMATS, validators=[DataRequired()])
    ends_at = TimeField(_l("Ends"), format=TIME_FORMATS, validators=[DataRequired()])
    signup_opens_at = DateTimeLocalField(_l("Signup opens"), format=DATETIME_LOCAL_FORMATS, validators=[Optional()])
    signup_closes_at = DateTimeLocalField(_l("Signup closes"), format=DATETIME_LOCAL_FORMATS, validators=[Optional()])
    meeting_point = StringField(_l("Meeting point"), validators=[Length(max=300)], filters=[strip])
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
    slots = FieldList(FormField(SlotForm), min_entries=1)
    lessons = FieldList(FormField(LessonForm), min_entries=1)
    satellites = FieldList(FormField(SatelliteForm))

    #: the name of each add-row button (a submit button without JavaScript) -> the list it grows
    ADD_BUTTONS = {"add_slot": "slots", "add_lesson": "lessons", "add_satellite": "satellites"}


class VisitFilterForm(FlaskForm):
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
    province = SelectField(_l("Region"), choices=[])
    status = SelectField(_l("Status"), choices=[])

    def set_choices(self, *, schools: list[School], provinces: list[str], see_drafts: bool) -> None:
        self.school_id.choices = school_choices(schools, _("Any school"))
        self.province.choices = [SelectChoice("", _("Any region"))] + [SelectChoice(p, p) for p in provinces]
        statuses = [s for s in VisitStatus if see_drafts or s != VisitStatus.DRAFT]
        self.status.choices = [SelectChoice("", _("Any status"))] + [
            SelectChoice(s.value, VISIT_STATUS_LABELS[s]) for s in statuses
        ]


class SchoolFilterForm(FlaskForm):
    class Meta:
        csrf = False

    archived = BooleanField(_l("Include archived schools"))


class SchoolForm(FlaskForm):
    name = StringField(_l("School name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    province = StringField(_l("Province"), validators=[DataRequired(), Length(max=50)], filters=[strip])
    prefecture = StringField(_l("Prefecture"), validators=[Length(max=50)], filters=[strip])
    county = StringField(_l("County"), validators=[Length(max=50)], filters=[strip])
    township = StringField(_l("Township"), validators=[Length(max=50)], filters=[strip])
    address = StringField(_l("Address"), validators=[Length(max=300)], filters=[strip])
    timezone = SelectField(
        _l("Time zone"), choices=[SelectChoice(tz, tz) for tz in COMMON_TIMEZONES], default=DEFAULT_TZ
    )
    travel_notes = TextAreaField(_l("How to get there"), validators=[Length(max=5000)])
    connectivity_notes = TextAreaField(_l("Mobile signal and Wi-Fi"), validators=[Length(max=5000)])
    hosts = MultiCheckboxField(_l("Hosts"), coerce=int, choices=[])

    def set_host_choices(self, people: list[User]) -> None:
        self.hosts.choices = [SelectChoice(str(p.id), f"{p.name} ({p.email})") for p in people]

    def keep_timezone(self, name: str) -> None:
        """A school set up with a zone outside the usual list keeps it as a choice."""
        if name and name not in COMMON_TIMEZONES:
            self.timezone.choices = [*self.timezone.choices, SelectChoice(name, name)]
