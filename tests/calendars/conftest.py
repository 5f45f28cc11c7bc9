"""Fixtures of the calendar tests."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.calendars.calendar_helpers import PROGRAMME, feed_path
from volunteers import signups


@pytest.fixture
def team(db_session, now, make_user, make_school, make_visit, make_company):
    """A school with its host, a company with its coordinator and a volunteer signed up to a visit there."""

    class Team:
        company = make_company("Star Tech")
        host = make_user(Role.HOST, name="Host Teacher", phone="13800000001")
        school = make_school(hosts=[host], name="Hope Primary", address="1 Hill Road")
        visit = make_visit(school=school, what_to_bring="Water", meeting_point="North gate")
        coordinator = make_user(Role.COORDINATOR, company=company)
        volunteer = make_user(name="Zhang Wei", phone="13911112222", company=company, locale="en")
        signup, _ = signups.sign_up(db_session, slot_id=visit.slots[0].id, volunteer=volunteer, now=now)
        db_session.commit()

        def paths(self) -> dict[str, str]:
            return {
                "personal": feed_path(db_session, self.volunteer, "personal", now),
                "school": feed_path(db_session, self.host, "school", now),
                "company": feed_path(db_session, self.coordinator, "company", now),
                "public": PROGRAMME,
            }

    return Team()
