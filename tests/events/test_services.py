"""The rules for schools and visits, called directly; assertions are on error codes and data."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from accounts.models import Role
from core.errors import DomainError, all_problems
from events.models import SlotRole, VisitStatus
from events.queries import VisitFilter, list_visits, public_visits
from events.services import (
    LessonData,
    SatelliteData,
    SlotData,
    cancel_visit,
    complete_visit,
    create_school,
    create_visit,
    publish_visit,
    update_visit,
    visit_data,
)
from tests.events.conftest import at_school, day_ahead
from tests.events.conftest import visit_data as data_for


def codes(error: DomainError) -> dict[str, str | None]:
    return {problem.code: problem.field for problem in all_problems(error)}


def rejected(session, data, *, now, visit=None) -> dict[str, str | None]:
    with pytest.raises(DomainError) as caught:
        if visit is None:
            create_visit(session, data, now=now)
        else:
            update_visit(session, visit, data, now=now)
    session.rollback()
    return codes(caught.value)


# ---------------------------------------------------------------- times


def test_a_visit_that_ends_before_it_starts_is_end_before_start(db_session, make_school, now):
    school = make_school()
    data = data_for(school, start=time(15), end=time(9))
    assert rejected(db_session, data, now=now)["end_before_start"] == "ends_at"


def test_a_lesson_that_ends_before_it_starts_is_end_before_start(db_session, make_school, now):
    school = make_school()
    lesson = LessonData(title="Rover", grade=4, starts_at=at_school(school, 11), ends_at=at_school(school, 10))
    assert rejected(db_session, data_for(school, lessons=[lesson]), now=now) == {
        "end_before_start": "lessons-0-ends_at"
    }


def test_a_lesson_after_the_visit_ends_is_lesson_outside_visit(db_session, make_school, now):
    school = make_school()
    inside = LessonData(title="Egg", grade=3, starts_at=at_school(school, 10), ends_at=at_school(school, 11))
    outside = LessonData(title="Rover", grade=4, starts_at=at_school(school, 14), ends_at=at_school(school, 16))
    data = data_for(school, lessons=[inside, outside])
    assert rejected(db_session, data, now=now) == {"lesson_outside_visit": "lessons-1-starts_at"}


def test_a_visit_over_two_days_is_visit_not_single_day(db_session, make_school, now):
    school = make_school()
    data = data_for(school, start=time(9), end=time(8), end_day=day_ahead(15, school.timezone))
    assert rejected(db_session, data, now=now) == {"visit_not_single_day": "ends_at"}


def test_one_day_is_the_schools_day_even_when_the_visit_crosses_midnight_utc(db_session, make_school, now):
    school = make_school(timezone="Asia/Urumqi")  # UTC+6: 05:00-08:00 there is 23:00-02:00 UTC
    data = data_for(school, start=time(5), end=time(8))
    assert data.starts_at.date() != data.ends_at.date()
    visit = create_visit(db_session, data, now=now)
    assert visit.id is not None


def test_signup_opening_after_it_closes_is_signup_window_invalid(db_session, make_school, now):
    school = make_school()
    data = data_for(school, signup_opens_at=now + timedelta(days=5), signup_closes_at=now + timedelta(days=2))
    assert rejected(db_session, data, now=now) == {"signup_window_invalid": "signup_closes_at"}


def test_signup_closing_after_the_visit_ends_is_signup_window_invalid(db_session, make_school, now):
    school = make_school()
    data = data_for(school, signup_closes_at=at_school(school, 16))
    assert rejected(db_session, data, now=now) == {"signup_window_invalid": "signup_closes_at"}


def test_every_broken_rule_is_reported_at_once_with_its_field(db_session, make_school, now):
    school = make_school()
    data = data_for(
        school,
        slots=[SlotData(role=SlotRole.ASSISTANT, capacity=0), SlotData(role=SlotRole.ASSISTANT, capacity=2)],
        satellites=[SatelliteData(school_id=school.id)],
        signup_closes_at=at_school(school, 16),
    )
    assert rejected(db_session, data, now=now) == {
        "signup_window_invalid": "signup_closes_at",
        "capacity_too_small": "slots-0-capacity",
        "duplicate_role": "slots-1-role",
        "satellite_is_host": "satellites-0-school_id",
    }


# ---------------------------------------------------------------- role slots


def test_a_role_with_no_places_is_capacity_too_small(db_session, make_school, now):
    school = make_school()
    data = data_for(school, slots=[SlotData(role=SlotRole.DRIVER, capacity=0)])
    assert rejected(db_session, data, now=now) == {"capacity_too_small": "slots-0-capacity"}


def test_the_same_role_twice_is_duplicate_role(db_session, make_school, now):
    school = make_school()
    data = data_for(
        school,
        slots=[SlotData(role=SlotRole.DRIVER, capacity=1), SlotData(role=SlotRole.DRIVER, capacity=2)],
    )
    assert rejected(db_session, data, now=now) == {"duplicate_role": "slots-1-role"}


def test_capacity_below_the_places_taken_is_capacity_below_taken(db_session, make_visit, now):
    visit = make_visit(capacity=3)
    visit.slots[0].taken = 2
    db_session.commit()
    data = visit_data(visit)
    data.slots[0].capacity = 1
    assert rejected(db_session, data, now=now, visit=visit) == {"capacity_below_taken": "slots-0-capacity"}


def test_capacity_down_to_the_places_taken_is_allowed(db_session, make_visit, now):
    visit = make_visit(capacity=3)
    visit.slots[0].taken = 2
    db_session.commit()
    data = visit_data(visit)
    data.slots[0].capacity = 2
    update_visit(db_session, visit, data, now=now)
    assert visit.slots[0].capacity == 2


def test_removing_a_role_with_volunteers_is_slot_has_signups(db_session, make_visit, now):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    visit.slots[1].taken = 1
    db_session.commit()
    data = visit_data(visit)
    data.slots = data.slots[:1]
    assert rejected(db_session, data, now=now, visit=visit) == {"slot_has_signups": "slots"}


def test_removing_an_empty_role_deletes_it(db_session, make_visit, now):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER))
    data = visit_data(visit)
    data.slots = data.slots[:1]
    update_visit(db_session, visit, data, now=now)
    db_session.commit()
    assert [slot.role for slot in visit.slots] == [SlotRole.LEAD_INSTRUCTOR]


# ---------------------------------------------------------------- the school's calendar


def test_an_overlapping_visit_to_the_same_school_is_school_busy(db_session, make_visit, now):
    visit = make_visit()
    data = data_for(visit.school, start=time(14), end=time(17))
    assert rejected(db_session, data, now=now) == {"school_busy": "starts_at"}


def test_a_cancelled_visit_does_not_keep_the_school_busy(db_session, make_visit, now):
    visit = make_visit(status=VisitStatus.CANCELLED)
    created = create_visit(db_session, data_for(visit.school, start=time(9), end=time(15)), now=now)
    assert created.school_id == visit.school_id


def test_a_visit_right_after_another_does_not_clash(db_session, make_visit, now):
    visit = make_visit()  # 09:00-15:00
    created = create_visit(db_session, data_for(visit.school, start=time(15), end=time(17)), now=now)
    assert created.id != visit.id


def test_editing_a_visit_does_not_clash_with_itself(db_session, make_visit, now):
    visit = make_visit()
    data = visit_data(visit)
    data.ends_at += timedelta(hours=1)
    update_visit(db_session, visit, data, now=now)
    db_session.commit()
    assert visit.ends_at == data.ends_at


def test_the_host_school_watching_its_own_livestream_is_satellite_is_host(db_session, make_school, now):
    school = make_school()
    data = data_for(school, satellites=[SatelliteData(school_id=school.id, students_expected=20)])
    assert rejected(db_session, data, now=now) == {"satellite_is_host": "satellites-0-school_id"}


def test_satellite_schools_are_saved_with_their_students(db_session, make_school, now):
    school, watching = make_school(), make_school()
    data = data_for(school, satellites=[SatelliteData(school_id=watching.id, students_expected=20)])
    visit = create_visit(db_session, data, now=now)
    assert [(s.school_id, s.students_expected) for s in visit.satellites] == [(watching.id, 20)]


def test_a_school_with_an_unknown_time_zone_is_invalid_timezone(db_session, now):
    with pytest.raises(DomainError) as caught:
        create_school(db_session, {"name": "Red Star", "province": "云南省", "timezone": "Mars/Olympus"}, now=now)
    assert caught.value.code == "invalid_timezone"
    assert caught.value.field == "timezone"


def test_naming_a_host_gives_the_host_role(db_session, make_user, now):
    teacher = make_user(Role.VOLUNTEER)
    create_school(db_session, {"name": "Red Star", "province": "云南省"}, hosts=[teacher], now=now)
    assert Role.HOST in teacher.roles


# ---------------------------------------------------------------- status


def test_publishing_opens_signup_now(db_session, make_visit, now):
    visit = make_visit(status=VisitStatus.DRAFT)
    publish_visit(db_session, visit, now=now)
    assert visit.status == VisitStatus.PUBLISHED
    assert visit.signup_opens_at == now
    assert visit.published_at == now


def test_publishing_keeps_a_signup_opening_that_was_set(db_session, make_school, now):
    school = make_school()
    opens = now + timedelta(days=3)
    visit = create_visit(db_session, data_for(school, signup_opens_at=opens), now=now)
    publish_visit(db_session, visit, now=now)
    assert visit.signup_opens_at == opens


@pytest.mark.parametrize(
    ("status", "change"),
    [
        (VisitStatus.PUBLISHED, publish_visit),
        (VisitStatus.DRAFT, complete_visit),
        (VisitStatus.CANCELLED, cancel_visit),
        (VisitStatus.CANCELLED, publish_visit),
        (VisitStatus.COMPLETED, cancel_visit),
    ],
)
def test_a_move_the_status_does_not_allow_is_invalid_status_transition(db_session, make_visit, now, status, change):
    visit = make_visit(status=status, days_ahead=-3)
    with pytest.raises(DomainError) as caught:
        change(db_session, visit, now=now)
    assert caught.value.code == "invalid_status_transition"


@pytest.mark.parametrize("status", [VisitStatus.CANCELLED, VisitStatus.COMPLETED])
def test_a_cancelled_or_completed_visit_is_visit_locked(db_session, make_visit, now, status):
    visit = make_visit(status=status)
    assert rejected(db_session, visit_data(visit), now=now, visit=visit) == {"visit_locked": None}


def test_completing_a_visit_before_it_ends_is_visit_not_over(db_session, make_visit, now):
    visit = make_visit()
    with pytest.raises(DomainError) as caught:
        complete_visit(db_session, visit, now=visit.ends_at - timedelta(minutes=1))
    assert caught.value.code == "visit_not_over"


def test_a_visit_can_be_completed_once_it_has_ended(db_session, make_visit, now):
    visit = make_visit()
    complete_visit(db_session, visit, now=visit.ends_at)
    assert visit.status == VisitStatus.COMPLETED


def test_cancelling_records_when(db_session, make_visit, now):
    visit = make_visit()
    cancel_visit(db_session, visit, now=now)
    assert visit.status == VisitStatus.CANCELLED
    assert visit.cancelled_at == now


# ---------------------------------------------------------------- who sees which visits


def titles(session, query) -> set[str]:
    return {visit.title for visit in session.scalars(query)}


def test_a_host_sees_drafts_of_their_own_school_only(db_session, make_user, make_school, make_visit, now):
    host = make_user(Role.HOST)
    own, other = make_school(hosts=[host]), make_school()
    make_visit(school=own, status=VisitStatus.DRAFT, title="own draft")
    make_visit(school=other, status=VisitStatus.DRAFT, title="other draft")
    make_visit(school=other, title="other published", days_ahead=15)
    assert titles(db_session, list_visits(host, VisitFilter(), now)) == {"own draft", "other published"}


def test_a_volunteer_never_sees_drafts(db_session, make_user, make_visit, now):
    volunteer = make_user(Role.VOLUNTEER)
    make_visit(status=VisitStatus.DRAFT, title="draft")
    make_visit(title="published")
    make_visit(status=VisitStatus.CANCELLED, title="cancelled")
    assert titles(db_session, list_visits(volunteer, VisitFilter(), now)) == {"published", "cancelled"}


def test_an_admin_sees_every_visit(db_session, make_user, make_visit, now):
    admin = make_user(Role.ADMIN)
    make_visit(status=VisitStatus.DRAFT, title="draft")
    make_visit(title="published")
    assert titles(db_session, list_visits(admin, VisitFilter(), now)) == {"draft", "published"}


def test_the_public_sees_only_published_visits_that_have_not_ended(db_session, make_visit, now):
    make_visit(title="coming")
    make_visit(status=VisitStatus.DRAFT, title="draft")
    make_visit(status=VisitStatus.CANCELLED, title="cancelled")
    make_visit(days_ahead=-7, title="over")
    make_visit(days_ahead=-7, status=VisitStatus.COMPLETED, title="completed")
    assert titles(db_session, public_visits(now)) == {"coming"}
    assert "draft" not in titles(db_session, list_visits(None, VisitFilter(), now))


def test_visits_filter_by_when_school_region_and_status(db_session, make_user, make_school, make_visit, now):
    admin = make_user(Role.ADMIN)
    sichuan = make_school(province="四川省")
    yunnan = make_school(province="云南省")
    make_visit(school=sichuan, title="sichuan soon", days_ahead=3)
    make_visit(school=sichuan, title="sichuan later", days_ahead=30, status=VisitStatus.DRAFT)
    make_visit(school=sichuan, title="sichuan past", days_ahead=-3)
    make_visit(school=yunnan, title="yunnan soon", days_ahead=5)

    def shown(**filters):
        return [v.title for v in db_session.scalars(list_visits(admin, VisitFilter(**filters), now))]

    assert shown(when="upcoming") == ["sichuan soon", "yunnan soon", "sichuan later"]
    assert shown(when="past") == ["sichuan past"]
    assert shown(school_id=yunnan.id) == ["yunnan soon"]
    assert shown(province="四川省", when="upcoming") == ["sichuan soon", "sichuan later"]
    assert shown(status=VisitStatus.DRAFT) == ["sichuan later"]
