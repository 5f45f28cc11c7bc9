"""Public pages each server process keeps rendered, for visitors who are not signed in.

The public list of visits and a visit's page are what a programme's launch, a poster or a shared link sends
everyone to at once, and what a visitor sees is the same for everyone who asks in the same language: rendering it
afresh for each (the visits' query, a few hundred template calls) is most of the server's work. The API's list of
visits is the same for every caller without a token, and the public figures (the impact page, the transparency
page) take up to a second each to work out at national scale.

A kept page is good while the shared data version (core.cache) is unchanged, so any write to the tables it shows,
in any process, makes it stale at once; and for KEPT_SECONDS of the app's clock (`g.now`, the clock its view read)
at most, since a page also depends on that clock (a visit that has ended leaves the list). Figures also count
tables whose writes raise no data version (check-ins, the kit ledger): their pages are kept for FIGURES_SECONDS at
most, and may be that far behind those. Both kinds share one keeper of PAGES_KEPT pages, the oldest going first.

A page is kept only for anonymous visitors with nothing to be told (no flashed message), and only when rendering
it wrote nothing to the visitor's session and put in no CSRF token of its own: the one part that is theirs, the
language switch's token, is rendered as a placeholder and put in for each request, so every visitor still gets a
token of their own session. The pages kept must show nothing else of the visitor (a view reads `viewer()` as None
for them, and the language is part of the page's name). Without a shared cache (no CACHE_REDIS_URL, the SQLite
default) every page is rendered each time.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import partial, wraps

from flask import Flask, g, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from core.cache import process_keeper
from core.i18n import current_locale_code

#: seconds a page is kept at most (a page shows what is to come from now: half a minute behind the clock at worst)
KEPT_SECONDS = 30
#: seconds a public page of figures is kept at most: it also shows tables whose writes raise no data version (the
#: check-ins, the kit ledger), and may be this far behind them; a page of hundreds of milliseconds at national scale
FIGURES_SECONDS = 300
#: pages one process keeps at most, of both kinds together (a page of the list, a visit's page, the API's list, the
#: figures, per language: 5 to 15 kB each)
PAGES_KEPT = 200
#: the `kept_here` name of the pages
_KEEPER = "public-pages"
#: `g` flag: this render writes the placeholder where a CSRF token goes
_PLACEHOLDING = "scivisit_csrf_placeholder"
#: headers of a kept answer worked out again for each request (its length changes with the token put in)
_OWN_HEADERS = frozenset({"Content-Length", "Set-Cookie"})
#: stands for the CSRF token in a kept page: random for each process, so no page's text can contain it
PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"


def csrf_token() -> str:
    """Templates' `csrf_token()`: the request's token, or the placeholder while a page is rendered to be kept."""
    return PLACEHOLDER if g.get(_PLACEHOLDING) else generate_csrf()


def install(app: Flask) -> None:
    """Templates ask for their CSRF token through `csrf_token` (after Flask-WTF's own installation, which offers
    `generate_csrf` both as a global and from a context processor: a later processor's answer wins)."""
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})


def _keepable() -> bool:
    """Whether this request may be answered with a kept page: a GET by an anonymous visitor with nothing flashed."""
    return request.method == "GET" and current_user.is_anonymous and "_flashes" not in session


def kept_for_visitors(view: Callable | None = None, *, longest: int = KEPT_SECONDS) -> Callable:
    """Answer the view's anonymous visitors from the page kept for their language and URL while it is fresh: while
    no watched table is written, for `longest` seconds of the app's clock at most. `@kept_for_visitors(longest=N)`
    for a page that also shows tables no write to which raises the data version: it is up to N seconds behind them."""
    if view is None:
        return partial(kept_for_visitors, longest=longest)

    @wraps(view)
    def answer(*args, **kwargs):
        if not _keepable():
            return view(*args, **kwargs)
        # timed here by the app's clock, which the page's view read, not the keeper's
        keeper, version = process_keeper(_KEEPER, PAGES_KEPT, None)
        if keeper is None:
            return view(*args, **kwargs)
        name = f"{current_locale_code()} {request.url}"
        kept = keeper.get_at(name, version, g.now, timedelta(seconds=longest))
        if kept is not None:
            page, headers = kept
            response = make_response(page, 200, headers)
        else:
            setattr(g, _PLACEHOLDING, True)
            try:
                response = make_response(view(*args, **kwargs))
            finally:
                setattr(g, _PLACEHOLDING, False)
            page = response.get_data(as_text=True)
            # a token rendered some other way (a form's own field), or a session written, made a page of this
            # visitor's own: answered, never kept
            if response.status_code == 200 and "csrf_token" not in g and not session.modified:
                headers = [(key, value) for key, value in response.headers if key not in _OWN_HEADERS]
                keeper.put_at(name, (page, headers), version, g.now)
        if PLACEHOLDER in page:
            response.set_data(page.replace(PLACEHOLDER, generate_csrf()))
        return response

    return answer
