"""Public pages kept rendered by the server process (core.kept_pages): an anonymous visitor's next request of the
visit list or a visit's page runs no SQL, each visitor still gets a CSRF token of their own, and no one sees a page
that a write, the clock, their language, their account or a message for them would have changed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from accounts.models import Role
from core import kept_pages
from events.models import VisitStatus
from events.services import update_visit, visit_data
from tests.conftest import PASSWORD, csrf_token_from, statements_run

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=True)


def _get(client, path: str, **headers):
    """GET `path`: the response, its text and the SQL statements it ran."""
    with statements_run() as seen:
        response = client.get(path, headers=headers)
    return response, response.get_data(as_text=True), seen


def _log_in(client, user) -> None:
    """Log in through the real form, its CSRF token and all."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def _without_token(html: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", html)


@pytest.mark.parametrize("path", ["/", "/visits/{id}", "/api/v1/visits", "/impact", "/transparency"])
def test_an_anonymous_visitors_next_request_is_answered_from_the_kept_page_without_sql(cache, app, make_visit, path):
    visit = make_visit(title="Egg day")
    path = path.format(id=visit.id)
    first, first_html, statements = _get(app.test_client(), path)
    assert first.status_code == 200 and statements
    assert "Egg day" in first_html or path in ("/impact", "/transparency")  # figures, not visits

    again, html, statements = _get(app.test_client(), path)

    assert again.status_code == 200
    assert statements == []
    assert _without_token(html) == _without_token(first_html)
    assert {key: again.headers[key] for key in ("Content-Type", "Content-Security-Policy", "Vary")} == {
        key: first.headers[key] for key in ("Content-Type", "Content-Security-Policy", "Vary")
    }


def test_each_visitor_of_a_kept_page_gets_a_token_of_their_own_session_that_works(cache, app, make_visit):
    make_visit()
    first, second = app.test_client(), app.test_client()
    first_token = csrf_token_from(_get(first, "/")[1])
    second_html = _get(second, "/")[1]
    second_token = csrf_token_from(second_html)

    assert kept_pages.PLACEHOLDER not in second_html
    assert second_token != first_token
    switched = second.post("/language", data={"csrf_token": second_token, "locale": "en", "next": "/"})
    assert switched.status_code == 302
    # the first visitor's token is not the second's: the switch refuses it
    assert second.post("/language", data={"csrf_token": first_token, "locale": "zh_CN"}).status_code == 400


def test_a_write_by_anyone_makes_the_kept_page_stale_at_once(cache, app, make_visit, db_session, now):
    visit = make_visit(title="Egg day")
    assert "Egg day" in _get(app.test_client(), f"/visits/{visit.id}")[1]

    data = visit_data(visit)
    data.title = "Balloon day"
    update_visit(db_session, visit, data, now=now)
    db_session.commit()

    html = _get(app.test_client(), f"/visits/{visit.id}")[1]
    assert "Balloon day" in html and "Egg day" not in html


@pytest.mark.parametrize(("path", "seconds"), [("/", kept_pages.KEPT_SECONDS), ("/impact", kept_pages.FIGURES_SECONDS)])
def test_a_kept_page_is_kept_for_its_time_of_the_apps_clock_at_most(cache, app, clock, make_visit, path, seconds):
    """Half a minute for the pages of visits, whose every table raises the data version; five minutes for the
    pages of figures, which also count check-ins and the kit ledger, whose writes raise none."""
    make_visit()
    kept_at = clock.now
    _get(app.test_client(), path)
    clock.set(kept_at + timedelta(seconds=seconds, microseconds=-1))
    assert _get(app.test_client(), path)[2] == []

    clock.set(kept_at + timedelta(seconds=seconds))

    assert _get(app.test_client(), path)[2] != []


