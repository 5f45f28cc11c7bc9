"""Volunteers: registration with a join code, companies, people and profiles; signups later."""
