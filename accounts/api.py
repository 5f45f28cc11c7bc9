"""Account API (being built)."""

from flask_smorest import Blueprint

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")
