"""Every kind of write, many at the same moment from several server processes, never fails.

On SQLite only one connection writes at a time: a transaction that read first and then wanted to
write used to fail at once with "database is locked" (a 500) when another process had written in
between. Now every transaction of a request that may change data begins with the write lock
(core.db), and the rest queue on the busy timeout. On PostgreSQL the same races must end in clear
answers too: a unique email taken twice at once is one account and a 409, never a 500 from the
constraint.

Each test starts gunicorn (four worker processes) on the test's database,
prepares what each racer needs (signed-in sessions, CSRF tokens, forms read from the real pages)
one by one, then releases every request at the same moment. It checks every answer, the rows
written, that the requests reached more than one process, and that the server logged nothing bad.
"""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import func, select

from accounts.models import ApiToken, Invitation, Role, User
from accounts.services import invite
from events.models import School, Visit
from mail.models import OutboxMessage
from tests.conftest import PASSWORD
from tests.servers import form_fields, gunicorn, race, replaced

RACERS = 8


@pytest.fixture
def server(app, database_url, tmp_path, clock):
    # Sync workers serve one request at a time, so eight at once must spread over the processes
    # (a threaded worker may accept them all itself, and the race would not cross processes).
    with gunicorn(database_url, tmp_path, clock, workers=4, threads=1, worker_class="sync") as running:
        yield running


def browser(server, path: str) -> tuple[requests.Session, str]:
    """A new browser session that opened `path`; returns it and the page."""
    session = requests.Session()
    page = session.get(server.base + path, timeout=30)
    assert page.status_code == 200, (path, page.status_code)
    return session, page.text


