"""What keeps the visit lists fast at a national programme's size: the lists of visits to come and of past ones
bound the visits' start too (so the index on it finds them), which holds only while no visit lasts longer than
LONGEST_VISIT; and a page's count is a statement of its own that reads no school."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from accounts.models import Role
from events.models import SlotRole
from events.queries import LONGEST_VISIT, VisitFilter, list_visits
from events.services import SlotData, VisitData, create_visit, publish_visit
from extensions import db


def test_the_longest_visit_the_rules_allow_is_listed_to_come_until_its_last_minute(db_session, make_user, make_school):
    """A visit lies within one day at its school, and a day lasts 25 hours where clocks go back: London's
    25 October 2026 runs from 23:00 UTC on the 24th to 23:59 UTC on the 25th."""
    admin = make_user(Role.ADMIN)
    school = make_school(timezone="Europe/London")
    starts, ends = datetime(2026, 10, 24, 23, 0, tzinfo=UTC), datetime(2026, 10, 25, 23, 59, tzinfo=UTC)
    planned = starts - timedelta(days=30)
    data = VisitData(school.id, "Whole day", starts, ends, slots=[SlotData(role=SlotRole.ASSISTANT, capacity=2)])
    visit = create_visit(db_session, data, now=planned)
    publish_visit(db_session, visit, now=planned)
    db_session.commit()
    assert ends - starts > timedelta(hours=24) and ends - starts < LONGEST_VISIT

    def listed(when: str, now: datetime) -> bool:
        return visit in db_session.scalars(list_visits(admin, VisitFilter(when=when), now)).all()

    last_minute = ends - timedelta(seconds=30)
    assert listed("upcoming", last_minute) and not listed("past", last_minute)
    over = ends + timedelta(seconds=30)
    assert listed("past", over) and not listed("upcoming", over)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # production's database; SQLite keeps it
@pytest.mark.parametrize("path", ["/visits/?when=upcoming", "/"])
def test_a_page_of_visits_counts_them_without_reading_their_schools(
    path, client, login, make_user, make_visit, db_session
):
    """The card's school is joined outer, which PostgreSQL leaves out of a count that reads none of it."""
    login(make_user(Role.ADMIN))
    for days in range(3):
        make_visit(days_ahead=3 + days)
    client.get(path)
    seen = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert page.status_code == 200
    (count,) = [(sql, values) for sql, values in seen if sql.lstrip().upper().startswith("SELECT COUNT(*)")]
    assert "card_school" in count[0]  # the join is in the statement...
    plan = db_session.connection().exec_driver_sql("EXPLAIN " + count[0], count[1]).all()
    assert "school" not in str(plan).lower(), plan  # ...and not in what the database does
