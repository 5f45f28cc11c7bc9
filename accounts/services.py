"""Account rules: passwords, sign-in, invitations, password resets and API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import and_, bindparam, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from accounts.models import ApiToken, Company, Invitation, PasswordReset, Role, User, UserRole
from accounts.token_cache import account_for
from core.db import is_database_id
from core.errors import DomainError
from core.security import hash_token, new_join_code, new_token
from core.timeutil import UTCDateTime
from core.urls import external_url
from mail.services import queue_message, queue_message_where

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    """Checked against when no account matches, so a failed login takes as long either way."""
    cache = current_app.extensions.setdefault("scivisit_dummy_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in cache:
        cache[method] = hash_password("not-a-real-password-0000")
    return cache[method]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, *, context: Iterable[str] = ()) -> None:
    """Refuse short passwords and ones a guesser tries first (zxcvbn's frequency lists).

    Raises: password_too_short, password_too_common.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError("password_too_short", field="password")
    if zxcvbn(password[:MAX_PASSWORD_LENGTH], user_inputs=[c for c in context if c])["score"] < 2:
        raise DomainError("password_too_common", field="password")


def check_company_for_roles(roles: Iterable[Role], company: Company | None) -> None:
    """A company coordinator belongs to the company they coordinate.

    Raises: company_required.
    """
    if Role.COORDINATOR in set(roles) and company is None:
        raise DomainError("company_required", field="company")


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    roles: Iterable[Role],
    now: datetime,
    company: Company | None = None,
    phone: str | None = None,
    languages: list[str] | None = None,
    locale: str | None = None,
) -> User:
    """Create an account after checking the email is free and the password is strong enough.

    Raises: company_required, password_too_short, password_too_common, email_taken (also when
    another request creates the address at the same moment).
    """
    roles = set(roles) or {Role.VOLUNTEER}
    check_company_for_roles(roles, company)
    check_password_strength(password, context=[normalise_email(email), name])
    return create_user_with_password_hash(
        session,
        email=email,
        name=name,
        password_hash=hash_password(password),
        roles=roles,
        now=now,
        company=company,
        phone=phone,
        languages=languages,
        locale=locale,
    )


def create_user_with_password_hash(
    session: Session,
    *,
    email: str,
    name: str,
    password_hash: str,
    roles: Iterable[Role],
    now: datetime,
    company: Company | None = None,
    phone: str | None = None,
    languages: list[str] | None = None,
    locale: str | None = None,
    last_locale: str | None = None,
) -> User:
    """Create an account whose password was checked and hashed earlier (a registration confirmed by mail).

    Raises: email_taken (also when another request creates the address at the same moment).
    """
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise DomainError("email_taken", field="email")
    try:
        # On PostgreSQL two requests can both find the address free; the unique email lets one through.
        with session.begin_nested():
            user = User(
                email=email,
                name=name.strip(),
                phone=(phone or "").strip() or None,
                password_hash=password_hash,
                company=company,
                languages=list(languages or []),
                locale=locale,
                last_locale=last_locale,
                created_at=now,
            )
            user.role_rows = [UserRole(role=role) for role in sorted(set(roles) or {Role.VOLUNTEER})]
            session.add(user)
    except IntegrityError:
        if find_user_by_email(session, email) is None:
            raise
        raise DomainError("email_taken", field="email") from None
    return user


def set_roles(user: User, roles: Iterable[Role]) -> None:
    wanted = set(roles)
    user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
        UserRole(role=role) for role in sorted(wanted - user.roles)
    ]


def authenticate(session: Session, email: str, password: str) -> User:
    """The active account with this email and password, or invalid_credentials (never which part).

    Raises: invalid_credentials.
    """
    user = find_user_by_email(session, email)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        raise DomainError("invalid_credentials")
    if not check_password_hash(user.password_hash, password):
        raise DomainError("invalid_credentials")
    return user


def end_sessions(user: User) -> None:
    """Every web session of this account stops authenticating (a copy of an old cookie included)."""
    user.session_nonce = new_token()[1][:32]


def revoke_credentials(session: Session, user: User, now: datetime) -> None:
    """Everything that could act as this person ends: sessions, API tokens, outstanding reset links."""
    end_sessions(user)
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def _set_password(session: Session, user: User, password: str, now: datetime) -> None:
    check_password_strength(password, context=[user.email, user.name])
    user.password_hash = hash_password(password)
    # A password changes because it may be known to someone else: nothing issued under it survives.
    revoke_credentials(session, user, now)


