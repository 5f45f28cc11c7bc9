"""Event API (being built)."""

from flask_smorest import Blueprint

schools_blp = Blueprint("schools_api", __name__, url_prefix="/api/v1/schools")
visits_blp = Blueprint("visits_api", __name__, url_prefix="/api/v1/visits")
