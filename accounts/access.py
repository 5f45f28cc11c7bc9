"""Who may do what, for questions about people and roles: the `requires` guard of every face.

Each access question has one predicate, which pages and API endpoints both call, so the two
faces give one answer. Questions about visits live in events/access.py, about signups and
rosters in volunteers/access.py.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from accounts.models import Role, User
from extensions import login_manager

SIGNED_IN = "signed_in"


def requires(*roles: Role | str):
    """Allow a view to signed-in people holding one of `roles` (SIGNED_IN: any account).

    Anonymous visitors are sent to log in (401 on the API); others get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if SIGNED_IN not in roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_roles = roles
        return wrapper

    return decorator


def viewer() -> User | None:
    """The signed-in person, or None for an anonymous visitor."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def can_see_contact(viewer_: User | None, person: User) -> bool:
    """Email and phone are for the person themself and programme coordinators."""
    return viewer_ is not None and (viewer_.id == person.id or viewer_.is_admin)


def acts_for(actor: User, person: User) -> bool:
    """Programme coordinators act for anyone; a company coordinator for their own company's people."""
    if actor.is_admin:
        return True
    return Role.COORDINATOR in actor.roles and actor.company_id is not None and actor.company_id == person.company_id
