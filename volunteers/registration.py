"""Joining and profiles: registration with a join code (confirmed by mail), one's own details, the people list."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, lazyload

from accounts.models import Company, Role, TrainingStatus, User, UserRole
from accounts.services import (
    check_company_for_roles,
    check_password_strength,
    company_for_join_code,
    create_user_with_password_hash,
    hash_password,
    issue_password_reset,
    normalise_email,
    set_roles,
)
from core.errors import DomainError
from core.i18n import LOCALES, SPOKEN_LANGUAGES
from core.security import hash_token, new_token
from core.urls import external_url
from mail.services import queue_message
from volunteers.models import MAX_NEXT_LENGTH, PendingRegistration


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
    next_url: str = "",
) -> None:
    """A volunteer registers with their company's join code: the address gets a mail, and no account is made yet.

    The join code, the languages and the password are checked first: none depends on the address, so
    their errors still answer on the form. Then a new address is mailed a single-use link that creates
    the account (`confirm_registration`); an address that has an account is not registered again, and
    its owner is mailed a login link and a fresh password-reset link instead. The caller answers both
    the same.

    The work is the same too, so its time does not tell: both hash the password and run the same
    statements (expired registrations purged, one lookup of the address, one token row and one message).
    The token row is the registration for a new address and the owner's reset link for a known one, so
    nothing is stored only to even out the count; what differs is the table it goes to and the message.

    Raises: invalid_join_code, password_too_short, password_too_common, validation_error (languages).
    """
    company = company_for_join_code(session, join_code)
    languages = _check_languages(languages or [])
    email = normalise_email(email)
    check_password_strength(password, context=[email, name])
    # Hashed for a known address too: the hash is the slowest step, and skipping it would tell.
    password_hash = hash_password(password)
    session.execute(
        delete(PendingRegistration)
        .where(PendingRegistration.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    # Not find_user_by_email: it loads the roles too, a statement only a known address would run.
    owner = session.scalar(select(User).where(User.email == email).options(lazyload(User.role_rows)))
    if owner is not None:
        _tell_the_owner(session, owner, now=now, next_url=next_url)
        return
    raw, digest = new_token()
    ttl = timedelta(hours=current_app.config["REGISTRATION_TTL_HOURS"])
    session.add(
        PendingRegistration(
            email=email,
            name=name.strip(),
            phone=(phone or "").strip() or None,
            languages=languages,
            locale=locale,
            password_hash=password_hash,
            company_id=company.id,
            next_url=next_url if len(next_url) <= MAX_NEXT_LENGTH else "",
            token_hash=digest,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    queue_message(
        session,
        recipient=email,
        template="confirm_registration",
        locale=locale,
        now=now,
        name=name.strip(),
        company=company.name,
        link=external_url("volunteers.confirm_registration", token=raw),
        hours=current_app.config["REGISTRATION_TTL_HOURS"],
    )


def _tell_the_owner(session: Session, owner: User, *, now: datetime, next_url: str) -> None:
    """Mail an account's owner that someone registered with their address, with ways back in."""
    reset_link, minutes = issue_password_reset(session, owner, now)
    queue_message(
        session,
        recipient=owner.email,
        template="registration_account_exists",
        locale=owner.mail_locale,
        now=now,
        name=owner.name,
        login_link=external_url("accounts.login", next=next_url or None),
        reset_link=reset_link,
        minutes=minutes,
    )


def usable_registration(session: Session, raw: str, now: datetime) -> PendingRegistration:
    """The registration behind a confirmation link, while it is unused and unexpired.

    Raises: invalid_token.
    """
    pending = session.scalar(select(PendingRegistration).where(PendingRegistration.token_hash == hash_token(raw)))
    if pending is None or not pending.is_usable(now):
        raise DomainError("invalid_token")
    return pending


def confirm_registration(session: Session, raw: str, now: datetime) -> User:
    """Create the volunteer account a confirmation link stands for; the link then stops working.

    Raises: invalid_token, email_taken (an account with the address was made since, by anyone).
    """
    pending = usable_registration(session, raw, now)
    user = create_user_with_password_hash(
        session,
        email=pending.email,
        name=pending.name,
        password_hash=pending.password_hash,
        roles={Role.VOLUNTEER},
        company=pending.company,
        phone=pending.phone,
        languages=pending.languages,
        # The language the form was read in is the browser's, not a choice: a hint for mail only.
        last_locale=pending.locale,
        now=now,
    )
    pending.used_at = now
    session.flush()
    return user


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


#: what a programme coordinator may change about someone (`update_person`)
PERSON_FIELDS = ("name", "roles", "company", "training_status")


def update_person(session: Session, person: User, values: dict) -> User:
    """A programme coordinator changes someone's name, roles, company or training status (the keys given).

    Raises: validation_error (a blank name, no role), company_required (a company coordinator without a
    company), last_admin (taking the role from the last active programme coordinator, themself included).
    """
    name = values["name"].strip() if "name" in values else person.name
    roles = set(values["roles"]) if "roles" in values else person.roles
    company = values.get("company", person.company)
    if not name:
        raise DomainError("validation_error", field="name")
    if not roles:
        raise DomainError("validation_error", field="roles")
    check_company_for_roles(roles, company)
    if Role.ADMIN in person.roles and Role.ADMIN not in roles and not _other_admins(session, person):
        raise DomainError("last_admin", field="roles")
    person.name = name
    set_roles(person, roles)
    person.company = company
    if "training_status" in values:
        person.training_status = TrainingStatus(values["training_status"])
    session.flush()
    return person


def _other_admins(session: Session, person: User) -> int:
    """Active programme coordinators other than `person`.

    Every admin role row is locked first (PostgreSQL), so two coordinators taking the role from each
    other at the same moment cannot leave none: the second counts again after the first commits.
    """
    admins = session.scalars(select(UserRole.user_id).where(UserRole.role == Role.ADMIN).with_for_update()).all()
    others = [user_id for user_id in admins if user_id != person.id]
    return session.scalar(select(func.count(User.id)).where(User.id.in_(others), User.active.is_(True))) or 0


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
