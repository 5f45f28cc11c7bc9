"""One ticket scanned by many phones at the same moment counts once, on SQLite and PostgreSQL.

Each test starts gunicorn (four sync worker processes, so the requests cross processes) on the
test's database with its clock stopped during the visit, prepares the racing requests one by one
with the host's API token, then releases them all at once (tests.servers.race). It checks every
answer, the rows written, that the requests reached more than one process, and that the server
logged nothing bad.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import func, select

from accounts.services import issue_api_token
from checkin.models import Attendance, Scan
from tests.servers import gunicorn, race

RACERS = 20


@pytest.fixture(params=["alone", "shared cache"])
def gate_open(request, app, database_url, tmp_path, clock, db_session, now, gate):
    """A volunteer's ticket, the host's token, and the server, its clock half an hour into the visit: its
    processes alone, or sharing a cache on Redis as in production (then each process that has seen the host
    knows them without a query, and on PostgreSQL a check-in runs without a transaction around it)."""
    signup, ticket = gate.volunteer("Zhang Wei")
    token = issue_api_token(db_session, gate.host, now)
    db_session.commit()
    clock.set(gate.during(30))
    headers = {"Authorization": f"Bearer {token}"}
    env = {}
    if request.param == "shared cache":
        env = {"CACHE_REDIS_URL": request.getfixturevalue("redis_url"), "CACHE_KEY_PREFIX": f"race-{uuid.uuid4()}"}
    with gunicorn(database_url, tmp_path, clock, workers=4, threads=1, worker_class="sync", **env) as server:
        if env:
            for _ in range(16):  # the host's account, kept by the processes that answer these
                assert requests.get(f"{server.base}/api/v1/me", headers=headers, timeout=30).status_code == 200
        yield server, signup, ticket, headers


def _scan(server, headers, body):
    def call():
        answer = requests.post(f"{server.base}/api/v1/checkins", json=body, headers=headers, timeout=90)
        return answer.status_code, answer.json()

    return call


def _fresh(db_session) -> None:
    db_session.rollback()
    db_session.expire_all()


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def _served_cleanly(server, count: int) -> None:
    assert not server.problems(), server.problems()
    seen = server.requests_seen("POST", count)
    assert len(seen) == count and all(status == "200" for *_, status in seen), seen
    assert len({pid for pid, *_ in seen}) > 1, f"every scan went to one process: {seen}"


def test_twenty_phones_scanning_one_ticket_at_once_let_it_in_once_and_out_once(gate_open, db_session, gate):
    server, signup, ticket, headers = gate_open
    scans_in = [
        _scan(server, headers, {"ticket": ticket.secret, "direction": "in", "scan_id": f"in-{i}"})
        for i in range(RACERS)
    ]

    results = race(scans_in)

    assert [status for status, _ in results] == [200] * RACERS, results
    assert sorted(body["reason"] for _, body in results) == ["already_checked_in"] * (RACERS - 1) + ["ok"]
    assert all(body["volunteer"]["name"] == "Zhang Wei" for _, body in results)
    _fresh(db_session)
    assert _count(db_session, Attendance) == 1
    assert db_session.get(Attendance, signup.id).checked_in_at == gate.during(30)
    assert _count(db_session, Scan) == RACERS

    scans_out = [
        _scan(server, headers, {"ticket": ticket.secret, "direction": "out", "scan_id": f"out-{i}"})
        for i in range(RACERS)
    ]

    results = race(scans_out)

    assert sorted(body["reason"] for _, body in results) == ["already_checked_out"] * (RACERS - 1) + ["ok"], results
    _fresh(db_session)
    assert db_session.get(Attendance, signup.id).checked_out_at == gate.during(30)
    assert _count(db_session, Scan) == 2 * RACERS
    _served_cleanly(server, 2 * RACERS)


def test_one_scan_sent_twenty_times_at_once_is_stored_once_with_one_answer(gate_open, db_session):
    server, _signup, ticket, headers = gate_open
    body = {"ticket": ticket.secret, "direction": "in", "scan_id": "phone-1-0001"}

    results = race([_scan(server, headers, body) for _ in range(RACERS)])

    assert [status for status, _ in results] == [200] * RACERS, results
    # the one that counted says so; the others give its answer back, marked as a repeat
    assert sorted(answer["repeated"] for _, answer in results) == [False] + [True] * (RACERS - 1)
    answers = [{**answer, "repeated": None} for _, answer in results]
    assert all(answer == answers[0] for answer in answers), answers
    assert answers[0]["reason"] == "ok" and answers[0]["volunteer"]["name"] == "Zhang Wei"
    _fresh(db_session)
    assert _count(db_session, Scan) == 1
    assert _count(db_session, Attendance) == 1
    _served_cleanly(server, RACERS)
