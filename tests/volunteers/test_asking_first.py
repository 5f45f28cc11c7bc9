"""Nothing destroyed by one tap: cancelling a signup, leaving a waitlist and making a new join code ask first.

The first tap is a link to a page that asks (a GET, which changes nothing) and says what will happen; its
form does the POST, which works as before. What the page says comes from the services (`cancel_outlook`).
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask_babel import force_locale, gettext

from accounts.models import Role
from core.errors import DomainError
from mail.models import OutboxMessage
from tests.volunteers.conftest import flashes, page
from volunteers import signups
from volunteers.models import Signup, SignupStatus


def ask_url(signup, next_url: str | None = None) -> str:
    return f"/signups/{signup.id}/cancel" + (f"?next={next_url}" if next_url else "")


def text_of(html: str) -> str:
    """The page's words as a person reads them: tags gone, spaces joined, entities decoded."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def form_of(html: str) -> tuple[str, dict]:
    """The action and hidden fields of the page's one POST form in <main> (the header has the language switch)."""
    main = html[html.index("<main") :]
    [form] = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', main, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[1]))
    fields.pop("csrf_token", None)
    return unescape(form[0]), {k: unescape(v) for k, v in fields.items()}


def keep_link(html: str) -> str:
    [href] = re.findall(r'<a class="button secondary" href="([^"]*)" data-confirm-keep>', html)
    return unescape(href)


def statuses(db_session, *rows: Signup) -> list[SignupStatus]:
    for row in rows:
        db_session.refresh(row)
    return [row.status for row in rows]


def outbox_size(db_session) -> int:
    return db_session.query(OutboxMessage).count()


# ---------------------------------------------------------------- the services say what would happen


def test_the_outlook_of_a_confirmed_place_says_the_first_waiting_who_fits_gets_it(
    db_session, now, make_user, make_visit, sign
):
    visit = make_visit(capacity=1)
    slot = visit.slots[0]
    slot.required_language = "yi"
    db_session.commit()
    admin = make_user(Role.ADMIN)
    speaker = make_user(languages=["yi"])
    mine = sign(slot, speaker)
    # put on the waitlist by hand, though the role needs Yi: promotion skips them
    other = sign(slot, make_user(), by=admin, override_reason="learning Yi")
    outlook = signups.cancel_outlook(db_session, mine, by=speaker, now=now)
    assert (outlook.own, outlook.allowed, outlook.late, outlook.position) == (True, True, False, None)
    assert signups.next_in_queue(db_session, slot) is None
    assert outlook.place_goes_to_waiting is False
    second = sign(slot, make_user(languages=["yi"]))
    assert signups.next_in_queue(db_session, slot) == second
    assert signups.cancel_outlook(db_session, mine, by=speaker, now=now).place_goes_to_waiting is True
    # foreseeing changed nothing; cancelling then does what was foreseen
    assert statuses(db_session, mine, other, second) == [
        SignupStatus.CONFIRMED,
        SignupStatus.WAITLISTED,
        SignupStatus.WAITLISTED,
    ]
    signups.cancel_signup(db_session, mine, by=speaker, now=now)
    db_session.commit()
    assert statuses(db_session, other, second) == [SignupStatus.WAITLISTED, SignupStatus.CONFIRMED]


def test_the_outlook_of_a_place_in_the_queue_gives_its_number_and_late_only_for_coordinators(
    db_session, now, make_user, make_visit, sign
):
    visit = make_visit(capacity=1, days_ahead=2)
    visit.cancel_cutoff_hours = 24 * 7
    db_session.commit()
    admin = make_user(Role.ADMIN)
    sign(visit.slots[0], make_user())
    sign(visit.slots[0], make_user())
    volunteer = make_user()
    third = sign(visit.slots[0], volunteer)
    own = signups.cancel_outlook(db_session, third, by=volunteer, now=now)
    assert (own.own, own.allowed, own.late, own.position) == (True, False, True, 2)
    assert own.cutoff == visit.starts_at - timedelta(days=7)
    theirs = signups.cancel_outlook(db_session, third, by=admin, now=now)
    assert (theirs.own, theirs.allowed, theirs.late, theirs.place_goes_to_waiting) == (False, True, True, False)


def test_the_outlook_is_refused_as_cancelling_is(db_session, now, make_user, make_visit, sign):
    signup = sign(make_visit().slots[0], make_user())
    with pytest.raises(DomainError) as refused:
        signups.cancel_outlook(db_session, signup, by=make_user(), now=now)
    assert refused.value.code == "not_found"
    signups.cancel_signup(db_session, signup, by=signup.user, now=now)
    with pytest.raises(DomainError) as refused:
        signups.cancel_outlook(db_session, signup, by=signup.user, now=now)
    assert refused.value.code == "signup_not_active"


