"""Kit tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core import timeutil
from core.timeutil import UTCDateTime
from extensions import db


class KitType(db.Model):
    __tablename__ = "kit_type"
    __table_args__ = (
        CheckConstraint("students_per_kit >= 1", name="students_per_kit_positive"),
        CheckConstraint("unit_value_fen >= 0", name="unit_value_not_negative"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    students_per_kit: Mapped[int] = mapped_column(default=1)
    #: used up in the lesson (True) or returned to a hub afterwards (False)
    consumable: Mapped[bool] = mapped_column(default=True)
    #: value of one kit in fen (1/100 yuan)
    unit_value_fen: Mapped[int] = mapped_column(default=0)
    #: below this many available kits the type is reported as low on stock
    low_stock_threshold: Mapped[int] = mapped_column(default=0)
    lesson_plan_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
