"""Certificates of volunteer hours: issued from check-ins, printed in either language, verified by an
unguessable URL and its QR code (genuine, unknown, revoked), showing no other personal data."""

from __future__ import annotations

import re

from sqlalchemy import select

from accounts.models import Role
from reports import certificates
from reports.models import HoursCertificate
from tests.checkin.svg_qr import decode_svg
from tests.reports import expected
from tests.reports.test_pages import EN
from volunteers.models import Signup

BASE = "http://scivisit.test"  # tests/conftest.py's BASE_URL


def _issue(client, locale: str = "en") -> tuple[HoursCertificate, str]:
    response = client.post("/me/hours/certificates", data={"locale": locale})
    assert response.status_code == 302
    certificate_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/me/hours/certificates/{certificate_id}").get_data(as_text=True)
    return certificate_id, page


def test_a_certificate_lists_the_visits_and_hours_from_check_ins_and_verifies(client, world, login, db_session):
    login(world.s1)
    certificate_id, page = _issue(client, "en")
    made = db_session.get(HoursCertificate, certificate_id)
    # s1, all time: P0 45, P2 90, V1 240, V2 120, V5 100 = 595 minutes = 9.9 hours in 5 visits
    assert (made.minutes, made.visits, made.locale, made.name) == (
        expected.S1_MINUTES,
        expected.S1_VISITS,
        "en",
        "王小明",
    )
    assert "王小明 gave 9.9 hours as a volunteer teaching science in 5 school visits" in page
    for school in ("美姑县第一小学", "昭觉县小学"):
        assert school in page
    for hours in ("0.8", "1.5", "4.0", "2.0", "1.7"):  # 45, 90, 240, 120, 100 minutes
        assert f'<td class="num">{hours}</td>' in page
    assert '<html lang="en">' in page

    token = certificates.token_of(made)
    assert len(token) == 22 and token not in (made.nonce, made.token_hash)
    url = f"{BASE}/certificates/{token}"
    assert url in page
    svg = re.search(r"<svg[^>]*>.*?</svg>", page.split('class="certificate-qr"', 1)[1], flags=re.S).group(0)
    assert decode_svg(svg) == [url]

    client.post("/logout")
    check = client.get(f"/certificates/{token}", headers=EN)
    assert check.status_code == 200
    html = check.get_data(as_text=True)
    assert "Genuine: this certificate was issued by SciVisit." in html
    assert "王小明" in html and "9.9" in html
    for private in ("person", "@example.com", "星辰科技", "美姑县", "Mars"):
        assert private not in html.split("<main", 1)[1]


def test_a_certificate_in_chinese_is_a_chinese_page(client, world, login):
    login(world.s1)
    _, page = _issue(client, "zh_CN")
    assert '<html lang="zh-CN">' in page


def test_an_unknown_token_is_not_genuine(client, world):
    response = client.get("/certificates/AAAAAAAAAAAAAAAAAAAAAA", headers=EN)
    assert response.status_code == 404
    assert "This is not a certificate issued by SciVisit." in response.get_data(as_text=True)
    assert client.get("/certificates/" + "x" * 300, headers=EN).status_code == 404


def test_a_revoked_certificate_says_so(client, world, login, db_session):
    login(world.s1)
    certificate_id, _ = _issue(client)
    token = certificates.token_of(db_session.get(HoursCertificate, certificate_id))
    assert client.post(f"/me/hours/certificates/{certificate_id}/revoke").status_code == 302
    response = client.get(f"/certificates/{token}", headers=EN)
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "revoked on" in html and "王小明" not in html.split("<main", 1)[1]


def test_nobody_else_opens_or_revokes_a_persons_certificate(client, world, login, make_user, db_session):
    login(world.s1)
    certificate_id, _ = _issue(client)
    client.post("/logout")
    login(world.g1)
    assert client.get(f"/me/hours/certificates/{certificate_id}").status_code == 404
    assert client.post(f"/me/hours/certificates/{certificate_id}/revoke").status_code == 404
    assert db_session.get(HoursCertificate, certificate_id).revoked_at is None
    client.post("/logout")
    login(make_user(Role.ADMIN))
    assert client.get(f"/me/hours/certificates/{certificate_id}").status_code == 200


def test_a_certificate_keeps_the_figures_it_was_issued_with(client, world, login, db_session):
    login(world.s1)
    certificate_id, _ = _issue(client)
    corrected = db_session.scalars(
        select(Signup).where(Signup.visit_id == world.visits["V1"].id, Signup.user_id == world.s1.id)
    ).one()
    corrected.attended_minutes = 10  # a coordinator's correction after the certificate was printed
    db_session.commit()
    made = db_session.get(HoursCertificate, certificate_id)
    assert made.minutes == expected.S1_MINUTES
    assert certificates.hours_of(db_session, world.s1).minutes == expected.S1_MINUTES - 230
