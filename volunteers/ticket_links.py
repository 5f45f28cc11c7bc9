"""Ticket links for "my signups": asked of a package above volunteers, which registers the answer on the app.

A confirmed signup has a ticket, but tickets belong to `checkin`, which volunteers may not import
(the layers). So volunteers asks through a function stored on the Flask app: the package that
issues tickets registers it when the app is set up (`register_ticket_urls(app, function)`, from
`create_app`), and volunteers' faces call `ticket_urls(session, signups)`. Without a registered
function (an app built without check-in) no signup has a ticket link.

The function takes the session and a page of signups and returns `{signup id: absolute URL}` for
those that have a ticket; signups missing from the answer have none. It must ask the database
once for the whole page, not once per signup. It may issue tickets that are due (a signup
confirmed before tickets existed), a write: it declares it with `core.db.begin_write` and the
calling view commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Flask, current_app
from sqlalchemy.orm import Session

from volunteers.models import Signup

#: key in `app.extensions`
EXTENSION = "scivisit_ticket_urls"

TicketUrls = Callable[[Session, Sequence[Signup]], dict[int, str]]


def register_ticket_urls(app: Flask, function: TicketUrls) -> None:
    """Make `function` the app's answer to "which ticket link has each of these signups"."""
    app.extensions[EXTENSION] = function


def ticket_urls(session: Session, signups: Sequence[Signup]) -> dict[int, str]:
    """Signup id -> its ticket's absolute URL, for those of `signups` that have a ticket."""
    function = current_app.extensions.get(EXTENSION)
    if function is None or not signups:
        return {}
    return function(session, signups)
