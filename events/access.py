"""Who may see and change schools and visits. One predicate per question, for pages and API alike."""

from __future__ import annotations

from sqlalchemy import Select, false, or_, select

from accounts.models import Role, User
from events.models import School, Visit, VisitStatus, school_host


def visible_visits(user: User | None) -> Select:
    """Admins see every visit, hosts every visit to their schools, everyone else the non-drafts."""
    query = select(Visit)
    if user is None:
        return query.where(Visit.status != VisitStatus.DRAFT)
    if user.is_admin:
        return query
    conditions = [Visit.status != VisitStatus.DRAFT]
    if Role.HOST in user.roles:
        conditions.append(Visit.school_id.in_(hosted_school_ids(user)))
    return query.where(or_(*conditions))


def hosted_school_ids(user: User) -> Select:
    """The ids of the schools this person hosts, as a subquery."""
    return select(school_host.c.school_id).where(school_host.c.user_id == user.id)


def visible_schools(user: User | None) -> Select:
    """Programme coordinators see every school, anyone else the schools they host."""
    query = select(School)
    if can_plan(user):
        return query
    if user is None:
        return query.where(false())
    return query.where(School.id.in_(hosted_school_ids(user)))


def sees_drafts(user: User | None) -> bool:
    """Programme coordinators see every draft visit, hosts the drafts at their schools."""
    return user is not None and (user.is_admin or may_host(user))


def may_host(user: User | None) -> bool:
    """Whether this person hosts schools at all: only then does `hosts_school` read a school's hosts (so a list
    of schools loads them ahead only for such a reader)."""
    return user is not None and Role.HOST in user.roles


def hosts_school(user: User | None, school: School) -> bool:
    return may_host(user) and any(h.id == user.id for h in school.hosts)


def can_see_visit(user: User | None, visit: Visit) -> bool:
    """Published, cancelled and completed visits are public (a cancelled one shows as cancelled); drafts are not."""
    if visit.status != VisitStatus.DRAFT:
        return True
    return user is not None and (user.is_admin or hosts_school(user, visit.school))


def can_see_school(user: User | None, school: School) -> bool:
    """A school's page (with its travel and connectivity notes) is for programme coordinators and its hosts."""
    return user is not None and (user.is_admin or hosts_school(user, school))


def can_plan(user: User | None) -> bool:
    """Programme coordinators plan schools and visits: create, edit, publish, cancel, complete."""
    return user is not None and user.is_admin


def can_see_kits(user: User | None, visit: Visit) -> bool:
    """A visit's kits (reserved, shipped, arrived, used) are for programme coordinators and the school's hosts,
    who confirm arrivals and record what was used; volunteers see no kit controls."""
    return user is not None and (user.is_admin or hosts_school(user, visit.school))
