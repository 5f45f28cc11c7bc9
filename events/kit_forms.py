"""Forms of a visit's kits: shipping a kit type, confirming its arrival, recording what was used, and
publishing a visit short of kits with a reason. Each kit type's forms carry its id as their prefix, so
one page holds a form per kit type with labels that stay unique."""

from wtforms import IntegerField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.forms import PageForm, SelectField, SingleLine, optional_int, strip
from core.i18n import lazy_gettext as _l

MAX_KITS = 1_000_000


class ShipForm(PageForm):
    quantity = IntegerField(_l("Kits shipped"), validators=[InputRequired(), NumberRange(min=1, max=MAX_KITS)])
    carrier = StringField(_l("Carrier"), validators=[Optional(), Length(max=100), SingleLine()], filters=[strip])
    tracking_number = StringField(
        _l("Tracking number"), validators=[Optional(), Length(max=100), SingleLine()], filters=[strip]
    )

    def values(self) -> dict:
        return {
            "quantity": self.quantity.data,
            "carrier": self.carrier.data or "",
            "tracking_number": self.tracking_number.data or "",
        }


class ArrivalForm(PageForm):
    received = IntegerField(_l("Kits that arrived"), validators=[InputRequired(), NumberRange(min=0, max=MAX_KITS)])

    def values(self) -> dict:
        return {"received": self.received.data}


class UseForm(PageForm):
    consumed = IntegerField(
        _l("Kits used up"), default=0, validators=[InputRequired(), NumberRange(min=0, max=MAX_KITS)]
    )
    returned = IntegerField(
        _l("Kits returned to a hub"), default=0, validators=[InputRequired(), NumberRange(min=0, max=MAX_KITS)]
    )
    hub_id = SelectField(_l("Returned to"), coerce=optional_int, choices=[])

    def set_hubs(self, hubs) -> None:
        self.hub_id.choices = [SelectChoice(str(hub.id), hub.name) for hub in hubs]

    def values(self) -> dict:
        return {"consumed": self.consumed.data, "returned": self.returned.data, "hub_id": self.hub_id.data}


class PublishForm(PageForm):
    override_reason = TextAreaField(
        _l("Why publish although kits are short"),
        validators=[DataRequired(message=_l("Say why the visit can go ahead without these kits.")), Length(max=2000)],
        filters=[strip],
    )
