"""Kits reserved for lessons follow their visit; shortfalls, publishing with an override, and the kits'
journey to the school (shipped, arrived, consumed, returned), on SQLite and PostgreSQL.

Each scenario ends with the ledger's chain and counters verified.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from core.errors import DomainError
from events import visit_kits
from events.models import VisitStatus
from events.services import LessonData, cancel_visit, complete_visit, publish_visit, update_visit, visit_data
from kits.ledger import verify_ledger
from kits.models import KitReservation, Movement, VisitKit
from tests.kits.conftest import level


@pytest.fixture
def rocket(make_kit_type):
    """Four students share a kit: 30 students need 8 kits."""
    return make_kit_type(name="Water rocket kit", students_per_kit=4, consumable=True)


@pytest.fixture
def rover(make_kit_type):
    return make_kit_type(name="Mars rover kit", students_per_kit=2, consumable=False)


@pytest.fixture
def stock_of(db_session, now, main_hub, coordinator):
    from kits import stock

    def receive(kit, quantity, hub=None):
        stock.receive(
            db_session,
            kit_type_id=kit.id,
            quantity=quantity,
            party="Star Tech Foundation",
            hub_id=hub.id if hub else None,
            actor=coordinator,
            now=now,
        )
        db_session.commit()

    return receive


def _draft(make_visit, kit, **extra):
    return make_visit(status=VisitStatus.DRAFT, kit_type=kit, **extra)


def _reservation(db_session, lesson) -> KitReservation | None:
    return db_session.scalar(select(KitReservation).where(KitReservation.lesson_id == lesson.id))


def _kinds(db_session, visit) -> list[tuple[str, int, int | None]]:
    movements = db_session.scalars(select(Movement).where(Movement.visit_id == visit.id).order_by(Movement.id))
    return [(m.kind.value, m.quantity, m.lesson_id) for m in movements]


def _edit(db_session, visit, now, **lesson_changes):
    data = visit_data(visit)
    data.lessons = [replace(data.lessons[0], **lesson_changes), *data.lessons[1:]]
    update_visit(db_session, visit, data, now=now)
    db_session.commit()


def _verified(db_session):
    result = verify_ledger(db_session)
    assert result.ok, result


def test_creating_a_lesson_reserves_its_kits_at_the_visits_hub(db_session, rocket, main_hub, stock_of, make_visit):
    stock_of(rocket, 20)
    visit = _draft(make_visit, rocket)
    lesson = visit.lessons[0]

    held = _reservation(db_session, lesson)
    assert (held.needed, held.reserved, held.shortfall, held.hub_id) == (8, 8, 0, main_hub.id)
    assert visit.hub_id == main_hub.id
    assert level(db_session, main_hub, rocket) == (20, 8, 12)
    assert _kinds(db_session, visit) == [("reserved", 8, lesson.id)]
    _verified(db_session)


def test_more_students_top_up_the_reservation_and_fewer_release_the_difference(
    db_session, now, rocket, main_hub, stock_of, make_visit
):
    stock_of(rocket, 20)
    visit = _draft(make_visit, rocket)
    lesson = visit.lessons[0]

    _edit(db_session, visit, now, students_expected=40)  # 10 kits
    assert _reservation(db_session, lesson).reserved == 10
    _edit(db_session, visit, now, students_expected=12, spare_kits=1)  # 3 + 1
    assert _reservation(db_session, lesson).reserved == 4

    assert level(db_session, main_hub, rocket) == (20, 4, 16)
    assert _kinds(db_session, visit) == [
        ("reserved", 8, lesson.id),
        ("reserved", 2, lesson.id),
        ("released", 6, lesson.id),
    ]
    _verified(db_session)


def test_changing_the_kit_type_releases_the_old_and_reserves_the_new(
    db_session, now, rocket, rover, main_hub, stock_of, make_visit
):
    stock_of(rocket, 20)
    stock_of(rover, 20)
    visit = _draft(make_visit, rocket)

    _edit(db_session, visit, now, kit_type_id=rover.id)  # 30 students, 2 a kit

    held = _reservation(db_session, visit.lessons[0])
    assert (held.kit_type_id, held.reserved) == (rover.id, 15)
    assert level(db_session, main_hub, rocket) == (20, 0, 20)
    assert level(db_session, main_hub, rover) == (20, 15, 5)
    _verified(db_session)


def test_removing_a_lesson_releases_its_kits_and_its_row(db_session, now, rocket, main_hub, stock_of, make_visit):
    stock_of(rocket, 20)
    visit = _draft(make_visit, rocket, lessons=2)
    gone = visit.lessons[1]
    data = visit_data(visit)
    data.lessons = data.lessons[:1]

    update_visit(db_session, visit, data, now=now)
    db_session.commit()

    assert _reservation(db_session, gone) is None
    assert level(db_session, main_hub, rocket) == (20, 8, 12)
    assert ("released", 8, gone.id) in _kinds(db_session, visit)
    _verified(db_session)


def test_cancelling_the_visit_releases_every_reservation(db_session, now, rocket, main_hub, stock_of, make_visit):
    stock_of(rocket, 20)
    visit = _draft(make_visit, rocket, lessons=2)

    cancel_visit(db_session, visit, now=now)
    db_session.commit()

    assert db_session.scalars(select(KitReservation).where(KitReservation.visit_id == visit.id)).all() == []
    assert level(db_session, main_hub, rocket) == (20, 0, 20)
    _verified(db_session)


def test_moving_the_visit_to_another_hub_moves_its_reservations(
    db_session, now, rocket, main_hub, other_hub, stock_of, make_visit
):
    stock_of(rocket, 20)
    stock_of(rocket, 20, hub=other_hub)
    visit = _draft(make_visit, rocket)
    data = visit_data(visit)
    data.hub_id = other_hub.id

    update_visit(db_session, visit, data, now=now)
    db_session.commit()

    assert level(db_session, main_hub, rocket) == (20, 0, 20)
    assert level(db_session, other_hub, rocket) == (20, 8, 12)
    _verified(db_session)


def test_an_unknown_hub_is_refused_next_to_its_field(db_session, now, rocket, make_visit):
    visit = _draft(make_visit, rocket)
    data = visit_data(visit)
    data.hub_id = 999_999
    with pytest.raises(DomainError) as caught:
        update_visit(db_session, visit, data, now=now)
    assert (caught.value.code, caught.value.field) == ("unknown_hub", "hub_id")


def test_too_few_kits_reserves_what_there_is_and_records_the_shortfall_then_a_retry_tops_up(
    db_session, now, rocket, main_hub, stock_of, make_visit
):
    stock_of(rocket, 5)
    visit = _draft(make_visit, rocket)
    lesson = visit.lessons[0]

    held = _reservation(db_session, lesson)
    assert (held.reserved, held.shortfall) == (5, 3)
    assert visit_kits.shortfall(db_session, visit) == 3
    assert level(db_session, main_hub, rocket) == (5, 5, 0)

    stock_of(rocket, 10)
    visit_kits.sync_visit(db_session, visit, now=now)
    db_session.commit()

    held = _reservation(db_session, lesson)
    assert (held.reserved, held.shortfall) == (8, 0)
    assert level(db_session, main_hub, rocket) == (15, 8, 7)
    _verified(db_session)


def test_a_changed_lesson_tries_again_by_itself(db_session, now, rocket, main_hub, stock_of, make_visit):
    stock_of(rocket, 5)
    visit = _draft(make_visit, rocket)
    stock_of(rocket, 10)

    _edit(db_session, visit, now, classroom="Lab 2")

    assert _reservation(db_session, visit.lessons[0]).shortfall == 0
    _verified(db_session)


def test_publishing_with_a_shortfall_needs_a_reason_which_is_recorded(db_session, now, rocket, stock_of, make_visit):
    stock_of(rocket, 2)
    visit = _draft(make_visit, rocket)

    with pytest.raises(DomainError) as caught:
        publish_visit(db_session, visit, now=now, override_reason="   ")
    assert (caught.value.code, caught.value.field, caught.value.status) == ("kit_shortfall", "override_reason", 409)
    db_session.rollback()

    publish_visit(db_session, visit, now=now, override_reason="The school lends us six kits")
    db_session.commit()
    assert visit.status == VisitStatus.PUBLISHED
    assert (visit.kits_override_reason, visit.kits_overridden_at) == ("The school lends us six kits", now)


def test_publishing_without_a_shortfall_records_no_override(db_session, now, rocket, stock_of, make_visit):
    stock_of(rocket, 8)
    visit = _draft(make_visit, rocket)
    publish_visit(db_session, visit, now=now, override_reason="not needed")
    assert (visit.status, visit.kits_override_reason, visit.kits_overridden_at) == (VisitStatus.PUBLISHED, "", None)


def _ship_and_arrive(db_session, visit, kit, now, coordinator, *, ship=8, arrived=8):
    visit_kits.ship(
        db_session,
        visit,
        {"kit_type_id": kit.id, "quantity": ship, "carrier": "SF Express", "tracking_number": "SF123"},
        actor=coordinator,
        now=now,
    )
    visit_kits.confirm_arrival(db_session, visit, {"kit_type_id": kit.id, "received": arrived}, actor=None, now=now)
    db_session.commit()


def test_shipping_takes_kits_off_the_hub_and_the_school_confirms_a_difference(
    db_session, now, rocket, main_hub, stock_of, make_visit, coordinator
):
    stock_of(rocket, 10)
    visit = make_visit(kit_type=rocket)  # published: stock covers it
    lesson = visit.lessons[0]

    visit_kits.ship(
        db_session,
        visit,
        {"kit_type_id": rocket.id, "quantity": 8, "carrier": "SF Express", "tracking_number": "SF123"},
        actor=coordinator,
        now=now,
    )
    db_session.commit()
    assert level(db_session, main_hub, rocket) == (2, 0, 2)
    held = _reservation(db_session, lesson)
    assert (held.reserved, held.shipped, held.shortfall) == (0, 8, 0)

    visit_kits.confirm_arrival(db_session, visit, {"kit_type_id": rocket.id, "received": 7}, actor=None, now=now)
    db_session.commit()

    journey = db_session.scalar(select(VisitKit).where(VisitKit.visit_id == visit.id))
    assert (journey.shipped, journey.received, journey.difference) == (8, 7, -1)
    assert (journey.carrier, journey.tracking_number) == ("SF Express", "SF123")
    assert _kinds(db_session, visit)[-2:] == [("shipped", 8, lesson.id), ("received_at_school", 7, None)]
    _verified(db_session)


def test_consumed_and_returned_kits_are_recorded_and_returns_go_back_on_hand(
    db_session, now, rover, main_hub, other_hub, stock_of, make_visit, coordinator
):
    stock_of(rover, 15)
    visit = make_visit(kit_type=rover)
    _ship_and_arrive(db_session, visit, rover, now, coordinator, ship=15, arrived=15)

    visit_kits.record_use(
        db_session, visit, {"kit_type_id": rover.id, "consumed": 2, "returned": 10, "hub_id": None}, actor=None, now=now
    )
    visit_kits.record_use(
        db_session,
        visit,
        {"kit_type_id": rover.id, "consumed": 0, "returned": 3, "hub_id": other_hub.id},
        actor=None,
        now=now,
    )
    db_session.commit()

    assert level(db_session, main_hub, rover) == (10, 0, 10)
    assert level(db_session, other_hub, rover) == (3, 0, 3)
    (row,) = visit_kits.summary(db_session, visit)
    assert (row.reserved, row.shipped, row.received, row.consumed, row.returned, row.at_school) == (0, 15, 15, 2, 13, 0)
    _verified(db_session)


@pytest.mark.parametrize(
    ("done", "step", "values", "code"),
    [
        ("reserved", "ship", {"quantity": 9}, "ship_exceeds_reserved"),
        ("reserved", "ship", {"quantity": 0}, "validation_error"),
        ("shipped", "arrival", {"received": 9}, "received_exceeds_shipped"),
        ("shipped", "arrival", {"received": -1}, "validation_error"),
        ("arrived", "arrival", {"received": 8}, "arrival_already_confirmed"),
        ("arrived", "ship", {"quantity": 1}, "ship_exceeds_reserved"),
        ("arrived", "use", {"consumed": 6, "returned": 3}, "kit_count_exceeds_received"),
        ("arrived", "use", {"consumed": 0, "returned": 0}, "validation_error"),
        ("arrived", "use", {"consumed": -1, "returned": 2}, "validation_error"),
    ],
)
def test_impossible_counts_are_refused_with_their_codes(
    db_session, now, rocket, main_hub, stock_of, make_visit, coordinator, done, step, values, code
):
    stock_of(rocket, 8)
    visit = make_visit(kit_type=rocket)
    if done != "reserved":
        visit_kits.ship(db_session, visit, {"kit_type_id": rocket.id, "quantity": 8}, actor=coordinator, now=now)
    if done == "arrived":
        visit_kits.confirm_arrival(db_session, visit, {"kit_type_id": rocket.id, "received": 8}, actor=None, now=now)
    db_session.commit()
    before = level(db_session, main_hub, rocket)
    service = {"ship": visit_kits.ship, "arrival": visit_kits.confirm_arrival, "use": visit_kits.record_use}[step]

    with pytest.raises(DomainError) as caught:
        service(db_session, visit, {"kit_type_id": rocket.id, **values}, actor=coordinator, now=now)
    db_session.rollback()

    assert caught.value.code == code
    assert level(db_session, main_hub, rocket) == before
    _verified(db_session)


def test_arrival_before_shipping_and_use_before_arrival_are_refused(
    db_session, now, rocket, stock_of, make_visit, coordinator
):
    stock_of(rocket, 8)
    visit = make_visit(kit_type=rocket)
    with pytest.raises(DomainError) as caught:
        visit_kits.confirm_arrival(db_session, visit, {"kit_type_id": rocket.id, "received": 1}, actor=None, now=now)
    assert caught.value.code == "nothing_shipped"
    visit_kits.ship(db_session, visit, {"kit_type_id": rocket.id, "quantity": 8}, actor=coordinator, now=now)
    with pytest.raises(DomainError) as caught:
        visit_kits.record_use(
            db_session, visit, {"kit_type_id": rocket.id, "consumed": 1, "returned": 0}, actor=None, now=now
        )
    assert caught.value.code == "arrival_not_confirmed"


def test_a_lesson_whose_kits_were_shipped_keeps_its_kit_type(
    db_session, now, rocket, rover, stock_of, make_visit, coordinator
):
    stock_of(rocket, 8)
    visit = make_visit(kit_type=rocket)
    visit_kits.ship(db_session, visit, {"kit_type_id": rocket.id, "quantity": 8}, actor=coordinator, now=now)
    db_session.commit()
    data = visit_data(visit)
    data.lessons = [replace(data.lessons[0], kit_type_id=rover.id)]
    with pytest.raises(DomainError) as caught:
        update_visit(db_session, visit, data, now=now)
    assert caught.value.code == "lesson_kits_shipped"


def test_completing_a_visit_releases_what_was_never_shipped(
    db_session, clock, now, rocket, main_hub, stock_of, make_visit, coordinator
):
    stock_of(rocket, 16)
    visit = make_visit(kit_type=rocket, lessons=2)
    visit_kits.ship(db_session, visit, {"kit_type_id": rocket.id, "quantity": 8}, actor=coordinator, now=now)
    db_session.commit()
    assert level(db_session, main_hub, rocket) == (8, 8, 0)

    complete_visit(db_session, visit, now=visit.ends_at)
    db_session.commit()

    assert level(db_session, main_hub, rocket) == (8, 0, 8)
    assert [row.shipped for row in visit_kits.summary(db_session, visit)] == [8]
    _verified(db_session)


def test_a_new_lesson_without_a_kit_reserves_nothing(db_session, now, rocket, stock_of, make_visit):
    stock_of(rocket, 8)
    visit = make_visit(status=VisitStatus.DRAFT)
    data = visit_data(visit)
    data.lessons.append(LessonData(**{**vars(data.lessons[0]), "id": None, "title": "Talk"}))
    update_visit(db_session, visit, data, now=now)
    assert db_session.scalars(select(KitReservation).where(KitReservation.visit_id == visit.id)).all() == []
