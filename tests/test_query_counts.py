"""SQL statements per page stay the same as the data grows (no query per row)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from accounts.models import Role
from events.models import SlotRole
from extensions import db
from volunteers.signups import sign_up


@pytest.fixture
def count_statements(app):
    def count(client, path: str) -> int:
        client.get(path)  # warm up: translations, templates, user loading paths
        seen: list[str] = []

        def listener(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200, path
        return len(seen)

    return count


def _grow(make_visit, make_kit_type, school, n: int) -> list:
    kit = make_kit_type()
    roles = (SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT, SlotRole.DRIVER)
    return [make_visit(school=school, days_ahead=3 + 2 * i, roles=roles, lessons=2, kit_type=kit) for i in range(n)]


@pytest.mark.parametrize("path", ["/", "/visits/", "/visits/{last}", "/api/v1/visits"])
def test_statements_per_page_do_not_grow_with_the_number_of_visits(
    path, app, client, login, make_user, make_school, make_visit, make_kit_type, count_statements
):
    login(make_user(Role.ADMIN))
    school = make_school()
    visits = _grow(make_visit, make_kit_type, school, 2)
    few = count_statements(client, path.format(last=visits[-1].id))
    visits += _grow(make_visit, make_kit_type, make_school(), 12)
    many = count_statements(client, path.format(last=visits[-1].id))
    assert many == few, f"{path}: {few} statements with 2 visits, {many} with 14"
    assert few <= 12, f"{path}: {few} statements"


#: each landing, and the mixes of roles that add a part to it
LANDINGS = {
    "anonymous": (),
    "volunteer": (Role.VOLUNTEER,),
    "host": (Role.HOST,),
    "host who volunteers": (Role.HOST, Role.VOLUNTEER),
    "admin": (Role.ADMIN,),
    "admin who volunteers": (Role.ADMIN, Role.VOLUNTEER),
    "company coordinator": (Role.COORDINATOR,),
    "company coordinator who volunteers": (Role.COORDINATOR, Role.VOLUNTEER),
}


@pytest.mark.parametrize("who", LANDINGS)
def test_statements_of_each_landing_do_not_grow_with_visits_and_signups(
    who, app, client, login, db_session, now, make_user, make_school, make_visit, count_statements
):
    roles = LANDINGS[who]
    person = make_user(*roles) if roles else None
    if person is not None:
        login(person)
    school = make_school(hosts=[person] if Role.HOST in roles else [])
    other = make_user()

    def grow(n: int, start: int) -> None:
        """Visits at the person's school (they take a place in some and wait for one in others), and open
        places at other schools on other days."""
        for i in range(n):
            visit = make_visit(school=school, days_ahead=start + i, capacity=1, roles=(SlotRole.ASSISTANT,))
            make_visit(days_ahead=start + i + 30, capacity=2, title="Elsewhere")
            if Role.VOLUNTEER in roles:
                if i % 2:
                    sign_up(db_session, slot_id=visit.slots[0].id, volunteer=other, now=now)
                sign_up(db_session, slot_id=visit.slots[0].id, volunteer=person, now=now)
        db_session.commit()

    grow(2, 3)
    few = count_statements(client, "/")
    grow(12, 5)
    many = count_statements(client, "/")
    assert many == few, f"{who}: {few} statements with 4 visits, {many} with 28"
    assert few <= 12, f"{who}: {few} statements"
