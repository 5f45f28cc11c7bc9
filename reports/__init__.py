"""Impact reports: what the programme achieved per company, region, school, month and volunteer, the
certificates of volunteer hours, and the public impact page.

The top layer, beside checkin and calendars: it reads every domain package below it and changes nothing but
its own certificates. Modules: `periods.py` (a date range in the programme's zone, the previous period, the
months), `services.py` (the figures, from SQL aggregates), `certificates.py` (certificates of volunteer hours
and their verification), `charts.py` (SVG bar and line charts), `exports.py` (CSV and XLSX of a table).
Faces: `views.py` (pages), `api.py` (/api/v1/reports/summary, /api/v1/me/hours).
"""

from flask import Blueprint

bp = Blueprint("reports", __name__)
