"""Migrations build the schema the models describe, and unbuild it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

import tests.conftest as conftest
from app import create_app
from extensions import db


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    if not conftest.POSTGRES_URL:
        if conftest.REQUIRE_POSTGRES:
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    url = conftest.postgres_url()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url
    conftest._pg_schema_ready = False  # the next test rebuilds the schema it expects


def test_upgrade_to_head_matches_the_models_and_downgrade_to_base_removes_everything(
    empty_database, tmp_path, monkeypatch
):
    monkeypatch.setenv("SCIVISIT_INSTANCE", str(tmp_path / "instance"))
    app = create_app(conftest.test_config(empty_database, tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
            tables = set(inspect(conn).get_table_names())
        assert diff == [], f"models and migrations differ: {diff}"
        assert {t.name for t in db.metadata.sorted_tables} <= tables

        downgrade(revision="base")
        with db.engine.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert left == set()
        db.engine.dispose()
