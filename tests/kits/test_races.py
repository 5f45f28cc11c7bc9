"""Available stock never goes below zero, whatever runs at once, on SQLite and PostgreSQL.

gunicorn with four sync worker processes serves the test's database; 20 write-offs of one kit against a
stock of 7 are prepared with a programme coordinator's API token and released at the same moment
(tests.servers.race). Exactly 7 succeed and 13 are refused with insufficient_stock (409); the ledger's
chain verifies afterwards, every movement follows a different one, and the requests reached more than
one process without the server logging anything bad.
"""

from __future__ import annotations

import itertools

import pytest
import requests
from sqlalchemy import select

from accounts.services import issue_api_token
from kits.ledger import verify_ledger
from kits.models import Movement, MovementKind
from tests.kits.conftest import level
from tests.servers import gunicorn, race

RACERS = 20
STOCK = 7


@pytest.fixture
def server(app, database_url, tmp_path, clock):
    with gunicorn(database_url, tmp_path, clock, workers=4, threads=1, worker_class="sync") as running:
        yield running


def test_twenty_write_offs_of_one_against_seven_give_seven_successes_and_thirteen_409(
    server, db_session, now, coordinator, kit, main_hub, stocked
):
    stocked(STOCK)
    token = issue_api_token(db_session, coordinator, now)
    db_session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"kind": "written_off", "kit_type_id": kit.id, "quantity": 1, "reason": "Race"}

    def write_off():
        answer = requests.post(f"{server.base}/api/v1/stock/movements", json=body, headers=headers, timeout=90)
        return answer.status_code, answer.json().get("error", {}).get("code")

    results = race([write_off] * RACERS)

    assert sorted(results, key=str) == sorted(
        [(201, None)] * STOCK + [(409, "insufficient_stock")] * (RACERS - STOCK), key=str
    )
    db_session.rollback()
    db_session.expire_all()
    assert level(db_session, main_hub, kit) == (0, 0, 0)
    written = db_session.scalars(select(Movement).where(Movement.kind == MovementKind.WRITTEN_OFF)).all()
    assert len(written) == STOCK
    chain = db_session.scalars(select(Movement).order_by(Movement.id)).all()
    assert [m.id for m in chain] == list(range(1, STOCK + 2))
    assert len({m.prev_hash for m in chain}) == len(chain)
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(chain))
    result = verify_ledger(db_session)
    assert (result.ok, result.checked) == (True, STOCK + 1)
    assert not server.problems(), server.problems()
    seen = server.requests_seen("POST", RACERS)
    assert len(seen) == RACERS
    assert len({pid for pid, *_ in seen}) > 1, f"every write-off went to one process: {seen}"


def test_two_lessons_wanting_the_last_kits_at_once_never_overdraw_and_the_loser_shows_a_shortfall(
    server, db_session, now, coordinator, kit, main_hub, stocked, make_visit, make_school
):
    """Two visits' lessons take a kit type at the same moment, each needing all 8 kits in stock."""
    from events.models import VisitStatus
    from kits.models import KitReservation

    stocked(8)
    visits = [make_visit(school=make_school(name=f"School {i}"), status=VisitStatus.DRAFT) for i in range(2)]
    token = issue_api_token(db_session, coordinator, now)
    db_session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    def take_kits(visit):
        lesson = visit.lessons[0]
        body = {
            "lessons": [
                {
                    "id": lesson.id,
                    "title": lesson.title,
                    "grade": lesson.grade,
                    "starts_at": lesson.starts_at.isoformat(),
                    "ends_at": lesson.ends_at.isoformat(),
                    "students_expected": 8 * kit.students_per_kit,
                    "kit_type_id": kit.id,
                }
            ]
        }

        def call():
            answer = requests.patch(f"{server.base}/api/v1/visits/{visit.id}", json=body, headers=headers, timeout=90)
            return answer.status_code

        return call

    assert race([take_kits(visit) for visit in visits]) == [200, 200]

    db_session.rollback()
    db_session.expire_all()
    held = sorted((row.reserved, row.shortfall) for row in db_session.scalars(select(KitReservation)))
    assert held == [(0, 8), (8, 0)]
    assert level(db_session, main_hub, kit) == (8, 8, 0)
    assert verify_ledger(db_session).ok
