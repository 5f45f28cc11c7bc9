"""Who may do what: every access rule of the app, in one place.

Views declare what they need with `requires(...)`; object rules are plain predicates.
This module depends on models only, so services and views of every package can use it.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, or_, select

from accounts.models import Role, User
from events.models import School, Visit, VisitStatus, school_host
from extensions import login_manager

ANYONE = "anyone"
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
    return current_user if current_user.is_authenticated else None


def visible_visits(user: User | None) -> Select:
    """Admins see every visit, hosts every visit to their schools, everyone else the non-drafts."""
    query = select(Visit)
    if user is None:
        return query.where(Visit.status != VisitStatus.DRAFT)
    if user.is_admin:
        return query
    conditions = [Visit.status != VisitStatus.DRAFT]
    if Role.HOST in user.roles:
        conditions.append(Visit.school_id.in_(select(school_host.c.school_id).where(school_host.c.user_id == user.id)))
    return query.where(or_(*conditions))


def hosts_school(user: User | None, school: School) -> bool:
    return user is not None and Role.HOST in user.roles and any(h.id == user.id for h in school.hosts)


def can_see_visit(user: User | None, visit: Visit) -> bool:
    if visit.status != VisitStatus.DRAFT:
        return True
    return user is not None and (user.is_admin or hosts_school(user, visit.school))


def can_see_school(user: User | None, school: School) -> bool:
    return user is not None and (user.is_admin or hosts_school(user, school))


def can_manage(user: User | None) -> bool:
    """Schools, visits, kit types, companies and people are managed by programme coordinators."""
    return user is not None and user.is_admin


def can_see_contact(viewer_: User | None, person: User) -> bool:
    """Email and phone are for the person themself and programme coordinators."""
    return viewer_ is not None and (viewer_.id == person.id or viewer_.is_admin)


#: what `roster_view` answers: the whole roster with contact details, or the school's view of the team
FULL_ROSTER = "full"
TEAM_ROSTER = "team"


def roster_view(user: User | None, visit: Visit) -> str | None:
    """Which roster of a visit a person sees, if any.

    Programme coordinators: everyone with role, status, waitlist order and contact details.
    The school's hosts: first names and roles, and the lead instructor's phone; nothing else personal.
    """
    if user is None:
        return None
    if user.is_admin:
        return FULL_ROSTER
    if hosts_school(user, visit.school):
        return TEAM_ROSTER
    return None
