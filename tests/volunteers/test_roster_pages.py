"""Rosters: everything for programme coordinators (assign, move, cancel, no-show, CSV), first names for hosts."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from accounts.models import Role, TrainingStatus
from core.downloads import attachment_headers, neutralise
from events.models import SlotRole
from mail.models import OutboxMessage
from tests.volunteers.conftest import flashes, page
from volunteers.models import Signup, SignupStatus


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def team(make_user, make_company, make_visit, make_school):
    """A visit with a lead instructor, an assistant, and one volunteer waiting for the assistant's place."""
    host = make_user(Role.HOST, name="Hu Laoshi", email="hu@school.example", phone="13300000000")
    company = make_company(name="Rocket Works")
    visit = make_visit(
        school=make_school(hosts=[host]), roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT), capacity=1
    )
    lead = make_user(name="Emily Chen", email="emily@rocket.example", phone="13800000001", company=company)
    assistant = make_user(name="Li Lei", email="lilei@rocket.example", phone="13900000002", company=company)
    waiting = make_user(name="Wang Fang", email="wang@rocket.example", phone="13700000003", company=company)
    return {"host": host, "visit": visit, "lead": lead, "assistant": assistant, "waiting": waiting}


@pytest.fixture
def signed(team, sign):
    visit = team["visit"]
    return {
        "lead": sign(visit.slots[0], team["lead"]),
        "assistant": sign(visit.slots[1], team["assistant"]),
        "waiting": sign(visit.slots[1], team["waiting"]),
    }


def roster_url(visit) -> str:
    return f"/visits/{visit.id}/roster"


def test_the_admin_roster_shows_each_role_with_status_waitlist_order_and_contact_details(
    client, login, admin, team, signed
):
    login(admin)
    html = page(client.get(roster_url(team["visit"])))
    assert html.count("<h1>") == 1
    assert "Lead instructor" in html and "Teaching assistant" in html
    for person, phone in (("lead", "13800000001"), ("assistant", "13900000002"), ("waiting", "13700000003")):
        assert team[person].name in html
        assert team[person].email in html
        assert phone in html
    assert "Rocket Works" in html
    assistant_section = html[html.index("Teaching assistant") :]
    assert assistant_section.index("Li Lei") < assistant_section.index("Wang Fang")
    assert "number 1 on the waitlist" in html
    assert "Mark as no-show" not in html  # not before the visit starts
    assert f'href="/visits/{team["visit"].id}/roster.csv"' in html


def test_the_visit_page_links_to_the_roster_for_admins_and_hosts_only(client, login, admin, team, make_user):
    visit_url = f"/visits/{team['visit'].id}"
    login(make_user())
    response = client.get(visit_url)
    assert response.status_code == 200
    assert f"<h1>{team['visit'].title}</h1>" in page(response)
    assert "/roster" not in page(response)
    login(admin)
    assert f'<a href="{roster_url(team["visit"])}">Roster</a>' in page(client.get(visit_url))
    login(team["host"])
    assert f'<a href="{roster_url(team["visit"])}">See who is coming</a>' in page(client.get(visit_url))


def test_an_admin_assigns_a_volunteer_by_hand_overriding_the_rules_with_a_reason(
    client, login, db_session, admin, team, make_user
):
    visit = team["visit"]
    lead_slot = visit.slots[0]
    lead_slot.requires_training = True
    db_session.commit()
    newcomer = make_user(name="Nina Newcomer")
    assert newcomer.training_status != TrainingStatus.COMPLETED
    login(admin)
    response = client.post(
        f"{roster_url(visit)}/assign",
        data={"person": newcomer.id, "slot": lead_slot.id, "reason": "Trained abroad, papers on the way"},
    )
    assert response.headers["Location"] == roster_url(visit)
    assert "Nina Newcomer is signed up as Lead instructor." in flashes(client, response)
    signup = db_session.query(Signup).filter_by(user_id=newcomer.id).one()
    assert signup.status == SignupStatus.CONFIRMED
    assert signup.assigned_by_id == admin.id
    assert signup.override_reason == "Trained abroad, papers on the way"
    assert "Trained abroad, papers on the way" in page(client.get(roster_url(visit)))


