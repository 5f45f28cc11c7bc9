"""Ticket links for volunteers' "my signups": checkin's answer to `volunteers.ticket_links`, registered
on the app by `create_app`.

A confirmed signup's link is `BASE_URL/t/<secret>` of its live ticket. One query finds the live
tickets of a whole page; a confirmed signup without one (confirmed before tickets existed) or
whose ticket no longer matches the app's SECRET_KEY gets one now, a write that a GET declares
with `begin_write` (rare: once per such signup).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from checkin.models import Ticket
from checkin.tickets import hash_secret, issued, live_ticket, ticket_for
from core import timeutil
from core.db import begin_write
from core.errors import DomainError
from core.urls import external_url
from volunteers.models import Signup, SignupStatus
from volunteers.ticket_links import register_ticket_urls


def ticket_url(secret: str) -> str:
    """The absolute URL a ticket's QR code encodes (the ticket's page, checkin.views)."""
    return external_url("checkin.ticket", secret=secret)


def ticket_urls(session: Session, signups: Sequence[Signup], now: datetime | None = None) -> dict[int, str]:
    """Signup id -> ticket URL for the confirmed ones among `signups`; others have no link."""
    confirmed = [signup for signup in signups if signup.status == SignupStatus.CONFIRMED]
    if not confirmed:
        return {}
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.signup_id.in_([signup.id for signup in confirmed]), Ticket.revoked_at.is_(None))
        .options(lazyload(Ticket.signup))  # the signups are loaded already
    )
    urls = {}
    for ticket in tickets:
        shown = issued(ticket)
        if hash_secret(shown.secret) == ticket.secret_hash:
            urls[ticket.signup_id] = ticket_url(shown.secret)
    due = [signup.id for signup in confirmed if signup.id not in urls]
    if due:
        urls.update(_issue_due(session, due, now or timeutil.now()))
    return urls


def _issue_due(session: Session, signup_ids: list[int], now: datetime) -> dict[int, str]:
    begin_write(session)  # on SQLite this may start a new transaction: read the signups again in it
    urls = {}
    for signup_id in signup_ids:
        signup = session.get(Signup, signup_id)
        if signup is None:
            continue
        try:
            with session.begin_nested():
                urls[signup_id] = ticket_url(ticket_for(session, signup, now).secret)
        except DomainError:  # no longer confirmed
            continue
        except IntegrityError:  # another request issued it at the same moment (PostgreSQL)
            ticket = live_ticket(session, signup)
            if ticket is not None:
                urls[signup_id] = ticket_url(issued(ticket).secret)
    return urls


def register(app: Flask) -> None:
    """Answer volunteers' question "which ticket link has each signup" on this app."""
    register_ticket_urls(app, ticket_urls)