def test_told_if_visit_cancelled_counts_whom_cancelling_the_visit_mails(db_session, now, make_user, make_visit, sign):
    from events.services import cancel_visit

    visit = make_visit(capacity=2)
    sign(visit.slots[0], make_user())
    sign(visit.slots[0], make_user())
    sign(visit.slots[0], make_user())  # waiting: told too
    gone = sign(visit.slots[0], make_user())
    signups.cancel_signup(db_session, gone, by=gone.user, now=now)  # no longer signed up: not told
    db_session.commit()
    told = signups.told_if_visit_cancelled(db_session, visit)
    assert told == 3
    cancel_visit(db_session, visit, now=now)
    db_session.commit()
    assert db_session.query(OutboxMessage).filter_by(template="visit_cancelled").count() == told


# ---------------------------------------------------------------- cancelling one's own place


def test_my_visits_cancel_is_a_link_to_the_question_not_a_form_that_posts(client, login, make_user, make_visit, sign):
    volunteer = make_user()
    signup = sign(make_visit().slots[0], volunteer)
    login(volunteer)
    html = page(client.get("/my/visits"))
    assert f'href="/signups/{signup.id}/cancel?next=/my/visits" data-confirm' in html
    assert f'action="/signups/{signup.id}/cancel"' not in html
    assert 'src="/static/js/confirm.js" defer' in html


def test_asking_to_cancel_a_place_says_who_gets_it_changes_nothing_and_its_form_cancels(
    client, login, db_session, make_user, make_visit, sign
):
    visit = make_visit(capacity=1, title="Balloon day")
    volunteer = make_user()
    mine = sign(visit.slots[0], volunteer)
    waiting = sign(visit.slots[0], make_user())
    login(volunteer)
    mails = outbox_size(db_session)
    response = client.get(ask_url(mine, "/my/visits"))
    assert response.status_code == 200
    html = page(response)
    words = text_of(html)
    assert html.count("<h1") == 1
    assert '<h1 id="confirm-title">Cancel your signup?</h1>' in html
    assert "Balloon day" in words and "Lead instructor" in words
    assert "Your place will go to the first person on the waitlist, who will be told by mail." in words
    assert "You will get an email saying that your signup is cancelled." in words
    assert "To come back, you would sign up again, and only if a place is still free." in words
    assert 'class="danger">Yes, cancel my signup</button>' in html
    assert keep_link(html) == "/my/visits"
    # asking changed nothing
    assert statuses(db_session, mine, waiting) == [SignupStatus.CONFIRMED, SignupStatus.WAITLISTED]
    assert outbox_size(db_session) == mails
    # the answer does it, and comes back where the person was
    action, fields = form_of(html)
    assert (action, fields) == (f"/signups/{mine.id}/cancel", {"next": "/my/visits"})
    done = client.post(action, data=fields)
    assert done.headers["Location"] == "/my/visits"
    assert "Your signup is cancelled." in flashes(client, done)
    assert statuses(db_session, mine, waiting) == [SignupStatus.CANCELLED, SignupStatus.CONFIRMED]


def test_with_nobody_waiting_the_place_becomes_free(client, login, make_user, make_visit, sign):
    visit = make_visit()
    volunteer = make_user()
    signup = sign(visit.slots[0], volunteer)
    login(volunteer)
    words = text_of(page(client.get(ask_url(signup))))
    assert "Your place will become free for someone else to sign up." in words
    assert "first person on the waitlist" not in words


def test_leaving_the_waitlist_says_which_place_in_the_queue_is_lost(
    client, login, db_session, make_user, make_visit, sign
):
    visit = make_visit(capacity=1)
    sign(visit.slots[0], make_user())
    sign(visit.slots[0], make_user())
    volunteer = make_user()
    mine = sign(visit.slots[0], volunteer)
    login(volunteer)
    html = page(client.get("/my/visits"))
    assert f'href="/signups/{mine.id}/cancel?next=/my/visits" data-confirm' in html
    assert ">Leave the waitlist</a>" in html
    html = page(client.get(ask_url(mine, "/my/visits")))
    words = text_of(html)
    assert '<h1 id="confirm-title">Leave the waitlist?</h1>' in html
    assert (
        "You will lose your place: number 2 on the waitlist. "
        "If you join again while the role is full, you go to the end of the queue."
    ) in words
    assert "To come back" not in words
    assert 'class="danger">Yes, leave the waitlist</button>' in html
    assert statuses(db_session, mine) == [SignupStatus.WAITLISTED]
    action, fields = form_of(html)
    client.post(action, data=fields)
    assert statuses(db_session, mine) == [SignupStatus.CANCELLED]


