"""Event pages (being built)."""

from flask import Blueprint, render_template

bp = Blueprint("events", __name__)


@bp.get("/")
def home():
    """Published upcoming visits, for anyone."""
    return render_template("base.html")


@bp.get("/visits/")
def visits():
    return render_template("base.html")


@bp.get("/schools/")
def schools():
    return render_template("base.html")
