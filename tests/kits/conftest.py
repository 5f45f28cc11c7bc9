"""Kit stock fixtures: a programme coordinator, a kit type, hubs, and a stock to start from."""

from __future__ import annotations

import pytest

from accounts.models import Role
from kits import stock
from tests.api.conftest import admin, bearer  # noqa: F401  (bearer headers for the API tests)
from tests.test_query_counts import count_statements  # noqa: F401  (statements a page takes)


@pytest.fixture
def coordinator(make_user):
    """A programme coordinator (Role.ADMIN), who records movements."""
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def kit(make_kit_type):
    """A kit type worth 35.00 yuan, low below 5 available."""
    return make_kit_type(name="Water rocket kit", unit_value_fen=3500, low_stock_threshold=5)


@pytest.fixture
def main_hub(db_session):
    hub = stock.default_hub(db_session)
    db_session.commit()
    return hub


@pytest.fixture
def other_hub(db_session, now, main_hub):
    hub = stock.create_hub(db_session, {"name": "西昌 Xichang", "address": "Xichang, Sichuan"}, now=now)
    db_session.commit()
    return hub


@pytest.fixture
def stocked(db_session, now, kit, main_hub, coordinator):
    """Receive `quantity` kits of `kit` at the main hub (or `hub`), committed."""

    def receive(quantity: int, hub=None, party: str = "Star Tech Foundation"):
        movement = stock.receive(
            db_session,
            kit_type_id=kit.id,
            quantity=quantity,
            party=party,
            hub_id=hub.id if hub else None,
            actor=coordinator,
            now=now,
        )
        db_session.commit()
        return movement

    return receive


def level(db_session, hub, kit) -> tuple[int, int, int]:
    """(on hand, reserved, available) of a kit type at a hub, as the stock listing gives it."""
    for row in stock.stock_rows(db_session, hub_id=hub.id):
        if row.kit_type_id == kit.id:
            return row.on_hand, row.reserved, row.available
    raise AssertionError("no such stock row")
