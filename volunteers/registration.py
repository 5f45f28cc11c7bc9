"""Joining and profiles: registration with a join code, one's own details, the people list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from accounts.models import Company, Role, TrainingStatus, User, UserRole
from accounts.services import company_for_join_code, create_user
from core.errors import DomainError
from core.i18n import LOCALES, SPOKEN_LANGUAGES


def _check_languages(languages: list[str]) -> list[str]:
    unknown = [code for code in languages if code not in SPOKEN_LANGUAGES]
    if unknown:
        raise DomainError("validation_error", field="languages")
    return sorted(set(languages))


def register_volunteer(
    session: Session,
    *,
    join_code: str,
    email: str,
    name: str,
    password: str,
    now: datetime,
    phone: str | None = None,
    languages: list[str] | None = None,
    locale: str | None = None,
) -> User:
    """A volunteer registers themself as staff of the company whose join code they have.

    Raises: invalid_join_code, email_taken, password_too_short, password_too_common, validation_error (languages).
    """
    company = company_for_join_code(session, join_code)
    return create_user(
        session,
        email=email,
        name=name,
        password=password,
        roles={Role.VOLUNTEER},
        company=company,
        phone=phone,
        languages=_check_languages(languages or []),
        locale=locale,
        now=now,
    )


PROFILE_FIELDS = ("name", "phone", "languages", "skills", "locale")


def update_profile(session: Session, user: User, values: dict) -> User:
    """Change what a person may change about themself.

    Raises: validation_error (languages, locale).
    """
    if "languages" in values:
        values["languages"] = _check_languages(values["languages"])
    if values.get("locale") not in (None, *LOCALES):
        raise DomainError("validation_error", field="locale")
    for key in PROFILE_FIELDS:
        if key in values:
            value = values[key]
            setattr(user, key, value.strip() if isinstance(value, str) else value)
    user.phone = user.phone or None
    session.flush()
    return user


def set_training(user: User, status: TrainingStatus) -> None:
    user.training_status = status


def people_query(*, role: Role | None = None, company_id: int | None = None, search: str = "") -> Select:
    """Accounts for the admin's list, filtered."""
    query = select(User).order_by(User.name, User.id)
    if role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if company_id:
        query = query.where(User.company_id == company_id)
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where((User.email.like(like)) | (User.name.ilike(like)))
    return query


def companies(session: Session) -> list[Company]:
    return list(session.scalars(select(Company).order_by(Company.name)))