def test_assigning_without_a_reason_shows_the_form_again_and_saves_nothing(
    client, login, db_session, admin, team, make_user
):
    newcomer = make_user()
    login(admin)
    response = client.post(
        f"{roster_url(team['visit'])}/assign", data={"person": newcomer.id, "slot": team["visit"].slots[0].id}
    )
    assert response.status_code == 422
    html = page(response)
    assert "Please check the form" in html
    assert 'id="reason-error"' in html
    assert f'<option selected value="{newcomer.id}">' in html
    assert db_session.query(Signup).filter_by(user_id=newcomer.id).count() == 0


def test_an_admin_moves_a_volunteer_with_a_reason_and_the_freed_place_is_filled(
    client, login, db_session, admin, team, signed
):
    visit = team["visit"]
    login(admin)
    response = client.post(
        f"/signups/{signed['assistant'].id}/move", data={"slot": visit.slots[0].id, "reason": "Two leads needed"}
    )
    # the lead role is full: Li Lei joins its waitlist, and Wang Fang gets the assistant place Li Lei left
    assert "Li Lei now has the role Lead instructor." in flashes(client, response)
    moved = db_session.query(Signup).filter_by(user_id=team["assistant"].id).order_by(Signup.id.desc()).first()
    assert (moved.slot_id, moved.override_reason) == (visit.slots[0].id, "Two leads needed")
    db_session.refresh(signed["assistant"])
    db_session.refresh(signed["waiting"])
    assert signed["assistant"].status == SignupStatus.CANCELLED
    assert signed["waiting"].status == SignupStatus.CONFIRMED


def test_moving_without_a_reason_changes_nothing(client, login, db_session, admin, team, signed):
    login(admin)
    response = client.post(f"/signups/{signed['assistant'].id}/move", data={"slot": team["visit"].slots[0].id})
    assert "Choose the role to move Li Lei to and give a reason." in flashes(client, response)
    db_session.refresh(signed["assistant"])
    assert signed["assistant"].status == SignupStatus.CONFIRMED


def test_a_cancelled_signup_cannot_be_moved(client, login, db_session, admin, team, signed):
    login(admin)
    client.post(f"/signups/{signed['lead'].id}/cancel")
    response = client.post(
        f"/signups/{signed['lead'].id}/move", data={"slot": team["visit"].slots[1].id, "reason": "oops"}
    )
    assert "This signup is no longer active." in flashes(client, response)
    assert db_session.query(Signup).filter_by(user_id=team["lead"].id).count() == 1


def test_an_admin_cancels_after_the_cutoff_and_the_next_waiting_is_promoted(
    client, login, db_session, admin, team, signed
):
    team["visit"].cancel_cutoff_hours = 24 * 60
    db_session.commit()
    login(admin)
    response = client.post(f"/signups/{signed['assistant'].id}/cancel", data={"next": roster_url(team["visit"])})
    assert response.headers["Location"] == roster_url(team["visit"])
    assert "The signup of Li Lei is cancelled." in flashes(client, response)
    db_session.refresh(signed["waiting"])
    assert signed["waiting"].status == SignupStatus.CONFIRMED
    promoted = db_session.query(OutboxMessage).filter_by(recipient=team["waiting"].email).order_by(OutboxMessage.id)
    assert promoted.all()[-1].attachments[0]["filename"] == "visit.ics"


def test_no_show_is_refused_before_the_start_and_recorded_after_it(
    client, login, db_session, admin, make_visit, make_user, sign
):
    coming = make_visit(days_ahead=5)
    started = make_visit(days_ahead=-1)
    early = sign(coming.slots[0], make_user())
    absent = sign(started.slots[0], make_user(name="Absent Person"), at=started.starts_at - timedelta(hours=3))
    login(admin)
    assert "The visit has not started yet." in flashes(client, client.post(f"/signups/{early.id}/no-show"))
    assert "Mark as no-show" in page(client.get(roster_url(started)))
    response = client.post(f"/signups/{absent.id}/no-show")
    assert response.headers["Location"] == roster_url(started)
    assert "Absent Person is recorded as a no-show." in flashes(client, response)
    db_session.refresh(early)
    db_session.refresh(absent)
    assert (early.status, absent.status) == (SignupStatus.CONFIRMED, SignupStatus.NO_SHOW)


# ---------------------------------------------------------------- CSV


