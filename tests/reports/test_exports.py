"""Every table as CSV (UTF-8 with a BOM, formula-safe, Chinese intact) and XLSX (read back with openpyxl, and
opened by LibreOffice in a headless conversion), with the hand-worked figures in it."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from accounts.models import Role
from tests.reports import expected

RANGE = "from=2026-01-01&to=2026-03-31"
EN = {"Accept-Language": "en"}


@pytest.fixture
def admin(make_user, login):
    login(make_user(Role.ADMIN))


def _csv(client, path: str) -> list[list[str]]:
    response = client.get(path, headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _company_rows(rows) -> dict:
    """Company -> (figures now, figures before) as the export writes them (hours as text)."""
    return {row[0]: (tuple(row[1:12]), tuple(row[12:23])) for row in rows[1:]}


def _as_written(figures: tuple) -> tuple:
    *counts, fen, donated_fen = figures
    visits, schools, students, minutes, volunteers, no_checkins, unrecorded, delivered, consumed = counts
    tenths = (minutes * 10 + 30) // 60
    hours = f"{tenths // 10}.{tenths % 10}"
    yuan, donated = (f"{value // 100}.{value % 100:02d}" for value in (fen, donated_fen))
    figures = (
        visits,
        schools,
        students,
        hours,
        volunteers,
        no_checkins,
        unrecorded,
        delivered,
        consumed,
        yuan,
        donated,
    )
    return tuple(str(v) for v in figures)


def test_csv_has_a_bom_the_chinese_names_and_the_hand_worked_figures(client, world, admin):
    rows = _csv(client, f"/reports/export/company.csv?{RANGE}")
    assert rows[0][:2] == ["Company", "Visits completed (period)"]
    assert len(rows[0]) == 23
    assert rows[0][8:12] == [
        "Kits delivered (period)",
        "Kits consumed (period)",
        "Value of kits delivered, yuan (at each kit type's value) (period)",
        "Value of donated kits delivered, yuan (at each donation's value) (period)",
    ]
    # 绿源能源 (V1, V3): 29 + 6 kits delivered, 25 + 4 consumed, 1729.50 + 180.00 yuan, donated 898.00 + 150.00;
    # before (P1): 2, 2, 251.00, donated 240.00
    assert rows[2][8:12] + rows[2][19:23] == ["35", "29", "1909.50", "1048.00", "2", "2", "251.00", "240.00"]
    assert _company_rows(rows) == {
        name: (_as_written(now), _as_written(before)) for name, (now, before) in expected.COMPANY.items()
    }
    region = _csv(client, f"/reports/export/region.csv?{RANGE}")
    assert [row[:3] for row in region[1:]] == [list(key) for key in expected.REGION]


def test_csv_and_xlsx_neutralise_formulas(client, world, admin, db_session):
    world.star.name = '=HYPERLINK("http://evil.example")'
    db_session.commit()
    rows = _csv(client, f"/reports/export/company.csv?{RANGE}")
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example")'
    book = load_workbook(io.BytesIO(client.get(f"/reports/export/company.xlsx?{RANGE}", headers=EN).get_data()))
    cell = book.active["A2"]
    assert (cell.value, cell.data_type) == ('\'=HYPERLINK("http://evil.example")', "s")


def test_xlsx_reads_back_with_numbers_as_numbers(client, world, admin):
    response = client.get(f"/reports/export/month.xlsx?{RANGE}", headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="scivisit-month-2026-01-01-2026-03-31.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("Month", "Visits completed (period)")
    march = values[3]
    # 2026-03: V3, V4; C, A; 50 students; 300 minutes = 5 hours; g1, s2; V4; V3; V3's 6 kits, 4 consumed,
    # 6 × 30.00 yuan, donated 6 × 25.00 | before: P1, with 2 kits, 2 consumed, 2 × 125.50 yuan, donated 2 × 120.00
    assert march == ("2026-03", 2, 2, 50, 5, 2, 1, 1, 6, 4, 180, 150, 1, 1, 10, 3.3, 1, 0, 0, 2, 2, 251, 240)
    # 2026-01: V1, 9 × 125.50 + 20 × 30.00; donated 72000 × 9/10 + 10 × 25.00
    assert values[1][8:12] == (29, 25, 1729.5, 898)


def test_a_company_coordinator_downloads_their_peoples_table(client, world, make_user, login):
    login(make_user(Role.COORDINATOR, company=world.star))
    rows = _csv(client, f"/reports/companies/{world.star.id}/export/volunteer.csv?{RANGE}")
    assert [row[0] for row in rows[1:]] == list(expected.STAR_VOLUNTEERS)
    assert client.get(f"/reports/companies/{world.green.id}/export/volunteer.csv").status_code == 404
    assert client.get(f"/reports/companies/{world.star.id}/export/company.csv").status_code == 404
    assert client.get(f"/reports/companies/{world.star.id}/export/volunteer.pdf").status_code == 404


def _office() -> str:
    found = shutil.which("libreoffice") or shutil.which("soffice")
    if found is None:
        message = "needs LibreOffice (Debian: libreoffice-calc-nogui) to open the XLSX export"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    return found


def test_libreoffice_opens_the_xlsx_with_chinese_intact(client, world, admin, tmp_path: Path):
    office = _office()
    workbook = tmp_path / "region.xlsx"
    workbook.write_bytes(client.get(f"/reports/export/region.xlsx?{RANGE}", headers=EN).get_data())
    subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, double quote, UTF-8
            "--outdir",
            str(tmp_path / "out"),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / "region.csv").read_text("utf-8"))))
    assert rows[0][:4] == ["Province", "Prefecture", "County", "Visits completed (period)"]
    assert [row[:3] for row in rows[1:]] == [list(key) for key in expected.REGION]
    # 美姑县: V1, V4 | 2 visits, 2 schools, 130 students, 7 hours, 3 volunteers
    assert rows[2][3:8] == ["2", "2", "130", "7", "3"]
