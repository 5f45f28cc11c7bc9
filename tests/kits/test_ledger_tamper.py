"""Tampering behind the app's back is caught: by verify_ledger, `flask verify-ledger` and the API alike.

Each test records a few real movements, then changes the database with plain SQL as someone with
access to it could (an edit, a deletion in the middle or at the end, a forged row, a changed counter),
and checks that verification names the first movement that no longer matches.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, text

from kits import stock
from kits.ledger import GENESIS_HASH, canonical, movement_hash, verify_ledger
from kits.models import Movement


@pytest.fixture
def ledger(db_session, now, kit, main_hub, other_hub, coordinator, stocked):
    """Five movements: received 10, written off 1, a transfer of 2 (out, in), a stock-take to 6."""
    stocked(10)
    stock.write_off(db_session, kit_type_id=kit.id, quantity=1, reason="Torn box", actor=coordinator, now=now)
    stock.transfer(db_session, kit_type_id=kit.id, quantity=2, to_hub_id=other_hub.id, actor=coordinator, now=now)
    stock.adjust(db_session, kit_type_id=kit.id, counted=6, reason="Stock-take", actor=coordinator, now=now)
    db_session.commit()
    return db_session.scalars(select(Movement).order_by(Movement.id)).all()


def tamper(db_session, sql: str, **params) -> None:
    db_session.execute(text(sql), params)
    db_session.commit()


def test_an_untouched_ledger_verifies_and_its_head_is_the_last_hash(db_session, ledger):
    result = verify_ledger(db_session)
    assert (result.ok, result.checked, result.first_bad_id, result.problem) == (True, 5, None, None)
    last = db_session.get(Movement, 5)
    assert result.head == last.hash and result.head_count == 5


def test_an_empty_ledger_verifies(db_session):
    result = verify_ledger(db_session)
    assert (result.ok, result.checked, result.head) == (True, 0, GENESIS_HASH)


def test_the_hash_is_sha256_of_the_documented_canonical_json(db_session, ledger):
    first = db_session.get(Movement, 1)
    content = movement_content(
        id=1,
        kind="received",
        hub_id=first.hub_id,
        kit_type_id=first.kit_type_id,
        quantity=10,
        on_hand_delta=10,
        value_fen=35000,
        party="Star Tech Foundation",
        actor_id=first.actor_id,
        created_at="2026-05-12T17:30:00.000000Z",
        prev_hash=GENESIS_HASH,
    )
    written = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical({**content, "created_at": first.created_at}) == written
    assert first.hash == hashlib.sha256(written).hexdigest()


def test_a_quantity_edited_behind_the_apps_back_is_caught_at_that_movement(db_session, ledger):
    tamper(db_session, "UPDATE movement SET quantity = 3, on_hand_delta = -3 WHERE id = 2")
    result = verify_ledger(db_session)
    assert (result.ok, result.first_bad_id, result.problem, result.checked) == (False, 2, "edited", 1)


def test_a_movement_deleted_in_the_middle_breaks_the_chain_at_the_next_one(db_session, ledger):
    # the derived rows that name it go first, as they would for anyone deleting it
    tamper(db_session, "DELETE FROM movement_lot WHERE movement_id = 3 OR source_id = 3")
    tamper(db_session, "DELETE FROM donation_trail WHERE movement_id = 3")
    tamper(db_session, "DELETE FROM movement WHERE id = 3")
    result = verify_ledger(db_session)
    assert (result.ok, result.first_bad_id, result.problem, result.checked) == (False, 4, "broken", 2)


def test_the_last_movement_deleted_is_caught_by_the_head(db_session, ledger):
    # the derived rows that name it go first, as they would for anyone deleting it
    tamper(db_session, "DELETE FROM movement_lot WHERE movement_id = 5 OR source_id = 5")
    tamper(db_session, "DELETE FROM donation_trail WHERE movement_id = 5")
    tamper(db_session, "DELETE FROM movement WHERE id = 5")
    result = verify_ledger(db_session)
    assert (result.ok, result.first_bad_id, result.problem, result.checked) == (False, 5, "head", 4)


def test_a_forged_movement_with_a_made_up_hash_is_caught_at_that_movement(db_session, ledger, now, kit, main_hub):
    row = forged_row(ledger[-1], kit, main_hub, now)
    insert(db_session, {**row, "hash": "f" * 64})
    result = verify_ledger(db_session)
    assert (result.ok, result.first_bad_id, result.problem, result.checked) == (False, 6, "edited", 5)


def test_a_forged_movement_with_a_well_computed_hash_is_caught_by_the_head(db_session, ledger, now, kit, main_hub):
    row = forged_row(ledger[-1], kit, main_hub, now)
    insert(db_session, {**row, "hash": movement_hash(row)})
    result = verify_ledger(db_session)
    assert (result.ok, result.first_bad_id, result.problem) == (False, 6, "head")


def test_a_counter_changed_behind_the_apps_back_is_caught(db_session, ledger, kit, main_hub):
    tamper(db_session, "UPDATE stock_level SET on_hand = on_hand + 5 WHERE hub_id = :h", h=main_hub.id)
    result = verify_ledger(db_session)
    assert (result.ok, result.first_bad_id, result.problem, result.checked) == (False, None, "counters", 5)
    assert result.mismatched_stock == [(main_hub.id, kit.id)]


def test_the_command_prints_the_count_and_head_and_exits_0_when_all_matches(runner, db_session, ledger):
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0, result.output
    head = db_session.get(Movement, 5).hash
    assert "checked 5 movement(s)" in result.output
    assert f"head {head} (5 movement(s))" in result.output
    assert "ok:" in result.output


def test_the_command_names_the_first_bad_movement_and_exits_1(runner, db_session, ledger):
    tamper(db_session, "UPDATE movement SET party = 'Someone else' WHERE id = 1")
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert "checked 0 movement(s)" in result.output
    assert "FAILED: first bad movement 1: its content no longer gives its hash (edited)" in result.output


def test_the_command_reports_counters_that_differ(runner, db_session, ledger, kit, other_hub):
    tamper(db_session, "UPDATE stock_level SET on_hand = 0 WHERE hub_id = :h", h=other_hub.id)
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert f"FAILED: stock counters differ from the ledger's sums at hub {other_hub.id} kit type {kit.id}" in (
        result.output
    )


def movement_content(**values) -> dict:
    """Every field of the canonical form: nothing, zero or empty unless given."""
    empty = {"quantity": 0, "on_hand_delta": 0, "reserved_delta": 0, "value_fen": 0, "party": "", "reason": ""}
    nothing = ("counted", "corrects_id", "other_hub_id", "visit_id", "lesson_id", "actor_id")
    return {**empty, **dict.fromkeys(nothing), **values}


def forged_row(last, kit, hub, now) -> dict:
    return movement_content(
        id=last.id + 1,
        kind="received",
        hub_id=hub.id,
        kit_type_id=kit.id,
        quantity=100,
        party="Nobody",
        created_at=now,
        prev_hash=last.hash,
    )


def insert(db_session, row: dict) -> None:
    db_session.execute(Movement.__table__.insert().values(**row))
    db_session.commit()