@pytest.mark.app_config(PROGRAMME_CONTACT="Ms Li at the programme office, 010-8888 6666")
def test_past_the_cutoff_the_question_says_whom_to_contact_and_offers_only_a_way_back(
    client, login, db_session, make_user, make_visit, sign
):
    visit = make_visit(days_ahead=3)
    volunteer = make_user()
    signup = sign(visit.slots[0], volunteer)
    visit.cancel_cutoff_hours = 24 * 7
    db_session.commit()
    login(volunteer)
    html = page(client.get(ask_url(signup, "/my/visits")))
    assert (
        "It is too close to the visit to cancel here. To cancel, please contact the programme coordinator: "
        "Ms Li at the programme office, 010-8888 6666"
    ) in text_of(html)
    assert '<form method="post" action="/signups/' not in html
    assert '<a class="button secondary" href="/my/visits" data-confirm-keep>Go back</a>' in html


def test_go_back_and_the_done_cancellation_lead_only_to_pages_of_this_site(
    client, login, db_session, make_user, make_visit, sign
):
    visit = make_visit()
    volunteer = make_user()
    signup = sign(visit.slots[0], volunteer)
    login(volunteer)
    # a browser reads a backslash as a slash and drops tabs: both would make "//evil.example"
    for elsewhere in (
        "https://evil.example/",
        "//evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "/\t/evil.example",
        "http://[",
    ):
        html = page(client.get(f"/signups/{signup.id}/cancel", query_string={"next": elsewhere}))
        assert keep_link(html) == f"/visits/{visit.id}"
        assert form_of(html)[1] == {"next": f"/visits/{visit.id}"}
        main = html[html.index("<main") :]  # (the language switch keeps the address as it is)
        assert "evil.example" not in main and "javascript:" not in main
    html = page(client.get(ask_url(signup, "/my/visits?page=2")))
    assert keep_link(html) == "/my/visits?page=2"
    done = client.post(f"/signups/{signup.id}/cancel", data={"next": "/\\evil.example"})
    assert done.headers["Location"] == f"/visits/{visit.id}"


def test_a_signup_no_longer_active_goes_back_with_a_message(
    client, login, db_session, now, make_user, make_visit, sign
):
    visit = make_visit()
    volunteer = make_user()
    signup = sign(visit.slots[0], volunteer)
    signups.cancel_signup(db_session, signup, by=volunteer, now=now)
    db_session.commit()
    login(volunteer)
    response = client.get(ask_url(signup, "/my/visits"))
    assert response.headers["Location"] == "/my/visits"
    assert "This signup is no longer active." in flashes(client, response)
    # never back to the question itself, which would send the person round in a circle
    response = client.get(ask_url(signup, f"/signups/{signup.id}/cancel"))
    assert response.headers["Location"] == f"/visits/{visit.id}"


def test_nobody_else_sees_the_question(client, login, db_session, make_user, make_visit, sign):
    signup = sign(make_visit().slots[0], make_user())
    login(make_user())
    # not theirs: "not found", as cancelling answers, so the signup's existence is not revealed
    assert client.get(ask_url(signup)).status_code == 404
    assert statuses(db_session, signup) == [SignupStatus.CONFIRMED]


def test_the_question_is_asked_in_the_readers_language(client, login, make_user, make_visit, sign):
    visit = make_visit(capacity=1)
    volunteer = make_user(locale="zh_CN")
    signup = sign(visit.slots[0], volunteer)
    sign(visit.slots[0], make_user())
    login(volunteer)
    html = page(client.get(ask_url(signup)))
    assert '<html lang="zh' in html
    words = text_of(html)
    with force_locale("zh_CN"):
        for msgid in (
            "Cancel your signup?",
            "Your place will go to the first person on the waitlist, who will be told by mail.",
            "You will get an email saying that your signup is cancelled.",
            "Yes, cancel my signup",
            "No, keep it",
            "Volunteer role",
        ):
            assert gettext(msgid) in words, msgid
        assert gettext("Volunteer role") != "Volunteer role"  # the catalogue is Chinese


# ---------------------------------------------------------------- coordinators cancelling for someone


