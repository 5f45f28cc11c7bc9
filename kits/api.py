"""Kit API (being built)."""

from flask_smorest import Blueprint

blp = Blueprint("kits_api", __name__, url_prefix="/api/v1/kit-types")