def test_the_roster_csv_opens_in_spreadsheets_and_cannot_inject_formulas(
    client, login, db_session, admin, team, signed
):
    visit = team["visit"]
    visit.title = 'Mars "rover" / day\\..\r\nX-Injected: yes'
    team["lead"].name = '=HYPERLINK("http://evil.example","click")'
    team["assistant"].name = "\t-2+3"
    team["assistant"].phone = "+86 139 0000 0002"
    team["waiting"].name = "@SUM(A1:A9)"
    team["waiting"].company.name = "\rRocket Works"
    db_session.commit()
    login(admin)
    response = client.get(f"{roster_url(visit)}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="roster-\d+-\d{4}-\d{2}-\d{2}\.csv"', disposition), disposition
    assert "X-Injected" not in response.headers
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Volunteer role", "Status", "Waitlist position", "Name", "Email", "Phone", "Company"]
    by_email = {row[4]: row for row in rows[1:]}
    assert by_email["emily@rocket.example"][:4] == [
        "Lead instructor",
        "Confirmed",
        "",
        '\'=HYPERLINK("http://evil.example","click")',
    ]
    assert by_email["lilei@rocket.example"][3] == "'\t-2+3"
    assert by_email["lilei@rocket.example"][5] == "'+86 139 0000 0002"
    assert by_email["wang@rocket.example"][1:4] == ["Waitlisted", "1", "'@SUM(A1:A9)"]
    assert by_email["wang@rocket.example"][6] == "'\rRocket Works"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_the_roster_csv_keeps_chinese_text(client, login, db_session, admin, team, signed):
    team["lead"].name = "陈艾米"
    db_session.commit()
    login(admin)
    text = client.get(f"{roster_url(team['visit'])}.csv").get_data().decode("utf-8-sig")
    assert "陈艾米" in text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_gets_a_leading_apostrophe(start):
    assert neutralise(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["Li Lei", "13800000001", "", None, 3, "a=b", "陈"])
def test_other_cells_are_left_alone(value):
    assert neutralise(value) == ("" if value is None else str(value))


def test_a_download_name_is_reduced_to_safe_characters():
    header = attachment_headers('a"b\r\nc/../d 陈.csv')
    assert header == {"Content-Disposition": 'attachment; filename="a_b_c_.._d_.csv"'}
    assert attachment_headers("...") == {"Content-Disposition": 'attachment; filename="download"'}


# ---------------------------------------------------------------- hosts


def test_the_schools_host_sees_first_names_roles_and_only_the_lead_instructors_phone(
    client, login, team, signed, make_user
):
    login(team["host"])
    response = client.get(roster_url(team["visit"]))
    assert response.status_code == 200
    html = page(response)
    assert html.count("<h1>") == 1
    assert "Emily" in html and "Li" in html
    assert "Lead instructor" in html and "Teaching assistant" in html
    assert "13800000001" in html  # the lead instructor's phone
    for hidden in ("Chen", "Lei", "Wang Fang", "13900000002", "13700000003", "Rocket Works", "@"):
        assert hidden not in html.split("<main", 1)[1], hidden
    assert "/roster.csv" not in html


def test_hosts_of_other_schools_and_volunteers_see_no_roster(client, login, team, signed, make_user, make_school):
    other_host = make_user(Role.HOST)
    make_school(hosts=[other_host])
    login(other_host)
    assert client.get(roster_url(team["visit"])).status_code == 404
    login(team["lead"])
    assert client.get(roster_url(team["visit"])).status_code == 403
    login(team["host"])
    assert client.get(f"{roster_url(team['visit'])}.csv").status_code == 403


def test_the_roster_takes_as_many_queries_for_a_full_team_as_for_two_people(
    client, login, admin, make_user, make_company, make_visit, sign, statements
):
    visit = make_visit(roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT), capacity=1)
    for _ in range(2):  # one with the place, one waiting
        sign(visit.slots[0], make_user(company=make_company()), by=admin, override_reason="needed")
    login(admin)
    client.get(roster_url(visit))
    two = statements(client, roster_url(visit))
    for slot in visit.slots:
        for _ in range(3):
            sign(slot, make_user(company=make_company()), by=admin, override_reason="needed")
    assert statements(client, roster_url(visit)) == two
