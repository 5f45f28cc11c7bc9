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


def shown(figures: tuple, *, people: bool = True) -> list[str]:
    """(visits, schools, students, minutes, volunteers, ..., kits delivered, consumed, value) as the tables show
    them; `people=False`: without the volunteers (the public page)."""
    volunteers = [str(figures[4])] if people else []
    return [
        *(str(figures[0]), str(figures[1]), str(figures[2]), _hours(figures[3])),
        *volunteers,
        *(str(figures[7]), str(figures[8]), _yuan(figures[9]), _yuan(figures[10])),
    ]


def _yuan(fen: int) -> str:
    """Fen as the English pages write yuan: 172950 -> 'CN¥1,729.50'."""
    return f"CN¥{fen // 100:,}.{fen % 100:02d}"


def _hours(minutes: int) -> str:
    tenths = (minutes * 10 + 30) // 60
    return f"{tenths // 10}.{tenths % 10}"


def cells(current: tuple, previous: tuple, *, people: bool = True) -> list[str]:
    now_before = zip(shown(current, people=people), shown(previous, people=people), strict=True)
    return [f"{now} previous period {before}" for now, before in now_before]


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
    # visits, schools, students, hours, volunteers, hours per volunteer (900 / 3 = 300 minutes); kits delivered
    # 9 + 20 (V1) + 0 (V2, not confirmed) + 6 (V3) = 35, consumed 7 + 18 + 4 = 29, value 190950 fen
    assert headline_values(html) == ["4", "4", "165", "15.0", "3", "5.0", "35", "29", "CN¥1,909.50", "CN¥1,048.00"]
    text = _text(html)
    for previous in (
        "Previous period: 2 (+2)",
        "Previous period: 22 (+143)",
        "Previous period: 4.8 (+10.2)",
        "Previous period: 2 (+33)",  # kits delivered: P1's 2
        "Previous period: 2 (+27)",  # kits consumed
        "Previous period: CN¥251.00 (+CN¥1,658.50)",  # 2 × 125.50; 1909.50 − 251.00
        "Previous period: CN¥240.00 (+CN¥808.00)",  # donated: P1's 2 of D1 at 120.00; 1048.00 − 240.00
    ):
        assert previous in text
    assert "kits shipped but not yet confirmed count as none" in text
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
    # 星辰科技: V1, V2, V4; A, S, B; 150 students; 420 minutes = 7.0 h; s1, s2; 210 minutes each = 3.5 h;
    # kits: V1's 9 + 20 = 29 (V2's not confirmed), consumed 7 + 18 = 25, 9 × 125.50 + 20 × 30.00 = 1729.50
    assert headline_values(html) == ["3", "3", "150", "7.0", "2", "3.5", "29", "25", "CN¥1,729.50", "CN¥898.00"]
    assert "Previous period: CN¥0.00 (+CN¥1,729.50)" in _text(html)  # P2 had no kits
    assert table_rows(html, "table-volunteer") == {n: cells(*f) for n, f in expected.STAR_VOLUNTEERS.items()}
    assert "张伟" not in html  # g1 is Green's
    assert client.get(f"/reports/companies/{world.green.id}", headers=EN).status_code == 404
    assert client.get("/reports/company").headers["Location"].startswith(f"/reports/companies/{world.star.id}")


def test_public_impact_page_has_totals_and_provinces_and_no_names(client, world):
    response = client.get(f"/impact?{RANGE}", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # as the dashboard, without hours per volunteer; kits 35, 29, 190950 fen, donated 104800 fen
    assert headline_values(html) == ["4", "4", "165", "15.0", "3", "35", "29", "CN¥1,909.50", "CN¥1,048.00"]
    rows = table_rows(html, "table-province")
    assert rows == {name: cells(*f, people=False) for name, f in expected.PROVINCE.items()}
    # 四川省: V1's kits (V2's not confirmed); 贵州省: V3's 6 × 30.00, before P1's 2 × 125.50
    assert rows["贵州省"][-2] == "CN¥180.00 previous period CN¥251.00"
    # donated: V3's 6 of D3 at 25.00 a kit, before P1's 2 of D1 at 120.00 a kit (not the kit type's 125.50)
    assert rows["贵州省"][-1] == "CN¥150.00 previous period CN¥240.00"
    for private in ("王小明", "Li Hua", "张伟", "星辰科技", "绿源能源", "美姑县第一小学", "@example.com"):
        assert private not in html


def test_school_page_shows_what_the_school_received(client, world, make_user, login):
    host = make_user(Role.HOST)
    world.a.hosts.append(host)
    login(host)
    html = client.get(f"/reports/schools/{world.a.id}?{RANGE}", headers=EN).get_data(as_text=True)
    # school A: V1 and V4; A and S; 95 + 35; 240 + 180 minutes; s1, g1, s2; 140 minutes each; kits received
    # at V1: 9 of 10 microscopes shipped and 20 circuits, 25 consumed, 1129.50 + 600.00 yuan
    # visits, lessons given (V1 2, V4 1), schools, students, hours, volunteers, hours each, kits, value, donated
    # value (6 of D1's microscopes at 120.00 × 9/10 + 10 of D3's circuits at 25.00)
    assert headline_values(html) == ["2", "3", "2", "130", "7.0", "3", "2.3", "29", "25", "CN¥1,729.50", "CN¥898.00"]
    assert table_rows(html, "table-month")["2026-01"][-4:] == [
        "29 previous period 0",
        "25 previous period 0",
        "CN¥1,729.50 previous period CN¥0.00",
        "CN¥898.00 previous period CN¥0.00",
    ]
    export = f"/reports/schools/{world.a.id}/export/month.csv?from=2026-01-01&amp;to=2026-03-31"
    assert export in html
    csv = client.get(export.replace("&amp;", "&"), headers=EN)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    month_row = next(line for line in csv.get_data(as_text=True).splitlines() if line.startswith("2026-01"))
    assert month_row.split(",")[1:3] == ["1", "2"]  # V1: one visit, schools A and S
    assert client.get(f"/reports/schools/{world.b.id}", headers=EN).status_code == 404
    # school B, seen by a programme coordinator: V2; 120 + 60 minutes, 90 each; its 5 kits shipped but not yet
    # confirmed count as none delivered
    login(make_user(Role.ADMIN))
    html = client.get(f"/reports/schools/{world.b.id}?{RANGE}", headers=EN).get_data(as_text=True)
    assert headline_values(html) == ["1", "1", "1", "20", "3.0", "2", "1.5", "0", "0", "CN¥0.00", "CN¥0.00"]


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
