"""Tickets: one per confirmed place, a 128-bit secret never stored, revoked with the signup, reissued on request."""

from __future__ import annotations

import base64

import pytest
from flask import current_app
from sqlalchemy import select, text

from checkin.models import Ticket
from checkin.tickets import (
    CODE_ALPHABET,
    find_ticket,
    is_live,
    live_ticket,
    normalise_code,
    reissue_ticket,
    secret_from,
    ticket_for,
)
from core.errors import DomainError
from volunteers import signups
from volunteers.models import SignupStatus


def test_a_confirmed_place_comes_with_a_ticket_and_a_waitlisted_one_without(db_session, now, gate, make_user):
    full = gate.visit.slots[0]
    people = [make_user() for _ in range(full.capacity + 1)]
    made = [signups.sign_up(db_session, slot_id=full.id, volunteer=p, now=now)[0] for p in people]
    db_session.commit()
    confirmed, waiting = made[:-1], made[-1]
    assert waiting.status == SignupStatus.WAITLISTED
    assert all(live_ticket(db_session, signup) is not None for signup in confirmed)
    assert live_ticket(db_session, waiting) is None
    with pytest.raises(DomainError) as refused:
        ticket_for(db_session, waiting, now)
    assert refused.value.code == "signup_not_active"

    signups.cancel_signup(db_session, confirmed[0], by=confirmed[0].user, now=now)
    db_session.commit()
    assert waiting.status == SignupStatus.CONFIRMED  # promoted: and ticketed in the same transaction
    assert live_ticket(db_session, waiting) is not None


def test_the_secret_is_128_random_bits_in_a_short_url_and_only_hashes_are_stored(db_session, now, gate):
    signup, issued = gate.volunteer()
    raw = base64.urlsafe_b64decode(issued.secret + "==")
    assert len(raw) * 8 >= 128 and len(issued.secret) == 22
    assert str(signup.id) != issued.secret and str(issued.ticket.id) != issued.secret
    url = f"https://scivisit.example.org/t/{issued.secret}"
    assert len(url) <= 54
    assert len(issued.code) == 8 and set(issued.code) <= set(CODE_ALPHABET)
    dump = " ".join(str(value) for row in db_session.execute(text("SELECT * FROM ticket")).all() for value in row)
    assert issued.secret not in dump and issued.code not in dump
    # the volunteer's page shows the same ticket again, from the nonce and the app's key
    assert ticket_for(db_session, signup, now).secret == issued.secret
    assert find_ticket(db_session, issued.secret).id == issued.ticket.id


def test_a_new_secret_key_makes_a_ticket_that_matches_again(db_session, now, gate):
    signup, issued = gate.volunteer()
    current_app.config["SECRET_KEY"] = "a key rotated after a leak"
    again = ticket_for(db_session, signup, now)
    db_session.commit()
    assert again.secret != issued.secret
    assert find_ticket(db_session, again.secret).id == again.ticket.id
    assert not is_live(db_session.get(Ticket, issued.ticket.id))


def test_cancelling_revokes_the_ticket_and_a_reissue_retires_the_old_one(db_session, now, gate):
    signup, first = gate.volunteer()
    second = reissue_ticket(db_session, signup, now)
    db_session.commit()
    assert second.secret != first.secret and second.code != first.code
    assert not is_live(find_ticket(db_session, first.secret))
    assert is_live(find_ticket(db_session, second.secret))
    live = db_session.scalars(select(Ticket).where(Ticket.signup_id == signup.id, Ticket.revoked_at.is_(None))).all()
    assert len(live) == 1

    signups.cancel_signup(db_session, signup, by=signup.user, now=now)
    db_session.commit()
    assert not is_live(find_ticket(db_session, second.secret))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("abcd-efgh", "ABCDEFGH"), (" ABCD EFGH ", "ABCDEFGH"), ("ABCD-EFG", None), ("ABCD-EFG0", None), ("", None)],
)
def test_a_typed_code_is_read_as_issued(typed, expected):
    assert normalise_code(typed) == expected


def test_what_was_scanned_gives_the_secret_whether_a_url_or_the_secret_itself():
    secret = "AbCdEfGhIjKlMnOpQrSt_-"
    assert secret_from(f"https://scivisit.example.org/t/{secret}") == secret
    assert secret_from(f"http://127.0.0.1:5000/t/{secret}/") == secret
    assert secret_from(secret) == secret
    assert secret_from("https://example.org/visits/3") is None
    assert secret_from("12345") is None
