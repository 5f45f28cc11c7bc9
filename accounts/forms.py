"""Account forms: shape only; the rules live in services."""

from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from accounts.models import Role
from core.forms import PageForm, SelectField, SingleLine, strip
from core.i18n import lazy_gettext as _l


class LoginForm(PageForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)], filters=[strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    next = HiddenField()


class NewPasswordMixin:
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=128)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))],
    )


class PasswordChangeForm(NewPasswordMixin, PageForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class PasswordForgotForm(PageForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[strip])


class PasswordResetForm(NewPasswordMixin, PageForm):
    pass


class InvitationForm(PageForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[strip])
    role = SelectField(
        _l("Role"),
        choices=Role.choices((Role.HOST, Role.COORDINATOR, Role.ADMIN)),
        validators=[DataRequired()],
    )
    company = SelectField(_l("Company (for a company coordinator)"), coerce=int, validators=[Optional()])
    school = SelectField(_l("School (for a school host)"), coerce=int, validators=[Optional()])


class NewAccountMixin:
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100), SingleLine()], filters=[strip])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=32)], filters=[strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=128)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class AcceptInvitationForm(NewAccountMixin, PageForm):
    pass
