"""The reports' world: visits, schools, companies and volunteers whose figures are worked out by hand in
tests/reports/test_figures.py. Times are Beijing time (the programme's zone, UTC+8, no summer time).

    period asked for: 2026-01-01 .. 2026-03-31 (90 days); previous period: 2025-10-03 .. 2025-12-31

    schools: A (四川省 凉山彝族自治州 美姑县), B (四川省 凉山彝族自治州 昭觉县), C (贵州省 黔东南苗族侗族自治州 雷山县),
             S (云南省 昭通市 镇雄县, only ever a satellite school)
    people:  s1, s2 of 星辰科技 (Star); g1 of 绿源能源 (Green)

    visit  school  starts (Beijing)    status     students attended           attended (minutes)
    V1     A       2026-01-10 09:00    completed  lessons 30, 25; satellite S 40   s1 240, g1 180
    V2     B       2026-02-01 07:00    completed  lesson 20                   s1 120, s2 60   (01-31 23:00 UTC)
    V3     C       2026-03-15 09:00    completed  lessons not recorded, 15    g1 300
    V4     A       2026-03-20 09:00    completed  lesson 35                   s2, without check-in (minutes None)
    V5     B       2026-04-01 06:00    completed  lesson 50                   s1 100   (03-31 22:00 UTC: after)
    V6     A       2026-02-10 09:00    published  lesson 99 (never counted)   —
    P1     C       2025-12-20 09:00    completed  lesson 10                   g1 200
    P2     A       2025-10-03 07:00    completed  lesson 12                   s1 90    (10-02 23:00 UTC)
    P0     A       2025-10-02 09:00    completed  lesson 7                    s1 45    (before the previous period)

    kits: M 显微镜套件 (microscope) worth 125.50 yuan (12550 fen), E 电路套件 (circuit) worth 30.00 yuan (3000 fen)

    visit  kit  shipped  received         consumed   delivered  value (fen)
    V1     M    10       9 (1 missing)    7          9          9 × 12550 = 112950
    V1     E    20       20               18         20         20 × 3000 =  60000
    V2     M    5        not confirmed    0          0          0
    V3     E    6        6                4          6          6 × 3000 =   18000
    V5     M    3        3                3          (after the period)
    V6     E    4        4                4          (published: never counted)
    P1     M    2        2                2          2          2 × 12550 =  25100

    donated kits (the ledger, in this order; first in, first out per kit type at the one hub):
      M: donation D1 of 8 kits worth 96000 fen (12000 a kit: the donor's value, not the kit type's), then a
         purchase B1 of 20; shipped P1 2 (D1), V1 10 (D1's other 6, then 4 of B1), V2 5 (B1), V5 3 (B1)
      E: a purchase B2 of 10, then donation D3 of 30 worth 75000 fen (2500 a kit); shipped V1 20 (B2's 10, then
         10 of D3), V3 6 (D3), V6 4 (D3)

    visit  donated value shipped             × received / shipped   donated value delivered (fen)
    V1     M 6 × 12000 = 72000; E 10 × 2500  72000 × 9/10; 25000      64800 + 25000 = 89800
    V2     M none (B1)                       (not confirmed)          0
    V3     E 6 × 2500 = 15000                × 6/6                    15000
    P1     M 2 × 12000 = 24000               × 2/2                    24000
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from accounts.models import Role
from checkin.models import Attendance
from core.timeutil import local_to_utc
from events.models import Lesson, SlotRole, Visit, VisitStatus
from events.services import SatelliteData
from extensions import db
from kits import stock
from kits.ledger import MovementData, append
from kits.models import MovementKind, VisitKit
from reports.periods import Period
from tests.api.conftest import bearer  # noqa: F401  (bearer-token headers, for the API tests)
from tests.conftest import built_once
from volunteers.models import Signup, SignupStatus

PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))


def beijing(day: date, at: time) -> datetime:
    return local_to_utc(day, at, "Asia/Shanghai")


class World:
    """The hand-worked world: its companies, schools, volunteers and visits (by key), each loaded from the test's
    session when asked for (the world's rows are built once per process and database, see `built_once`)."""

    def __init__(self, ids: dict):
        self._ids = ids
        self._loaded: dict[str, object] = {}  # held here: the session's identity map holds its objects weakly

    def __getattr__(self, name: str):
        if name not in self._loaded:
            model, ident = self._ids[name]
            self._loaded[name] = db.session.get(model, ident)
        return self._loaded[name]

    @property
    def visits(self) -> dict[str, Visit]:
        if "visits" not in self._loaded:
            self._loaded["visits"] = {key: db.session.get(Visit, ident) for key, ident in self._ids["visits"].items()}
        return self._loaded["visits"]


@pytest.fixture
def world(db_session, make_company, make_user, make_school, make_visit, make_kit_type) -> World:
    factories = (make_company, make_user, make_school, make_visit, make_kit_type)
    return World(built_once("reports", lambda: _build(db_session, *factories)))


def _build(db_session, make_company, make_user, make_school, make_visit, make_kit_type) -> dict:
    star, green = make_company("星辰科技"), make_company("绿源能源")
    s1 = make_user(Role.VOLUNTEER, name="王小明", company=star, email="s1@star.example.com")
    s2 = make_user(Role.VOLUNTEER, name="Li Hua", company=star, email="s2@star.example.com")
    g1 = make_user(Role.VOLUNTEER, name="张伟", company=green, email="g1@green.example.com")
    liangshan = {"province": "四川省", "prefecture": "凉山彝族自治州"}
    a = make_school(name="美姑县第一小学", county="美姑县", **liangshan)
    b = make_school(name="昭觉县小学", county="昭觉县", **liangshan)
    c = make_school(name="雷山县小学", province="贵州省", prefecture="黔东南苗族侗族自治州", county="雷山县")
    s = make_school(name="镇雄县小学", province="云南省", prefecture="昭通市", county="镇雄县")

    def visit(
        school, day, at, hours, students, attended, *, status=VisitStatus.COMPLETED, satellite=None, checkin=True
    ):
        starts = beijing(day, at)
        extra = {"satellites": [SatelliteData(school_id=satellite[0].id)]} if satellite else {}
        made: Visit = make_visit(
            school=school,
            starts_at=starts,
            ends_at=starts + timedelta(hours=hours),
            lessons=0,
            status=status,
            roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT),
            title=f"科学日 {day.isoformat()}",
            **extra,
        )
        for i, number in enumerate(students):
            begins = starts + timedelta(minutes=30 + 60 * i)
            made.lessons.append(
                Lesson(
                    title=f"第{i + 1}课",
                    grade=4,
                    starts_at=begins,
                    ends_at=begins + timedelta(minutes=45),
                    students_expected=30,
                    students_attended=number,
                )
            )
        if satellite:
            made.satellites[0].students_attended = satellite[1]
        for slot, (person, minutes) in zip(made.slots, attended, strict=False):
            signup = Signup(
                slot_id=slot.id,
                visit_id=made.id,
                user_id=person.id,
                status=SignupStatus.ATTENDED,
                attended_minutes=minutes,
                confirmed_at=starts - timedelta(days=3),
            )
            db_session.add(signup)
            db_session.flush()
            if checkin:
                db_session.add(
                    Attendance(
                        signup_id=signup.id,
                        visit_id=made.id,
                        checked_in_at=starts,
                        checked_out_at=starts + timedelta(minutes=minutes),
                    )
                )
        db_session.commit()
        return made

    visits = {
        "V1": visit(a, date(2026, 1, 10), time(9), 6, [30, 25], [(s1, 240), (g1, 180)], satellite=(s, 40)),
        "V2": visit(b, date(2026, 2, 1), time(7), 5, [20], [(s1, 120), (s2, 60)]),
        "V3": visit(c, date(2026, 3, 15), time(9), 6, [None, 15], [(g1, 300)]),
        "V4": visit(a, date(2026, 3, 20), time(9), 6, [35], [(s2, None)], checkin=False),
        "V5": visit(b, date(2026, 4, 1), time(6), 6, [50], [(s1, 100)]),
        "V6": visit(a, date(2026, 2, 10), time(9), 6, [99], [], status=VisitStatus.PUBLISHED),
        "P1": visit(c, date(2025, 12, 20), time(9), 6, [10], [(g1, 200)]),
        "P2": visit(a, date(2025, 10, 3), time(7), 5, [12], [(s1, 90)]),
        "P0": visit(a, date(2025, 10, 2), time(9), 5, [7], [(s1, 45)]),
    }
    microscope = make_kit_type(name="显微镜套件", unit_value_fen=12550)
    circuit = make_kit_type(name="电路套件", unit_value_fen=3000)
    hub = stock.default_hub(db_session)
    db_session.flush()
    received_at = beijing(date(2025, 9, 1), time(9))
    for kit, quantity, value_fen, donated, party in [
        (microscope, 8, 96000, True, "星辰科技基金会"),
        (microscope, 20, None, False, "科学器材公司"),
        (circuit, 10, None, False, "科学器材公司"),
        (circuit, 30, 75000, True, "绿源能源"),
    ]:
        stock.receive(
            db_session,
            kit_type_id=kit.id,
            quantity=quantity,
            party=party,
            value_fen=value_fen,
            donated=donated,
            hub_id=hub.id,
            actor=None,
            now=received_at,
        )
    for key, kit, quantity in [
        ("P1", microscope, 2),
        ("V1", microscope, 10),
        ("V2", microscope, 5),
        ("V5", microscope, 3),
        ("V1", circuit, 20),
        ("V3", circuit, 6),
        ("V6", circuit, 4),
    ]:
        # Straight into the ledger (the lots are taken by its real rule): the world's visits have no kit
        # reservations to ship from; their VisitKit rows are written below.
        data = MovementData(
            MovementKind.SHIPPED, hub.id, kit.id, quantity, on_hand_delta=-quantity, visit_id=visits[key].id
        )
        append(db_session, data, actor_id=None, now=received_at + timedelta(days=1))
    for key, kit, shipped, received, consumed in [
        ("V1", microscope, 10, 9, 7),
        ("V1", circuit, 20, 20, 18),
        ("V2", microscope, 5, None, 0),
        ("V3", circuit, 6, 6, 4),
        ("V5", microscope, 3, 3, 3),
        ("V6", circuit, 4, 4, 4),
        ("P1", microscope, 2, 2, 2),
    ]:
        db_session.add(
            VisitKit(
                visit_id=visits[key].id,
                kit_type_id=kit.id,
                hub_id=hub.id,
                shipped=shipped,
                received=received,
                consumed=consumed,
            )
        )
    db_session.commit()
    named = {"star": star, "green": green, "a": a, "b": b, "c": c, "s": s, "s1": s1, "s2": s2, "g1": g1}
    return {name: (type(row), row.id) for name, row in named.items()} | {
        "visits": {key: made.id for key, made in visits.items()}
    }
