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
