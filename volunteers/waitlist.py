"""A role slot's places and queue: counters changed only by conditional updates, under the slot's lock.

Whatever changes a slot's places or its waitlist goes through these, so the counters and the
CHECK constraints behind them hold with any number of server processes.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from events.models import RoleSlot
from volunteers.models import Signup, SignupStatus


def lock_slot(session: Session, slot_id: int) -> None:
    """Wait for the slot's row lock (PostgreSQL; on SQLite begin_write already holds the database's).

    Whatever changes a slot's places or queue takes it first, so such changes never interleave:
    a signup that found the slot full cannot join the queue just after a cancellation freed a
    place and found nobody waiting, and one signup cannot be cancelled twice at once.
    """
    session.execute(select(RoleSlot.id).where(RoleSlot.id == slot_id).with_for_update())


def take_place(session: Session, slot_id: int) -> bool:
    """Take one confirmed place if one is left: a conditional UPDATE, so two can never take the last."""
    result = session.execute(
        update(RoleSlot)
        .where(RoleSlot.id == slot_id, RoleSlot.taken < RoleSlot.capacity)
        .values(taken=RoleSlot.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_place(session: Session, slot_id: int) -> None:
    session.execute(
        update(RoleSlot)
        .where(RoleSlot.id == slot_id, RoleSlot.taken > 0)
        .values(taken=RoleSlot.taken - 1)
        .execution_options(synchronize_session=False)
    )


def join_queue(session: Session, slot_id: int) -> int:
    """The next waitlist number of the slot, handed out by the database."""
    return session.execute(
        update(RoleSlot)
        .where(RoleSlot.id == slot_id)
        .values(waitlist_seq=RoleSlot.waitlist_seq + 1, waitlisted=RoleSlot.waitlisted + 1)
        .returning(RoleSlot.waitlist_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def leave_queue(session: Session, slot_id: int) -> None:
    session.execute(
        update(RoleSlot)
        .where(RoleSlot.id == slot_id, RoleSlot.waitlisted > 0)
        .values(waitlisted=RoleSlot.waitlisted - 1)
        .execution_options(synchronize_session=False)
    )


def waitlist_position(session: Session, signup: Signup) -> int | None:
    """1 for the first person waiting in the slot, and so on; None when not waiting."""
    if signup.status != SignupStatus.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Signup)
        .where(
            Signup.slot_id == signup.slot_id,
            Signup.status == SignupStatus.WAITLISTED,
            Signup.queue_number < signup.queue_number,
        )
    )
    return (ahead or 0) + 1


def waitlist_positions(session: Session, signups: list[Signup]) -> dict[int, int]:
    """Positions of many waiting signups in one query."""
    waiting = [s for s in signups if s.status == SignupStatus.WAITLISTED]
    if not waiting:
        return {}
    rank = func.row_number().over(partition_by=Signup.slot_id, order_by=Signup.queue_number).label("position")
    ranked = (
        select(Signup.id, rank)
        .where(Signup.slot_id.in_({s.slot_id for s in waiting}), Signup.status == SignupStatus.WAITLISTED)
        .subquery()
    )
    wanted = {s.id for s in waiting}
    return {row.id: row.position for row in session.execute(select(ranked)) if row.id in wanted}
