"""The reports' forms: the date range (read from the query string) and the certificate's language."""

from __future__ import annotations

from datetime import datetime

from wtforms import DateField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from core.errors import DomainError
from core.forms import PageForm
from core.i18n import LOCALES
from core.i18n import lazy_gettext as _l
from reports.periods import Period, period_of


class RangeForm(PageForm):
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD`; either may be left out (the default period fills it in)."""

    class Meta:
        csrf = False

    first = DateField(_l("From"), name="from", validators=[Optional()])
    last = DateField(_l("To"), name="to", validators=[Optional()])

    def period(self, now: datetime) -> Period:
        """The period asked for, or the default one when the form has an error (shown next to its field)."""
        self.validate()
        first = None if self.first.errors else self.first.data
        last = None if self.last.errors else self.last.data
        try:
            period = period_of(first, last, now)
        except DomainError as error:
            field = self.last if error.field == "to" else self.first
            field.errors = [*field.errors, error.message]
            period = period_of(None, None, now)
        self.first.data, self.last.data = period.first, period.last
        return period


class CertificateForm(PageForm):
    locale = RadioField(
        _l("Language of the certificate"),
        choices=[SelectChoice(code, label) for code, label in LOCALES.items()],
        default="zh_CN",
    )
