"""Each confirmed signup's ticket link on GET /api/v1/me/signups: through volunteers' hook, one query for the page."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from checkin.models import Ticket
from checkin.tickets import reissue_ticket, ticket_for
from tests.checkin.conftest import get_statements
from volunteers import signups
from volunteers.models import SignupStatus
from volunteers.ticket_links import EXTENSION


def _my_signups(client, headers) -> dict:
    response = client.get("/api/v1/me/signups", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {item["id"]: item["ticket_url"] for item in response.get_json()["items"]}


def test_each_confirmed_signup_has_its_ticket_link(client, db_session, now, gate, bearer, make_visit):
    signup, ticket = gate.volunteer()
    person = signup.user
    full = make_visit(school=gate.school, days_ahead=4, capacity=1)
    signups.sign_up(db_session, slot_id=full.slots[0].id, volunteer=gate.volunteer("Taken")[0].user, now=now)
    waiting, _ = signups.sign_up(db_session, slot_id=full.slots[0].id, volunteer=person, now=now)
    db_session.commit()
    assert waiting.status == SignupStatus.WAITLISTED
    links = _my_signups(client, bearer(person))
    assert links == {signup.id: f"http://scivisit.test/t/{ticket.secret}", waiting.id: None}

    new = reissue_ticket(db_session, signup, now)
    db_session.commit()
    assert _my_signups(client, bearer(person))[signup.id] == f"http://scivisit.test/t/{new.secret}"


@pytest.mark.app_config(BASE_URL="https://scivisit.example.org/")
def test_a_signup_confirmed_before_tickets_existed_gets_one_when_asked(client, db_session, now, gate, bearer):
    signup, _ = gate.volunteer()
    db_session.execute(delete(Ticket))
    db_session.commit()
    headers = bearer(signup.user)
    first = _my_signups(client, headers)[signup.id]
    assert first.startswith("https://scivisit.example.org/t/")
    assert _my_signups(client, headers)[signup.id] == first  # issued once, kept
    tickets = db_session.scalars(select(Ticket).where(Ticket.signup_id == signup.id)).all()
    assert len(tickets) == 1
    assert first.endswith("/t/" + ticket_for(db_session, signup, now).secret)


def test_ticket_links_take_one_query_for_the_whole_page(client, db_session, now, gate, bearer, make_visit):
    signup, _ = gate.volunteer()
    person, headers = signup.user, bearer(signup.user)
    few = get_statements(client, "/api/v1/me/signups", headers)
    for days in (4, 6, 8):
        visit = make_visit(school=gate.school, days_ahead=days)
        signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=person, now=now)
    db_session.commit()
    assert len([url for url in _my_signups(client, headers).values() if url]) == 4
    assert get_statements(client, "/api/v1/me/signups", headers) == few


def test_without_a_registered_ticket_link_signups_have_none(app, client, gate, bearer, monkeypatch):
    signup, _ = gate.volunteer()
    monkeypatch.delitem(app.extensions, EXTENSION)
    assert _my_signups(client, bearer(signup.user)) == {signup.id: None}
