"""School and visit tables."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import timeutil
from core.db import str_enum
from core.enums import LabelledEnum
from core.i18n import lazy_gettext as _l
from core.timeutil import DEFAULT_TZ, UTCDateTime
from extensions import db

school_host = Table(
    "school_host",
    db.metadata,
    Column("school_id", ForeignKey("school.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True),
)


def region_of(province: str, prefecture: str, county: str, township: str) -> str:
    """A school's region as pages name it: its province down to its township, those it has."""
    return " ".join(p for p in (province, prefecture, county, township) if p)


class School(db.Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(50), index=True)
    prefecture: Mapped[str] = mapped_column(String(50), default="")
    county: Mapped[str] = mapped_column(String(50), default="")
    township: Mapped[str] = mapped_column(String(50), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(50), default=DEFAULT_TZ)
    #: how to get there: roads, the last bus, where to park
    travel_notes: Mapped[str] = mapped_column(Text, default="")
    #: mobile signal and Wi-Fi at the school, so volunteers know what will work offline
    connectivity_notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    #: any change to the row (calendar feeds show the name and address, and revalidate on it)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now, onupdate=timeutil.now)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    hosts = relationship("User", secondary=school_host, order_by="User.name")

    @property
    def region(self) -> str:
        return region_of(self.province, self.prefecture, self.county, self.township)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    # Schools have no coordinates: map apps search for the address, the region narrowing it down.
    @property
    def map_query(self) -> str:
        """What a map app searches for: the region and the address (the school's name without one)."""
        return " ".join(p for p in (self.region, self.address or self.name) if p)

    @property
    def amap_url(self) -> str:
        """An Amap (高德地图) search for the school: a web page that works in China and opens the app if installed."""
        return "https://uri.amap.com/search?" + urlencode(
            {"keyword": self.map_query, "src": "scivisit"}, quote_via=quote
        )

    @property
    def geo_uri(self) -> str:
        """A `geo:` URI (RFC 5870, with Android's `q` search) that hands the address to the phone's map app."""
        return "geo:0,0?q=" + quote(self.map_query, safe="")


class VisitStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("Published")
    COMPLETED = "completed", _l("Completed")
    CANCELLED = "cancelled", _l("Cancelled")


class SlotRole(LabelledEnum):
    LEAD_INSTRUCTOR = "lead_instructor", _l("Lead instructor")
    ASSISTANT = "assistant", _l("Teaching assistant")
    PHOTOGRAPHER = "photographer", _l("Photographer")
    DRIVER = "driver", _l("Driver")
    LIVESTREAM_TECHNICIAN = "livestream_technician", _l("Livestream technician")
    FIRST_AIDER = "first_aider", _l("First aider")
    INTERPRETER = "interpreter", _l("Interpreter")


#: what each role usually does and brings, shown for a role slot without a description of its own
ROLE_DESCRIPTIONS = {
    SlotRole.LEAD_INSTRUCTOR: _l(
        "Leads the lessons and the team on the day. Bring the lesson plans and arrive early to set up the kits."
    ),
    SlotRole.ASSISTANT: _l("Helps the students in small groups during the experiments and tidies the kits afterwards."),
    SlotRole.PHOTOGRAPHER: _l(
        "Takes photos and short videos for the school and the donors. Bring a charged camera or phone;"
        " photograph students only where the school allows it."
    ),
    SlotRole.DRIVER: _l(
        "Drives the team and the kits to the school and back. Bring your driving licence; plan to drive"
        " in daylight on mountain roads."
    ),
    SlotRole.LIVESTREAM_TECHNICIAN: _l(
        "Sets up the camera and the livestream for the schools watching remotely. Bring a power bank and"
        " test the connection on arrival."
    ),
    SlotRole.FIRST_AIDER: _l("Looks after first aid for students and volunteers. Bring the first-aid kit."),
    SlotRole.INTERPRETER: _l("Helps the team and the students understand each other in the local language."),
}


