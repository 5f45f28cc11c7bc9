"""The report pages pass axe at phone size in both languages and read well: the dashboard, a company's report, a
school's, My hours, a certificate and its check, the public impact page. With REPORT_SHOTS=<folder> a screenshot of
each (and of the printed company report and certificate) is kept there for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accounts.models import Role
from reports import certificates
from tests.browser.conftest import accessibility_problems, log_in
from tests.browser.test_all_pages import reading_problems
from tests.reports.conftest import world  # noqa: F401  (the reports' hand-worked world)

#: a folder to keep each page's screenshot in (and the printed ones), for a person to look at; none: no screenshots
SHOTS = Path(os.environ["REPORT_SHOTS"]) if os.environ.get("REPORT_SHOTS") else None
RANGE = "from=2026-01-01&to=2026-03-31"


@pytest.fixture
def paths(world, make_user, db_session, now):  # noqa: F811
    admin = make_user(Role.ADMIN, email="reports.admin@example.com")
    coordinator = make_user(Role.COORDINATOR, email="reports.coordinator@example.com", company=world.star)
    host = make_user(Role.HOST, email="reports.host@example.com")
    world.a.hosts.append(host)
    made = certificates.issue_certificate(db_session, world.s1, locale="zh_CN", now=now)
    db_session.commit()
    return {
        None: [f"/impact?{RANGE}", f"/certificates/{certificates.token_of(made)}", "/certificates/unknown"],
        admin.email: [f"/reports/?{RANGE}", f"/me/hours/certificates/{made.id}"],
        coordinator.email: [f"/reports/companies/{world.star.id}?{RANGE}"],
        host.email: [f"/reports/schools/{world.a.id}?{RANGE}"],
        world.s1.email: ["/me/hours"],
    }


def _name(path: str) -> str:
    """A screenshot's name: the path without its query (and without a certificate's token)."""
    if path.startswith("/certificates/"):
        return "certificate-check-" + ("unknown" if path.endswith("unknown") else "genuine")
    return path.split("?")[0].strip("/").replace("/", "-")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_report_pages_pass_axe_on_a_phone_in_both_languages(phone, paths, locale):
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for who, pages in paths.items():
        page = phone(locale)
        if who is not None:
            log_in(page, who)
        for path in pages:
            response = page.goto(path)
            assert response is not None and response.status in (200, 404), f"{who} {path}: {response.status}"
            problems += accessibility_problems(page) + reading_problems(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{path} scrolls sideways"
            if SHOTS is None:
                continue
            page.screenshot(path=str(SHOTS / f"{_name(path)}-{locale}.png"), full_page=True)
            if path.startswith(("/reports/companies", "/me/hours/certificates")):
                page.emulate_media(media="print")
                page.screenshot(path=str(SHOTS / f"{_name(path)}-{locale}-print.png"), full_page=True)
                page.emulate_media(media="screen")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_the_charts_are_drawn_without_javascript_and_match_their_tables(phone, paths):
    page = phone("en-US", javascript=False)
    log_in(page, next(who for who in paths if who and who.startswith("reports.admin")))
    page.goto(f"/reports/?{RANGE}")
    assert accessibility_problems(page) == []
    assert page.locator("svg.chart").count() == 3
    company_chart = page.locator("#chart-company-title").text_content()
    assert company_chart == "Volunteer hours per company"
    # the chart writes each company's hours at its bar: 星辰科技 7.0 (420 minutes), 绿源能源 8.0 (480)
    texts = page.locator("svg.chart").first.locator("text").all_text_contents()
    assert [t for t in texts if t in ("星辰科技", "7.0", "绿源能源", "8.0")] == ["星辰科技", "7.0", "绿源能源", "8.0"]


def test_report_pages_and_certificates_speak_chinese(phone, paths, world):  # noqa: F811
    """Needs the reports' strings in translations/ (the Chinese catalogue): fails until they are merged."""
    anonymous, admin = paths[None], next(who for who in paths if who and who.startswith("reports.admin"))
    page = phone("zh-CN")
    page.goto(anonymous[1])
    assert accessibility_problems(page) == []
    assert "真实有效：本证明由 SciVisit 签发。" in page.locator("#verdict").text_content()
    log_in(page, admin)
    page.goto(paths[admin][0])
    assert accessibility_problems(page) == []
    assert page.locator("h1").text_content() == "项目成效"
    assert page.locator(".figure-name").all_text_contents()[:3] == ["已完成活动", "覆盖学校", "受益学生"]
    page.goto(paths[admin][1])  # 王小明's certificate, issued in Chinese
    assert accessibility_problems(page) == []
    lead = page.locator(".certificate-lead").text_content()
    assert lead == "兹证明 王小明 参加 SciVisit 项目 5 次进校科学教学志愿服务，累计服务 9.9 小时。"
