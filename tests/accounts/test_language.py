"""The page language: an account holds a language only when its person chose one; otherwise the pages
follow the phone (this browser's switch, then Accept-Language) and mail follows the language last read."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from accounts import services
from accounts.models import Role, User
from demo import PEOPLE
from mail.models import OutboxMessage
from tests.conftest import PASSWORD
from volunteers.signups import sign_up

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def lang(response) -> str:
    match = re.search(r'<html[^>]*\blang="([^"]+)"', response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


def selected_language(response) -> str:
    """The value of the option the profile's language select shows as chosen."""
    select_html = re.search(r'<select[^>]*\bid="locale".*?</select>', response.get_data(as_text=True), re.S).group(0)
    return re.search(r'<option(?: lang="[^"]+")? selected value="([^"]*)"', select_html).group(1)


def log_in(client, user, headers=ZH):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD}, headers=headers)
    assert response.status_code == 302
    return response


def stored(db_session, user) -> tuple[str | None, str | None]:
    db_session.expire_all()
    user = db_session.get(User, user.id)
    return user.locale, user.last_locale


@pytest.mark.parametrize(
    ("accept", "page"),
    [
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh", "zh-CN"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        # Chinese asked for first, in another region or script: Chinese, not the English offered second
        ("zh-TW,en;q=0.8", "zh-CN"),
        ("zh-Hans,en;q=0.8", "zh-CN"),
        ("fr,en;q=0.5,zh;q=0.9", "zh-CN"),
        ("fr,en;q=0.5", "en"),
        ("fr", "zh-CN"),
    ],
)
def test_an_anonymous_visitor_reads_the_language_the_phone_asks_for(client, accept, page):
    assert lang(client.get("/login", headers={"Accept-Language": accept})) == page


def test_a_person_who_never_chose_follows_the_phone_on_every_visit(app, client, make_user, db_session):
    user = make_user()
    log_in(client, user, headers=EN)
    assert lang(client.get("/profile", headers=EN)) == "en"
    # The same account on the same phone, now set to Chinese: the page follows, nothing was stored.
    assert lang(client.get("/profile", headers=ZH)) == "zh-CN"
    other = app.test_client()
    log_in(other, user, headers=ZH)
    assert lang(other.get("/profile", headers=ZH)) == "zh-CN"
    assert lang(other.get("/profile", headers=EN)) == "en"
    assert stored(db_session, user)[0] is None


def test_the_switch_while_signed_in_is_stored_and_wins_over_the_phone_on_every_later_visit_and_device(
    app, client, make_user, db_session
):
    user = make_user()
    log_in(client, user)
    assert lang(client.get("/profile", headers=ZH)) == "zh-CN"
    client.post("/language", data={"locale": "en", "next": "/profile"}, headers=ZH)
    assert stored(db_session, user)[0] == "en"
    assert lang(client.get("/profile", headers=ZH)) == "en"

    client.post("/logout")
    log_in(client, user)
    assert lang(client.get("/profile", headers=ZH)) == "en"
    other = app.test_client()  # another phone, set to Chinese, whose switch was never touched
    log_in(other, user)
    assert lang(other.get("/visits/", headers=ZH)) == "en"


def test_a_switch_pressed_before_logging_in_stays_with_that_browser_and_is_not_stored(
    app, client, make_user, db_session
):
    user = make_user()
    client.post("/language", data={"locale": "en"}, headers=ZH)
    assert lang(client.get("/login", headers=ZH)) == "en"
    log_in(client, user)
    assert lang(client.get("/profile", headers=ZH)) == "en"  # this browser keeps its choice through login
    assert stored(db_session, user) == (None, "en")
    other = app.test_client()
    log_in(other, user)
    assert lang(other.get("/profile", headers=ZH)) == "zh-CN"


def test_the_profile_offers_the_phone_s_language_and_saving_it_unchanged_stores_no_choice(
    client, make_user, db_session
):
    user = make_user(name="Nina Never-Chose")
    log_in(client, user, headers=EN)
    response = client.get("/profile", headers=EN)
    html = response.get_data(as_text=True)
    assert '<option selected value="">Same as my phone/browser</option>' in html
    assert selected_language(response) == ""
    # Saving the profile as shown (only the name changed) chooses no language.
    response = client.post("/profile", data={"name": "Nina N.", "locale": selected_language(response)}, headers=EN)
    assert response.status_code == 302
    assert stored(db_session, user)[0] is None
    assert db_session.get(User, user.id).name == "Nina N."
    assert lang(client.get("/profile", headers=ZH)) == "zh-CN"


def test_choosing_a_language_in_the_profile_stores_it_and_the_phone_s_language_clears_it(
    app, client, make_user, db_session
):
    user = make_user(name="Nina")
    log_in(client, user, headers=ZH)
    client.post("/profile", data={"name": "Nina", "locale": "en"}, headers=ZH)
    assert stored(db_session, user)[0] == "en"
    response = client.get("/profile", headers=ZH)
    assert (lang(response), selected_language(response)) == ("en", "en")

    client.post("/profile", data={"name": "Nina", "locale": ""}, headers=ZH)
    assert stored(db_session, user) == (None, "zh_CN")  # mail now follows the language read here
    response = client.get("/profile", headers=ZH)
    assert (lang(response), selected_language(response)) == ("zh-CN", "")
    assert lang(client.get("/profile", headers=EN)) == "en"
    other = app.test_client()
    log_in(other, user, headers=EN)
    assert lang(other.get("/profile", headers=EN)) == "en"


