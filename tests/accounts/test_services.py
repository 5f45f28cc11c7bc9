"""Account rules, called directly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts import services
from accounts.models import Invitation, PasswordReset, Role
from core.errors import DomainError
from mail.models import OutboxMessage
from tests.conftest import PASSWORD


def codes(excinfo) -> str:
    return excinfo.value.code


def test_short_password_is_refused_with_password_too_short(db_session, now):
    with pytest.raises(DomainError) as excinfo:
        services.create_user(
            db_session, email="a@example.com", name="A", password="Ab3$xyz", roles={Role.VOLUNTEER}, now=now
        )
    assert codes(excinfo) == "password_too_short"


@pytest.mark.parametrize("password", ["password123", "12345678", "qwertyuiop", "iloveyou1"])
def test_common_password_is_refused_with_password_too_common(db_session, now, password):
    with pytest.raises(DomainError) as excinfo:
        services.create_user(
            db_session, email="a@example.com", name="A", password=password, roles={Role.VOLUNTEER}, now=now
        )
    assert codes(excinfo) == "password_too_common"


def test_password_is_stored_hashed_with_the_configured_method(make_user):
    user = make_user()
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:sha256:1000$")


def test_production_default_hash_is_scrypt(tmp_path, monkeypatch):
    from config import from_environment

    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    assert from_environment(tmp_path)["PASSWORD_HASH_METHOD"] == "scrypt"


def test_email_is_unique_whatever_its_case(make_user, db_session, now):
    make_user(email="Li.Na@Example.com")
    with pytest.raises(DomainError) as excinfo:
        services.create_user(db_session, email="li.na@example.COM ", name="B", password=PASSWORD, roles=set(), now=now)
    assert codes(excinfo) == "email_taken"


def test_a_company_coordinator_needs_a_company(db_session, now):
    with pytest.raises(DomainError) as excinfo:
        services.create_user(
            db_session, email="c@example.com", name="C", password=PASSWORD, roles={Role.COORDINATOR}, now=now
        )
    assert codes(excinfo) == "company_required"


def test_a_person_may_hold_several_roles(make_user):
    user = make_user(Role.HOST, Role.VOLUNTEER)
    assert user.roles == {Role.HOST, Role.VOLUNTEER}


def test_authenticate_gives_the_same_code_for_a_wrong_password_and_an_unknown_account(make_user, db_session):
    user = make_user()
    with pytest.raises(DomainError) as wrong:
        services.authenticate(db_session, user.email, "not-the-password")
    with pytest.raises(DomainError) as unknown:
        services.authenticate(db_session, "nobody@example.com", PASSWORD)
    assert codes(wrong) == codes(unknown) == "invalid_credentials"


def test_a_deactivated_account_cannot_log_in(make_user, db_session):
    user = make_user()
    user.active = False
    with pytest.raises(DomainError) as excinfo:
        services.authenticate(db_session, user.email, PASSWORD)
    assert codes(excinfo) == "invalid_credentials"


def test_change_password_checks_the_current_one_and_ends_other_sessions(make_user, db_session, now):
    user = make_user()
    old_session_id = user.get_id()
    with pytest.raises(DomainError) as excinfo:
        services.change_password(db_session, user, "wrong", "a-brand-new-passphrase", now)
    assert codes(excinfo) == "wrong_password"
    services.change_password(db_session, user, PASSWORD, "a-brand-new-passphrase", now)
    assert user.get_id() != old_session_id
    assert services.authenticate(db_session, user.email, "a-brand-new-passphrase") is user


def test_password_reset_link_works_once_and_expires(make_user, db_session, now):
    user = make_user()
    services.request_password_reset(db_session, user.email, now)
    message = db_session.query(OutboxMessage).one()
    assert message.recipient == user.email
    token = message.body.split("/password/reset/")[1].split()[0]
    reset = db_session.query(PasswordReset).one()
    assert token not in reset.token_hash  # only the hash is stored

    with pytest.raises(DomainError) as expired:
        services.reset_password(db_session, token, "another-long-passphrase", now + timedelta(hours=2))
    assert codes(expired) == "invalid_token"

    services.reset_password(db_session, token, "another-long-passphrase", now + timedelta(minutes=5))
    with pytest.raises(DomainError) as reused:
        services.reset_password(db_session, token, "yet-another-passphrase", now + timedelta(minutes=6))
    assert codes(reused) == "invalid_token"


def test_password_reset_for_an_unknown_email_sends_nothing(db_session, now):
    services.request_password_reset(db_session, "nobody@example.com", now)
    assert db_session.query(OutboxMessage).count() == 0
    assert db_session.query(PasswordReset).count() == 0


def test_password_reset_for_a_deactivated_account_sends_nothing(make_user, db_session, now):
    user = make_user()
    user.active = False
    db_session.commit()
    services.request_password_reset(db_session, user.email.upper(), now)
    assert db_session.query(OutboxMessage).count() == 0
    assert db_session.query(PasswordReset).count() == 0


def test_password_reset_is_mailed_in_the_account_s_language_to_its_address(make_user, db_session, now):
    user = make_user(name="Ada Lovelace", locale="en")
    services.request_password_reset(db_session, f"  {user.email.upper()} ", now)
    message = db_session.query(OutboxMessage).one()
    assert (message.recipient, message.template, message.subject) == (
        user.email,
        "password_reset",
        "Reset your SciVisit password",
    )
    assert message.body.startswith("Hello Ada Lovelace,")
    reset = db_session.query(PasswordReset).one()
    assert (reset.user_id, reset.created_at, reset.expires_at) == (user.id, now, now + timedelta(minutes=60))


def test_invitation_creates_a_host_of_the_school_once(make_user, make_school, db_session, now):
    admin = make_user(Role.ADMIN)
    school = make_school()
    _, token = services.invite(
        db_session, email="teacher@school.cn", role=Role.HOST, invited_by=admin, now=now, school=school
    )
    assert db_session.query(OutboxMessage).filter_by(recipient="teacher@school.cn").count() == 1
    user = services.accept_invitation(db_session, token, name="陈老师", password=PASSWORD, now=now)
    assert user.roles == {Role.HOST}
    assert user in school.hosts
    with pytest.raises(DomainError) as excinfo:
        services.accept_invitation(db_session, token, name="Again", password=PASSWORD, now=now)
    assert codes(excinfo) == "invalid_token"


def test_expired_or_withdrawn_invitation_is_invalid(make_user, make_company, db_session, now):
    admin = make_user(Role.ADMIN)
    company = make_company()
    _, expired = services.invite(
        db_session, email="a@corp.com", role=Role.COORDINATOR, invited_by=admin, now=now, company=company
    )
    invitation, withdrawn = services.invite(
        db_session, email="b@corp.com", role=Role.COORDINATOR, invited_by=admin, now=now, company=company
    )
    services.revoke_invitation(invitation, now)
    later = now + timedelta(days=8)
    for token, when in ((expired, later), (withdrawn, now)):
        with pytest.raises(DomainError) as excinfo:
            services.usable_invitation(db_session, token, when)
        assert codes(excinfo) == "invalid_token"


def test_a_host_invitation_needs_a_school_and_a_coordinator_one_a_company(make_user, db_session, now):
    admin = make_user(Role.ADMIN)
    with pytest.raises(DomainError) as host:
        services.invite(db_session, email="h@x.cn", role=Role.HOST, invited_by=admin, now=now)
    with pytest.raises(DomainError) as coordinator:
        services.invite(db_session, email="c@x.cn", role=Role.COORDINATOR, invited_by=admin, now=now)
    assert (codes(host), codes(coordinator)) == ("school_required", "company_required")
    assert db_session.query(Invitation).count() == 0


def test_api_tokens_are_stored_hashed_and_can_be_revoked(make_user, db_session, now):
    user = make_user()
    raw = services.issue_api_token(db_session, user, now)
    assert len(raw) >= 32
    assert services.user_for_api_token(db_session, raw) is user
    assert services.revoke_api_token(db_session, raw, now) is True
    assert services.user_for_api_token(db_session, raw) is None


def test_join_codes_are_long_random_and_unique(make_company):
    codes_ = {make_company().join_code for _ in range(20)}
    assert len(codes_) == 20
    assert all(len(code) == 10 for code in codes_)
