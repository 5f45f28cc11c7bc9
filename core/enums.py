"""Enums whose members carry a label people read, translated when it is shown."""

from __future__ import annotations

import enum

from wtforms.fields.choices import SelectChoice


class LabelledEnum(enum.StrEnum):
    """A string enum stored as its value, each member with a translatable label.

    Members are written `ADMIN = "admin", _l("Programme coordinator")`; `member.label` is the
    label in the current language and `choices()` the (value, label) pairs a form offers.
    """

    def __new__(cls, value: str, label: object = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        return member

    @property
    def label(self) -> str:
        return str(self._label)

    @classmethod
    def choices(cls, members=None) -> list[SelectChoice]:
        """A select field's choices (value, lazy label), in declaration order unless `members` is given."""
        return [SelectChoice(member.value, member._label) for member in (cls if members is None else members)]
