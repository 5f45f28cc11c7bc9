"""Stock services: each manual movement, the counters it keeps, the rules it enforces, corrections, hubs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import DomainError
from kits import stock
from kits.ledger import GENESIS_HASH, verify_ledger
from kits.models import Hub, Movement, MovementKind
from tests.conftest import statements_run
from tests.kits.conftest import level


def _code(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def test_a_fresh_database_gets_one_default_hub_once(db_session):
    first = stock.default_hub(db_session)
    again = stock.default_hub(db_session)
    assert first.id == again.id and first.name == stock.DEFAULT_HUB_NAME
    assert db_session.scalar(select(func.count()).select_from(Hub)) == 1


def test_receiving_kits_adds_them_on_hand_at_the_default_hub_with_donor_and_value(
    db_session, now, kit, main_hub, coordinator
):
    movement = stock.receive(
        db_session, kit_type_id=kit.id, quantity=10, party=" Star Tech Foundation ", actor=coordinator, now=now
    )
    db_session.commit()
    assert (movement.kind, movement.hub_id, movement.quantity) == (MovementKind.RECEIVED, main_hub.id, 10)
    assert (movement.on_hand_delta, movement.reserved_delta) == (10, 0)
    assert movement.value_fen == 35000 and movement.party == "Star Tech Foundation"
    assert (movement.actor_id, movement.created_at) == (coordinator.id, now)
    assert (movement.id, movement.prev_hash) == (1, GENESIS_HASH)
    assert level(db_session, main_hub, kit) == (10, 0, 10)


def test_a_received_value_given_in_fen_is_kept(db_session, now, kit, main_hub, coordinator):
    movement = stock.receive(
        db_session, kit_type_id=kit.id, quantity=3, party="Supplier", value_fen=9999, actor=coordinator, now=now
    )
    assert movement.value_fen == 9999


def test_receiving_needs_a_donor_a_whole_positive_quantity_and_known_kits_and_hubs(
    db_session, now, kit, main_hub, coordinator
):
    def receive(**changes):
        values = {"kit_type_id": kit.id, "quantity": 1, "party": "Donor", "actor": coordinator, "now": now}
        return lambda: stock.receive(db_session, **{**values, **changes})

    assert _code(receive(party="  ")) == "party_required"
    assert _code(receive(quantity=0)) == "validation_error"
    assert _code(receive(quantity=-2)) == "validation_error"
    assert _code(receive(value_fen=-1)) == "validation_error"
    assert _code(receive(kit_type_id=999)) == "unknown_kit_type"
    assert _code(receive(hub_id=999)) == "unknown_hub"
    main_hub.active = False
    assert _code(receive()) == "hub_inactive"
    assert db_session.scalar(select(func.count()).select_from(Movement)) == 0


def test_writing_off_takes_kits_away_and_needs_a_reason(db_session, now, kit, main_hub, coordinator, stocked):
    stocked(5)
    assert (
        _code(
            lambda: stock.write_off(db_session, kit_type_id=kit.id, quantity=1, reason=" ", actor=coordinator, now=now)
        )
        == "movement_reason_required"
    )
    movement = stock.write_off(
        db_session, kit_type_id=kit.id, quantity=2, reason="Crushed in transit", actor=coordinator, now=now
    )
    db_session.commit()
    assert (movement.kind, movement.on_hand_delta, movement.value_fen) == (MovementKind.WRITTEN_OFF, -2, 7000)
    assert movement.reason == "Crushed in transit"
    assert level(db_session, main_hub, kit) == (3, 0, 3)


def test_writing_off_more_than_is_available_is_insufficient_stock_and_changes_nothing(
    db_session, now, kit, main_hub, coordinator, stocked
):
    stocked(3)
    with pytest.raises(DomainError) as caught:
        stock.write_off(db_session, kit_type_id=kit.id, quantity=4, reason="Lost", actor=coordinator, now=now)
    error = caught.value
    assert (error.code, error.status, error.field) == ("insufficient_stock", 409, "quantity")
    db_session.rollback()
    assert level(db_session, main_hub, kit) == (3, 0, 3)
    assert db_session.scalar(select(func.count()).select_from(Movement)) == 1
    assert verify_ledger(db_session).ok


def test_writing_off_at_a_hub_that_never_held_the_kit_is_insufficient_stock(
    db_session, now, kit, other_hub, coordinator
):
    call = lambda: stock.write_off(  # noqa: E731
        db_session, kit_type_id=kit.id, quantity=1, reason="Lost", hub_id=other_hub.id, actor=coordinator, now=now
    )
    assert _code(call) == "insufficient_stock"


def test_a_transfer_is_two_consecutive_movements_out_and_in(
    db_session, now, kit, main_hub, other_hub, coordinator, stocked
):
    stocked(8)
    out, into = stock.transfer(
        db_session, kit_type_id=kit.id, quantity=3, to_hub_id=other_hub.id, actor=coordinator, now=now
    )
    db_session.commit()
    assert (out.kind, out.hub_id, out.other_hub_id, out.on_hand_delta) == (
        MovementKind.TRANSFERRED_OUT,
        main_hub.id,
        other_hub.id,
        -3,
    )
    assert (into.kind, into.hub_id, into.other_hub_id, into.on_hand_delta) == (
        MovementKind.TRANSFERRED_IN,
        other_hub.id,
        main_hub.id,
        3,
    )
    assert into.id == out.id + 1 and into.prev_hash == out.hash
    assert level(db_session, main_hub, kit) == (5, 0, 5)
    assert level(db_session, other_hub, kit) == (3, 0, 3)


def test_a_transfer_needs_another_hub_and_enough_kits(db_session, now, kit, main_hub, other_hub, coordinator, stocked):
    stocked(2)

    def move(quantity, to):
        return lambda: stock.transfer(
            db_session, kit_type_id=kit.id, quantity=quantity, to_hub_id=to, actor=coordinator, now=now
        )

    assert _code(move(1, main_hub.id)) == "same_hub"
    assert _code(move(1, 999)) == "unknown_hub"
    assert _code(move(3, other_hub.id)) == "insufficient_stock"
    db_session.rollback()
    assert level(db_session, main_hub, kit) == (2, 0, 2)
    assert level(db_session, other_hub, kit) == (0, 0, 0)


def test_a_stock_take_records_the_difference_both_ways_and_a_count_that_matches(
    db_session, now, kit, main_hub, coordinator, stocked
):
    stocked(10)
    fewer = stock.adjust(db_session, kit_type_id=kit.id, counted=7, reason="Stock-take May", actor=coordinator, now=now)
    assert (fewer.kind, fewer.counted, fewer.quantity, fewer.on_hand_delta) == (MovementKind.ADJUSTED, 7, 3, -3)
    more = stock.adjust(db_session, kit_type_id=kit.id, counted=9, actor=coordinator, now=now)
    assert (more.quantity, more.on_hand_delta) == (2, 2)
    same = stock.adjust(db_session, kit_type_id=kit.id, counted=9, actor=coordinator, now=now)
    assert (same.quantity, same.on_hand_delta) == (0, 0)
    db_session.commit()
    assert level(db_session, main_hub, kit) == (9, 0, 9)
    assert _code(lambda: stock.adjust(db_session, kit_type_id=kit.id, counted=-1, actor=coordinator, now=now)) == (
        "validation_error"
    )


def test_correcting_a_movement_reverses_it_with_a_new_one_that_names_it(
    db_session, now, kit, main_hub, coordinator, stocked
):
    stocked(10)
    mistake = stock.write_off(db_session, kit_type_id=kit.id, quantity=4, reason="Lost", actor=coordinator, now=now)
    [fix] = stock.correct(db_session, mistake.id, reason="Found them on the shelf", actor=coordinator, now=now)
    db_session.commit()
    assert (fix.kind, fix.corrects_id, fix.on_hand_delta, fix.quantity) == (MovementKind.CORRECTED, mistake.id, 4, 4)
    assert fix.reason == "Found them on the shelf"
    assert db_session.get(Movement, mistake.id).quantity == 4  # the mistake itself stays as it was
    assert level(db_session, main_hub, kit) == (10, 0, 10)
    assert verify_ledger(db_session).ok


def test_a_movement_is_corrected_once_a_correction_never_and_a_reason_is_needed(
    db_session, now, kit, coordinator, stocked
):
    received = stocked(10)

    def fix(movement_id, reason="Typed 10 for 1"):
        return lambda: stock.correct(db_session, movement_id, reason=reason, actor=coordinator, now=now)

    assert _code(fix(received.id, reason="")) == "movement_reason_required"
    [correction] = fix(received.id)()
    assert _code(fix(received.id)) == "already_corrected"
    assert _code(fix(correction.id)) == "not_correctable"
    assert _code(fix(999)) == "not_found"


def test_correcting_a_receipt_whose_kits_are_gone_is_insufficient_stock(
    db_session, now, kit, main_hub, coordinator, stocked
):
    received = stocked(3)
    stock.write_off(db_session, kit_type_id=kit.id, quantity=2, reason="Broken", actor=coordinator, now=now)
    call = lambda: stock.correct(db_session, received.id, reason="Wrong kit", actor=coordinator, now=now)  # noqa: E731
    assert _code(call) == "insufficient_stock"


def test_correcting_either_half_of_a_transfer_reverses_both(
    db_session, now, kit, main_hub, other_hub, coordinator, stocked
):
    stocked(6)
    out, into = stock.transfer(
        db_session, kit_type_id=kit.id, quantity=2, to_hub_id=other_hub.id, actor=coordinator, now=now
    )
    fixes = stock.correct(db_session, out.id, reason="Went to the wrong hub", actor=coordinator, now=now)
    db_session.commit()
    assert sorted(f.corrects_id for f in fixes) == [out.id, into.id]
    assert level(db_session, main_hub, kit) == (6, 0, 6)
    assert level(db_session, other_hub, kit) == (0, 0, 0)
    assert _code(lambda: stock.correct(db_session, into.id, reason="again", actor=coordinator, now=now)) == (
        "already_corrected"
    )
    assert verify_ledger(db_session).ok


def test_hubs_have_unique_names_and_the_default_one_is_listed_first(db_session, now, main_hub):
    stock.create_hub(db_session, {"name": "Anning", "address": ""}, now=now)
    assert _code(lambda: stock.create_hub(db_session, {"name": " Anning "}, now=now)) == "name_taken"
    assert [h.name for h in stock.list_hubs(db_session)] == [stock.DEFAULT_HUB_NAME, "Anning"]


def test_the_stock_listing_shows_every_kit_type_at_every_hub_and_marks_low_ones(
    db_session, now, kit, main_hub, other_hub, make_kit_type, stocked
):
    spare = make_kit_type(name="Balloon kit", low_stock_threshold=0)
    stocked(4)  # below the threshold of 5
    rows = {(r.hub_id, r.kit_type_name): r for r in stock.stock_rows(db_session)}
    assert set(rows) == {(h.id, k) for h in (main_hub, other_hub) for k in ("Water rocket kit", "Balloon kit")}
    assert rows[(main_hub.id, kit.name)].low and rows[(main_hub.id, kit.name)].available == 4
    assert not rows[(main_hub.id, spare.name)].low  # 0 available is not below a threshold of 0
    assert rows[(other_hub.id, kit.name)].low


def test_the_stock_listing_takes_one_query_however_many_movements(
    app, db_session, now, kit, main_hub, other_hub, coordinator, stocked
):

    for _ in range(5):
        stocked(2)
        stocked(1, hub=other_hub)
    db_session.rollback()
    with statements_run() as statements:
        stock.stock_rows(db_session)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