def test_the_phone_s_language_in_the_profile_also_forgets_this_browser_s_switch(client, make_user, db_session):
    user = make_user(name="Nina")
    log_in(client, user, headers=ZH)
    client.post("/language", data={"locale": "en"}, headers=ZH)
    client.post("/profile", data={"name": "Nina", "locale": ""}, headers=ZH)
    assert stored(db_session, user)[0] is None
    assert lang(client.get("/profile", headers=ZH)) == "zh-CN"


def test_accepting_an_invitation_stores_no_language(client, make_user, db_session, now):
    admin = make_user(Role.ADMIN)
    _invitation, token = services.invite(
        db_session,
        email="teacher@example.com",
        role=Role.COORDINATOR,
        invited_by=admin,
        now=now,
        company=services.create_company(db_session, "Invited Co", now),
    )
    db_session.commit()
    client.post("/language", data={"locale": "en"}, headers=ZH)  # a switch pressed in this browser
    response = client.post(
        f"/invitation/{token}", data={"name": "Teacher", "password": PASSWORD, "confirm": PASSWORD}, headers=ZH
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    user = db_session.scalars(select(User).where(User.email == "teacher@example.com")).one()
    assert (user.locale, user.last_locale) == (None, "en")
    assert lang(client.get("/profile", headers=ZH)) == "en"  # this browser's switch still holds here


def test_registering_after_pressing_the_switch_stores_no_language(client, make_company, db_session):
    company = make_company()
    client.post("/language", data={"locale": "en"}, headers=ZH)
    client.post(
        "/register",
        data={
            "join_code": company.join_code,
            "name": "Nina",
            "email": "nina@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
        headers=ZH,
    )
    message = db_session.scalars(select(OutboxMessage)).one()
    assert message.subject == "Confirm your SciVisit registration"  # in the language of the form
    path = re.search(r"http://scivisit\.test(/register/confirm/\S+)", message.body).group(1)
    assert client.post(path, headers=ZH).status_code == 302
    user = db_session.scalars(select(User).where(User.email == "nina@example.com")).one()
    assert (user.locale, user.last_locale) == (None, "en")


@pytest.mark.parametrize(
    ("locale", "last_locale", "subject"),
    [
        (None, "en", "Reset your SciVisit password"),
        (None, None, "重置您的 SciVisit 密码"),
        ("zh_CN", "en", "重置您的 SciVisit 密码"),
        ("en", "zh_CN", "Reset your SciVisit password"),
    ],
)
def test_mail_is_in_the_chosen_language_else_the_one_last_read_else_chinese(
    make_user, db_session, now, locale, last_locale, subject
):
    user = make_user(locale=locale)
    user.last_locale = last_locale
    db_session.commit()
    services.request_password_reset(db_session, user.email, now)
    assert db_session.scalars(select(OutboxMessage)).one().subject == subject


def test_signup_mail_to_a_person_who_never_chose_is_in_the_language_they_last_read(
    client, make_user, make_visit, db_session, now
):
    volunteer = make_user(name="Ada Reader")
    log_in(client, volunteer, headers=EN)
    assert stored(db_session, volunteer) == (None, "en")
    volunteer = db_session.get(User, volunteer.id)
    sign_up(db_session, slot_id=make_visit(title="Kite day").slots[0].id, volunteer=volunteer, now=now)
    message = db_session.scalars(select(OutboxMessage).where(OutboxMessage.template == "signup_confirmed")).one()
    assert message.subject == "You are signed up: Kite day"
    assert message.body.startswith("Hello Ada Reader,")


def test_the_demo_people_have_chosen_no_language(runner, db_session):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    people = db_session.scalars(select(User).where(User.email.in_([p[0] for p in PEOPLE]))).all()
    assert len(people) == len(PEOPLE)
    assert {(p.locale, p.last_locale) for p in people} == {(None, None)}


def test_the_language_kept_for_mail_is_in_the_person_s_data_download(client, make_user):
    log_in(client, make_user(), headers=EN)
    account = client.get("/profile/data.json").get_json()["account"]
    assert (account["locale"], account["last_locale"]) == (None, "en")


def test_the_phone_s_language_is_worked_out_once_per_header_and_long_headers_are_not_kept(client):
    from core.i18n import LONGEST_REMEMBERED_HEADER, header_locale

    header_locale.cache_clear()
    assert lang(client.get("/login", headers=EN)) == lang(client.get("/login", headers=EN)) == "en"
    assert header_locale.cache_info().misses == 1
    assert header_locale.cache_info().hits >= 1
    long = "fr;q=0.1," * (LONGEST_REMEMBERED_HEADER // 9 + 1) + "en"
    assert len(long) > LONGEST_REMEMBERED_HEADER
    assert lang(client.get("/login", headers={"Accept-Language": long})) == "en"
    assert header_locale.cache_info().currsize == 1