class Visit(db.Model):
    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        Index("ix_visit_school_starts", "school_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[VisitStatus] = mapped_column(
        str_enum(VisitStatus, "visit_status"), default=VisitStatus.DRAFT, index=True
    )
    #: None until published: then signup opens at publication
    signup_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: None means signup closes when the visit starts
    signup_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    meeting_point: Mapped[str] = mapped_column(String(300), default="")
    #: what every volunteer brings on the day (clothes, food, documents); each role adds its own in its description
    what_to_bring: Mapped[str] = mapped_column(Text, default="")
    livestream_url: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    #: bumped on every change volunteers are told about; the iCalendar SEQUENCE
    revision: Mapped[int] = mapped_column(default=0)
    #: volunteers may cancel themselves until this many hours before the start
    cancel_cutoff_hours: Mapped[int] = mapped_column(default=24)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the hub the lessons' kits are reserved at and shipped from
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"), index=True)
    #: why the visit was published although lessons were short of kits ("" if it was not)
    kits_override_reason: Mapped[str] = mapped_column(Text, default="")
    kits_overridden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    school: Mapped[School] = relationship(lazy="joined")
    hub = relationship("Hub")
    slots: Mapped[list[RoleSlot]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="RoleSlot.id"
    )
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="(Lesson.starts_at, Lesson.id)"
    )
    satellites: Mapped[list[SatelliteSchool]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="SatelliteSchool.id"
    )

    @property
    def effective_signup_closes_at(self) -> datetime:
        return self.signup_closes_at or self.starts_at

    @property
    def places_total(self) -> int:
        return sum(slot.capacity for slot in self.slots)

    @property
    def places_left(self) -> int:
        return sum(slot.places_left for slot in self.slots)


class RoleSlot(db.Model):
    __tablename__ = "role_slot"
    __table_args__ = (
        UniqueConstraint("visit_id", "role", name="uq_role_slot_visit_role"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken_within_capacity"),
        CheckConstraint("waitlisted >= 0", name="waitlisted_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    role: Mapped[SlotRole] = mapped_column(str_enum(SlotRole, "slot_role"))
    capacity: Mapped[int]
    #: confirmed places, changed only by a conditional UPDATE so it can never pass capacity
    taken: Mapped[int] = mapped_column(default=0)
    #: volunteers waiting for a place in this slot
    waitlisted: Mapped[int] = mapped_column(default=0)
    #: last waitlist ticket number handed out; waiting order is by this number
    waitlist_seq: Mapped[int] = mapped_column(default=0)
    requires_training: Mapped[bool] = mapped_column(default=False)
    #: a code from core.i18n.SPOKEN_LANGUAGES, or None
    required_language: Mapped[str | None] = mapped_column(String(20))
    #: what this role does on the day and brings; empty shows the role's ROLE_DESCRIPTIONS text
    description: Mapped[str] = mapped_column(Text, default="")

    visit: Mapped[Visit] = relationship(back_populates="slots")

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def description_shown(self) -> str:
        """The slot's own description, or the usual one for its role."""
        return self.description or str(ROLE_DESCRIPTIONS[self.role])


class Lesson(db.Model):
    __tablename__ = "lesson"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("students_expected >= 0", name="students_expected_not_negative"),
        CheckConstraint("spare_kits >= 0", name="spare_kits_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: school year, 1 to 12
    grade: Mapped[int]
    classroom: Mapped[str] = mapped_column(String(100), default="")
    #: indexed: the forecast reads the lessons of the weeks to come
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kit_type_id: Mapped[int | None] = mapped_column(ForeignKey("kit_type.id"), index=True)
    students_expected: Mapped[int] = mapped_column(default=0)
    #: recorded by the host afterwards
    students_attended: Mapped[int | None]
    #: kits added on top of ceil(students / students per kit)
    spare_kits: Mapped[int] = mapped_column(default=0)

    visit: Mapped[Visit] = relationship(back_populates="lessons")
    kit_type = relationship("KitType", lazy="joined")

    @property
    def kits_needed(self) -> int:
        if self.kit_type is None:
            return 0
        per_kit = self.kit_type.students_per_kit
        return -(-self.students_expected // per_kit) + self.spare_kits


class SatelliteSchool(db.Model):
    """A school watching a visit's livestream."""

    __tablename__ = "satellite_school"
    __table_args__ = (
        UniqueConstraint("visit_id", "school_id", name="uq_satellite_school_visit_school"),
        CheckConstraint("students_expected >= 0", name="students_expected_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    students_expected: Mapped[int] = mapped_column(default=0)
    students_attended: Mapped[int | None]

    visit: Mapped[Visit] = relationship(back_populates="satellites")
    school: Mapped[School] = relationship(lazy="joined")
