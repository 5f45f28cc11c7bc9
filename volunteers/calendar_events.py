"""A person's own visit as their calendar shows it: the same event in mail (volunteers.notices), in their
personal feed and in the visit's `.ics` download (calendars). One UID per visit; a STATUS from their place
(waitlisted is TENTATIVE, a cancelled place or visit CANCELLED); a SEQUENCE that is the visit's revision plus
their signup's, so it rises with every change of the visit's time, place or status and of their place in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from accounts.models import User
from core.i18n import DEFAULT_LOCALE
from core.i18n import gettext as _
from events.ical import CANCELLED, CONFIRMED, TENTATIVE, calendar, labelled, visit_details, visit_event
from events.models import RoleSlot, SlotRole, VisitStatus
from volunteers.access import sees_day_of
from volunteers.models import Signup, SignupStatus

#: how long a cancelled visit or place stays in a personal feed, shown as cancelled, before it leaves
CANCELLED_SHOWN = timedelta(days=14)
#: signups that hold a place in a visit: the volunteer is (or was) part of its team on the day
PLACE_STATUSES = (SignupStatus.CONFIRMED, SignupStatus.ATTENDED)


def reader_locale(user: User) -> str:
    """The language of what a person's calendar shows: their choice, else the one they last read pages in."""
    return user.mail_locale or DEFAULT_LOCALE


def status_of(signup: Signup) -> str:
    """CANCELLED when the place or the visit is; TENTATIVE while waiting for a place; CONFIRMED otherwise."""
    if signup.status == SignupStatus.CANCELLED or signup.visit.status == VisitStatus.CANCELLED:
        return CANCELLED
    return TENTATIVE if signup.status == SignupStatus.WAITLISTED else CONFIRMED


def sequence_of(signup: Signup) -> int:
    return signup.visit.revision + signup.revision


def cancelled_since(signup: Signup) -> datetime | None:
    """When the place (or, failing that, the visit) was cancelled; None while it is not."""
    if signup.status == SignupStatus.CANCELLED:
        return signup.cancelled_at
    return signup.visit.cancelled_at if signup.visit.status == VisitStatus.CANCELLED else None


def changed_at(signup: Signup) -> datetime:
    """The last change of what the event shows of the visit, its school and the place."""
    return max(signup.updated_at, signup.visit.updated_at, signup.visit.school.updated_at)


class Lead(NamedTuple):
    """A visit's lead instructor as the day's contact: who (to leave out the reader themself), name, phone, and the
    last change of their account (a calendar event shows their name and phone)."""

    id: int
    name: str
    phone: str | None
    updated_at: datetime


def lead_instructors(session: Session, visit_ids: Iterable[int] | Select) -> dict[int, Lead]:
    """Each visit's lead instructor with a place (the first confirmed, if several): the team's contact on the day.
    `visit_ids`: the visits' ids, or a select of them."""
    ids = visit_ids
    if not isinstance(ids, Select):
        ids = set(ids)
        if not ids:
            return {}
    rows = session.execute(
        select(Signup.visit_id, User.id, User.name, User.phone, User.updated_at)
        .join(User, Signup.user_id == User.id)
        .join(RoleSlot, Signup.slot_id == RoleSlot.id)
        .where(
            Signup.visit_id.in_(ids),
            RoleSlot.role == SlotRole.LEAD_INSTRUCTOR,
            Signup.status.in_(PLACE_STATUSES),
        )
        .order_by(Signup.visit_id, Signup.confirmed_at, Signup.id)
    ).all()
    leads: dict[int, Lead] = {}
    for visit_id, *lead in rows:
        if visit_id not in leads:
            leads[visit_id] = Lead(*lead)
    return leads


def day_of_contact(lead: Lead | None, reader: User) -> list[str]:
    """Whom to call on the day, as the visit page's "On the day" says it: the lead instructor (unless that is the
    reader) and the programme office."""
    lines = [_("Contact on the day")]
    if lead is not None and lead.id != reader.id:
        who = _("%(name)s, lead instructor", name=lead.name)
        lines.append(labelled(who, lead.phone) if lead.phone else who)
    lines.append(_("Programme office: %(contact)s", contact=current_app.config["PROGRAMME_CONTACT"]))
    return lines


def signup_event(signup: Signup, *, lead: Lead | None, alarms: bool) -> str:
    """The visit as the signup's volunteer sees it in their calendar: their role, and what the team needs on the
    day (the school's address, what to bring, whom to call) only while they hold a place."""
    visit, person = signup.visit, signup.user
    # Only a place shows the day's details here, whatever else the person may see: an admin's or a host's own
    # waitlisted signup looks like anyone's, so the event depends on nothing but the place and the visit.
    day_of = signup.status in PLACE_STATUSES and sees_day_of(person, visit, signup)
    lines = [labelled(_("Your role"), signup.slot.role.label)]
    if signup.status != SignupStatus.CONFIRMED:
        lines.append(labelled(_("Status"), signup.status.label))
    lines.append(signup.slot.description_shown)
    lines += visit_details(visit, day_of=day_of)
    changed = changed_at(signup)
    if day_of:
        lines += day_of_contact(lead, person)
        changed = max(changed, lead.updated_at) if lead is not None else changed
    return visit_event(
        visit,
        status=status_of(signup),
        sequence=sequence_of(signup),
        changed_at=changed,
        description=lines,
        address=day_of,
        alarms=alarms,
    )


def signup_calendar(session: Session, signup: Signup, locale: str) -> bytes:
    """The signup's visit as a calendar file to import (mail, the visit's download), in `locale`; the same UID,
    STATUS and SEQUENCE as in the volunteer's personal feed."""
    lead = lead_instructors(session, [signup.visit_id]).get(signup.visit_id)
    with force_locale(locale):
        event = signup_event(signup, lead=lead, alarms=False)
    return calendar([event], zones=[signup.visit.school.timezone])
