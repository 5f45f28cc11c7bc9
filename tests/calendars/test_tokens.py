"""Secrets derived from a stored nonce under SECRET_KEY (core.security): feed tokens, and tickets unchanged."""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy import select

from calendars.models import CalendarFeed
from checkin.tickets import CODE_ALPHABET, code_of, secret_of
from tests.calendars.calendar_helpers import feed_path

KEY = b"test-secret-key"  # tests.conftest.test_config's SECRET_KEY


def _mac(label: str) -> bytes:
    return hmac.new(KEY, label.encode(), hashlib.sha256).digest()


def _urlsafe(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_tickets_and_posters_keep_the_secrets_and_codes_they_had(app):
    nonce = "a-ticket-nonce-from-before"
    assert secret_of(nonce) == _urlsafe(_mac(f"scivisit-ticket-secret:{nonce}")[:16])
    assert secret_of(nonce, "poster") == _urlsafe(_mac(f"scivisit-ticket-poster:{nonce}")[:16])
    number, code = int.from_bytes(_mac(f"scivisit-ticket-code:{nonce}"), "big"), ""
    for _ in range(8):
        number, index = divmod(number, len(CODE_ALPHABET))
        code += CODE_ALPHABET[index]
    assert code_of(nonce) == code


def test_a_feed_token_is_128_bits_derived_from_its_nonce_and_only_its_hash_is_stored(db_session, now, make_user):
    person = make_user()
    token = feed_path(db_session, person, "personal", now).removeprefix("/cal/").removesuffix(".ics")
    (row,) = db_session.scalars(select(CalendarFeed)).all()
    assert len(base64.urlsafe_b64decode(token + "==")) == 16
    assert token == _urlsafe(_mac(f"scivisit-calendar:{row.nonce}")[:16])
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.nonce, row.token_hash)
    assert secret_of(row.nonce) != token  # a feed's purpose keeps its token apart from a ticket's
