"""Who may have which feed. One rule, in Python (listing and rotating a person's feeds) and in SQL (serving a
feed: part of its one change-stamp query, so a feed whose owner lost the right answers 404 at once).

A personal feed is for volunteers; a school's for its hosts; a company's for its coordinators. The public
programme feed is everyone's and has no owner.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, literal

from accounts.models import Role, User, UserRole
from calendars.models import FeedKind
from events.access import hosts_school
from events.models import School, school_host


def may_have_feed(user: User | None, kind: FeedKind, target_id: int, school: School | None = None) -> bool:
    """Whether `user` may subscribe to (and rotate) the feed of `kind` for `target_id` (`school`: that school)."""
    if user is None or not user.active:
        return False
    if kind == FeedKind.PERSONAL:
        return target_id == 0 and Role.VOLUNTEER in user.roles
    if kind == FeedKind.SCHOOL:
        return school is not None and school.id == target_id and hosts_school(user, school)
    if kind == FeedKind.COMPANY:
        return Role.COORDINATOR in user.roles and user.company_id is not None and user.company_id == target_id
    return False


def _has_role(user_id: int, role: Role) -> ColumnElement[bool]:
    return exists().where(UserRole.user_id == user_id, UserRole.role == role)


def still_entitled(kind: FeedKind, target_id, user_id, company_id) -> ColumnElement[bool]:
    """`may_have_feed` in SQL for a feed's (active) owner, whose company is `company_id` (values or bound
    parameters)."""
    if kind == FeedKind.PERSONAL:
        return and_(literal(0) == target_id, _has_role(user_id, Role.VOLUNTEER))
    if kind == FeedKind.SCHOOL:
        hosts = exists().where(school_host.c.school_id == target_id, school_host.c.user_id == user_id)
        return and_(_has_role(user_id, Role.HOST), hosts)
    if kind == FeedKind.COMPANY:
        return and_(company_id == target_id, _has_role(user_id, Role.COORDINATOR))
    return false()
