"""Who sees which report: one predicate per question, for pages and API alike. The programme's figures are
for programme coordinators (`requires(Role.ADMIN)`); a person's own hours for themself."""

from __future__ import annotations

from accounts.models import Role, User
from events.access import can_see_school
from events.models import School


def sees_company(user: User | None, company_id: int) -> bool:
    """A company's report (its people's hours by name): its company coordinators and programme coordinators."""
    if user is None:
        return False
    return user.is_admin or (Role.COORDINATOR in user.roles and user.company_id == company_id)


def sees_school_report(user: User | None, school: School) -> bool:
    """What a school received: its hosts and programme coordinators (as its page)."""
    return can_see_school(user, school)
