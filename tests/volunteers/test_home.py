"""A volunteer's landing: their next visits first, then the open places they can take; and the visits
they are in, marked wherever a list of visits shows them."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import product

import pytest
from sqlalchemy import select

from accounts.models import Role, TrainingStatus
from events.models import RoleSlot, SlotRole, VisitStatus
from tests.volunteers.conftest import page
from volunteers import rosters, signups
from volunteers.signups import _meets_requirements


def titles(html: str) -> list[str]:
    return re.findall(r'<h[23]><a href="/visits/\d+">([^<]+)</a></h[23]>', html)


def section(html: str, heading_id: str) -> str:
    """The part of the page from the heading with this id to the end of its section."""
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def before_open_places(html: str) -> str:
    return html.split('id="open-places"', 1)[0]


def open_titles(db_session, user, now) -> list[str]:
    return [v.title for v in db_session.scalars(rosters.open_places(user, now))]


# ---------------------------------------------------------------- the next visits


def test_a_volunteers_next_visits_come_first_soonest_first_with_status_and_time(
    client, login, db_session, sign, make_user, make_visit, now
):
    me, other = make_user(name="Me"), make_user()
    later = make_visit(title="Later", days_ahead=12)
    sooner = make_visit(title="Sooner", days_ahead=4)
    full = make_visit(title="Waiting", days_ahead=8, capacity=1)
    sign(full.slots[0], other)
    sign(later.slots[0], me)
    sign(sooner.slots[0], me)
    sign(full.slots[0], me)  # waitlisted, first in the queue
    signups.cancel_signup(db_session, sign(make_visit(title="Cancelled").slots[0], me), by=me, now=now)
    db_session.commit()
    past = make_visit(title="Past", days_ahead=-3)
    sign(past.slots[0], me, by=make_user(Role.ADMIN), override_reason="Recorded afterwards")
    make_visit(title="Somebody else's", days_ahead=5)

    login(me)
    html = page(client.get("/"))

    assert html.count("<h1>") == 1 and "<h1>Your next visits</h1>" in html
    mine = before_open_places(html)
    assert titles(mine) == ["Sooner", "Waiting", "Later"]
    assert mine.count("You're signed up") == 2
    assert "On the waiting list (number 1)" in mine
    assert "<dt>Volunteer role</dt><dd>Lead instructor</dd>" in mine
    soonest = mine.split("Sooner</a>", 1)[1].split("</li>", 1)[0]
    assert "<dt>When</dt><dd>Sunday, May 17, 2026, 9:00" in soonest  # at the school, 4 days after START there
    assert 'href="/my/visits"' in mine


def test_only_the_next_five_are_shown_with_the_way_to_all_of_them(
    db_session, sign, make_user, make_school, make_visit, now
):
    me = make_user()
    school = make_school()
    for days in range(3, 10):
        sign(make_visit(school=school, days_ahead=days, title=f"Day {days}").slots[0], me)
    found = rosters.next_visits(db_session, me, now)
    assert [s.visit.title for s in found.signups] == [f"Day {d}" for d in range(3, 8)]
    assert found.more is True


def test_a_volunteer_with_nothing_coming_is_told_so(client, login, volunteer_with_nothing):
    login(volunteer_with_nothing)
    html = page(client.get("/"))
    assert "You have no visits coming up." in html
    assert "There are no open places you can take at the moment." in html


@pytest.fixture
def volunteer_with_nothing(make_user):
    return make_user(name="Idle")


# ---------------------------------------------------------------- the open places they can take


def test_open_places_are_the_ones_this_volunteer_could_take_now(db_session, sign, make_user, make_visit, now):
    me, other = make_user(), make_user()
    make_visit(title="Open", days_ahead=10)
    make_visit(title="Sooner", days_ahead=3)
    sign(make_visit(title="Mine already", days_ahead=5, roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.DRIVER)).slots[0], me)
    full = make_visit(title="Full", days_ahead=6, capacity=1)
    sign(full.slots[0], other)
    make_visit(title="Draft", days_ahead=7, status=VisitStatus.DRAFT)
    make_visit(title="Called off", days_ahead=8, status=VisitStatus.CANCELLED)
    not_yet = make_visit(title="Signup opens later", days_ahead=9)
    not_yet.signup_opens_at = now + timedelta(days=1)
    closed = make_visit(title="Signup closed", days_ahead=11)
    closed.signup_closes_at = now - timedelta(minutes=1)
    db_session.commit()

    assert open_titles(db_session, me, now) == ["Sooner", "Open"]


def test_a_visit_at_the_same_time_as_one_of_theirs_is_not_offered(db_session, sign, make_user, make_visit, now):
    me = make_user()
    busy = make_visit(title="Busy", days_ahead=6)
    sign(busy.slots[0], me)
    make_visit(title="Same day, elsewhere", days_ahead=6)
    make_visit(title="Next day", days_ahead=7)
    assert open_titles(db_session, me, now) == ["Next day"]
    assert [v.title for v in db_session.scalars(rosters.open_places(make_user(), now))] == [
        "Busy",
        "Same day, elsewhere",
        "Next day",
    ]


def test_a_visit_whose_free_places_ask_for_what_they_lack_is_not_offered(db_session, sign, make_user, make_visit, now):
    me = make_user(languages=["mandarin"])
    visit = make_visit(title="Yi speakers wanted", roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.INTERPRETER), capacity=1)
    lead, interpreter = visit.slots
    lead.requires_training = True
    interpreter.required_language = "yi"
    db_session.commit()
    assert open_titles(db_session, me, now) == []
    me.languages = ["mandarin", "yi"]
    db_session.commit()
    assert open_titles(db_session, me, now) == ["Yi speakers wanted"]
    sign(interpreter, make_user(languages=["yi"]))  # the interpreter's place is taken
    assert open_titles(db_session, me, now) == []
    me.training_status = TrainingStatus.COMPLETED
    db_session.commit()
    assert open_titles(db_session, me, now) == ["Yi speakers wanted"]


TRAINING = [TrainingStatus.NONE, TrainingStatus.COMPLETED]
LANGUAGES = [[], ["yi"], ["mandarin", "yi"], ["mandarin"]]
SLOT_NEEDS = list(product([False, True], [None, "", "yi", "cantonese"]))


def test_the_listing_asks_what_signing_up_asks(db_session, make_user, make_visit, now):
    """The SQL form of the requirements offers exactly the slots the signup rule lets a person take."""
    visit = make_visit(roles=tuple(SlotRole), capacity=1)
    by_id = {}
    for slot, (training, language) in zip(visit.slots, SLOT_NEEDS, strict=False):
        slot.requires_training, slot.required_language = training, language
        by_id[slot.id] = slot
    db_session.commit()
    for status, languages in product(TRAINING, LANGUAGES):
        person = make_user(languages=languages)
        person.training_status = status
        db_session.commit()
        listed = set(
            db_session.scalars(
                select(RoleSlot.id).where(RoleSlot.visit_id == visit.id, signups.requirements_met(person))
            )
        )
        allowed = {slot_id for slot_id, slot in by_id.items() if _meets_requirements(person, slot)}
        assert listed == allowed, (status, languages)


def test_open_places_are_paged_on_the_home_page(app, client, login, make_user, make_school, make_visit):
    app.config["PAGE_SIZE"] = 2
    school = make_school()
    for days in (3, 4, 5):
        make_visit(school=school, days_ahead=days, title=f"Day {days}")
    login(make_user())
    first = page(client.get("/"))
    assert titles(section(first, "open-places")) == ["Day 3", "Day 4"]
    assert 'href="/?page=2"' in first
    assert titles(section(page(client.get("/?page=2")), "open-places")) == ["Day 5"]


# ---------------------------------------------------------------- marks on the visits they are in


def test_the_visit_list_marks_the_visits_a_volunteer_is_in(client, login, sign, make_user, make_visit):
    me, other = make_user(), make_user()
    confirmed = make_visit(title="Confirmed", days_ahead=3)
    waiting = make_visit(title="Waiting", days_ahead=5, capacity=1)
    make_visit(title="Not mine", days_ahead=7)
    sign(confirmed.slots[0], me)
    sign(waiting.slots[0], other)
    sign(waiting.slots[0], me)
    login(me)
    cards = page(client.get("/visits/")).split('<li class="card">')[1:]
    assert [("You're signed up" in c, "On the waiting list" in c) for c in cards] == [
        (True, False),
        (False, True),
        (False, False),
    ]


@pytest.mark.parametrize("role", [Role.HOST, Role.ADMIN])
def test_a_host_or_coordinator_who_volunteers_sees_their_next_visits_and_marks_on_their_list(
    client, login, sign, make_user, make_school, make_visit, role
):
    me = make_user(role, Role.VOLUNTEER)
    school = make_school(hosts=[me] if role == Role.HOST else [])
    taken = make_visit(school=school, title="Mine", days_ahead=4)
    make_visit(school=school, title="Not mine", days_ahead=6)
    sign(taken.slots[0], me)
    login(me)
    html = page(client.get("/"))
    listed = html.split('id="next-visits"', 1)[0]
    assert "You're signed up" in listed.split("Mine</a>", 1)[1].split("</li>", 1)[0]
    assert "You're signed up" not in listed.split("Not mine</a>", 1)[1].split("</li>", 1)[0]
    assert titles(section(html, "next-visits")) == ["Mine"]


def test_a_coordinator_who_volunteers_gets_the_volunteers_landing_and_the_team_links(
    client, login, sign, make_user, make_visit
):
    me = make_user(Role.COORDINATOR, Role.VOLUNTEER)
    sign(make_visit(title="Mine", days_ahead=4).slots[0], me)
    make_visit(title="Open", days_ahead=6)
    login(me)
    html = page(client.get("/"))
    assert "<h1>Your next visits</h1>" in html
    assert titles(before_open_places(html)) == ["Mine"]
    assert titles(section(html, "open-places")) == ["Open"]
    main = html.split('<main id="main"', 1)[1]
    assert 'href="/company/"' in main and 'href="/company/signup"' in main
