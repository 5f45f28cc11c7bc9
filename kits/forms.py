"""Kit forms: kit types, hubs, and recording a movement."""

from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional

from core.forms import PageForm, SelectField, SingleLine, optional_int, strip
from core.i18n import lazy_gettext as _l

#: what a field needed by the chosen kind of movement says when it is empty
NEEDED = _l("Fill this in for this kind of movement.")


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


class HubForm(PageForm):
    name = StringField(_l("Hub name"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[strip])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=2000)])

    def values(self) -> dict:
        return {"name": self.name.data, "address": self.address.data or ""}


#: the kinds a person records here, as kits.stock.MANUAL_KINDS names them
KIND_CHOICES = [
    SelectChoice("received", _l("Received: donated or bought")),
    SelectChoice("written_off", _l("Written off: damaged or lost")),
    SelectChoice("transferred", _l("Transferred to another hub")),
    SelectChoice("adjusted", _l("Adjusted at a stock-take")),
]


class MovementForm(PageForm):
    """One manual movement. Which fields it needs depends on the kind; the rest are left out."""

    kind = RadioField(_l("What happened"), choices=KIND_CHOICES, validators=[DataRequired()])
    kit_type_id = SelectField(
        _l("Kit type"), coerce=optional_int, choices=[], validators=[DataRequired(message=_l("Choose a kit type."))]
    )
    hub_id = SelectField(_l("Hub"), coerce=optional_int, choices=[])
    quantity = IntegerField(_l("Number of kits"), validators=[Optional(), NumberRange(min=1, max=1_000_000)])
    counted = IntegerField(_l("Kits counted"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    to_hub_id = SelectField(_l("Transfer to hub"), coerce=optional_int, choices=[])
    party = StringField(
        _l("Donor or supplier"), validators=[Optional(), Length(max=200), SingleLine()], filters=[strip]
    )
    bought = BooleanField(_l("Bought, not donated"))
    donor_email = EmailField(
        _l("Donor's email (optional)"), validators=[Optional(), Email(), Length(max=254)], filters=[strip]
    )
    value = DecimalField(
        _l("Total value (yuan)"), places=2, validators=[Optional(), NumberRange(min=0, max=10_000_000)]
    )
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)], filters=[strip])

    def set_choices(self, hubs, kit_types) -> None:
        self.kit_type_id.choices = [SelectChoice("", _l("Choose a kit type"))] + [
            SelectChoice(str(k.id), k.name) for k in kit_types
        ]
        self.hub_id.choices = [SelectChoice(str(h.id), h.name) for h in hubs if h.active]
        self.to_hub_id.choices = [SelectChoice("", _l("Choose a hub"))] + [
            SelectChoice(str(h.id), h.name) for h in hubs if h.active
        ]

    def validate(self, extra_validators=None) -> bool:
        """The fields the chosen kind needs are filled in, each error next to its field."""
        valid = super().validate(extra_validators)
        needed = {
            "received": (self.quantity, self.party),
            "written_off": (self.quantity,),
            "transferred": (self.quantity, self.to_hub_id),
            "adjusted": (self.counted,),
        }.get(self.kind.data, ())
        for field in needed:
            if field.data in (None, "") and not field.errors:
                field.errors = [*field.errors, NEEDED]
                valid = False
        return valid

    def values(self) -> dict:
        """The movement as kits.stock.record takes it (the value in fen; none given: the kit type's)."""
        value = self.value.data
        return {
            "kit_type_id": self.kit_type_id.data,
            "hub_id": self.hub_id.data,
            "quantity": self.quantity.data,
            "counted": self.counted.data,
            "to_hub_id": self.to_hub_id.data,
            "party": self.party.data or "",
            "value_fen": None if value is None else int(value * 100),
            "reason": self.reason.data or "",
            "donor_email": self.donor_email.data or "",
            "donated": not self.bought.data,
        }
