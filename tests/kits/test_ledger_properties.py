"""A Hypothesis state machine over random movements on a real database (SQLite and PostgreSQL).

Each step receives, writes off, transfers, adjusts at a stock-take or corrects an earlier movement, at
one of two hubs and of one of two kit types, and predicts the answer from a plain model (including
insufficient_stock, same_hub, already_corrected, not_correctable). After every step: on hand, reserved
and available per hub and kit type equal the model and the ledger's own sums, and the chain verifies.

40 examples of up to 30 steps (about 1,200 steps), derandomized so that CI runs the same steps every
time; each example is one transaction, rolled back afterwards, so they start from an empty ledger.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from core.errors import DomainError
from kits import stock
from kits.ledger import verify_ledger
from kits.models import Movement, MovementKind, StockLevel

SETTINGS = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TRANSFERS = (MovementKind.TRANSFERRED_OUT, MovementKind.TRANSFERRED_IN)

#: an index into the world's two hubs or two kit types
ONE_OF_TWO = st.integers(0, 1)


@dataclass
class World:
    """What every example works on, and the answers every step expected (None: success)."""

    session: object
    hubs: list[int]
    kits: list[int]
    actor: object
    now: datetime
    answers: list[str | None] = field(default_factory=list)


class LedgerMachine(RuleBasedStateMachine):
    world: World  # set by the test before it runs the machine

    def __init__(self):
        super().__init__()
        self.on_hand = defaultdict(int)  # (hub, kit) -> kits the model expects
        self.movements = []  # (id, kind, hub, kit, on_hand_delta) as recorded
        self.corrected = set()

    def teardown(self):
        self.world.session.rollback()

    def run(self, service, code: str | None, **values) -> bool:
        """Call a service; it must raise `code` (changing nothing), or succeed when `code` is None."""
        self.world.answers.append(code)
        values = {"actor": self.world.actor, "now": self.world.now, **values}
        if code is not None:
            with pytest.raises(DomainError) as caught:
                service(self.world.session, **values)
            assert caught.value.code == code
            return False
        made = service(self.world.session, **values)
        for m in made if isinstance(made, list | tuple) else [made]:
            self.movements.append((m.id, m.kind, m.hub_id, m.kit_type_id, m.on_hand_delta))
            self.on_hand[(m.hub_id, m.kit_type_id)] += m.on_hand_delta
        return True

    def place(self, hub: int, kit: int) -> tuple[int, int]:
        return self.world.hubs[hub], self.world.kits[kit]

    @rule(hub=ONE_OF_TWO, kit=ONE_OF_TWO, quantity=st.integers(1, 12))
    def receive(self, hub, kit, quantity):
        hub_id, kit_id = self.place(hub, kit)
        self.run(stock.receive, None, kit_type_id=kit_id, quantity=quantity, party="Donor", hub_id=hub_id)

    @rule(hub=ONE_OF_TWO, kit=ONE_OF_TWO, quantity=st.integers(1, 8))
    def write_off(self, hub, kit, quantity):
        hub_id, kit_id = self.place(hub, kit)
        code = None if self.on_hand[(hub_id, kit_id)] >= quantity else "insufficient_stock"
        self.run(stock.write_off, code, kit_type_id=kit_id, quantity=quantity, reason="Lost", hub_id=hub_id)

    @rule(source=ONE_OF_TWO, to=ONE_OF_TWO, kit=ONE_OF_TWO, quantity=st.integers(1, 8))
    def transfer(self, source, to, kit, quantity):
        hub_id, kit_id = self.place(source, kit)
        enough = self.on_hand[(hub_id, kit_id)] >= quantity
        code = "same_hub" if source == to else None if enough else "insufficient_stock"
        target = self.world.hubs[to]
        self.run(stock.transfer, code, kit_type_id=kit_id, quantity=quantity, to_hub_id=target, hub_id=hub_id)

    @rule(hub=ONE_OF_TWO, kit=ONE_OF_TWO, counted=st.integers(0, 15))
    def adjust(self, hub, kit, counted):
        hub_id, kit_id = self.place(hub, kit)
        self.run(stock.adjust, None, kit_type_id=kit_id, counted=counted, hub_id=hub_id)
        assert self.on_hand[(hub_id, kit_id)] == counted

    @precondition(lambda self: self.movements)
    @rule(pick=st.integers(0, 10_000))
    def correct(self, pick):
        chosen = self.movements[pick % len(self.movements)]
        parts = [chosen]
        if chosen[1] in TRANSFERS:
            partner = chosen[0] + (1 if chosen[1] == MovementKind.TRANSFERRED_OUT else -1)
            parts = sorted([chosen, next(m for m in self.movements if m[0] == partner)], key=lambda m: -m[4])
        code = self.expected_correction(chosen, parts)
        if self.run(stock.correct, code, movement_id=chosen[0], reason="Mistake"):
            self.corrected.update(part[0] for part in parts)

    def expected_correction(self, chosen, parts) -> str | None:
        if chosen[1] == MovementKind.CORRECTED:
            return "not_correctable"
        if any(part[0] in self.corrected for part in parts):
            return "already_corrected"
        after = dict(self.on_hand)
        for _id, _kind, hub, kit, delta in parts:
            after[(hub, kit)] = after.get((hub, kit), 0) - delta
            if after[(hub, kit)] < 0:
                return "insufficient_stock"
        return None

    @invariant()
    def counters_equal_the_model_and_the_ledger(self):
        session, hubs, kits = self.world.session, self.world.hubs, self.world.kits
        levels = {(r.hub_id, r.kit_type_id): (r.on_hand, r.reserved, r.available) for r in stock.stock_rows(session)}
        model = {(h, k): (self.on_hand[(h, k)], 0, self.on_hand[(h, k)]) for h in hubs for k in kits}
        assert levels == model
        sums = session.execute(
            select(
                Movement.hub_id,
                Movement.kit_type_id,
                func.sum(Movement.on_hand_delta),
                func.sum(Movement.reserved_delta),
            ).group_by(Movement.hub_id, Movement.kit_type_id)
        ).all()
        from_ledger = {(h, k): (o, r, o - r) for h, k, o, r in sums}
        assert from_ledger == {key: value for key, value in model.items() if key in from_ledger}
        overdrawn = select(func.count()).select_from(StockLevel).where(StockLevel.on_hand < StockLevel.reserved)
        assert session.scalar(overdrawn) == 0

    @invariant()
    def the_chain_verifies(self):
        result = verify_ledger(self.world.session)
        assert result.ok, result
        assert result.checked == len(self.movements)


def test_counters_always_equal_the_ledger_and_the_chain_always_verifies(db_session, now, coordinator, make_kit_type):
    hubs = [stock.default_hub(db_session).id, stock.create_hub(db_session, {"name": "Second hub"}, now=now).id]
    kits = [make_kit_type(name="Rocket", unit_value_fen=100).id, make_kit_type(name="Balloon").id]
    db_session.commit()
    LedgerMachine.world = World(db_session, hubs, kits, coordinator, now)

    run_state_machine_as_test(LedgerMachine, settings=SETTINGS)

    answers = LedgerMachine.world.answers
    assert len(answers) >= 1000, len(answers)
    assert {"insufficient_stock", "same_hub", "already_corrected", "not_correctable", None} <= set(answers)