def change_password(session: Session, user: User, current: str, new: str, now: datetime) -> None:
    """Change a password after checking the current one; other sessions, API tokens and reset links end.

    Raises: wrong_password, password_too_short, password_too_common.
    """
    if not check_password_hash(user.password_hash, current):
        raise DomainError("wrong_password", field="current_password")
    try:
        _set_password(session, user, new, now)
    except DomainError as error:
        error.field = "new_password"
        raise
    session.flush()


def _reset_ttl() -> timedelta:
    return timedelta(minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"])


def issue_password_reset(session: Session, user: User, now: datetime) -> tuple[str, int]:
    """A new single-use reset link for this account (to mail to it) and the minutes it works for."""
    raw, digest = new_token()
    ttl = _reset_ttl()
    session.add(PasswordReset(user=user, token_hash=digest, created_at=now, expires_at=now + ttl))
    return external_url("accounts.reset_password", token=raw), int(ttl.total_seconds() // 60)


def request_password_reset(session: Session, email: str, now: datetime) -> None:
    """Mail a single-use reset link if an active account has this address; say nothing either way.

    The work is the same whether or not the account exists, so its time does not tell: one lookup,
    a token, the message rendered (for a stand-in when there is no account), then the same two
    INSERT ... SELECT statements, which write the reset and the message only for an active account.
    What still differs is the commit writing those rows to disk; only writing for addresses without
    an account, or doing the work after the request, would even that out.
    """
    email = normalise_email(email)
    account = and_(User.email == email, User.active.is_(True))
    # Columns, not the User: loading one would load its roles too, a statement only found accounts run.
    found = session.execute(select(User.name, func.coalesce(User.locale, User.last_locale)).where(account)).first()
    name, locale = found if found is not None else ("", None)
    raw, digest = new_token()
    ttl = _reset_ttl()
    session.execute(
        insert(PasswordReset).from_select(
            ["user_id", "token_hash", "created_at", "expires_at"],
            select(User.id, literal(digest), literal(now, UTCDateTime()), literal(now + ttl, UTCDateTime())).where(
                account
            ),
        )
    )
    queue_message_where(
        session,
        account,
        recipient=email,
        template="password_reset",
        locale=locale,
        now=now,
        name=name,
        link=external_url("accounts.reset_password", token=raw),
        minutes=int(ttl.total_seconds() // 60),
    )


def _usable_reset(session: Session, raw: str, now: datetime) -> PasswordReset:
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(raw)))
    if reset is None or reset.used_at is not None or reset.expires_at <= now or not reset.user.active:
        raise DomainError("invalid_token")
    return reset


def check_reset_token(session: Session, raw: str, now: datetime) -> None:
    """Whether a reset link can still be used.

    Raises: invalid_token.
    """
    _usable_reset(session, raw, now)


def reset_password(session: Session, raw: str, new_password: str, now: datetime) -> User:
    """Use a reset link once: set the new password; sessions, API tokens and the other reset links end.

    Raises: invalid_token, password_too_short, password_too_common.
    """
    reset = _usable_reset(session, raw, now)
    try:
        _set_password(session, reset.user, new_password, now)
    except DomainError as error:
        error.field = "new_password"
        raise
    reset.used_at = now
    session.flush()
    return reset.user


def create_company(session: Session, name: str, now: datetime) -> Company:
    """Add a partner company with a fresh join code.

    Raises: name_taken.
    """
    name = name.strip()
    if session.scalar(select(func.count()).select_from(Company).where(Company.name == name)):
        raise DomainError("name_taken", field="name")
    company = Company(name=name, join_code=new_join_code(), created_at=now)
    session.add(company)
    session.flush()
    return company


def company_for_join_code(session: Session, code: str) -> Company:
    """The company whose join code this is.

    Raises: invalid_join_code.
    """
    company = session.scalar(select(Company).where(Company.join_code == code.strip().upper()))
    if company is None:
        raise DomainError("invalid_join_code", field="join_code")
    return company


def invite(
    session: Session,
    *,
    email: str,
    role: Role,
    invited_by: User,
    now: datetime,
    company: Company | None = None,
    school=None,
) -> tuple[Invitation, str]:
    """Create a single-use, expiring invitation and mail its link; returns it and the raw token.

    Raises: email_taken, company_required, school_required.
    """
    if role == Role.COORDINATOR and company is None:
        raise DomainError("company_required", field="company")
    if role == Role.HOST and school is None:
        raise DomainError("school_required", field="school")
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise DomainError("email_taken", field="email")
    raw, digest = new_token()
    ttl = timedelta(hours=current_app.config["INVITATION_TTL_HOURS"])
    invitation = Invitation(
        email=email,
        role=role,
        company=company if role == Role.COORDINATOR else None,
        school=school if role == Role.HOST else None,
        token_hash=digest,
        created_by_id=invited_by.id,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invitation)
    session.flush()
    queue_message(
        session,
        recipient=email,
        template="invitation",
        locale=invited_by.mail_locale,
        now=now,
        invitation=invitation,
        inviter=invited_by,
        link=external_url("accounts.accept_invitation", token=raw),
    )
    return invitation, raw


def usable_invitation(session: Session, raw: str, now: datetime) -> Invitation:
    """The invitation behind a link, while it is unused, unrevoked and unexpired.

    Raises: invalid_token.
    """
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(raw)))
    if invitation is None or not invitation.is_usable(now):
        raise DomainError("invalid_token")
    return invitation


