"""Kit forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, IntegerField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from core.forms import PageForm, SingleLine, strip


class KitTypeForm(PageForm):
    name = StringField(_l("Kit type name"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[strip])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    students_per_kit = IntegerField(
        _l("Students per kit"), default=1, validators=[DataRequired(), NumberRange(min=1, max=100)]
    )
    consumable = BooleanField(_l("Used up in the lesson (consumable)"), default=True)
    unit_value = DecimalField(
        _l("Value of one kit (yuan)"), places=2, default=0, validators=[Optional(), NumberRange(min=0, max=1_000_000)]
    )
    low_stock_threshold = IntegerField(
        _l("Warn when fewer than this many are available"), default=0, validators=[Optional(), NumberRange(min=0)]
    )
    lesson_plan_url = URLField(_l("Lesson plan link"), validators=[Optional(), URL(), Length(max=500)], filters=[strip])

    def values(self) -> dict:
        """The kit type as the service takes it: the value in fen, empty fields as their defaults."""
        return {
            "name": self.name.data,
            "description": self.description.data or "",
            "students_per_kit": self.students_per_kit.data,
            "consumable": self.consumable.data,
            "unit_value_fen": int((self.unit_value.data or 0) * 100),
            "low_stock_threshold": self.low_stock_threshold.data or 0,
            "lesson_plan_url": self.lesson_plan_url.data or "",
        }
