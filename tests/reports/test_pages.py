"""Every number on the report pages against the hand-worked figures (tests/reports/expected.py)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from accounts.models import Role
from tests.reports import expected

RANGE = "from=2026-01-01&to=2026-03-31"
#: the page language of these tests (the Chinese pages are checked after the translations are merged)
EN = {"Accept-Language": "en"}


def _text(html: str) -> str:
    """The page's text, tags gone and white space squeezed, for looking for numbers in order."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def headline_values(html: str) -> list[str]:
    return re.findall(r'class="figure-value"[^>]*>([^<]*)<', html)


def table_rows(html: str, caption_id: str) -> dict[str, list[str]]:
    """A report table's rows: the row header -> its cells' text (each figure then its previous period's)."""
    table = html.split(f'id="{caption_id}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], flags=re.S):
        cells = [_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def shown(figures: tuple) -> list[str]:
    """(visits, schools, students, minutes, volunteers, ...) as the tables show them: 'now previous-period now'."""
    return [str(figures[0]), str(figures[1]), str(figures[2]), _hours(figures[3]), str(figures[4])]


def _hours(minutes: int) -> str:
    tenths = (minutes * 10 + 30) // 60
    return f"{tenths // 10}.{tenths % 10}"


def cells(current: tuple, previous: tuple) -> list[str]:
    return [f"{now} previous period {before}" for now, before in zip(shown(current), shown(previous), strict=True)]


@pytest.fixture
def admin(make_user, login):
    person = make_user(Role.ADMIN)
    login(person)
    return person


def test_dashboard_shows_every_hand_worked_number(client, world, admin):
    response = client.get(f"/reports/?{RANGE}", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1
    # visits, schools, students, hours, volunteers, hours per volunteer (900 / 3 = 300 minutes)
    assert headline_values(html) == ["4", "4", "165", "15.0", "3", "5.0"]
    text = _text(html)
    for previous in ("Previous period: 2 (+2)", "Previous period: 22 (+143)", "Previous period: 4.8 (+10.2)"):
        assert previous in text
    assert "Visits without any check-in: 1." in text
    assert "were not recorded: 1." in text
    assert table_rows(html, "table-company") == {name: cells(*figures) for name, figures in expected.COMPANY.items()}
    assert table_rows(html, "table-region") == {
        province: [prefecture, county, *cells(*figures)]
        for (province, prefecture, county), figures in expected.REGION.items()
    }
    assert table_rows(html, "table-province") == {name: cells(*f) for name, f in expected.PROVINCE.items()}
    assert table_rows(html, "table-school") == {name: cells(*f) for name, f in expected.SCHOOL.items()}
    assert table_rows(html, "table-month") == {name: cells(*f) for name, f in expected.MONTH.items()}
    assert html.count("<svg") == 3 and "<script" not in html.split("</main>")[0]


def test_company_page_shows_its_peoples_figures_and_hours_per_volunteer(client, world, make_user, login):
    login(make_user(Role.COORDINATOR, company=world.star))
    response = client.get(f"/reports/companies/{world.star.id}?{RANGE}", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # 星辰科技: V1, V2, V4; A, S, B; 150 students; 420 minutes = 7.0 h; s1, s2; 210 minutes each = 3.5 h
    assert headline_values(html) == ["3", "3", "150", "7.0", "2", "3.5"]
    assert table_rows(html, "table-volunteer") == {n: cells(*f) for n, f in expected.STAR_VOLUNTEERS.items()}
    assert "张伟" not in html  # g1 is Green's
    assert client.get(f"/reports/companies/{world.green.id}", headers=EN).status_code == 404
    assert client.get("/reports/company").headers["Location"].startswith(f"/reports/companies/{world.star.id}")


def test_public_impact_page_has_totals_and_provinces_and_no_names(client, world):
    response = client.get(f"/impact?{RANGE}", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert headline_values(html) == ["4", "4", "165", "15.0", "3"]
    rows = table_rows(html, "table-province")
    assert rows == {name: cells(*f)[:4] for name, f in expected.PROVINCE.items()}
    for private in ("王小明", "Li Hua", "张伟", "星辰科技", "绿源能源", "美姑县第一小学", "@example.com"):
        assert private not in html


def test_school_page_shows_what_the_school_received(client, world, make_user, login):
    host = make_user(Role.HOST)
    world.a.hosts.append(host)
    login(host)
    html = client.get(f"/reports/schools/{world.a.id}?{RANGE}", headers=EN).get_data(as_text=True)
    # school A: V1 and V4; A and S; 95 + 35; 240 + 180 minutes; s1, g1, s2; 140 minutes each
    assert headline_values(html) == ["2", "2", "130", "7.0", "3", "2.3"]
    assert client.get(f"/reports/schools/{world.b.id}", headers=EN).status_code == 404


def test_a_bad_date_is_shown_next_to_its_field_and_the_default_period_used(client, world, admin):
    response = client.get("/reports/?from=2026-03-31&to=2026-01-01", headers=EN)
    assert response.status_code == 200
    assert "The end must be after the start." in response.get_data(as_text=True)


def test_my_hours_lists_every_attended_visit_and_says_which_had_no_check_in(client, world, login):
    login(world.s2)
    html = client.get("/me/hours", headers=EN).get_data(as_text=True)
    # s2: V2 60 minutes; V4 without check-in
    assert headline_values(html) == ["1.0", "2"]
    assert "1 visit has no check-in record: its time is not counted." in _text(html)
    assert "No check-in record" in html
