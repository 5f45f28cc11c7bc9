"""Every report table as a download: CSV (UTF-8 with a byte order mark, formula-safe, through
core.downloads) and XLSX (openpyxl), with the same header and rows.

Text cells in the XLSX are written as strings, never formulas, and neutralised as in the CSV, so a school or
company named "=HYPERLINK(...)" stays text in any spreadsheet program.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from flask import Response
from openpyxl import Workbook

from core.downloads import attachment_headers, csv_response, neutralise
from core.i18n import gettext as _
from reports.services import Row, Table, hours, yuan

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def key_headers(grouping: str) -> list[str]:
    """The columns that say what a row is about."""
    return {
        "company": lambda: [_("Company")],
        "region": lambda: [_("Province"), _("Prefecture"), _("County")],
        "province": lambda: [_("Province")],
        "school": lambda: [_("School")],
        "month": lambda: [_("Month")],
        "volunteer": lambda: [_("Volunteer")],
    }[grouping]()


def key_cells(grouping: str, row: Row) -> list[str]:
    labels = row.labels
    if grouping == "company":
        return [labels["company"] or _("No company")]
    if grouping == "region":
        return [labels["province"], labels["prefecture"], labels["county"]]
    return [labels[{"school": "school", "volunteer": "volunteer"}.get(grouping, grouping)]]


def figure_headers() -> list[str]:
    names = [
        _("Visits completed"),
        _("Schools reached"),
        _("Students reached"),
        _("Volunteer hours"),
        _("Active volunteers"),
        _("Visits without check-ins"),
        _("Visits without student numbers"),
        _("Kits delivered"),
        _("Kits consumed"),
        _("Value of kits delivered, yuan (at each kit type's value)"),
        _("Value of donated kits delivered, yuan (at each donation's value)"),
    ]
    return [f"{name} ({_('period')})" for name in names] + [f"{name} ({_('previous period')})" for name in names]


def figure_cells(row: Row) -> list[object]:
    cells = []
    for figures in (row.current, row.previous):
        cells += [
            figures.visits,
            figures.schools,
            figures.students,
            hours(figures.volunteer_minutes),
            figures.volunteers,
            figures.visits_without_checkins,
            figures.visits_without_student_counts,
            figures.kits_delivered,
            figures.kits_consumed,
            yuan(figures.kit_value_fen),
            yuan(figures.donated_value_fen),
        ]
    return cells


def table_sheet(table: Table) -> tuple[list[str], list[list[object]]]:
    """The header and rows of a table as both downloads write them."""
    header = key_headers(table.grouping) + figure_headers()
    return header, [key_cells(table.grouping, row) + figure_cells(row) for row in table.rows]


def filename(table: Table, extension: str) -> str:
    return f"scivisit-{table.grouping}-{table.period.first.isoformat()}-{table.period.last.isoformat()}.{extension}"


def csv_download(table: Table) -> Response:
    header, rows = table_sheet(table)
    return csv_response(header, rows, filename(table, "csv"))


def xlsx_bytes(header: list[str], rows: Iterable[list[object]], title: str) -> bytes:
    """A workbook of one sheet: the header in bold-free first row, numbers as numbers, text as text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([neutralise(cell) for cell in header])
    for row in rows:
        sheet.append([neutralise(cell) if isinstance(cell, str) else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_download(table: Table) -> Response:
    header, rows = table_sheet(table)
    return Response(
        xlsx_bytes(header, rows, table.grouping),
        content_type=XLSX_TYPE,
        headers=attachment_headers(filename(table, "xlsx")),
    )
