"""Check-in at the school gate: tickets, scans (online and queued offline), attendance and hours.

Above volunteers in the layering: a ticket belongs to a signup. Faces: `views.py` (ticket pages),
`scanner_views.py` (the scanner and poster), `api.py` (/api/v1/checkins and friends).
"""

from flask import Blueprint

bp = Blueprint("checkin", __name__)
