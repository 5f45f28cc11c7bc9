"""Personal data: everything kept about a person, for them to download, and erasing an account."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from accounts.services import hash_password, revoke_credentials, set_roles
from events.models import Visit, school_host
from volunteers.models import ACTIVE_STATUSES, Signup
from volunteers.signups import withdraw


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def personal_data(session: Session, user: User) -> dict:
    """Everything SciVisit keeps about a person, for them to download."""
    signups = session.scalars(
        select(Signup)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(Signup.user_id == user.id)
        .order_by(Visit.starts_at, Signup.id)
    ).all()
    company = user.company
    return {
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "phone": user.phone,
            "languages": list(user.languages or []),
            "skills": user.skills,
            "training_status": user.training_status.value,
            "locale": user.locale,
            "last_locale": user.last_locale,
            "roles": sorted(role.value for role in user.roles),
            "created_at": _iso(user.created_at),
        },
        "company": {"id": company.id, "name": company.name} if company else None,
        "signups": [
            {
                "id": s.id,
                "role": s.slot.role.value,
                "status": s.status.value,
                "created_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
                "cancelled_at": _iso(s.cancelled_at),
                "override_reason": s.override_reason,
                "visit": {
                    "id": s.visit.id,
                    "title": s.visit.title,
                    "school": s.visit.school.name,
                    "starts_at": _iso(s.visit.starts_at),
                    "ends_at": _iso(s.visit.ends_at),
                    "status": s.visit.status.value,
                },
            }
            for s in signups
        ],
    }


def delete_account(session: Session, user: User, now: datetime) -> None:
    """Erase a person at their request: future signups end (places go to those waiting), the rest is anonymised.

    Past signups stay, without a name, so the programme's hours and totals stay true.
    The person is not mailed about the cancellations: they asked for their address to be forgotten.
    """
    future = session.scalars(
        select(Signup)
        .join(Visit, Signup.visit_id == Visit.id)
        .where(Signup.user_id == user.id, Signup.status.in_(ACTIVE_STATUSES), Visit.starts_at > now)
        .order_by(Signup.id)
    ).all()
    for signup in future:
        withdraw(session, signup, now)
    user.name = "—"
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.phone = None
    user.languages = []
    user.skills = ""
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.active = False
    set_roles(user, user.roles & {Role.VOLUNTEER})
    session.execute(delete(school_host).where(school_host.c.user_id == user.id))
    revoke_credentials(session, user, now)
    session.flush()