def test_the_roster_asks_before_an_admin_cancels_and_says_it_is_late_and_who_is_told(
    client, login, db_session, make_user, make_visit, sign
):
    visit = make_visit(capacity=1, days_ahead=2)
    visit.cancel_cutoff_hours = 24 * 7
    db_session.commit()
    lead = sign(visit.slots[0], make_user(name="Li Lei"))
    waiting = sign(visit.slots[0], make_user(name="Wang Fang"))
    login(make_user(Role.ADMIN))
    roster = f"/visits/{visit.id}/roster"
    html = page(client.get(roster))
    assert f'<a class="button danger" href="/signups/{lead.id}/cancel?next={roster}" data-confirm' in html
    assert f'action="/signups/{lead.id}/cancel"' not in html
    assert 'src="/static/js/confirm.js" defer' in html
    html = page(client.get(ask_url(lead, roster)))
    words = text_of(html)
    assert '<h1 id="confirm-title">Cancel the signup of Li Lei?</h1>' in html
    assert "The place will go to the first person on the waitlist, who will be told by mail." in words
    assert "Li Lei will be told by mail." in words
    assert "It is past the cancellation deadline (" in words
    assert "Li Lei could no longer cancel this themselves, and there is little time left to find someone else." in words
    assert keep_link(html) == roster
    html = page(client.get(ask_url(waiting, roster)))
    assert '<h1 id="confirm-title">Take Wang Fang off the waitlist?</h1>' in html
    assert "Wang Fang will lose their place: number 1 on the waitlist." in text_of(html)
    assert "past the cancellation deadline" not in html  # no place to fill: nothing late about it
    assert statuses(db_session, lead, waiting) == [SignupStatus.CONFIRMED, SignupStatus.WAITLISTED]
    action, fields = form_of(page(client.get(ask_url(lead, roster))))
    assert client.post(action, data=fields).headers["Location"] == roster
    assert statuses(db_session, lead, waiting) == [SignupStatus.CANCELLED, SignupStatus.CONFIRMED]


@pytest.fixture
def rocket(make_company, make_user):
    company = make_company(name="Rocket Works")
    return {
        "company": company,
        "coordinator": make_user(Role.COORDINATOR, Role.VOLUNTEER, name="Carla Coordinator", company=company),
        "colleague": make_user(name="Rui Rocket", company=company),
    }


def test_the_company_page_asks_before_cancelling_a_colleagues_signup(
    client, login, db_session, rocket, make_visit, sign
):
    signup = sign(make_visit().slots[0], rocket["colleague"])
    login(rocket["coordinator"])
    html = page(client.get("/company/"))
    assert f'href="/signups/{signup.id}/cancel?next=/company/" data-confirm' in html
    html = page(client.get(ask_url(signup, "/company/")))
    assert '<h1 id="confirm-title">Cancel the signup of Rui Rocket?</h1>' in html
    assert "Rui Rocket will be told by mail." in text_of(html)
    assert "past the cancellation deadline" not in html
    assert keep_link(html) == "/company/"
    assert statuses(db_session, signup) == [SignupStatus.CONFIRMED]


# ---------------------------------------------------------------- a new join code


def test_making_a_new_join_code_asks_first_says_the_old_one_stops_and_its_form_makes_one(
    client, login, db_session, rocket
):
    company = rocket["company"]
    old = company.join_code
    login(rocket["coordinator"])
    html = page(client.get("/company/"))
    assert 'href="/company/join-code" data-confirm aria-describedby="rotate-hint">Make a new join code</a>' in html
    assert 'action="/company/join-code"' not in html
    html = page(client.get("/company/join-code"))
    words = text_of(html)
    assert '<h1 id="confirm-title">Make a new join code?</h1>' in html
    assert (
        f"The code {old} will stop working at once: people with it, or with the old registration link, "
        "can no longer register and will need the new code from you."
    ) in words
    assert "Accounts already made with the old code stay as they are." in words
    assert 'class="danger">Yes, make a new code</button>' in html
    assert keep_link(html) == "/company/"
    db_session.refresh(company)
    assert company.join_code == old
    action, fields = form_of(html)
    assert (action, fields) == ("/company/join-code", {})
    done = client.post(action, data=fields)
    db_session.refresh(company)
    assert company.join_code != old
    assert f"The new join code is {company.join_code}." in flashes(client, done)


def test_the_join_code_question_is_in_chinese_for_a_chinese_reader_and_goes_back_only_on_this_site(
    client, login, db_session, make_company, make_user
):
    company = make_company(name="Comet Foods")
    login(make_user(Role.COORDINATOR, company=company, locale="zh_CN"))
    html = page(client.get("/company/join-code", query_string={"next": "https://evil.example/"}))
    assert keep_link(html) == "/company/"
    words = text_of(html)
    with force_locale("zh_CN"):
        assert gettext("Make a new join code?") in words
        assert gettext("Accounts already made with the old code stay as they are.") in words
        assert gettext("Join code") in words and gettext("Join code") != "Join code"