def accept_invitation(
    session: Session, raw: str, *, name: str, password: str, now: datetime, phone: str | None = None
) -> User:
    """Turn an invitation into an account with the invited role; the link then stops working.

    Raises: invalid_token, password_too_short, password_too_common.
    """
    invitation = usable_invitation(session, raw, now)
    # Take the invitation first, atomically: of several requests with the same link at the same
    # moment one gets it, the others wait for it to commit and then find it used (invalid_token).
    taken = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise DomainError("invalid_token")
    invitation.accepted_at = now
    user = create_user(
        session,
        email=invitation.email,
        name=name,
        password=password,
        roles={invitation.role},
        company=invitation.company,
        phone=phone,
        now=now,
    )
    if invitation.school is not None:
        invitation.school.hosts.append(user)
    session.flush()
    return user


def revoke_invitation(invitation: Invitation, now: datetime) -> None:
    invitation.revoked_at = invitation.revoked_at or now


def issue_api_token(session: Session, user: User, now: datetime) -> str:
    """A new bearer token for the API; only its hash is kept."""
    raw, digest = new_token()
    session.add(ApiToken(user=user, token_hash=digest, created_at=now))
    session.flush()
    return raw


@cache
def _token_user_query():
    """The active account of a live token (`token_hash`), with its roles: built once (every API call asks,
    and a statement kept skips its building and cache key), on first use (the mappers are configured then)."""
    return (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active.is_(True))
        .options(joinedload(User.role_rows))
    )


def user_for_api_token(session: Session, raw: str) -> User | None:
    """The active account a live token belongs to, with its roles (every API call asks): kept by the process
    while nothing it depends on changes (accounts.token_cache), else looked up in one query."""
    digest = hash_token(raw)
    return account_for(
        session, digest, lambda: session.scalars(_token_user_query(), {"token_hash": digest}).unique().one_or_none()
    )


def user_for_session(session: Session, session_id: str) -> User | None:
    """The active account a web session belongs to (`session_id`: `User.get_id()`, which the signed session cookie
    carries), with its roles: kept by the process as a token's account is; None once the account is disabled or
    its sessions were ended everywhere (a new nonce)."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not is_database_id(int(user_id)):
        return None

    def look_up() -> User | None:
        # the account with its roles in one statement (every signed-in request asks for them)
        user = session.get(User, int(user_id), options=[joinedload(User.role_rows)])
        return user if user is not None and user.active and user.session_nonce == nonce else None

    return account_for(session, f"session:{session_id}", look_up)


def revoke_api_token(session: Session, raw: str, now: datetime) -> bool:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = now
    session.flush()
    return True


def rotate_join_code(session: Session, company: Company, now: datetime) -> str:
    """Give a company a new join code; the old one stops working at once (accounts already made stay)."""
    old = company.join_code
    code = new_join_code()
    while code == old:
        code = new_join_code()
    company.join_code = code
    session.flush()
    return code


def confirm_password(user: User, password: str) -> None:
    """Ask for the password again before something that cannot be undone.

    Raises: wrong_password.
    """
    if not check_password_hash(user.password_hash, password):
        raise DomainError("wrong_password", field="password")
