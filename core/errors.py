"""Domain errors: a stable code from a fixed set, an HTTP status and a translatable message."""

from __future__ import annotations

from core.i18n import lazy_gettext as _l

#: code -> (HTTP status, default message). Tests assert codes; people read the messages.
CODES: dict[str, tuple[int, object]] = {
    "validation_error": (422, _l("Some fields need attention.")),
    "not_found": (404, _l("That was not found.")),
    "forbidden": (403, _l("You do not have permission to do that.")),
    "unauthorized": (401, _l("Please log in.")),
    "invalid_credentials": (401, _l("The email or password is not right.")),
    "rate_limited": (429, _l("Too many attempts. Please wait a minute and try again.")),
    "csrf_failed": (400, _l("The form expired. Please reload the page and try again.")),
    "bad_request": (400, _l("The request could not be understood.")),
    "too_large": (413, _l("The request is too large. Send less data and try again.")),
    "unavailable": (503, _l("The service is briefly unavailable. Please try again in a moment.")),
    "password_too_short": (422, _l("Use at least 8 characters.")),
    "password_too_common": (422, _l("This password is too common or too easy to guess.")),
    "wrong_password": (422, _l("The current password is not right.")),
    "email_taken": (409, _l("An account with this email already exists.")),
    "invalid_join_code": (422, _l("This join code is not valid. Ask your company coordinator.")),
    "invalid_token": (410, _l("This link is not valid or has expired.")),
    "company_required": (422, _l("Choose a company for this person.")),
    "last_admin": (
        409,
        _l("This is the last programme coordinator: keep the role, or give it to someone else first."),
    ),
    "school_required": (422, _l("Choose a school for this host.")),
    "name_taken": (409, _l("This name is already in use.")),
    "invalid_timezone": (422, _l("Choose a valid time zone.")),
    "school_archived": (409, _l("This school is archived.")),
    "end_before_start": (422, _l("The end must be after the start.")),
    "lesson_outside_visit": (422, _l("The lesson must take place within the visit.")),
    "visit_not_single_day": (422, _l("A visit starts and ends on the same day.")),
    "signup_window_invalid": (422, _l("Signup must open before it closes, and close before the visit ends.")),
    "capacity_too_small": (422, _l("Capacity must be at least 1.")),
    "capacity_below_taken": (409, _l("Capacity cannot be lower than the places already taken.")),
    "slot_has_signups": (409, _l("This role already has volunteers; it cannot be removed.")),
    "duplicate_role": (422, _l("Each role can appear only once in a visit.")),
    "school_busy": (409, _l("This school already has a visit at an overlapping time.")),
    "invalid_status_transition": (409, _l("The visit cannot move to that status.")),
    "visit_locked": (409, _l("A cancelled or completed visit cannot be changed.")),
    "visit_not_over": (409, _l("A visit can be completed only after it ends.")),
    "visit_in_past": (
        409,
        _l("This visit has already started or is in the past, so it cannot be published. Check its date."),
    ),
    "satellite_is_host": (422, _l("The host school cannot also watch remotely.")),
    "duplicate_satellite": (422, _l("Each satellite school can appear only once.")),
    "unknown_kit_type": (422, _l("Choose a valid kit type.")),
    "signup_closed": (409, _l("Signup for this visit is not open.")),
    "requirement_missing": (422, _l("This role needs something you do not have yet (training or a language).")),
    "already_signed_up": (409, _l("You are already signed up for this visit.")),
    "time_conflict": (409, _l("You are already signed up for another visit at the same time.")),
    "visit_not_open": (409, _l("This visit is not open for signup.")),
    "cancel_cutoff_passed": (
        409,
        _l("It is too close to the visit to cancel here. Please contact the programme coordinator."),
    ),
    "reason_required": (422, _l("Give a reason for overriding the rules.")),
    "visit_not_started": (409, _l("The visit has not started yet.")),
    "signup_not_active": (409, _l("This signup is no longer active.")),
    "insufficient_stock": (409, _l("There are not enough kits available for that.")),
    "unknown_hub": (422, _l("Choose a valid hub.")),
    "hub_inactive": (409, _l("This hub is closed: it takes no new movements.")),
    "same_hub": (422, _l("Choose another hub to transfer to.")),
    "party_required": (422, _l("Name the donor or supplier.")),
    "purchase_has_no_donor": (422, _l("Kits bought have no donor to mail a trail to: leave the donor's email empty.")),
    "movement_reason_required": (422, _l("Say why: what happened to these kits?")),
    "counted_below_reserved": (
        409,
        _l("Fewer kits were counted than are reserved at this hub. Release reservations first."),
    ),
    "already_corrected": (409, _l("This movement has already been corrected.")),
    "not_correctable": (409, _l("This movement cannot be corrected.")),
    "kit_shortfall": (
        409,
        _l("Some lessons do not have all their kits reserved. Give a reason to publish anyway, or add stock first."),
    ),
    "lesson_kits_shipped": (
        409,
        _l("Kits were already shipped for this lesson: its kit type and hub stay as they are."),
    ),
    "ship_exceeds_reserved": (409, _l("That is more kits than are reserved for this visit.")),
    "nothing_shipped": (409, _l("No kits of this type were shipped to this visit.")),
    "arrival_already_confirmed": (409, _l("The arrival of these kits has already been confirmed.")),
    "received_exceeds_shipped": (422, _l("That is more kits than were shipped.")),
    "arrival_not_confirmed": (409, _l("Confirm first how many of these kits arrived.")),
    "kit_count_exceeds_received": (422, _l("That is more kits than are still at the school.")),
}


class DomainError(Exception):
    """A broken business rule. `field` names the input at fault; `details` holds further problems."""

    def __init__(
        self,
        code: str,
        message: object | None = None,
        *,
        field: str | None = None,
        details: list[DomainError] | None = None,
    ) -> None:
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.status, default = CODES[code]
        self._message = message if message is not None else default
        self.field = field
        self.details = details or []
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self._message)

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = [d.as_dict() for d in self.details]
        return body


class Problems:
    """Collects rule violations so a form can show every one next to its field at once."""

    def __init__(self) -> None:
        self.items: list[DomainError] = []

    def add(self, code: str, field: str | None = None) -> None:
        self.items.append(DomainError(code, field=field))

    def raise_if_any(self) -> None:
        if self.items:
            first, *rest = self.items
            raise DomainError(first.code, field=first.field, details=rest)


def all_problems(error: DomainError) -> list[DomainError]:
    """The error itself followed by its details."""
    return [error, *error.details]
