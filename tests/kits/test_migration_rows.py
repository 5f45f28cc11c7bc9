"""The migration gives a fresh installation its default hub and an empty ledger's head, on both databases."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

import tests.conftest as conftest
from app import create_app
from extensions import db
from kits.ledger import GENESIS_HASH
from kits.stock import DEFAULT_HUB_NAME
from tests.test_migrations import empty_database  # noqa: F401  (a fixture: an empty database of each kind)


def test_a_migrated_database_has_the_default_hub_and_the_ledger_head(empty_database, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SCIVISIT_INSTANCE", str(tmp_path / "instance"))
    app = create_app(conftest.test_config(empty_database, tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            hubs = conn.execute(text("SELECT name, active FROM hub")).all()
            head = conn.execute(text("SELECT id, count, hash FROM ledger_head")).all()
        db.engine.dispose()
    assert [(name, bool(active)) for name, active in hubs] == [(DEFAULT_HUB_NAME, True)]
    assert head == [(1, 0, GENESIS_HASH)]


def test_movements_recorded_before_purchases_existed_stay_donations_with_valid_hashes(
    empty_database,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    """A receipt written at the revision before lots (raw SQL: the model has columns that table has not) gets its lot
    and trail when the lots are replayed, and `donated` true, and the chain still verifies at the head."""
    from datetime import UTC, datetime

    from kits.ledger import movement_hash, verify_ledger

    monkeypatch.setenv("SCIVISIT_INSTANCE", str(tmp_path / "instance"))
    app = create_app(conftest.test_config(empty_database, tmp_path))
    with app.app_context():
        upgrade(revision="9d2e4b6a1c38")
        with db.engine.begin() as conn:
            kit_type = conn.execute(
                text(
                    "INSERT INTO kit_type (name, description, students_per_kit, consumable, unit_value_fen,"
                    " low_stock_threshold, lesson_plan_url, created_at)"
                    " VALUES ('Rocket', '', 1, true, 3500, 0, '', :at) RETURNING id"
                ),
                {"at": datetime(2026, 5, 1)},
            ).scalar_one()
            hub = conn.execute(text("SELECT id FROM hub")).scalar_one()
            values = {
                "id": 1,
                "kind": "received",
                "hub_id": hub,
                "kit_type_id": kit_type,
                "quantity": 10,
                "on_hand_delta": 10,
                "reserved_delta": 0,
                "value_fen": 35000,
                "party": "Star Tech Foundation",
                "reason": "",
                "counted": None,
                "corrects_id": None,
                "other_hub_id": None,
                "visit_id": None,
                "lesson_id": None,
                "actor_id": None,
                "created_at": datetime(2026, 5, 12, 9, 30, tzinfo=UTC),
                "prev_hash": GENESIS_HASH,
            }
            digest = movement_hash(values)
            columns = ", ".join(values)
            conn.execute(
                text(f"INSERT INTO movement ({columns}, hash) VALUES ({', '.join(':' + c for c in values)}, :hash)"),
                {**values, "created_at": datetime(2026, 5, 12, 9, 30), "hash": digest},
            )
            conn.execute(
                text("INSERT INTO stock_level (hub_id, kit_type_id, on_hand, reserved) VALUES (:hub, :kit, 10, 0)"),
                {"hub": hub, "kit": kit_type},
            )
            conn.execute(text("UPDATE ledger_head SET count = 1, hash = :hash"), {"hash": digest})
        upgrade()
        with db.engine.connect() as conn:
            donated = conn.execute(text("SELECT donated FROM movement")).scalar_one()
            lots = conn.execute(text("SELECT movement_id, source_id, quantity FROM movement_lot")).all()
            trails = conn.execute(text("SELECT count(*) FROM donation_trail")).scalar_one()
        assert (bool(donated), lots, trails) == (True, [(1, 1, 10)], 1)
        result = verify_ledger(db.session)
        db.session.remove()
        db.engine.dispose()
    assert (result.ok, result.checked) == (True, 1)
