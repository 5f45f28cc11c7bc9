"""Who may check people in and out, and see who came. One rule, in Python and (for the scan's one
SELECT) in SQL: programme coordinators, and the hosts of the visit's school."""

from __future__ import annotations

from sqlalchemy import BindParameter, ColumnElement, exists

from accounts.models import User
from events.models import Visit, school_host


def can_scan(user: User | None, visit: Visit) -> bool:
    """Programme coordinators and the hosts of the visit's school check volunteers in and out."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or any(host.id == user.id for host in visit.school.hosts)


def scanner_hosts_visit(user: User | BindParameter[int]) -> ColumnElement[bool]:
    """SQL: the user (or the user id bound to a parameter) hosts the school of the visit row (the admin
    half of `can_scan` needs no query). On the visit table's own columns, so a Core SELECT may use it."""
    user_id = user.id if isinstance(user, User) else user
    visit = Visit.__table__
    return exists().where(school_host.c.school_id == visit.c.school_id, school_host.c.user_id == user_id)
