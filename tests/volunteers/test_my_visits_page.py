"""'My visits': coming visits with the place or the waitlist position, past ones, cancel where allowed."""

from __future__ import annotations

from datetime import timedelta

from accounts.models import Role
from tests.volunteers.conftest import page
from volunteers import signups
from volunteers.models import SignupStatus


def test_upcoming_and_past_visits_with_status_and_waitlist_position(
    client, login, db_session, make_user, make_visit, make_school, sign
):
    volunteer, admin = make_user(), make_user(Role.ADMIN)
    confirmed = make_visit(title="Balloon day", days_ahead=10)
    full = make_visit(title="Egg drop day", days_ahead=20, capacity=1)
    sign(full.slots[0], make_user())
    sign(full.slots[0], make_user())
    cancelled = make_visit(title="Called off by me", days_ahead=30)
    attended = make_visit(title="Mars rover day", days_ahead=-20)
    missed = make_visit(title="Volcano day", days_ahead=-10)
    unrecorded = make_visit(title="Magnet day", days_ahead=-5)
    sign(confirmed.slots[0], volunteer)
    sign(full.slots[0], volunteer)
    signups.cancel_signup(db_session, sign(cancelled.slots[0], volunteer), by=volunteer, now=cancelled.created_at)
    for visit in (attended, missed, unrecorded):
        sign(visit.slots[0], volunteer, at=visit.starts_at - timedelta(hours=2))
    signups.active_signup(db_session, volunteer, attended.id).status = SignupStatus.ATTENDED
    signups.mark_no_show(
        db_session, signups.active_signup(db_session, volunteer, missed.id), by=admin, now=missed.ends_at
    )
    db_session.commit()
    login(volunteer)
    html = page(client.get("/my/visits"))
    assert html.count("<h1>") == 1
    coming, past = html.split("<h2>Past visits</h2>")
    assert "Balloon day" in coming and "Egg drop day" in coming
    assert coming.index("Balloon day") < coming.index("Egg drop day")
    assert "number 2 on the waitlist" in coming
    # each asks first (a link to the question); a place in the queue is left rather than cancelled
    assert coming.count("Cancel my signup") == 1 and coming.count("Leave the waitlist") == 1
    assert "Called off by me" not in html
    for title in ("Mars rover day", "Volcano day", "Magnet day"):
        assert title in past
    assert "Attended" in past and "No-show" in past and "Confirmed" in past
    assert past.index("Magnet day") < past.index("Mars rover day")  # the latest first


def test_signed_in_people_find_my_visits_in_the_menu(client, login, make_user):
    response = client.get("/")
    assert response.status_code == 200
    assert "<h1>Upcoming science visits</h1>" in page(response)
    assert 'href="/my/visits"' not in page(response)
    login(make_user())
    assert '<a href="/my/visits">My visits</a>' in page(client.get("/"))


def test_nothing_coming_up_says_so(client, login, make_user):
    login(make_user())
    html = page(client.get("/my/visits"))
    assert "You have no visits coming up." in html
    assert "No past visits yet." in html


def test_waitlist_positions_take_one_query_however_many_visits_wait(
    client, login, make_user, make_visit, sign, statements
):
    volunteer = make_user()
    login(volunteer)

    def wait_for_a_place(days_ahead: int) -> None:
        visit = make_visit(days_ahead=days_ahead, capacity=1)
        sign(visit.slots[0], make_user())
        sign(visit.slots[0], volunteer)

    wait_for_a_place(5)
    client.get("/my/visits")
    few = statements(client, "/my/visits")
    for days in (7, 9, 11, 13):
        wait_for_a_place(days)
    many = statements(client, "/my/visits")
    assert many == few


def test_a_cancelled_visit_stays_in_my_visits_marked_cancelled(client, login, make_user, make_visit, db_session, now):
    from events.services import cancel_visit

    volunteer = make_user()
    visit = make_visit(title="Called-off visit")
    signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteer, now=now)
    cancel_visit(db_session, visit, now=now)
    db_session.commit()
    login(volunteer)
    page = client.get("/my/visits", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Called-off visit" in page
    assert "This visit has been cancelled." in page
    assert "Cancel my signup" not in page