def signed_in(server, email: str) -> requests.Session:
    session, page = browser(server, "/login")
    fields = replaced(form_fields(page, ""), email=email, password=PASSWORD)
    answer = session.post(server.base + "/login", data=fields, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    return session


def post(session: requests.Session, url: str, fields) -> callable:
    def call():
        return session.post(url, data=fields, allow_redirects=False, timeout=90).status_code

    return call


def assert_served_cleanly(server, method: str, count: int) -> None:
    assert not server.problems(), server.problems()
    seen = server.requests_seen(method, count)
    assert len({pid for pid, *_ in seen}) > 1, f"every {method} went to one process: {seen}"


def fresh(db_session) -> None:
    db_session.rollback()
    db_session.expire_all()


def registration(server, join_code: str, email: str, name: str):
    """A browser that filled in the registration form; calling the result sends it."""
    session, page = browser(server, f"/register?join_code={join_code}")
    fields = replaced(form_fields(page, ""), email=email, name=name, password=PASSWORD, confirm=PASSWORD)
    return post(session, f"{server.base}/register", fields)


def confirmation_links(db_session, email: str) -> list[str]:
    bodies = db_session.scalars(
        select(OutboxMessage.body)
        .where(OutboxMessage.recipient == email, OutboxMessage.template == "confirm_registration")
        .order_by(OutboxMessage.id)
    )
    return [re.search(r"/register/confirm/\S+", body).group(0) for body in bodies]


def confirm(server, path: str):
    """A browser that opened a confirmation link; calling the result presses its button."""
    session, page = browser(server, path)
    fields = form_fields(page, path)

    def call():
        answer = session.post(server.base + path, data=fields, allow_redirects=False, timeout=90)
        return answer.status_code, answer.headers.get("Location", "").split("?")[0]

    return call


def test_registrations_at_the_same_moment_are_all_taken_and_confirmed(server, db_session, make_company):
    company = make_company()
    emails = [f"new{i}@example.com" for i in range(RACERS)]

    sent = race([registration(server, company.join_code, e, f"New {i}") for i, e in enumerate(emails)])

    assert sent == [302] * RACERS
    fresh(db_session)
    links = [confirmation_links(db_session, email) for email in emails]
    assert all(len(found) == 1 for found in links), links

    confirmed = race([confirm(server, found[0]) for found in links])

    assert confirmed == [(302, "/")] * RACERS
    fresh(db_session)
    made = db_session.scalars(select(User).where(User.email.in_(emails))).all()
    assert sorted(u.email for u in made) == sorted(emails)
    assert all(u.company_id == company.id and u.has_role(Role.VOLUNTEER) for u in made)
    assert_served_cleanly(server, "POST", 2 * RACERS)


def test_eight_registrations_racing_for_one_address_end_in_one_account_and_seven_clear_answers(
    server, db_session, make_company
):
    company = make_company()

    sent = race([registration(server, company.join_code, "same@example.com", f"Racer {i}") for i in range(RACERS)])

    assert sent == [302] * RACERS  # each is told to look in the mailbox
    fresh(db_session)
    links = confirmation_links(db_session, "same@example.com")
    assert len(links) == RACERS

    confirmed = race([confirm(server, link) for link in links])

    # One account; every other confirmation is sent to log in (with a message), none is a 500.
    assert sorted(confirmed) == [(302, "/")] + [(302, "/login")] * (RACERS - 1), confirmed
    fresh(db_session)
    assert db_session.scalar(select(func.count()).select_from(User).where(User.email == "same@example.com")) == 1
    assert_served_cleanly(server, "POST", 2 * RACERS)


def test_invitations_accepted_at_the_same_moment_each_make_their_account(
    server, db_session, now, make_user, make_school
):
    admin, school = make_user(Role.ADMIN), make_school()
    tokens = [
        invite(db_session, email=f"host{i}@example.com", role=Role.HOST, invited_by=admin, now=now, school=school)[1]
        for i in range(RACERS)
    ]
    db_session.commit()
    calls = []
    for i, token in enumerate(tokens):
        session, page = browser(server, f"/invitation/{token}")
        fields = replaced(form_fields(page, ""), name=f"Host {i}", password=PASSWORD, confirm=PASSWORD)
        calls.append(post(session, f"{server.base}/invitation/{token}", fields))

    assert race(calls) == [302] * RACERS

    fresh(db_session)
    hosts = db_session.scalars(select(User).where(User.email.like("host%@example.com"))).all()
    assert sorted(u.name for u in hosts) == [f"Host {i}" for i in range(RACERS)]
    assert all(u.has_role(Role.HOST) for u in hosts)
    assert sorted(h.email for h in db_session.get(School, school.id).hosts) == sorted(u.email for u in hosts)
    assert db_session.scalar(select(func.count()).where(Invitation.accepted_at.is_not(None))) == RACERS
    assert_served_cleanly(server, "POST", RACERS)


def test_one_invitation_accepted_eight_times_at_once_makes_one_account(server, db_session, now, make_user):
    admin = make_user(Role.ADMIN)
    _invitation, token = invite(db_session, email="twice@example.com", role=Role.ADMIN, invited_by=admin, now=now)
    db_session.commit()
    calls = []
    for i in range(RACERS):
        session, page = browser(server, f"/invitation/{token}")
        fields = replaced(form_fields(page, ""), name=f"Taker {i}", password=PASSWORD, confirm=PASSWORD)
        calls.append(post(session, f"{server.base}/invitation/{token}", fields))

    results = race(calls)

    # One takes the invitation; the others are told the link is used (410), not a server error.
    assert sorted(results) == [302] + [410] * (RACERS - 1), results
    fresh(db_session)
    assert db_session.scalar(select(func.count()).select_from(User).where(User.email == "twice@example.com")) == 1
    assert_served_cleanly(server, "POST", RACERS)


def test_tokens_asked_for_at_the_same_moment_are_all_issued(server, db_session, make_user):
    people = [make_user(Role.VOLUNTEER) for _ in range(RACERS // 2)]
    emails = [p.email for p in people] * 2  # each person twice at once

    def ask(email):
        def call():
            answer = requests.post(
                f"{server.base}/api/v1/tokens", json={"email": email, "password": PASSWORD}, timeout=90
            )
            return answer.status_code, answer.json().get("token")

        return call

    results = race([ask(email) for email in emails])

    assert [status for status, _ in results] == [201] * RACERS, results
    assert len({token for _, token in results}) == RACERS
    fresh(db_session)
    assert db_session.scalar(select(func.count()).select_from(ApiToken)) == RACERS
    for _status, token in results:  # each one works
        me = requests.get(f"{server.base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert me.status_code == 200
    assert_served_cleanly(server, "POST", RACERS)


def test_profiles_saved_at_the_same_moment_all_keep_their_changes(server, db_session, make_user):
    people = [make_user(Role.VOLUNTEER) for _ in range(RACERS)]
    calls = []
    for i, person in enumerate(people):
        session = signed_in(server, person.email)
        page = session.get(server.base + "/profile", timeout=30).text
        fields = replaced(form_fields(page, ""), name=f"Renamed {i}", phone=f"1380000{i:04d}")
        calls.append(post(session, f"{server.base}/profile", fields))

    assert race(calls) == [302] * RACERS

    fresh(db_session)
    assert [(p.name, p.phone) for p in people] == [(f"Renamed {i}", f"1380000{i:04d}") for i in range(RACERS)]
    assert_served_cleanly(server, "POST", 2 * RACERS)  # the logins, then the saves


def test_visits_edited_at_the_same_moment_all_keep_their_changes(server, db_session, make_user, make_visit):
    planners = [make_user(Role.ADMIN) for _ in range(RACERS // 2)]
    visits = [make_visit(days_ahead=20 + i) for i in range(RACERS // 2)]
    calls = []
    # Two planners on each visit: both saves succeed, the later one wins, nothing fails.
    for i, (planner, visit) in enumerate([(p, v) for p in planners[:2] for v in visits]):
        session = signed_in(server, planner.email)
        path = f"/visits/{visit.id}/edit"
        page = session.get(server.base + path, timeout=30).text
        fields = replaced(form_fields(page, path), title=f"Edited visit {visit.id} by {i}")
        calls.append(post(session, server.base + path, fields))

    assert race(calls) == [302] * len(calls)

    fresh(db_session)
    for visit in visits:
        title = db_session.get(Visit, visit.id).title
        assert title.startswith(f"Edited visit {visit.id} by "), title
    assert_served_cleanly(server, "POST", 2 * len(calls))
