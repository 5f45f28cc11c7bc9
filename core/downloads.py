"""Files people download: CSV that spreadsheet programs open correctly and cannot run, JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable

from flask import Response

#: what a spreadsheet program takes as the start of a formula (OWASP's CSV injection list)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell as text that no spreadsheet evaluates: a leading apostrophe before a formula start."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def attachment_headers(filename: str) -> dict[str, str]:
    """Content-Disposition for a download; only plain ASCII letters, digits, '.', '-' and '_' get through."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "download"
    return {"Content-Disposition": f'attachment; filename="{safe}"'}


def csv_response(header: list[str], rows: Iterable[Iterable[object]], filename: str) -> Response:
    """UTF-8 with a byte order mark, which Excel needs to read Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers=attachment_headers(filename),
    )


def json_response(data: object, filename: str) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
        headers=attachment_headers(filename),
    )
