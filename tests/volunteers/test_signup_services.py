"""Signup rules, called directly: places, waitlist, promotion, cancellation, conflicts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Role, TrainingStatus
from core.errors import DomainError
from events.models import SlotRole, VisitStatus
from events.services import cancel_visit, update_visit, visit_data
from mail.models import OutboxMessage
from volunteers import notices, signups, waitlist
from volunteers.models import SignupStatus


def sign(db_session, now, slot, user, **kw):
    signup, _ = signups.sign_up(db_session, slot_id=slot.id, volunteer=user, now=now, **kw)
    db_session.commit()
    return signup


def test_first_volunteers_are_confirmed_and_the_next_waitlisted_in_order(db_session, now, make_visit, make_user):
    slot = make_visit(capacity=2).slots[0]
    people = [make_user() for _ in range(4)]
    signups = [sign(db_session, now, slot, p) for p in people]
    assert [s.status for s in signups] == [SignupStatus.CONFIRMED] * 2 + [SignupStatus.WAITLISTED] * 2
    assert [waitlist.waitlist_position(db_session, s) for s in signups[2:]] == [1, 2]
    assert waitlist.waitlist_positions(db_session, signups) == {signups[2].id: 1, signups[3].id: 2}
    db_session.refresh(slot)
    assert (slot.taken, slot.waitlisted) == (2, 2)


def test_signing_up_twice_for_the_same_slot_gives_the_same_signup(db_session, now, make_visit, make_user):
    slot = make_visit().slots[0]
    user = make_user()
    first, created = signups.sign_up(db_session, slot_id=slot.id, volunteer=user, now=now)
    again, created_again = signups.sign_up(db_session, slot_id=slot.id, volunteer=user, now=now)
    assert (created, created_again) == (True, False)
    assert again.id == first.id


def test_another_slot_of_the_same_visit_is_already_signed_up(db_session, now, make_visit, make_user):
    visit = make_visit(roles=(SlotRole.ASSISTANT, SlotRole.DRIVER))
    user = make_user()
    sign(db_session, now, visit.slots[0], user)
    with pytest.raises(DomainError) as excinfo:
        signups.sign_up(db_session, slot_id=visit.slots[1].id, volunteer=user, now=now)
    assert excinfo.value.code == "already_signed_up"


@pytest.mark.parametrize("status", [VisitStatus.DRAFT, VisitStatus.CANCELLED, VisitStatus.COMPLETED])
def test_only_published_visits_take_signups(db_session, now, make_visit, make_user, status):
    slot = make_visit(status=status).slots[0]
    with pytest.raises(DomainError) as excinfo:
        signups.sign_up(db_session, slot_id=slot.id, volunteer=make_user(), now=now)
    assert excinfo.value.code == "visit_not_open"


def test_signup_is_closed_before_it_opens_and_from_the_close(db_session, now, make_visit, make_user):
    visit = make_visit()
    visit.signup_opens_at = now + timedelta(days=1)
    db_session.commit()
    with pytest.raises(DomainError) as early:
        signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=make_user(), now=now)
    with pytest.raises(DomainError) as late:
        signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=make_user(), now=visit.starts_at)
    assert early.value.code == late.value.code == "signup_closed"


def test_training_and_language_requirements_are_checked(db_session, now, make_visit, make_user):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.INTERPRETER))
    lead, interpreter = visit.slots
    lead.requires_training = True
    interpreter.required_language = "yi"
    db_session.commit()
    newcomer = make_user(languages=["mandarin"])
    for slot in (lead, interpreter):
        with pytest.raises(DomainError) as excinfo:
            signups.sign_up(db_session, slot_id=slot.id, volunteer=newcomer, now=now)
        assert excinfo.value.code == "requirement_missing"
    trained = make_user(languages=["yi"])
    trained.training_status = TrainingStatus.COMPLETED
    db_session.commit()
    assert sign(db_session, now, lead, trained).status == SignupStatus.CONFIRMED


def test_overlapping_visit_is_a_time_conflict_that_a_coordinator_may_override(
    db_session, now, make_visit, make_user, make_school
):
    first = make_visit(days_ahead=10)
    second = make_visit(school=make_school(), days_ahead=10)
    user = make_user()
    admin = make_user(Role.ADMIN)
    sign(db_session, now, first.slots[0], user)
    with pytest.raises(DomainError) as excinfo:
        signups.sign_up(db_session, slot_id=second.slots[0].id, volunteer=user, now=now)
    assert excinfo.value.code == "time_conflict"
    forced = sign(db_session, now, second.slots[0], user, by=admin, override_reason="Drives both teams")
    assert forced.override_reason == "Drives both teams"
    assert forced.assigned_by_id == admin.id


def test_a_company_coordinator_signs_up_only_their_own_people(db_session, now, make_visit, make_user, make_company):
    coordinator = make_user(Role.COORDINATOR)
    colleague = make_user(company=coordinator.company)
    stranger = make_user(company=make_company())
    slot = make_visit().slots[0]
    assert sign(db_session, now, slot, colleague, by=coordinator).assigned_by_id == coordinator.id
    with pytest.raises(DomainError) as excinfo:
        signups.sign_up(db_session, slot_id=slot.id, volunteer=stranger, now=now, by=coordinator)
    # not theirs to sign up: the same answer the API gives, without revealing who exists
    assert excinfo.value.code == "not_found"


def test_cancelling_a_place_promotes_the_first_eligible_and_the_skipped_keep_their_place(
    db_session, now, make_visit, make_user, make_school
):
    visit = make_visit(capacity=1)
    slot = visit.slots[0]
    holder, busy, next_ = make_user(), make_user(), make_user()
    sign(db_session, now, slot, holder)
    sign(db_session, now, slot, busy)
    sign(db_session, now, slot, next_)
    # `busy` is now confirmed elsewhere at the same time (a coordinator put them there).
    other = make_visit(school=make_school(), days_ahead=14)
    sign(db_session, now, other.slots[0], busy, by=make_user(Role.ADMIN), override_reason="needed")
    holder_signup = signups.active_signup(db_session, holder, visit.id)
    signups.cancel_signup(db_session, holder_signup, by=holder, now=now)
    db_session.commit()
    assert signups.active_signup(db_session, next_, visit.id).status == SignupStatus.CONFIRMED
    skipped = signups.active_signup(db_session, busy, visit.id)
    assert skipped.status == SignupStatus.WAITLISTED
    assert waitlist.waitlist_position(db_session, skipped) == 1
    promoted_mail = db_session.query(OutboxMessage).filter_by(recipient=next_.email).order_by(OutboxMessage.id).all()
    assert len(promoted_mail) == 2  # waitlisted, then promoted
    assert promoted_mail[-1].attachments[0]["filename"] == "visit.ics"


def test_volunteer_cannot_cancel_after_the_cutoff_but_a_coordinator_can(db_session, now, make_visit, make_user):
    visit = make_visit(days_ahead=3)
    user = make_user()
    signup = sign(db_session, now, visit.slots[0], user)
    late = visit.starts_at - timedelta(hours=23)
    with pytest.raises(DomainError) as excinfo:
        signups.cancel_signup(db_session, signup, by=user, now=late)
    assert excinfo.value.code == "cancel_cutoff_passed"
    signups.cancel_signup(db_session, signup, by=make_user(Role.ADMIN), now=late)
    assert signup.status == SignupStatus.CANCELLED


def test_raising_capacity_promotes_from_the_waitlist(db_session, now, make_visit, make_user):
    visit = make_visit(capacity=1)
    first, second = make_user(), make_user()
    sign(db_session, now, visit.slots[0], first)
    waiting = sign(db_session, now, visit.slots[0], second)
    data = visit_data(visit)
    data.slots[0].capacity = 2
    update_visit(db_session, visit, data, now=now)
    db_session.commit()
    db_session.refresh(waiting)
    assert waiting.status == SignupStatus.CONFIRMED


def test_moving_or_cancelling_a_visit_tells_everyone_signed_up(db_session, now, make_visit, make_user):
    visit = make_visit(capacity=1)
    confirmed, waiting = make_user(), make_user()
    sign(db_session, now, visit.slots[0], confirmed)
    sign(db_session, now, visit.slots[0], waiting)
    data = visit_data(visit)
    data.starts_at += timedelta(hours=1)
    data.lessons = []
    update_visit(db_session, visit, data, now=now)
    db_session.commit()
    for user in (confirmed, waiting):
        assert (
            db_session.query(OutboxMessage)
            .filter_by(recipient=user.email)
            .filter(OutboxMessage.subject.contains(visit.title))
            .count()
            == 2
        )
    cancel_visit(db_session, visit, now=now)
    db_session.commit()
    assert signups.active_signup(db_session, confirmed, visit.id) is None
    db_session.refresh(visit.slots[0])
    assert (visit.slots[0].taken, visit.slots[0].waitlisted) == (0, 0)
    cancelled_mail = (
        db_session.query(OutboxMessage).filter_by(recipient=waiting.email).order_by(OutboxMessage.id.desc()).first()
    )
    assert "STATUS:CANCELLED" in cancelled_mail.attachments[0]["content"]


def test_reminders_go_out_once_and_only_the_nearest_when_several_are_due(db_session, now, make_visit, make_user, app):
    visit = make_visit(days_ahead=3)
    user = make_user()
    sign(db_session, now, visit.slots[0], user)
    before = db_session.query(OutboxMessage).filter_by(recipient=user.email).count()
    assert notices.send_reminders(db_session, visit.starts_at - timedelta(hours=72)) == 0
    assert notices.send_reminders(db_session, visit.starts_at - timedelta(hours=47)) == 1
    assert notices.send_reminders(db_session, visit.starts_at - timedelta(hours=46)) == 0
    assert notices.send_reminders(db_session, visit.starts_at - timedelta(hours=2)) == 1
    assert notices.send_reminders(db_session, visit.starts_at - timedelta(hours=1)) == 0
    db_session.commit()
    assert db_session.query(OutboxMessage).filter_by(recipient=user.email).count() == before + 2

    late = make_user()
    sign(db_session, now, visit.slots[0], late)
    assert notices.send_reminders(db_session, visit.starts_at - timedelta(hours=2)) == 1  # the 3-hour one only
    assert notices.send_reminders(db_session, visit.starts_at - timedelta(hours=2)) == 0
