"""Who may sign whom up, change a signup, and see which roster. One predicate per question.

Services call these and raise the answer as a domain error, so the page and the API that
call the service give the same answer; "not yours" is `not_found`, so existence is not revealed.
"""

from __future__ import annotations

from accounts.access import acts_for
from accounts.models import Role, User
from events.access import hosts_school
from events.models import Visit
from volunteers.models import Signup, SignupStatus

#: what `roster_view` answers: the whole roster with contact details, or the school's view of the team
FULL_ROSTER = "full"
TEAM_ROSTER = "team"


def offers_signup(user: User | None) -> bool:
    """Signup buttons are for volunteers, and for anonymous visitors (who are asked to log in first)."""
    return user is None or Role.VOLUNTEER in user.roles


def signs_up_colleagues(user: User | None) -> bool:
    """Company coordinators sign their colleagues up."""
    return user is not None and Role.COORDINATOR in user.roles


def signs_up_others(user: User) -> bool:
    """Programme and company coordinators sign other people up."""
    return user.is_admin or Role.COORDINATOR in user.roles


def signup_refusal(actor: User, volunteer: User) -> str | None:
    """Why `actor` may not sign `volunteer` up, as an error code; None when they may.

    Only volunteers take places. Oneself: `forbidden` for an account without the volunteer
    role. Someone else: `forbidden` for people who sign nobody up, `not_found` for anyone who
    is not theirs to sign up (an admin: anyone; a company coordinator: their company's people).
    """
    if actor.id == volunteer.id:
        return None if Role.VOLUNTEER in volunteer.roles else "forbidden"
    if not signs_up_others(actor):
        return "forbidden"
    if Role.VOLUNTEER not in volunteer.roles or not volunteer.active or not acts_for(actor, volunteer):
        return "not_found"
    return None


def can_change_signup(actor: User | None, signup: Signup) -> bool:
    """The volunteer themself, programme coordinators and the volunteer's company coordinator."""
    return actor is not None and (actor.id == signup.user_id or acts_for(actor, signup.user))


def overrides_rules(actor: User, signup_user: User) -> bool:
    """Coordinators acting for someone else may override windows, requirements, conflicts and the cutoff."""
    return actor.id != signup_user.id and acts_for(actor, signup_user)


def manages_rosters(user: User | None) -> bool:
    """Programme coordinators assign, move and mark no-shows."""
    return user is not None and user.is_admin


def sees_day_of(user: User | None, visit: Visit, signup: Signup | None) -> bool:
    """What a visit's team needs on the day (the school's address and travel notes, the lead instructor's
    phone) is for volunteers with a place in it (`signup`: their own, confirmed or attended), the school's
    hosts and programme coordinators; not for anyone waiting or browsing."""
    if user is None:
        return False
    if user.is_admin or hosts_school(user, visit.school):
        return True
    return (
        signup is not None
        and signup.user_id == user.id
        and signup.visit_id == visit.id
        and signup.status in (SignupStatus.CONFIRMED, SignupStatus.ATTENDED)
    )


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
