"""Bilingual demo data: companies, schools in five regions, kits, visits past and upcoming."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import Company, Role, TrainingStatus, User
from accounts.services import create_user
from core.timeutil import in_zone, local_to_utc
from events import visit_kits
from events.models import SlotRole
from events.services import (
    LessonData,
    SatelliteData,
    SlotData,
    VisitData,
    cancel_visit,
    complete_visit,
    create_school,
    create_visit,
    publish_visit,
)
from kits.services import create_kit_type
from kits.stock import receive

DEMO_PASSWORD = "scivisit-demo-2026"  # noqa: S105 - printed for the demo logins on purpose

COMPANIES = [
    ("星辰科技 Xingchen Technology", "DEMSTAR234"),
    ("绿源能源 Lvyuan Energy", "DEMGREEN56"),
]

SCHOOLS = [
    {
        "name": "巴普镇中心小学 Bapu Central Primary School",
        "province": "四川省",
        "prefecture": "凉山彝族自治州",
        "county": "美姑县",
        "township": "巴普镇",
        "address": "美姑县巴普镇解放路 12 号",
        "timezone": "Asia/Shanghai",
        "travel_notes": "西昌出发约 4 小时山路，雨季注意落石。From Xichang about 4 hours on mountain roads.",
        "connectivity_notes": "教学楼内 4G 信号弱，操场有信号。Weak 4G inside, signal on the playground.",
    },
    {
        "name": "龙窝镇中心小学 Longwo Central Primary School",
        "province": "广东省",
        "prefecture": "河源市",
        "county": "紫金县",
        "township": "龙窝镇",
        "address": "紫金县龙窝镇新街 3 号",
        "timezone": "Asia/Shanghai",
        "travel_notes": "深圳出发约 3 小时。About 3 hours from Shenzhen.",
        "connectivity_notes": "有 Wi-Fi。Wi-Fi in the staff room.",
    },
    {
        "name": "石角镇小学 Shijiao Town Primary School",
        "province": "重庆市",
        "prefecture": "",
        "county": "綦江区",
        "township": "石角镇",
        "address": "綦江区石角镇中心街 8 号",
        "timezone": "Asia/Shanghai",
        "travel_notes": "重庆北站出发约 2 小时。About 2 hours from Chongqing North.",
        "connectivity_notes": "信号良好。Good signal.",
    },
    {
        "name": "喀尔赛乡小学 Kaersai Township Primary School",
        "province": "新疆维吾尔自治区",
        "prefecture": "和田地区",
        "county": "墨玉县",
        "township": "喀尔赛乡",
        "address": "墨玉县喀尔赛乡学校路 1 号",
        "timezone": "Asia/Urumqi",
        "travel_notes": "和田机场出发约 1.5 小时。About 1.5 hours from Hotan airport.",
        "connectivity_notes": "几乎无信号，请提前下载票据。Almost no signal: download tickets beforehand.",
    },
    {
        "name": "石门乡民族小学 Shimen Ethnic Primary School",
        "province": "贵州省",
        "prefecture": "毕节市",
        "county": "威宁彝族回族苗族自治县",
        "township": "石门乡",
        "address": "威宁县石门乡石门坎",
        "timezone": "Asia/Shanghai",
        "travel_notes": "威宁县城出发约 3 小时。About 3 hours from Weining town.",
        "connectivity_notes": "只有学校门口有信号。Signal only at the school gate.",
    },
]

#: the donor of the demo's stock, and how many kits of each of KIT_TYPES it gave
DONOR = "星光科技基金会 Star Tech Foundation"
KIT_STOCK = (40, 120, 100, 60)
#: kits the programme bought on top of the donations (of the first kit type), and from whom
SUPPLIER, BOUGHT = "蓝天教具有限公司 Blue Sky Teaching Supplies", 10

KIT_TYPES = [
    {
        "name": "火星车组装套件 Mars rover assembly kit",
        "description": "电机、车轮与太阳能板，四人一组搭建火星车。Motors, wheels and a solar panel.",
        "students_per_kit": 4,
        "consumable": False,
        "unit_value_fen": 12800,
        "low_stock_threshold": 10,
    },
    {
        "name": "会浮起来的鸡蛋 The egg that floats",
        "description": "盐水密度实验。A salt-water density experiment.",
        "students_per_kit": 2,
        "consumable": True,
        "unit_value_fen": 1500,
        "low_stock_threshold": 30,
    },
    {
        "name": "烧不着的气球 The balloon that will not burn",
        "description": "水的比热容实验。Water's heat capacity, with a candle.",
        "students_per_kit": 4,
        "consumable": True,
        "unit_value_fen": 800,
        "low_stock_threshold": 20,
    },
    {
        "name": "简易电路 Simple circuits",
        "description": "电池、灯泡和开关。Batteries, bulbs and switches.",
        "students_per_kit": 2,
        "consumable": False,
        "unit_value_fen": 4500,
        "low_stock_threshold": 15,
    },
]

#: email, name, roles, company index, languages, training
PEOPLE = [
    ("admin@scivisit.demo", "王芳 Wang Fang", {Role.ADMIN}, None, ["mandarin", "english"], TrainingStatus.COMPLETED),
    (
        "coordinator@scivisit.demo",
        "李强 Li Qiang",
        {Role.COORDINATOR, Role.VOLUNTEER},
        0,
        ["mandarin"],
        TrainingStatus.COMPLETED,
    ),
    ("host@scivisit.demo", "吉克阿依 Jike Ayi", {Role.HOST}, None, ["mandarin", "yi"], TrainingStatus.NONE),
    (
        "volunteer@scivisit.demo",
        "张伟 Zhang Wei",
        {Role.VOLUNTEER},
        0,
        ["mandarin", "english"],
        TrainingStatus.COMPLETED,
    ),
    ("emily@scivisit.demo", "Emily Chen", {Role.VOLUNTEER}, 1, ["english", "cantonese"], TrainingStatus.IN_PROGRESS),
    ("amu@scivisit.demo", "阿木 Amu", {Role.VOLUNTEER}, 1, ["mandarin", "yi"], TrainingStatus.NONE),
]


def _day(now: datetime, days: int, tz: str) -> datetime.date:
    return (in_zone(now, tz) + timedelta(days=days)).date()


def _visit(
    session: Session, now: datetime, school, title: str, days: int, kits, *, satellites=(), livestream: str = ""
):
    day = _day(now, days, school.timezone)

    def at(hour: int, minute: int = 0) -> datetime:
        return local_to_utc(day, time(hour, minute), school.timezone)

    data = VisitData(
        school_id=school.id,
        title=title,
        starts_at=at(8, 30),
        ends_at=at(16, 0),
        meeting_point="县城汽车站 7:00 集合 Meet at the county bus station at 7:00",
        what_to_bring=(
            "身份证、水杯、午餐、雨衣和防滑鞋；提前下载电子票据。\n"
            "Your ID card, a water bottle, lunch, a raincoat and non-slip shoes; download your ticket beforehand."
        ),
        livestream_url=livestream,
        slots=[
            SlotData(role=SlotRole.LEAD_INSTRUCTOR, capacity=1, requires_training=True),
            SlotData(role=SlotRole.ASSISTANT, capacity=4),
            SlotData(role=SlotRole.PHOTOGRAPHER, capacity=1),
            SlotData(
                role=SlotRole.DRIVER,
                capacity=2,
                description=(
                    "驾驶七座商务车往返县城与学校，请带驾驶证；山路请在天黑前返回。\n"
                    "Drive the seven-seat van between the county town and the school; bring your driving licence"
                    " and be back before dark."
                ),
            ),
        ]
        + ([SlotData(role=SlotRole.LIVESTREAM_TECHNICIAN, capacity=1)] if livestream else []),
        lessons=[
            LessonData(
                title=kits[0].name.split(" ")[0],
                grade=4,
                classroom="四（1）班 Class 4-1",
                starts_at=at(9, 30),
                ends_at=at(11, 0),
                students_expected=42,
                kit_type_id=kits[0].id,
                spare_kits=1,
            ),
            LessonData(
                title=kits[1].name.split(" ")[0],
                grade=5,
                classroom="五（2）班 Class 5-2",
                starts_at=at(14, 0),
                ends_at=at(15, 30),
                students_expected=38,
                kit_type_id=kits[1].id,
                spare_kits=2,
            ),
        ],
        satellites=[SatelliteData(school_id=s.id, students_expected=n) for s, n in satellites],
    )
    created_at = min(now, data.starts_at - timedelta(days=30))
    return create_visit(session, data, now=created_at)


def demo_in_use(session: Session) -> dict | None:
    """The logins and join codes of the demo data already in this database (as they are now), or None."""
    emails = [email for email, *_rest in PEOPLE]
    users = {user.email: user for user in session.scalars(select(User).where(User.email.in_(emails), User.active))}
    if not users:
        return None
    names = [name for name, _code in COMPANIES]
    codes = dict(session.execute(select(Company.name, Company.join_code).where(Company.name.in_(names))).all())
    return {
        "password": DEMO_PASSWORD,
        "logins": [(email, _role_names(users[email].roles)) for email in emails if email in users],
        # the codes they have now: a coordinator may have rotated one
        "join_codes": [(name, codes[name]) for name in names if name in codes],
    }


def _role_names(roles) -> str:
    return "+".join(sorted(r.value for r in roles))


def _deliver(session: Session, visit, host, *, short_by: int = 0) -> None:
    """A past visit's kits as the journey goes: shipped five days before, counted on arrival (the first kit type
    `short_by` short) by the school's host (or a coordinator), and after the lessons consumable kits used up and
    reusable ones back at the hub, but for one worn out."""
    for n, row in enumerate(visit_kits.summary(session, visit)):
        if not row.reserved:
            continue
        kit = {"kit_type_id": row.kit_type_id}
        shipment = {
            "quantity": row.reserved,
            "carrier": "顺丰速运 SF Express",
            "tracking_number": f"SF10{visit.id:03d}{n}",
        }
        visit_kits.ship(session, visit, {**kit, **shipment}, actor=None, now=visit.starts_at - timedelta(days=5))
        received = row.reserved - (short_by if n == 0 else 0)
        visit_kits.confirm_arrival(
            session, visit, {**kit, "received": received}, actor=host, now=visit.starts_at - timedelta(days=2)
        )
        used = {"consumed": received, "returned": 0} if row.consumable else {"consumed": 1, "returned": received - 1}
        visit_kits.record_use(session, visit, {**kit, **used}, actor=host, now=visit.ends_at)


def seed_demo(session: Session, now: datetime) -> dict | None:
    """Load the demo when there are no accounts yet; returns the logins, or None if skipped."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    companies = [Company(name=name, join_code=code, created_at=now) for name, code in COMPANIES]
    session.add_all(companies)
    session.flush()

    logins = []
    users = {}
    for n, (email, name, roles, company_index, languages, training) in enumerate(PEOPLE):
        user = create_user(
            session,
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            roles=roles,
            company=companies[company_index] if company_index is not None else None,
            languages=languages,
            phone=f"1380000{n:04d}",
            now=now,
        )
        user.training_status = training
        users[email] = user
        logins.append((email, _role_names(roles)))

    schools = [create_school(session, values, now=now) for values in SCHOOLS]
    schools[0].hosts.append(users["host@scivisit.demo"])
    kits = [create_kit_type(session, values, now=now) for values in KIT_TYPES]
    # Donated stock at the default hub, so the visits' lessons find their kits reserved.
    for kit, quantity in zip(kits, KIT_STOCK, strict=True):
        receive(session, kit_type_id=kit.id, quantity=quantity, party=DONOR, actor=None, now=now - timedelta(days=60))
    receive(
        session,
        kit_type_id=kits[0].id,
        quantity=BOUGHT,
        party=SUPPLIER,
        donated=False,
        actor=None,
        now=now - timedelta(days=59),
    )

    host = users["host@scivisit.demo"]
    past = _visit(session, now, schools[0], "火星车科学日 Mars rover science day", -21, kits)
    publish_visit(session, past, now=past.starts_at - timedelta(days=20))
    _deliver(session, past, host, short_by=1)
    complete_visit(session, past, now=past.ends_at + timedelta(hours=1))
    for lesson in past.lessons:
        lesson.students_attended = lesson.students_expected - 2

    past2 = _visit(session, now, schools[2], "浮力与密度 Floating and sinking", -10, [kits[1], kits[2]])
    publish_visit(session, past2, now=past2.starts_at - timedelta(days=20))
    _deliver(session, past2, None)
    complete_visit(session, past2, now=past2.ends_at + timedelta(hours=1))

    live = _visit(
        session,
        now,
        schools[0],
        "空中课堂：不会燃烧的气球 Livestream: the balloon that will not burn",
        9,
        [kits[2], kits[3]],
        satellites=[(schools[4], 35), (schools[3], 28)],
        livestream="https://live.example.org/scivisit/meigu",
    )
    publish_visit(session, live, now=now)
    for school, title, days, pair in (
        (schools[1], "简易电路工作坊 Simple circuits workshop", 16, [kits[3], kits[1]]),
        (schools[3], "火星车来了 The Mars rover is coming", 23, [kits[0], kits[2]]),
    ):
        publish_visit(session, _visit(session, now, school, title, days, pair), now=now)
    _visit(session, now, schools[4], "水的秘密（草稿）Secrets of water (draft)", 30, [kits[1], kits[2]])
    cancelled = _visit(session, now, schools[2], "雨季取消 Called off for the rainy season", 12, [kits[0], kits[1]])
    publish_visit(session, cancelled, now=now)
    cancel_visit(session, cancelled, now=now)
    session.flush()
    return {
        "password": DEMO_PASSWORD,
        "logins": logins,
        "join_codes": [(c.name, c.join_code) for c in companies],
    }
