"""Kit rules: kit types (the stock and its ledger: kits.stock and kits.ledger)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import DomainError
from kits.models import KitType

KIT_TYPE_FIELDS = (
    "name",
    "description",
    "students_per_kit",
    "consumable",
    "unit_value_fen",
    "low_stock_threshold",
    "lesson_plan_url",
)


def create_kit_type(session: Session, values: dict, *, now: datetime) -> KitType:
    """Add a kit type; names are unique.

    Raises: name_taken, validation_error (students_per_kit).
    """
    name = values["name"].strip()
    if session.scalar(select(func.count()).select_from(KitType).where(KitType.name == name)):
        raise DomainError("name_taken", field="name")
    if values.get("students_per_kit", 1) < 1:
        raise DomainError("validation_error", field="students_per_kit")
    kit = KitType(**{k: v for k, v in values.items() if k in KIT_TYPE_FIELDS}, created_at=now)
    kit.name = name
    session.add(kit)
    session.flush()
    return kit


def list_kit_types(session: Session) -> list[KitType]:
    return list(session.scalars(select(KitType).order_by(KitType.name)))
