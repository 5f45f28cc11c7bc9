"""Volunteer API (being built)."""

from flask_smorest import Blueprint

blp = Blueprint("volunteers_api", __name__, url_prefix="/api/v1/volunteers")
