"""SQL statements per page stay the same as the data grows (no query per row)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from accounts.models import Role
from events.models import SlotRole
from extensions import db


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
