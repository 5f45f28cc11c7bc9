"""Many requests for the same places at the same moment, through the real HTTP layer, on SQLite and PostgreSQL.

Each request runs as a server runs it: its own thread, app context, database session and
connection, entering through the API view (a transaction that begins with SQLite's write lock
because the method is unsafe, the service, commit). One test runs
several gunicorn worker processes, as production does. Every race is repeated for several rounds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from accounts.models import Role
from accounts.services import issue_api_token
from events.models import RoleSlot
from mail.models import OutboxMessage
from tests.servers import gunicorn, race
from volunteers import signups, waitlist
from volunteers.models import Signup, SignupStatus

THREADS = 20
ROUNDS = 5
#: for the other races, to keep the whole file within about half a minute
FEWER_ROUNDS = 3

# Enough connections for every racing request at once; otherwise some would queue for the pool
# instead of for the database, and the race would be milder than in production.
pytestmark = pytest.mark.app_config(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": THREADS + 10})


class Api:
    """A client of a running server, one HTTP connection per request."""

    def __init__(self, base: str):
        self.base = base

    def sign_up(self, slot_id: int, headers: dict) -> Callable[[], tuple[int, dict]]:
        def call():
            response = requests.post(
                f"{self.base}/api/v1/slots/{slot_id}/signups", json={}, headers=headers, timeout=90
            )
            return response.status_code, _json(response)

        return call

    def cancel(self, signup_id: int, headers: dict) -> Callable[[], tuple[int, dict]]:
        def call():
            response = requests.delete(f"{self.base}/api/v1/signups/{signup_id}", headers=headers, timeout=90)
            return response.status_code, _json(response)

        return call


def _json(response: requests.Response) -> dict:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return {"text": response.text}


@pytest.fixture
def server(app):
    """The app behind werkzeug's threaded server: a thread, an app context and a session per request."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Api(f"http://127.0.0.1:{httpd.server_port}")
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def volunteers(make_user, db_session, now):
    """Volunteers with API tokens: [(user, headers)]."""

    def make(n: int) -> list[tuple]:
        people = [make_user(Role.VOLUNTEER) for _ in range(n)]
        headers = [{"Authorization": f"Bearer {issue_api_token(db_session, p, now)}"} for p in people]
        db_session.commit()
        return list(zip(people, headers, strict=True))

    return make


@pytest.fixture
def no_errors_logged(caplog):
    """No request may log an error; 'database is locked' in particular."""
    yield
    bad = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or "locked" in r.getMessage()]
    assert not bad, [r.getMessage() for r in bad]


def fresh(db_session) -> None:
    """Forget what the test's session read, so it sees what the requests committed."""
    db_session.rollback()
    db_session.expire_all()


def slot_state(db_session, slot_id: int) -> tuple[RoleSlot, list[Signup], list[Signup]]:
    """The slot, its confirmed and its waiting signups, checked against each other."""
    fresh(db_session)
    slot = db_session.get(RoleSlot, slot_id)
    rows = db_session.scalars(select(Signup).where(Signup.slot_id == slot_id)).all()
    confirmed = [s for s in rows if s.status == SignupStatus.CONFIRMED]
    waiting = sorted((s for s in rows if s.status == SignupStatus.WAITLISTED), key=lambda s: s.queue_number)
    assert slot.taken == len(confirmed) <= slot.capacity
    assert slot.waitlisted == len(waiting)
    if waiting:
        assert slot.taken == slot.capacity, "a place is free while people wait for one"
    positions = waitlist.waitlist_positions(db_session, waiting)
    assert [positions[s.id] for s in waiting] == list(range(1, len(waiting) + 1))
    active = [s.user_id for s in rows if s.is_active]
    assert len(active) == len(set(active)), "someone holds two places"
    return slot, confirmed, waiting


def prefill(db_session, now, slot: RoleSlot, people) -> list[Signup]:
    made = [signups.sign_up(db_session, slot_id=slot.id, volunteer=p, now=now)[0] for p in people]
    db_session.commit()
    return made


def outbox_count(db_session, user) -> int:
    return db_session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == user.email)
    )


# ---------------------------------------------------------------- the races


def test_racing_for_the_last_places_confirms_exactly_capacity_and_queues_the_rest(
    server, db_session, now, make_visit, volunteers, no_errors_logged
):
    capacity, already = 3, 1
    early = volunteers(already)
    racers = volunteers(THREADS)
    for round_ in range(ROUNDS):
        # A visit on another day each round, so last round's signups are no time conflict.
        slot = make_visit(capacity=capacity, days_ahead=10 + round_).slots[0]
        prefill(db_session, now, slot, [user for user, _ in early])

        results = race([server.sign_up(slot.id, headers) for _, headers in racers])

        assert all(isinstance(r, tuple) and r[0] == 201 for r in results), results
        bodies = [body for _, body in results]
        assert sum(b["status"] == "confirmed" for b in bodies) == capacity - already
        told = sorted(b["position"] for b in bodies if b["status"] == "waitlisted")
        assert told == list(range(1, THREADS - (capacity - already) + 1))
        slot_, confirmed, waiting = slot_state(db_session, slot.id)
        assert (slot_.taken, len(confirmed), len(waiting)) == (capacity, capacity, THREADS + already - capacity)
        racer_ids = {user.id for user, _ in racers}
        assert {b["id"] for b in bodies} == {s.id for s in confirmed + waiting if s.user_id in racer_ids}


