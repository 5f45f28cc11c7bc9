"""The generator's signups (bench.scale): a visit's slots, places, waitlists and cancellations, tickets, and for
completed visits the check-ins, scans and minutes, as the app would have recorded them."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from types import SimpleNamespace

#: (role, capacity) of every visit's slots, in the order places are filled
SLOTS = (("lead_instructor", 1), ("assistant", 4), ("photographer", 1), ("driver", 2))
#: each school's volunteers: a visit takes its people from its school's own, so nobody is at two visits at once
PER_SCHOOL = 10


def signups(writer, t, new, visit, school_index, people, rng, tickets, minutes_counted) -> None:
    """The visit's slots and their signups: places confirmed (attended or no-show once completed), a waitlist in
    some full slots of visits to come, some cancelled signups; tickets, and for completed visits check-ins."""
    from checkin.models import Direction
    from events.models import VisitStatus
    from volunteers.models import SignupStatus

    status = visit.status
    volunteers = people.volunteers
    first = (school_index * PER_SCHOOL) % len(volunteers)
    pool = [volunteers[(first + k) % len(volunteers)] for k in range(min(PER_SCHOOL, len(volunteers)))]
    rng.shuffle(pool)
    filled = 0 if status == VisitStatus.DRAFT else rng.randint(3, 8)
    codes: set[str] = set()
    signed_at = (visit.published_at or visit.created_at) + timedelta(hours=2)

    def ticket(signup_id: int, revoked_at) -> int:
        while True:
            nonce = secrets.token_urlsafe(24)
            code_hash = tickets.hash_code(visit.id, tickets.code_of(nonce))
            if code_hash not in codes:
                codes.add(code_hash)
                break
        ticket_id = new("ticket")
        row = {
            "id": ticket_id,
            "signup_id": signup_id,
            "visit_id": visit.id,
            "nonce": nonce,
            "secret_hash": tickets.hash_secret(tickets.secret_of(nonce)),
            "code_hash": code_hash,
            "issued_at": signed_at,
            "revoked_at": revoked_at,
        }
        writer.add(t.ticket, row)
        return ticket_id

    def signup(slot_id: int, user_id: int, state, **extra) -> int:
        signup_id = new("signup")
        row = {
            "id": signup_id,
            "slot_id": slot_id,
            "visit_id": visit.id,
            "user_id": user_id,
            "status": state,
            "queue_number": None,
            "created_at": signed_at,
            "updated_at": signed_at,
            "confirmed_at": None,
            "cancelled_at": None,
            "assigned_by_id": None,
            "override_reason": "",
            "attended_minutes": None,
            "revision": 0 if state in (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED) else 1,
            **extra,
        }
        writer.add(t.signup, row)
        return signup_id

    for role, capacity in SLOTS:
        slot_id = new("slot")
        taken = min(capacity, filled, len(pool))
        filled -= taken
        waiting = status == VisitStatus.PUBLISHED and taken == capacity and len(pool) > taken and rng.random() < 0.5
        writer.add(  # before its signups: a full batch writes every table's rows so far, parents first
            t.slot,
            {
                "id": slot_id,
                "visit_id": visit.id,
                "role": role,
                "capacity": capacity,
                "taken": 0 if status == VisitStatus.CANCELLED else taken,
                "waitlisted": int(waiting),
                "waitlist_seq": int(waiting),
                "requires_training": False,
                "required_language": None,
                "description": "",
            },
        )
        for _ in range(taken):
            person = pool.pop()
            if status == VisitStatus.CANCELLED:
                signup_id = signup(slot_id, person, SignupStatus.CANCELLED, cancelled_at=visit.cancelled_at)
                ticket(signup_id, visit.cancelled_at)
            elif status == VisitStatus.PUBLISHED:
                signup_id = signup(slot_id, person, SignupStatus.CONFIRMED, confirmed_at=signed_at)
                ticket(signup_id, None)
            elif rng.random() < 0.1:  # completed: a no-show
                signup_id = signup(slot_id, person, SignupStatus.NO_SHOW, confirmed_at=signed_at)
                ticket(signup_id, visit.ends_at)
            else:
                _attended(writer, t, new, visit, slot_id, person, signup, ticket, rng, minutes_counted, Direction)
        if waiting:
            signup(slot_id, pool.pop(), SignupStatus.WAITLISTED, queue_number=1)
        if status == VisitStatus.PUBLISHED and pool and rng.random() < 0.15:
            cancelled = signed_at + timedelta(hours=5)
            signup_id = signup(
                slot_id, pool.pop(), SignupStatus.CANCELLED, confirmed_at=signed_at, cancelled_at=cancelled
            )
            ticket(signup_id, cancelled)


def _attended(writer, t, new, visit, slot_id, person, signup, ticket, rng, minutes_counted, Direction) -> None:
    """A volunteer who came: scanned in by the school's host, out (or closed at the end), minutes counted."""
    from volunteers.models import SignupStatus

    checked_in = visit.starts_at - timedelta(minutes=rng.randint(0, 60))
    closed_at_end = rng.random() < 0.1
    checked_out = visit.ends_at if closed_at_end else visit.ends_at - timedelta(minutes=rng.randint(0, 45))
    attendance = SimpleNamespace(checked_in_at=checked_in, checked_out_at=checked_out)
    minutes = minutes_counted(attendance, visit)
    confirmed = visit.published_at + timedelta(hours=2)
    signup_id = signup(
        slot_id,
        person,
        SignupStatus.ATTENDED,
        confirmed_at=confirmed,
        attended_minutes=minutes,
        updated_at=visit.ends_at,
    )
    ticket_id = ticket(signup_id, None)
    writer.add(
        t.attendance,
        {
            "signup_id": signup_id,
            "visit_id": visit.id,
            "checked_in_at": checked_in,
            "checked_out_at": checked_out,
            "closed_at_end": closed_at_end,
            "corrected_by_id": None,
            "corrected_at": None,
            "correction_reason": "",
        },
    )
    scans = [(Direction.IN, checked_in)] + ([] if closed_at_end else [(Direction.OUT, checked_out)])
    for direction, at in scans:
        writer.add(
            t.scan,
            {
                "id": new("scan"),
                "scan_id": uuid.uuid4().hex,
                "visit_id": visit.id,
                "ticket_id": ticket_id,
                "signup_id": signup_id,
                "scanner_id": visit.school.host,
                "direction": direction,
                "reason": "ok",
                "scanned_at": at,
                "received_at": at,
            },
        )
