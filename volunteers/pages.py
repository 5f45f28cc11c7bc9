"""What the volunteers pages share: the message after a signup."""

from __future__ import annotations

from core.i18n import gettext as _
from extensions import db
from volunteers.models import Signup
from volunteers.waitlist import waitlist_position


def signed_up_message(result: tuple[Signup, bool], name: str | None = None) -> str:
    signup, created = result
    role = signup.slot.role.label
    if not created:
        return _("Already signed up as %(role)s.", role=role)
    position = waitlist_position(db.session, signup)
    if position is not None:
        if name:
            return _("The role is full: %(name)s is number %(position)s on the waitlist.", name=name, position=position)
        return _(
            "The role is full: you are number %(position)s on the waitlist. We will email you if a place frees up.",
            position=position,
        )
    if name:
        return _("%(name)s is signed up as %(role)s.", name=name, role=role)
    return _("You are signed up as %(role)s. A confirmation is on its way by email.", role=role)
