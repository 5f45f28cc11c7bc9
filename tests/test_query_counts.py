"""SQL statements per page stay the same as the data grows (no query per row)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from events.models import SlotRole
from tests.conftest import statements_run
from volunteers.signups import sign_up


@pytest.fixture
def count_statements(app):
    def count(client, path: str) -> int:
        client.get(path)  # warm up: translations, templates, user loading paths
        with statements_run() as seen:
            response = client.get(path)
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


REPORT_PAGES = [
    "/reports/?from=2026-01-01&to=2026-03-31",
    "/reports/companies/{company}?from=2026-01-01&to=2026-03-31",
    "/reports/schools/{school}",
    "/impact",
    "/me/hours",
    "/reports/export/school.xlsx",
    "/api/v1/reports/summary?group_by=month",
    "/api/v1/me/hours",
]


@pytest.mark.parametrize("path", REPORT_PAGES)
def test_statements_of_report_pages_do_not_grow_with_visits_and_check_ins(
    path, app, client, login, db_session, now, make_user, make_company, make_school, make_visit, count_statements
):
    from datetime import date, time, timedelta

    from checkin.models import Attendance
    from core.timeutil import local_to_utc
    from events.models import VisitStatus
    from events.services import SatelliteData
    from volunteers.models import Signup, SignupStatus

    company = make_company()
    person = make_user(Role.ADMIN, Role.VOLUNTEER, Role.COORDINATOR, company=company)
    login(person)
    school, satellite = make_school(), make_school()

    def grow(n: int, first_day: int) -> None:
        """Completed visits with a satellite school, the person and a colleague attending, with check-ins."""
        for i in range(n):
            starts = local_to_utc(date(2026, 1, 1) + timedelta(days=first_day + i), time(9), "Asia/Shanghai")
            visit = make_visit(
                school=school,
                starts_at=starts,
                ends_at=starts + timedelta(hours=5),
                lessons=0,
                roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT),
                status=VisitStatus.COMPLETED,
                satellites=[SatelliteData(school_id=satellite.id, students_expected=20)],
            )
            for slot, who in zip(visit.slots, (person, make_user(company=company)), strict=True):
                signup = Signup(
                    slot_id=slot.id,
                    visit_id=visit.id,
                    user_id=who.id,
                    status=SignupStatus.ATTENDED,
                    attended_minutes=90,
                )
                db_session.add(signup)
                db_session.flush()
                db_session.add(Attendance(signup_id=signup.id, visit_id=visit.id, checked_in_at=starts))
        db_session.commit()

    url = path.format(company=company.id, school=school.id)
    grow(2, 0)
    few = count_statements(client, url)
    grow(12, 10)
    many = count_statements(client, url)
    assert many == few, f"{path}: {few} statements with 2 visits, {many} with 14"
    # a report reads its figures in three statements however many tables it shows (the dashboard has six)
    assert few <= 10, f"{path}: {few} statements"


#: statements of the public pages and the API's list, whatever the data: the list with its places and its count in
#: a page of cards and its count; a visit with its slots, lessons and satellite schools; the API's page, its
#: count and each of its lists
PUBLIC_PAGES = {"/": 2, "/?page=2": 2, "/visits/{last}": 4, "/api/v1/visits": 5}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_statements_of_the_public_pages(path, client, make_school, make_visit, make_kit_type, count_statements):
    visits = _grow(make_visit, make_kit_type, make_school(), 25)
    assert count_statements(client, path.format(last=visits[-1].id)) == PUBLIC_PAGES[path]


def test_the_schools_a_form_offers_come_in_one_statement_without_their_hosts(app, db_session, make_user, make_school):
    """A national programme has thousands of schools: their hosts would come in batches of 500, so the visit list's
    school filter would take more statements as schools are added."""
    from events.queries import schools_for_choice

    for n in range(3):
        make_school(name=f"School {n}", hosts=[make_user(Role.HOST)])
    db_session.expire_all()
    with statements_run() as seen:
        schools = schools_for_choice(db_session)
    assert len(schools) == 3
    assert len([s for s in seen if "SELECT" in s.upper()]) == 1, seen
    assert len(schools[0].hosts) == 1  # still there when asked for (one more statement)


@pytest.mark.parametrize("path", ["/schools/", "/api/v1/schools"])
def test_the_schools_list_names_their_hosts_in_statements_that_do_not_grow_with_schools(
    path, client, login, make_user, make_school, count_statements
):
    login(make_user(Role.ADMIN))

    def grow(n: int) -> None:
        for _ in range(n):
            make_school(hosts=[make_user(Role.HOST), make_user(Role.HOST)])

    grow(2)
    few = count_statements(client, path)
    grow(10)
    assert count_statements(client, path) == few


def test_a_hosts_personal_feed_reads_the_hosts_of_its_schools_in_statements_that_do_not_grow_with_schools(
    client, db_session, now, make_user, make_school, make_visit
):
    """A host who also volunteers elsewhere: whether each visit shows them the day's details asks who hosts its
    school (volunteers.access.sees_day_of)."""
    from tests.calendars.calendar_helpers import events_of, feed_path, get_counting

    host = make_user(Role.HOST, Role.VOLUNTEER)
    own = make_school(hosts=[host])

    def grow(n: int, first_day: int) -> None:
        for i in range(n):
            school = own if i == 0 else make_school(hosts=[make_user(Role.HOST)])
            visit = make_visit(school=school, days_ahead=first_day + i)
            sign_up(db_session, slot_id=visit.slots[0].id, volunteer=host, now=now)
        db_session.commit()

    grow(2, 3)
    path = feed_path(db_session, host, "personal", now)
    few = len(get_counting(client, path)[1])
    grow(6, 10)
    response, statements = get_counting(client, path)

    assert response.status_code == 200 and len(events_of(response.data)) == 8
    assert len(statements) == few


def test_a_signup_through_the_api_reads_its_visit_once_and_the_caller_not_again_after_its_commit(
    client, db_session, now, make_user, make_school, make_visit
):
    """The place's counters are read again after the place is taken, not the whole slot (which let its visit go,
    and the notice loaded the visit and its school's hosts again); the response's headers ask only whether someone
    is signed in, which reads no column of the account the commit expired."""
    from accounts.services import issue_api_token

    volunteer = make_user(Role.VOLUNTEER)
    visit = make_visit(school=make_school(hosts=[make_user(Role.HOST)]))
    token = issue_api_token(db_session, volunteer, now)
    db_session.commit()
    slot_id = visit.slots[0].id
    db_session.expire_all()  # as in a request of its own: nothing loaded yet
    with statements_run() as seen:
        response = client.post(
            f"/api/v1/slots/{slot_id}/signups", json={}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "private, no-store"
    selects = [" ".join(s.split()) for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len([s for s in selects if s.startswith("SELECT visit.id")]) == 1, selects
    # nothing the volunteer is shown or told depends on who hosts the school: its hosts are never read
    assert [s for s in selects if "school_host" in s] == [], selects
    # the account is read once, with its token (and its roles); an account read again by its id would be the reload
    reloaded = [s for s in selects if "FROM user_account" in s and "WHERE user_account.id = " in s and "active" in s]
    assert reloaded == [], reloaded