def test_a_page_kept_at_a_later_time_of_the_apps_clock_is_not_given_for_an_earlier_one(cache, app, clock, make_visit):
    """A clock moved back (a test's, or the machine's set right) gets the page as it was then, not one kept later."""
    make_visit()
    clock.advance(seconds=10)
    _get(app.test_client(), "/")

    clock.advance(seconds=-1)

    assert _get(app.test_client(), "/")[2] != []


def test_a_visit_leaves_the_kept_list_when_the_apps_clock_passes_its_end(cache, app, clock, make_visit):
    """The list shows the visits that have not ended by the app's clock (`g.now`), the clock a kept page is timed
    by too, however little time the machine's clock has seen pass."""
    visit = make_visit(title="Egg day")
    assert "Egg day" in _get(app.test_client(), "/")[1]

    clock.set(visit.ends_at + timedelta(hours=1))

    assert "Egg day" not in _get(app.test_client(), "/")[1]


def test_each_language_and_each_url_has_its_own_kept_page(cache, app, make_visit):
    make_visit()
    chinese = _get(app.test_client(), "/", **{"Accept-Language": "zh-CN"})[1]
    english = _get(app.test_client(), "/", **{"Accept-Language": "en"})[1]
    assert '<html lang="zh-CN"' in chinese
    assert '<html lang="en"' in english

    _, again, statements = _get(app.test_client(), "/", **{"Accept-Language": "en"})
    assert statements == [] and '<html lang="en"' in again
    # another page of the list, another URL: the language form sends its visitor back there
    paged = _get(app.test_client(), "/?page=2")[1]
    assert 'value="/?page=2"' in paged


def test_a_signed_in_person_is_never_given_the_visitors_page(cache, app, client, make_visit, make_user):
    make_visit()
    _get(app.test_client(), "/")
    _get(app.test_client(), "/")
    _log_in(client, make_user(Role.VOLUNTEER, name="Wang Fang"))

    response, html, statements = _get(client, "/")

    assert statements != []
    assert "我的活动" in html  # their menu: My visits
    assert "private" in response.headers["Cache-Control"]


def _logged_out(client, make_user) -> None:
    """Log a volunteer in and out: the next page tells them so (a flashed message)."""
    _log_in(client, make_user(Role.VOLUNTEER))
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/profile").get_data(as_text=True))})


def test_an_api_caller_with_a_token_is_never_given_the_anonymous_answer(
    cache, app, db_session, now, make_visit, make_user
):
    from accounts.services import issue_api_token

    make_visit(title="Egg day")
    make_visit(title="Draft day", status=VisitStatus.DRAFT)
    token = issue_api_token(db_session, make_user(Role.ADMIN), now)
    db_session.commit()
    _get(app.test_client(), "/api/v1/visits")
    anonymous = _get(app.test_client(), "/api/v1/visits")[0].get_json()

    response, _, statements = _get(app.test_client(), "/api/v1/visits", Authorization=f"Bearer {token}")

    assert [item["title"] for item in anonymous["items"]] == ["Egg day"]
    assert statements != [] and {item["title"] for item in response.get_json()["items"]} == {"Egg day", "Draft day"}


def test_a_refused_query_is_answered_each_time_and_never_kept(cache, app, make_visit, monkeypatch):
    monkeypatch.setattr(kept_pages, "PAGES_KEPT", 1)
    make_visit()
    _get(app.test_client(), "/api/v1/visits")
    for _ in range(2):
        response, _, _ = _get(app.test_client(), "/api/v1/visits?per_page=1000")
        assert response.status_code == 422
        assert response.get_json()["error"]["code"]

    # the one place there is to keep a page still holds the list: the refusals took nothing
    assert _get(app.test_client(), "/api/v1/visits")[2] == []


def test_a_process_keeps_so_many_pages_of_both_kinds_together_and_lets_the_oldest_go_first(
    cache, app, make_visit, monkeypatch
):
    monkeypatch.setattr(kept_pages, "PAGES_KEPT", 2)
    make_visit()
    for path in ("/", "/impact", "/transparency"):  # a page of visits, then two of figures
        _get(app.test_client(), path)

    assert _get(app.test_client(), "/transparency")[2] == []
    assert _get(app.test_client(), "/")[2] != []  # the oldest went when the third came


