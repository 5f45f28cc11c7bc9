"""The benchmark's data generator (bench/scale.py) at a tiny scale: the sizes the scale says, data the app takes as
its own (the ledger verifies, counters agree with rows, secrets derive as the app derives them), and pages that
answer on it. On SQLite and PostgreSQL, at the fixed clock."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from accounts.models import Role, UserRole
from bench.scale import BENCH_PASSWORD, PER_UNIT, Sizes, generate
from checkin.models import Attendance, Ticket
from checkin.tickets import find_ticket, secret_of, ticket_for
from demo import seed_demo
from events.models import RoleSlot, School, Visit
from events.services import create_school
from kits import lots
from kits.ledger import head_state, verify_ledger
from kits.models import Movement, MovementKind, MovementLot, StockLevel
from volunteers.models import Signup, SignupStatus

SCALE = 0.05


@pytest.fixture
def generated(app, db_session, now):
    made = generate(db_session, SCALE, now)
    db_session.commit()
    return made


def _count(session, what, *where) -> int:
    return session.scalar(select(func.count()).select_from(what).where(*where))


def test_sizes_follow_the_scale():
    assert Sizes.at(1) == Sizes(20, 200, 100, 5000, companies=2, hosts=10, hubs=3)
    big = Sizes.at(100)
    assert (big.schools, big.volunteers, big.visits, big.movements) == (2000, 20000, 10000, 500000)
    assert Sizes.at(0.05) == Sizes(1, 10, 5, 250, companies=1, hosts=1, hubs=1)


def test_generated_data_has_the_scales_counts_and_the_ledger_verifies(db_session, generated):
    sizes = generated.sizes
    assert _count(db_session, School) == sizes.schools == round(PER_UNIT["schools"] * SCALE)
    assert _count(db_session, Visit) == sizes.visits == 5
    assert _count(db_session, UserRole, UserRole.role == Role.VOLUNTEER) == sizes.volunteers == 10
    assert _count(db_session, Movement) == sizes.movements == 250
    assert generated.rows["movement"] == 250
    result = verify_ledger(db_session)
    assert result.ok, result
    assert result.checked == head_state(db_session).count == 250
    kinds = set(db_session.scalars(select(Movement.kind).distinct()))
    assert {MovementKind.RECEIVED, MovementKind.RESERVED, MovementKind.SHIPPED, MovementKind.CONSUMED} <= kinds


def test_generated_counters_tickets_and_trails_agree_with_the_rows(db_session, generated, now):
    for slot in db_session.scalars(select(RoleSlot)):
        holding = (SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.NO_SHOW)
        assert slot.taken == _count(db_session, Signup, Signup.slot_id == slot.id, Signup.status.in_(holding))
        waiting = _count(db_session, Signup, Signup.slot_id == slot.id, Signup.status == SignupStatus.WAITLISTED)
        assert slot.waitlisted == waiting <= slot.waitlist_seq
        assert slot.taken <= slot.capacity
    ticketed = db_session.scalars(
        select(Signup).where(Signup.status.in_([SignupStatus.CONFIRMED, SignupStatus.ATTENDED]))
    ).all()
    assert ticketed
    for signup in ticketed:
        ticket = db_session.scalar(select(Ticket).where(Ticket.signup_id == signup.id, Ticket.revoked_at.is_(None)))
        assert find_ticket(db_session, secret_of(ticket.nonce)) == ticket  # derived under the app's SECRET_KEY
        assert ticket_for(db_session, signup, now).ticket == ticket  # kept, not reissued
    attended = _count(db_session, Signup, Signup.status == SignupStatus.ATTENDED)
    assert attended == _count(db_session, Attendance)
    assert _count(db_session, Signup, Signup.status == SignupStatus.ATTENDED, Signup.attended_minutes.is_(None)) == 0
    donation = db_session.scalar(select(Movement).where(Movement.kind == MovementKind.RECEIVED).limit(1))
    assert lots.find_donation(db_session, lots.trail_secret(donation.id)) == donation
    # every kit at a hub belongs to a donation: the lots at each hub add up to its counter
    sign = func.sign(Movement.on_hand_delta)
    at_hubs = db_session.execute(
        select(Movement.hub_id, Movement.kit_type_id, func.sum(sign * MovementLot.quantity))
        .join(MovementLot, MovementLot.movement_id == Movement.id)
        .group_by(Movement.hub_id, Movement.kit_type_id)
    ).all()
    counters = {(s.hub_id, s.kit_type_id): s.on_hand for s in db_session.scalars(select(StockLevel))}
    assert {(hub, kit): total for hub, kit, total in at_hubs} == counters


def test_generating_on_top_of_the_demo_continues_its_chain_and_ids(db_session, now):
    seed_demo(db_session, now)
    db_session.commit()
    before = head_state(db_session).count
    generate(db_session, SCALE, now)
    db_session.commit()
    result = verify_ledger(db_session)
    assert result.ok, result
    assert result.checked == before + 250
    # the ids go on from the generated rows (PostgreSQL's sequences were moved past them)
    school = create_school(db_session, {"name": "After the bench", "province": "四川省"}, now=now)
    db_session.commit()
    assert school.id == db_session.scalar(select(func.max(School.id)))


def test_pages_answer_on_generated_data(client, login, generated):
    visit_id = generated.upcoming_visit_ids[0]
    for path in ("/", f"/visits/{visit_id}", "/api/v1/visits", "/impact"):
        assert client.get(path).status_code == 200, path
    login(SimpleNamespace(email=generated.volunteer_email), BENCH_PASSWORD)
    assert client.get("/my/visits").status_code == 200
    client.post("/logout")
    login(SimpleNamespace(email=generated.host_email), BENCH_PASSWORD)
    assert client.get("/visits/").status_code == 200
    client.post("/logout")
    login(SimpleNamespace(email=generated.admin_email), BENCH_PASSWORD)
    for path in ("/visits/", "/kits/stock", "/kits/forecast", "/reports/", f"/visits/{visit_id}/kits"):
        assert client.get(path).status_code == 200, path