def test_the_same_request_sent_twenty_times_at_once_makes_one_signup(
    server, db_session, now, make_visit, volunteers, no_errors_logged
):
    (holder, _), (person, headers) = volunteers(2)
    for round_ in range(FEWER_ROUNDS):
        # Odd rounds: the slot is full, so the one signup is a place in the queue.
        slot = make_visit(capacity=1, days_ahead=10 + round_).slots[0]
        if round_ % 2:
            prefill(db_session, now, slot, [holder])
        mail_before = outbox_count(db_session, person)

        results = race([server.sign_up(slot.id, headers) for _ in range(THREADS)])

        assert all(isinstance(r, tuple) and r[0] in (200, 201) for r in results), results
        assert sorted(status for status, _ in results) == [200] * (THREADS - 1) + [201]
        assert len({body["id"] for _, body in results}) == 1
        slot_, _, waiting = slot_state(db_session, slot.id)
        assert (slot_.taken, len(waiting)) == (1, round_ % 2)
        mine = db_session.scalars(select(Signup).where(Signup.user_id == person.id, Signup.slot_id == slot.id)).all()
        assert len(mine) == 1
        assert mine[0].status == (SignupStatus.WAITLISTED if round_ % 2 else SignupStatus.CONFIRMED)
        assert outbox_count(db_session, person) == mail_before + 1, "one signup, one message"


def test_cancellations_racing_signups_keep_places_and_queue_consistent(
    server, db_session, now, make_visit, volunteers, no_errors_logged
):
    capacity = 4
    holders, waiters = volunteers(capacity), volunteers(2)
    newcomers = volunteers(THREADS - capacity - 2 - len(waiters))
    for round_ in range(FEWER_ROUNDS):
        slot = make_visit(capacity=capacity, days_ahead=10 + round_).slots[0]
        held = prefill(db_session, now, slot, [u for u, _ in holders])
        queued = prefill(db_session, now, slot, [u for u, _ in waiters])
        calls = [server.cancel(s.id, h) for s, (_, h) in zip(held, holders, strict=True)]
        # The same cancellation twice at once must free one place, not two.
        calls += [server.cancel(held[i].id, holders[i][1]) for i in range(2)]
        calls += [server.cancel(s.id, h) for s, (_, h) in zip(queued, waiters, strict=True)]
        calls += [server.sign_up(slot.id, h) for _, h in newcomers]
        assert len(calls) == THREADS

        results = race(calls)

        expected = [204] * (capacity + 2 + len(waiters)) + [201] * len(newcomers)
        assert [r[0] if isinstance(r, tuple) else r for r in results] == expected, results
        slot_, confirmed, waiting = slot_state(db_session, slot.id)
        assert {s.user_id for s in confirmed + waiting} == {u.id for u, _ in newcomers}
        assert (slot_.taken, len(waiting)) == (capacity, len(newcomers) - capacity)


# ---------------------------------------------------------------- several server processes


@pytest.fixture
def several_processes(app, database_url, tmp_path, clock):
    """The app under gunicorn with three worker processes of eight threads, on the test's database and clock."""
    with gunicorn(database_url, tmp_path, clock) as server:
        yield server


def test_several_server_processes_racing_for_the_last_places_confirm_exactly_capacity(
    several_processes, db_session, now, make_visit, volunteers
):
    api = Api(several_processes.base)
    capacity = 3
    racers = volunteers(THREADS)
    for round_ in range(FEWER_ROUNDS):
        slot = make_visit(capacity=capacity, days_ahead=10 + round_).slots[0]

        results = race([api.sign_up(slot.id, headers) for _, headers in racers])

        assert all(isinstance(r, tuple) and r[0] == 201 for r in results), (results, several_processes.log.read_text())
        assert sum(body["status"] == "confirmed" for _, body in results) == capacity
        told = sorted(body["position"] for _, body in results if body["status"] == "waitlisted")
        assert told == list(range(1, THREADS - capacity + 1))
        slot_, confirmed, waiting = slot_state(db_session, slot.id)
        assert (slot_.taken, len(confirmed), len(waiting)) == (capacity, capacity, THREADS - capacity)
    assert not several_processes.problems()
    posts = several_processes.requests_seen("POST", FEWER_ROUNDS * THREADS)
    assert len(posts) == FEWER_ROUNDS * THREADS and {status for *_, status in posts} == {"201"}
    assert len({pid for pid, *_ in posts}) > 1, "every request went to one process"


def test_one_person_asking_for_two_overlapping_visits_at_once_gets_only_one(
    server, db_session, now, make_visit, make_school, volunteers, no_errors_logged
):
    ((person, headers),) = volunteers(1)
    for round_ in range(FEWER_ROUNDS):
        first = make_visit(days_ahead=40 + round_)
        second = make_visit(school=make_school(), days_ahead=40 + round_)

        results = race([server.sign_up(first.slots[0].id, headers), server.sign_up(second.slots[0].id, headers)] * 5)

        assert all(isinstance(r, tuple) for r in results), results
        assert {status for status, _ in results} <= {200, 201, 409}
        assert [body.get("error", {}).get("code") for status, body in results if status == 409] == [
            "time_conflict"
        ] * sum(1 for status, _ in results if status == 409)
        fresh(db_session)
        mine = db_session.scalars(
            select(Signup).where(Signup.user_id == person.id, Signup.visit_id.in_([first.id, second.id]))
        ).all()
        assert len(mine) == 1, f"round {round_}: {[(s.visit_id, s.status) for s in mine]}"