def test_a_visitor_with_a_message_gets_it_though_a_page_is_kept(cache, app, client, make_visit, make_user):
    make_visit()
    _logged_out(client, make_user)
    _get(app.test_client(), "/")
    assert _get(app.test_client(), "/")[2] == []  # kept for visitors

    assert 'class="flash' in _get(client, "/")[1]


def test_a_page_rendered_with_a_message_is_never_kept(cache, app, client, make_visit, make_user):
    make_visit()
    _logged_out(client, make_user)
    assert 'class="flash' in _get(client, "/")[1]

    _, html, statements = _get(app.test_client(), "/")

    assert statements != [] and 'class="flash' not in html


def test_a_page_that_is_not_there_is_never_kept(cache, app, make_visit):
    draft = make_visit(status=VisitStatus.DRAFT)
    assert _get(app.test_client(), f"/visits/{draft.id}")[0].status_code == 404

    response, _, statements = _get(app.test_client(), f"/visits/{draft.id}")
    assert response.status_code == 404 and statements != []


def test_without_a_shared_cache_every_page_is_rendered_afresh(app, make_visit):
    make_visit()
    _get(app.test_client(), "/")

    assert _get(app.test_client(), "/")[2] != []


@pytest.mark.own_app
def test_a_page_whose_rendering_read_the_visitors_session_or_token_is_never_kept(cache, app):
    from flask import render_template_string, session
    from flask_wtf.csrf import generate_csrf

    @app.get("/test/remembers")
    @kept_pages.kept_for_visitors
    def remembers():
        session["seen"] = True
        return render_template_string("<p>{{ csrf_token() }}</p>")

    @app.get("/test/own-token")
    @kept_pages.kept_for_visitors
    def own_token():
        return f"<p>{generate_csrf()}</p>"

    for _ in range(2):
        visitor = app.test_client()
        _get(visitor, "/test/remembers")
        with visitor.session_transaction() as kept_session:
            assert kept_session.get("seen") is True  # the view ran for each visitor

    def returning_visitor():
        """A visitor whose session already holds its CSRF secret and Flask-Login's mark of a session with no one
        signed in, so that rendering a token writes nothing to it."""
        visitor = app.test_client()
        _get(visitor, "/login")
        _get(visitor, "/login")
        return visitor

    first = _get(returning_visitor(), "/test/own-token")[1]
    again = _get(returning_visitor(), "/test/own-token")[1]
    assert first != again  # each visitor's own token: not a page kept from the first


@pytest.mark.own_app
def test_a_kept_answer_keeps_the_headers_its_view_gave(cache, app):
    from flask import jsonify

    calls = []

    @app.get("/test/labelled")
    @kept_pages.kept_for_visitors
    def labelled():
        calls.append(1)
        response = jsonify(ok=True)
        response.headers["Content-Language"] = "zh-CN"
        return response

    first = app.test_client().get("/test/labelled")
    again = app.test_client().get("/test/labelled")

    assert len(calls) == 1
    assert again.get_json() == {"ok": True} and again.headers["Content-Type"] == "application/json"
    assert again.headers["Content-Language"] == first.headers["Content-Language"] == "zh-CN"
    assert again.headers["Content-Length"] == str(len(again.data))


@pytest.mark.own_app
def test_an_answer_its_view_returned_with_another_status_than_200_is_never_kept(cache, app):
    calls = []

    @app.get("/test/gone")
    @kept_pages.kept_for_visitors
    def gone():
        calls.append(1)
        return "<p>gone</p>", 410

    answers = [app.test_client().get("/test/gone") for _ in range(2)]

    assert [answer.status_code for answer in answers] == [410, 410]
    assert len(calls) == 2  # worked out again for the second visitor
