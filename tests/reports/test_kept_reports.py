"""A report page's figures are kept by each process while nothing they show has changed (reports.services.
kept_report): at national scale a year's figures take over a second to work out. A write to a watched table shows
at once; one to a table whose writes raise no data version (a check-in, the stock ledger) within FIGURES_SECONDS."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from accounts.models import Role
from checkin.models import Attendance
from core.kept_pages import FIGURES_SECONDS
from events.models import VisitStatus
from tests.conftest import statements_run
from volunteers.models import Signup, SignupStatus

PAGE = "/reports/?from={first}&to={last}"


@pytest.fixture
def dashboard(client, login, make_user, make_visit, db_session, now):
    """An admin's dashboard over a range holding one completed visit, with one volunteer who attended it for 2
    hours without a check-in; the page's path, and the visit."""
    login(make_user(Role.ADMIN))
    visit = make_visit(days_ahead=-3, status=VisitStatus.COMPLETED)
    attend(db_session, visit, make_user(), minutes=120)
    first, last = (now - timedelta(days=30)).date(), now.date()
    return PAGE.format(first=first.isoformat(), last=last.isoformat()), visit


def attend(db_session, visit, person, *, minutes: int) -> Signup:
    slot = visit.slots[0]
    signup = Signup(
        slot_id=slot.id,
        visit_id=visit.id,
        user_id=person.id,
        status=SignupStatus.ATTENDED,
        attended_minutes=minutes,
        confirmed_at=visit.starts_at - timedelta(days=3),
    )
    db_session.add(signup)
    db_session.commit()
    return signup


def _figures(client, path: str) -> tuple[list[str], list[str]]:
    """The page's headline figures and its notes, and the statements that answering it ran."""
    with statements_run() as seen:
        page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    figures = re.findall(r'class="figure-value"[^>]*>([^<]*)<', html)
    return figures + re.findall(r"Visits without any check-in: \d+", html), seen


def _report_statements(seen: list[str]) -> list[str]:
    """The statements that work a report out (they read the attended signups' minutes)."""
    return [statement for statement in seen if "attended_minutes" in statement]


def test_a_report_asked_for_again_is_answered_from_the_kept_figures(cache, client, dashboard):
    path, _visit = dashboard
    figures, first = _figures(client, path)
    assert _report_statements(first)
    again, second = _figures(client, path)
    assert again == figures
    assert _report_statements(second) == []
    _other_range, third = _figures(client, path.replace("from=", "from=2020-01-01&was="))
    assert _report_statements(third)  # another range is a report of its own


def test_a_write_to_what_a_report_shows_shows_at_once(cache, client, dashboard, db_session, make_user):
    path, visit = dashboard
    before, _ = _figures(client, path)
    attend(db_session, visit, make_user(), minutes=60)  # a signup: a watched table
    after, seen = _figures(client, path)
    assert _report_statements(seen)
    assert after != before


def test_figures_are_kept_for_their_time_of_the_apps_clock_at_most(cache, client, clock, dashboard, db_session):
    """A check-in raises no data version: the kept figures miss it until FIGURES_SECONDS have passed."""
    path, visit = dashboard
    before, _ = _figures(client, path)
    assert "Visits without any check-in: 1" in before
    signup = db_session.query(Signup).filter_by(visit_id=visit.id).one()
    db_session.add(
        Attendance(
            signup_id=signup.id,
            visit_id=visit.id,
            checked_in_at=visit.starts_at,
            checked_out_at=visit.starts_at + timedelta(minutes=120),
        )
    )
    db_session.commit()
    clock.advance(seconds=FIGURES_SECONDS - 1)
    kept, seen = _figures(client, path)
    assert kept == before and _report_statements(seen) == []
    clock.advance(seconds=1)
    fresh, seen = _figures(client, path)
    assert _report_statements(seen)
    assert "Visits without any check-in: 1" not in fresh  # the visit has its check-in now


def test_without_a_shared_cache_every_request_works_the_report_out(client, dashboard):
    path, _visit = dashboard
    for _ in range(2):
        _shown, seen = _figures(client, path)
        assert _report_statements(seen)


def _school_table(html: str) -> str:
    """The schools' table and what follows it up to its downloads."""
    return html.split('id="table-school"', 1)[1].split('class="downloads"', 1)[0]


def _school_rows(html: str) -> int:
    return _school_table(html).split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>")


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_long_table_shows_its_first_rows_with_a_link_to_all_of_them(
    client, dashboard, db_session, make_user, make_school, make_visit, monkeypatch, language
):
    """A national programme has thousands of schools: the dashboard shows each table's first ROWS_SHOWN rows (at
    scale 100 it was 2.5 MB with all of them), the table's link and its downloads every row."""
    from reports import views

    monkeypatch.setattr(views, "ROWS_SHOWN", 2)
    path, _visit = dashboard
    for _ in range(2):  # three schools with a completed visit in the range
        attend(
            db_session,
            make_visit(school=make_school(), days_ahead=-5, status=VisitStatus.COMPLETED),
            make_user(),
            minutes=30,
        )
    page = client.get(path, headers={"Accept-Language": language}).get_data(as_text=True)
    assert _school_rows(page) == 2
    shown = "The first 2 of 3 rows." if language == "en" else "共 3 行，这里显示前 2 行。"
    assert shown in _school_table(page)
    (link,) = re.findall(r'<a href="([^"]*all=school[^"]*)"', page)
    whole = client.get(unescape(link), headers={"Accept-Language": language}).get_data(as_text=True)
    assert (
        _school_rows(whole) == 3 and shown not in whole.split('id="table-school"', 1)[1].split("</table>", 1)[1][:400]
    )
    assert "from=" in link and link.endswith("#table-school")  # the same range, at the same table
    assert len(re.findall(r'<a href="[^"]*all=', whole)) == len(re.findall(r'<a href="[^"]*all=', page)) - 1
    csv = client.get(re.search(r'href="([^"]*/school\.csv[^"]*)"', page).group(1).replace("&amp;", "&"))
    assert csv.get_data(as_text=True).count("\n") == 4  # a header and every school


def test_a_shortened_tables_link_keeps_the_range_and_a_chart_keeps_every_row(
    client, dashboard, db_session, make_user, make_company, make_school, make_visit, monkeypatch
):
    """A chart shows the whole table; the link to all rows keeps the page's own query, whatever else it holds."""
    from reports import views

    monkeypatch.setattr(views, "ROWS_SHOWN", 2)
    path, _visit = dashboard
    people = [make_user(company=make_company()) for _ in range(3)]
    for person in people:
        visit = make_visit(school=make_school(), days_ahead=-5, status=VisitStatus.COMPLETED)
        attend(db_session, visit, person, minutes=30)
    page = client.get(path + "&_anchor=x&_external=1&all=nothing", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    link = unescape(re.search(r'<a href="([^"]*all=company[^"]*)"', html).group(1))
    assert link.startswith("/reports/?") and link.endswith("#table-company")
    assert "from=" in link and "to=" in link and "all=nothing" not in link
    chart = html.split('id="chart-company-title"', 1)[1].split("</svg>", 1)[0]
    companies = [person.company.name for person in people]
    assert all(name in chart for name in companies)
