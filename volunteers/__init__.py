"""Volunteers: registration with a join code, companies, people and profiles; signups later."""

from flask import Blueprint

#: the volunteers pages' blueprint; its routes are in volunteers/views.py and volunteers/team_views.py
bp = Blueprint("volunteers", __name__)
