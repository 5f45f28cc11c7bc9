"""Low-stock alerts: coordinators are mailed once each time available stock falls below its threshold, in
their own language, in the movement's transaction; staying below sends nothing; a rise re-arms it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts.models import Role
from kits import stock
from mail.models import OutboxMessage


@pytest.fixture
def coordinators(make_user):
    """Two more programme coordinators (beside `coordinator`, person1), one reading English and one Chinese,
    and a volunteer who hears nothing."""
    make_user(Role.VOLUNTEER, email="volunteer@example.com")
    return (
        make_user(Role.ADMIN, email="ada@example.com", name="Ada", locale="en"),
        make_user(Role.ADMIN, email="li@example.com", name="李雷", locale="zh_CN"),
    )


def _alerts(db_session) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.template == "low_stock").order_by(OutboxMessage.id)
    return list(db_session.scalars(statement))


def _write_off(db_session, now, kit, quantity):
    stock.write_off(db_session, kit_type_id=kit.id, quantity=quantity, reason="Damaged", actor=None, now=now)
    db_session.commit()


def test_one_mail_per_coordinator_per_crossing_none_while_below_again_after_a_rise(
    db_session, now, kit, stocked, coordinators
):
    stocked(10)  # threshold 5
    _write_off(db_session, now, kit, 5)
    assert _alerts(db_session) == []  # 5 available: not below 5
    _write_off(db_session, now, kit, 1)
    first = _alerts(db_session)
    assert sorted(message.recipient for message in first) == [
        "ada@example.com",
        "li@example.com",
        "person1@example.com",
    ]
    _write_off(db_session, now, kit, 1)
    stocked(1)
    assert len(_alerts(db_session)) == 3  # still below: nothing new
    stocked(1)  # back to 5: re-armed
    assert len(_alerts(db_session)) == 3
    _write_off(db_session, now, kit, 1)
    assert len(_alerts(db_session)) == 6


def test_the_alert_is_written_in_each_coordinators_language(db_session, now, kit, stocked, coordinators):
    stocked(6)
    _write_off(db_session, now, kit, 2)
    english, chinese, _ = sorted(_alerts(db_session), key=lambda message: message.recipient)
    assert english.subject == "Low stock: Water rocket kit at 总仓库 Main hub"
    assert "4 available, warning below 5" in english.body and "/kits/stock" in english.body
    assert english.body.startswith("Hello Ada,")
    assert "库存不足" in chinese.subject
    assert "李雷" in chinese.body and "Low stock" not in chinese.subject


def test_a_reservation_that_takes_stock_below_the_threshold_alerts(
    db_session, now, kit, stocked, coordinators, make_visit
):
    stocked(10)  # a lesson of 30 students takes ceil(30 / 4) = 8 kits: 2 left
    make_visit(kit_type=kit)
    assert len(_alerts(db_session)) == 3


def test_a_failed_movement_sends_nothing(db_session, now, kit, stocked, coordinators):
    from core.errors import DomainError

    stocked(6)
    with pytest.raises(DomainError):
        stock.write_off(db_session, kit_type_id=kit.id, quantity=7, reason="Lost", actor=None, now=now)
    db_session.rollback()
    assert _alerts(db_session) == []


def test_a_first_delivery_below_the_threshold_is_not_a_fall(db_session, now, kit, stocked, coordinators):
    stocked(3)
    assert _alerts(db_session) == []
