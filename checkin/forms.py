"""Forms of the attendance pages: students attended per lesson and satellite school, and a time correction."""

from __future__ import annotations

from wtforms import IntegerField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from checkin.hours import StudentCounts
from core.forms import PageForm
from core.i18n import lazy_gettext as _l
from events.models import Visit

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
MAX_STUDENTS = 10_000


def _count_field(label: str, default: int | None) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=MAX_STUDENTS)], default=default)


def students_form(visit: Visit, formdata=None) -> PageForm:
    """One number per lesson (`lesson_<id>`) and per satellite school (`satellite_<id>`), filled with what was
    recorded before."""

    class StudentsForm(PageForm):
        def counts(self) -> StudentCounts:
            """The numbers given (blanks left out) as service input."""
            lessons = {lesson.id: self[f"lesson_{lesson.id}"].data for lesson in visit.lessons}
            satellites = {sat.id: self[f"satellite_{sat.id}"].data for sat in visit.satellites}
            return StudentCounts(
                {key: value for key, value in lessons.items() if value is not None},
                {key: value for key, value in satellites.items() if value is not None},
            )

    for lesson in visit.lessons:
        setattr(StudentsForm, f"lesson_{lesson.id}", _count_field(lesson.title, lesson.students_attended))
    for satellite in visit.satellites:
        setattr(
            StudentsForm, f"satellite_{satellite.id}", _count_field(satellite.school.name, satellite.students_attended)
        )
    return StudentsForm(formdata)


class CorrectionForm(PageForm):
    """When a volunteer came and left, as times at the school on the visit's day."""

    checked_in_at = TimeField(_l("Came at"), format=TIME_FORMATS, validators=[DataRequired()])
    checked_out_at = TimeField(_l("Left at"), format=TIME_FORMATS, validators=[DataRequired()])
    reason = TextAreaField(_l("Reason for the correction"), validators=[DataRequired(), Length(max=1000)])
