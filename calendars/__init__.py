"""Calendar subscriptions: a person's feeds (personal, school, company) at secret URLs, the public programme
feed, and a visit's single `.ics` download.

Above volunteers in the layering (a personal feed lists a person's signups), beside checkin, which it never
imports. Faces: `views.py` (the feeds, the download, rotating a feed's URL), `api.py` (/api/v1/calendars).
"""

from flask import Blueprint

bp = Blueprint("calendars", __name__)
