"""Who may check people in and out, and see who came. One rule, in Python and (for the scan's one
SELECT) in SQL: programme coordinators, and the hosts of the visit's school."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from accounts.models import User
from events.models import Visit, school_host


def can_scan(user: User | None, visit: Visit) -> bool:
    """Programme coordinators and the hosts of the visit's school check volunteers in and out."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or any(host.id == user.id for host in visit.school.hosts)


def scanner_hosts_visit(user: User) -> ColumnElement[bool]:
    """SQL: the user hosts the school of `Visit` (the admin half of `can_scan` needs no query)."""
    return exists().where(school_host.c.school_id == Visit.school_id, school_host.c.user_id == user.id)
