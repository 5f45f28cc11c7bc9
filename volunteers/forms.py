"""Volunteer forms."""

from wtforms import EmailField, HiddenField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from accounts.forms import NewAccountMixin
from accounts.models import Role, TrainingStatus
from core.forms import MultiCheckboxField, PageForm, SelectField, SingleLine, strip
from core.i18n import LOCALES, SPOKEN_LANGUAGES, html_lang
from core.i18n import lazy_gettext as _l


def language_choices():
    return [SelectChoice(code, label) for code, label in SPOKEN_LANGUAGES.items()]


class RegistrationForm(NewAccountMixin, PageForm):
    join_code = StringField(_l("Company join code"), validators=[DataRequired(), Length(max=20)], filters=[strip])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[strip])
    languages = MultiCheckboxField(_l("Languages you speak"), choices=language_choices())
    next = HiddenField()

    field_order = ("join_code", "name", "email", "phone", "languages", "password", "confirm")


class ProfileForm(PageForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100), SingleLine()], filters=[strip])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=32)], filters=[strip])
    languages = MultiCheckboxField(_l("Languages you speak"), choices=language_choices())
    skills = TextAreaField(_l("Skills and experience"), validators=[Optional(), Length(max=2000)])
    #: "" is no choice (None): pages follow the phone's language
    locale = SelectField(
        _l("Language of SciVisit"),
        choices=[
            SelectChoice("", _l("Same as my phone/browser")),
            *(SelectChoice(code, label, render_kw={"lang": html_lang(code)}) for code, label in LOCALES.items()),
        ],
        coerce=lambda value: value or None,
    )


class PersonForm(NewAccountMixin, PageForm):
    """An admin creates an account directly."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[strip])
    roles = MultiCheckboxField(_l("Roles"), choices=Role.choices(), validators=[DataRequired()])
    company = SelectField(_l("Company"), coerce=int, validators=[Optional()])
    training_status = SelectField(_l("Training"), choices=TrainingStatus.choices())


class PersonEditForm(PageForm):
    """An admin changes someone's name, roles, company and training; the person keeps their own password."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100), SingleLine()], filters=[strip])
    roles = MultiCheckboxField(_l("Roles"), choices=Role.choices(), validators=[DataRequired()])
    company = SelectField(_l("Company"), coerce=int, validators=[Optional()])
    training_status = SelectField(_l("Training"), choices=TrainingStatus.choices())

    @classmethod
    def data_of(cls, person) -> dict:
        """A person as the form shows them."""
        return {
            "name": person.name,
            "roles": [role.value for role in person.roles],
            "company": person.company_id or 0,
            "training_status": person.training_status.value,
        }


class CompanyForm(PageForm):
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[strip])


class PeopleFilterForm(PageForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or email"), validators=[Optional(), Length(max=100)])
    # No Optional(): it would also clear the "not a valid choice" of a blank-looking value such as " ".
    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("Any role")), *Role.choices()], default="")


class AssignForm(PageForm):
    """A programme coordinator puts a volunteer into a role by hand, overriding the rules."""

    person = SelectField(_l("Volunteer"), coerce=int, validators=[DataRequired()])
    slot = SelectField(_l("Volunteer role"), coerce=int, validators=[DataRequired()])
    reason = StringField(
        _l("Reason for overriding the rules"), validators=[DataRequired(), Length(max=500)], filters=[strip]
    )


class MoveForm(PageForm):
    """Move a volunteer to another role of the same visit; the per-person fields are written in the roster page."""

    slot = SelectField(_l("Move to"), coerce=int, validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)], filters=[strip])


class CompanySignupForm(PageForm):
    """A company coordinator signs a colleague up for a role: the second step, once the visit is chosen."""

    visit = HiddenField()
    slot = RadioField(_l("Volunteer role"), coerce=int, validators=[DataRequired(message=_l("Choose a role."))])
    person = SelectField(
        _l("Colleague"), coerce=int, validators=[DataRequired(message=_l("Choose the colleague to sign up."))]
    )
    reason = StringField(
        _l("Reason, if the rules must be overridden"), validators=[Optional(), Length(max=500)], filters=[strip]
    )


class DeleteAccountForm(PageForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=128)])
