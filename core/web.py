"""The page side of the service contract: parse, call, commit, respond, in one place.

Every view that changes data goes through `submit` (a form) or `act` (a button), so none can
forget to roll back on a broken rule or to commit on success. (Writes on SQLite begin with the
write lock by the engine's own rule: see core.db.)
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TypeVar
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request

from core.errors import DomainError
from core.forms import show_domain_error
from core.http import safe_next
from extensions import db

T = TypeVar("T")


def submit(
    form,
    change: Callable[[], T],
    *,
    done: Callable[[T], str] | None,
    then: Callable[[T], str],
    error_pages: Collection[str] = (),
):
    """Run `change` for a validated form: commit, flash `done(result)` and redirect to `then(result)`.

    A broken rule rolls back and is shown next to its field; the caller renders the form again
    (this returns None then). Codes in `error_pages` (an expired link, say) show their error page.
    """
    try:
        result = change()
    except DomainError as error:
        db.session.rollback()
        if error.code in error_pages:
            raise
        show_domain_error(form, error)
        return None
    db.session.commit()
    if done is not None:
        flash(done(result), "success")
    return redirect(then(result))


def act(
    change: Callable[[], T],
    *,
    done: Callable[[T], str],
    then: str,
    on_error: Callable[[DomainError], None] | None = None,
):
    """Run `change` for a button: commit, flash `done(result)` and redirect to `then`.

    A broken rule rolls back and is flashed (`on_error` may add more); a missing object or a
    forbidden act shows its error page instead.
    """
    try:
        result = change()
    except DomainError as error:
        db.session.rollback()
        if error.code in ("forbidden", "not_found"):
            raise
        flash(error.message, "error")
        if on_error is not None:
            on_error(error)
        return redirect(then)
    db.session.commit()
    flash(done(result), "success")
    return redirect(then)


def form_status(form) -> int:
    """422 for a form shown again with errors, 200 otherwise."""
    return 422 if form.errors else 200


def paginate(query, item=None):
    """One page of a list, at the page the request asks for; `item` makes each row an item (see db.paginate)."""
    return db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False, item=item)


def page_args() -> dict:
    """The request's filters without the page number, for the pager's links."""
    return {k: v for k, v in request.args.items() if k != "page" and v}


def way_back(default: str) -> str:
    """Where "keep it" leads, and the done deed: the page the person came from (`next`), if it is on this site."""
    back = safe_next(request.args.get("next"), default)
    # Never back to the page that asks: it may send the person back (a signup no longer active).
    return default if urlsplit(back).path == request.path else back
