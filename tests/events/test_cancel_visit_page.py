"""Cancelling a visit asks first, saying how many volunteers will be told; the question changes nothing."""

from __future__ import annotations

import re
from html import unescape

from flask_babel import force_locale, gettext, ngettext

from accounts.models import Role
from events.models import Visit, VisitStatus
from extensions import db
from mail.models import OutboxMessage
from volunteers import signups


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def main_of(html: str) -> str:
    return html[html.index("<main") :]


def status_of(visit) -> VisitStatus:
    db.session.expire_all()
    return db.session.get(Visit, visit.id).status


def sign_many(visit, people, now) -> None:
    for person in people:
        signups.sign_up(db.session, slot_id=visit.slots[0].id, volunteer=person, now=now)
    db.session.commit()


def test_the_visit_page_cancels_with_a_link_to_the_question_and_publishes_with_a_button(
    client, login, admin, make_visit
):
    draft = make_visit(status=VisitStatus.DRAFT)
    login(admin)
    html = main_of(client.get(f"/visits/{draft.id}").get_data(as_text=True))
    assert f'<a class="button danger" href="/visits/{draft.id}/cancel" data-confirm>Cancel the visit</a>' in html
    assert 'name="action" value="publish">Publish</button>' in html
    assert 'value="cancel"' not in html
    assert 'src="/static/js/confirm.js" defer' in html


def test_asking_to_cancel_a_visit_says_how_many_are_told_changes_nothing_and_its_form_cancels(
    client, login, admin, make_visit, make_user, now
):
    visit = make_visit(capacity=2, title="Balloon day")
    people = [make_user() for _ in range(4)]
    sign_many(visit, people, now)  # two places, two waiting
    gone = signups.active_signup(db.session, people[0], visit.id)
    signups.cancel_signup(db.session, gone, by=people[0], now=now)
    db.session.commit()
    mails = db.session.query(OutboxMessage).count()
    login(admin)
    response = client.get(f"/visits/{visit.id}/cancel")
    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    words = text_of(html)
    assert html.count("<h1") == 1
    assert '<h1 id="confirm-title">Cancel this visit?</h1>' in html
    assert "Balloon day" in words
    assert "The visit will be cancelled and 3 volunteers will be told by mail." in words
    assert "Everyone signed up, on the waitlist too, will lose their place." in words
    assert "A cancelled visit cannot be published again." in words
    assert 'class="danger">Yes, cancel the visit</button>' in html
    assert f'href="/visits/{visit.id}" data-confirm-keep>No, keep it</a>' in html
    # asking changed nothing
    assert status_of(visit) == VisitStatus.PUBLISHED
    assert db.session.query(OutboxMessage).count() == mails
    # the answer posts to the status endpoint, as the one-tap button did
    [(action, fields)] = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert action == f"/visits/{visit.id}/status"
    assert '<input type="hidden" name="action" value="cancel">' in fields
    done = client.post(action, data={"action": "cancel"})
    assert done.headers["Location"] == f"/visits/{visit.id}"
    assert status_of(visit) == VisitStatus.CANCELLED
    assert db.session.query(OutboxMessage).filter_by(template="visit_cancelled").count() == 3


def test_one_volunteer_is_told_in_the_singular_and_nobody_is_said_plainly(
    client, login, admin, make_visit, make_user, now
):
    one, none = make_visit(), make_visit(days_ahead=20)
    sign_many(one, [make_user()], now)
    login(admin)
    assert "The visit will be cancelled and 1 volunteer will be told by mail." in text_of(
        client.get(f"/visits/{one.id}/cancel").get_data(as_text=True)
    )
    words = text_of(client.get(f"/visits/{none.id}/cancel").get_data(as_text=True))
    assert "The visit will be cancelled. Nobody has signed up, so nobody needs to be told." in words
    assert "will lose their place" not in words


def test_the_question_speaks_the_readers_language_with_its_plurals(client, login, make_user, make_visit, now):
    visit = make_visit()
    sign_many(visit, [make_user(), make_user()], now)
    login(make_user(Role.ADMIN, locale="zh_CN"))
    html = client.get(f"/visits/{visit.id}/cancel").get_data(as_text=True)
    assert '<html lang="zh' in html
    words = text_of(html)
    with force_locale("zh_CN"):
        said = ngettext(
            "The visit will be cancelled and %(num)s volunteer will be told by mail.",
            "The visit will be cancelled and %(num)s volunteers will be told by mail.",
            2,
        )
        assert said in words
        assert "2" in said
        assert gettext("When") in words and gettext("When") != "When"


def test_go_back_leads_only_to_a_page_of_this_site(client, login, admin, make_visit):
    visit = make_visit()
    login(admin)
    for elsewhere, back in (
        ("https://evil.example/", f"/visits/{visit.id}"),
        ("//evil.example/x", f"/visits/{visit.id}"),
        ("/visits/?when=all", "/visits/?when=all"),
    ):
        html = main_of(
            client.get(f"/visits/{visit.id}/cancel", query_string={"next": elsewhere}).get_data(as_text=True)
        )
        [href] = re.findall(r'href="([^"]*)" data-confirm-keep>', html)
        assert unescape(href) == back


def test_a_visit_that_cannot_be_cancelled_goes_back_to_its_page_with_the_reason(client, login, admin, make_visit):
    visit = make_visit(status=VisitStatus.CANCELLED)
    login(admin)
    response = client.get(f"/visits/{visit.id}/cancel")
    assert response.headers["Location"] == f"/visits/{visit.id}"
    assert "The visit cannot move to that status." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_only_admins_are_asked(client, login, make_user, make_school, make_visit):
    host = make_user(Role.HOST)
    visit = make_visit(school=make_school(hosts=[host]))
    login(host)
    assert client.get(f"/visits/{visit.id}/cancel").status_code == 403
    assert status_of(visit) == VisitStatus.PUBLISHED
