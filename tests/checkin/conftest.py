"""Check-in fixtures: a visit with a host, volunteers with tickets, and a scan at a chosen moment."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from accounts.models import Role
from accounts.services import issue_api_token
from checkin import scans
from checkin.models import Direction
from checkin.tickets import ticket_for
from tests.conftest import statements_run
from volunteers import signups

_scan_ids = itertools.count(1)


@pytest.fixture
def gate(db_session, now, make_user, make_school, make_visit):
    """A published visit two days ahead with its school's host, and a way to give volunteers tickets."""

    class Gate:
        host = make_user(Role.HOST, name="Host Teacher")
        school = make_school(hosts=[host], name="Gate School")
        visit = make_visit(school=school, days_ahead=2, capacity=5)

        def volunteer(self, name: str = "Zhang Wei", visit=None, company=None):
            """A volunteer (of `company`, if given) with a confirmed place and their ticket (secret and short code)."""
            visit = visit or self.visit
            person = make_user(name=name, company=company)
            signup, _ = signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=person, now=now)
            issued = ticket_for(db_session, signup, now)
            db_session.commit()
            return signup, issued

        def during(self, minutes: int = 30):
            """A moment `minutes` after the visit starts."""
            return self.visit.starts_at + timedelta(minutes=minutes)

    return Gate()


@pytest.fixture
def scan_at(db_session):
    """Scan `ticket` as `scanner` at `at` (the server's clock reads the same), committed."""

    def do(scanner, ticket, at, *, direction=Direction.IN, scan_id=None, visit_id=None, now=None):
        answer = scans.scan(
            db_session,
            scanner=scanner,
            ticket=ticket,
            direction=direction,
            scan_id=scan_id or f"scan-{next(_scan_ids)}",
            scanned_at=at,
            now=now or at,
            visit_id=visit_id,
        )
        db_session.commit()
        return answer

    return do


@pytest.fixture
def english(client):
    """Pages in English, so a test can read them (`pytestmark = pytest.mark.usefixtures("english")`)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def bearer(db_session, now):
    """Headers with a fresh API token of `user`, answers in `language`."""

    def headers(user, language: str = "en") -> dict:
        token = issue_api_token(db_session, user, now)
        db_session.commit()
        return {"Authorization": f"Bearer {token}", "Accept-Language": language}

    return headers


def get_statements(client, path: str, headers: dict) -> int:
    """How many SQL statements a GET of `path` runs, after a first one has warmed the caches."""
    client.get(path, headers=headers)
    with statements_run(transaction_control=True) as seen:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return len(seen)
