"""Every page and API endpoint against every role and an anonymous visitor, as one table.

A new endpoint without a row here fails `test_every_endpoint_is_in_the_access_table`.
"""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.services import invite
from checkin.posters import poster_for
from checkin.tickets import ticket_for
from events.models import VisitStatus
from kits import lots, stock
from tests.conftest import built_once
from volunteers.signups import sign_up

ROLES = ("anon", "volunteer", "coordinator", "host", "admin")


def row(method, path, anon, volunteer, coordinator, host, admin, body=None, endpoint=None):
    return pytest.param(
        method,
        path,
        dict(zip(ROLES, (anon, volunteer, coordinator, host, admin), strict=True)),
        body,
        id=f"{method} {path}",
        marks=pytest.mark.endpoint(endpoint),
    )


# Paths use {school_a} (hosted by the host), {school_b} (not), {published_a}, {draft_a}, {draft_b}, {invitation},
# {published_b} (a published visit to school_b), {cancelled_a} (a cancelled visit to school_a),
# {slot_a} and {slot_draft_b} (role slots of published_a and draft_b), {signup} (another volunteer's, in slot_a).
TABLE = [
    # public and plumbing
    row("GET", "/", 200, 200, 200, 200, 200, endpoint="events.home"),
    row("GET", "/healthz", 200, 200, 200, 200, 200, endpoint="healthz"),
    row("GET", "/readyz", 200, 200, 200, 200, 200, endpoint="readyz"),
    row("GET", "/favicon.ico", 200, 200, 200, 200, 200, endpoint="favicon"),
    row("GET", "/static/css/app.css", 200, 200, 200, 200, 200, endpoint="static"),
    row("GET", "/sw.js", 200, 200, 200, 200, 200, endpoint="checkin.service_worker"),
    row("GET", "/api/v1/openapi.json", 200, 200, 200, 200, 200, endpoint="api-docs.openapi_json"),
    # accounts
    row("GET", "/login", 200, 200, 200, 200, 200, endpoint="accounts.login"),
    row("POST", "/logout", 302, 302, 302, 302, 302, endpoint="accounts.logout"),
    row("POST", "/language", 302, 302, 302, 302, 302, body={"locale": "en"}, endpoint="accounts.set_language"),
    row("GET", "/password", 302, 200, 200, 200, 200, endpoint="accounts.change_password"),
    row("GET", "/password/forgot", 200, 200, 200, 200, 200, endpoint="accounts.forgot_password"),
    row("GET", "/password/reset/not-a-token", 410, 410, 410, 410, 410, endpoint="accounts.reset_password"),
    row("GET", "/invitation/not-a-token", 410, 410, 410, 410, 410, endpoint="accounts.accept_invitation"),
    row("GET", "/admin/invitations", 302, 403, 403, 403, 200, endpoint="volunteers.invitations"),
    row(
        "POST",
        "/admin/invitations/{invitation}/revoke",
        302,
        403,
        403,
        403,
        302,
        endpoint="volunteers.revoke_invitation",
    ),
    row("GET", "/admin/outbox", 302, 403, 403, 403, 200, endpoint="accounts.outbox"),
    # no failed message in this world: the admin is told there is none to retry
    row("POST", "/admin/outbox/999999/retry", 302, 403, 403, 403, 404, endpoint="accounts.retry_message"),
    # volunteers
    row("GET", "/register", 200, 200, 200, 200, 200, endpoint="volunteers.register"),
    row("GET", "/register/sent", 200, 200, 200, 200, 200, endpoint="volunteers.registration_sent"),
    row("GET", "/register/confirm/not-a-token", 410, 410, 410, 410, 410, endpoint="volunteers.confirm_registration"),
    row("GET", "/profile", 302, 200, 200, 200, 200, endpoint="volunteers.profile"),
    row("GET", "/people/", 302, 403, 403, 403, 200, endpoint="volunteers.people"),
    row("GET", "/people/new", 302, 403, 403, 403, 200, endpoint="volunteers.person_new"),
    row("GET", "/people/{person}/edit", 302, 403, 403, 403, 200, endpoint="volunteers.person_edit"),
    row("GET", "/companies/", 302, 403, 403, 403, 200, endpoint="volunteers.companies"),
    # signups, rosters, company coordinators, privacy
    row(
        "GET",
        "/visits/{published_a}/slots/{slot_a}/signup",
        302,
        200,
        403,
        403,
        403,
        endpoint="volunteers.slot_signup",
    ),
    row("POST", "/visits/{published_a}/slots/{slot_a}/signup", 302, 302, 403, 403, 403),
    row("GET", "/visits/{draft_b}/slots/{slot_draft_b}/signup", 302, 404, 403, 403, 403),
    row("GET", "/visits/{published_a}/slots/{slot_draft_b}/signup", 302, 404, 403, 403, 403),
    # someone else's signup is "not found" on both faces, so its existence is not revealed
    row("POST", "/signups/{signup}/cancel", 302, 404, 404, 404, 302, endpoint="volunteers.cancel"),
    # the page that asks first, which changes nothing, answers as the cancellation does
    row("GET", "/signups/{signup}/cancel", 302, 404, 404, 404, 200, endpoint="volunteers.confirm_cancel"),
    row("GET", "/my/visits", 302, 200, 200, 200, 200, endpoint="volunteers.my_visits"),
    row("GET", "/visits/{published_a}/roster", 302, 403, 403, 200, 200, endpoint="volunteers.roster"),
    row("GET", "/visits/{draft_a}/roster", 302, 403, 403, 200, 200),
    row("GET", "/visits/{draft_b}/roster", 302, 403, 403, 404, 200),
    # another school's host: "not yours" is 404 on both faces
    row("GET", "/visits/{published_b}/roster", 302, 403, 403, 404, 200),
    row("GET", "/visits/{published_a}/roster.csv", 302, 403, 403, 403, 200, endpoint="volunteers.roster_csv"),
    row(
        "POST",
        "/visits/{published_a}/roster/assign",
        302,
        403,
        403,
        403,
        422,
        body={},
        endpoint="volunteers.roster_assign",
    ),
    row("POST", "/signups/{signup}/move", 302, 403, 403, 403, 302, body={}, endpoint="volunteers.move"),
    row("POST", "/signups/{signup}/no-show", 302, 403, 403, 403, 302, endpoint="volunteers.no_show"),
    row("GET", "/company/", 302, 403, 200, 403, 403, endpoint="volunteers.company"),
    row("GET", "/company/signup", 302, 403, 200, 403, 403, endpoint="volunteers.company_signup"),
    row("POST", "/company/join-code", 302, 403, 302, 403, 403, endpoint="volunteers.rotate_code"),
    row("GET", "/company/join-code", 302, 403, 200, 403, 403, endpoint="volunteers.confirm_rotate_code"),
    row("GET", "/profile/data.json", 302, 200, 200, 200, 200, endpoint="volunteers.my_data"),
    row("GET", "/profile/delete", 302, 200, 200, 200, 200, endpoint="volunteers.delete_account"),
    row("POST", "/profile/delete", 302, 422, 422, 422, 422, body={"password": "not-my-password"}),
    # kits
    row("GET", "/kits/types", 302, 403, 403, 403, 200, endpoint="kits.kit_types"),
    row("GET", "/kits/types/new", 302, 403, 403, 403, 200, endpoint="kits.kit_type_new"),
    # stock: programme coordinators keep it (a movement posted without its fields is shown again, 422)
    row("GET", "/kits/stock", 302, 403, 403, 403, 200, endpoint="kits.stock_page"),
    row("GET", "/kits/hubs", 302, 403, 403, 403, 200, endpoint="kits.hubs"),
    row("GET", "/kits/hubs/new", 302, 403, 403, 403, 200, endpoint="kits.hub_new"),
    row("POST", "/kits/hubs/new", 302, 403, 403, 403, 422, body={}),
    row("GET", "/kits/movements/new", 302, 403, 403, 403, 200, endpoint="kits.movement_new"),
    row("POST", "/kits/movements/new", 302, 403, 403, 403, 422, body={}),
    row("GET", "/kits/ledger", 302, 403, 403, 403, 200, endpoint="kits.ledger"),
    row("GET", "/kits/ledger/verify", 302, 403, 403, 403, 200, endpoint="kits.verify"),
    row("POST", "/kits/ledger/verify", 302, 403, 403, 403, 200, body={}, endpoint="kits.verify_now"),
    row("GET", "/kits/forecast", 302, 403, 403, 403, 200, endpoint="visit_kits.forecast"),
    row("GET", "/kits/movements/{donation}/trail", 302, 403, 403, 403, 200, endpoint="kits.donation_trail"),
    row("GET", "/kits/movements/999999/trail", 302, 403, 403, 403, 404),
    # what was donated and where it went: public; a donation's trail to whoever has its secret address
    row("GET", "/transparency", 200, 200, 200, 200, 200, endpoint="transparency.page"),
    row("GET", "/transparency.csv", 200, 200, 200, 200, 200, endpoint="transparency.download"),
    row("GET", "/trail/{trail}", 200, 200, 200, 200, 200, endpoint="transparency.donation_trail"),
    row("GET", "/trail/AAAAAAAAAAAAAAAAAAAAAA", 404, 404, 404, 404, 404),
    # a visit's kits: coordinators and the school's hosts; shipping and reserving again: coordinators
    row("GET", "/visits/{published_a}/kits", 302, 403, 403, 200, 200, endpoint="visit_kits.page"),
    row("GET", "/visits/{published_b}/kits", 302, 403, 403, 403, 200),
    row("GET", "/visits/{draft_b}/kits", 302, 404, 404, 404, 200),
    row("GET", "/visits/999999/kits", 302, 404, 404, 404, 404),
    row(
        "POST",
        "/visits/{published_a}/kits/1/ship",
        302,
        403,
        403,
        403,
        422,
        body={},
        endpoint="visit_kits.journey_step",
    ),
    row("POST", "/visits/{published_a}/kits/1/arrival", 302, 403, 403, 422, 422, body={}),
    row("POST", "/visits/{published_a}/kits/1/use", 302, 403, 403, 422, 422, body={}),
    row("POST", "/visits/{published_b}/kits/1/arrival", 302, 403, 403, 403, 422, body={}),
    row("POST", "/visits/{draft_b}/kits/1/use", 302, 404, 404, 404, 422, body={}),
    row("POST", "/visits/{published_a}/kits/reserve", 302, 403, 403, 403, 302, endpoint="visit_kits.retry"),
    # no lesson of this world is short of kits: the publish page sends the coordinator back to the visit
    row("GET", "/visits/{draft_b}/publish", 302, 403, 403, 403, 302, endpoint="visit_kits.publish"),
    # schools
    row("GET", "/schools/", 302, 403, 403, 200, 200, endpoint="events.schools"),
    row("GET", "/schools/{school_a}", 302, 403, 403, 200, 200, endpoint="events.school"),
    row("GET", "/schools/{school_b}", 302, 403, 403, 404, 200),
    row("GET", "/schools/new", 302, 403, 403, 403, 200, endpoint="events.school_new"),
    row("GET", "/schools/{school_a}/edit", 302, 403, 403, 403, 200, endpoint="events.school_edit"),
    row("POST", "/schools/{school_b}/archive", 302, 403, 403, 403, 302, endpoint="events.school_archive"),
    row("POST", "/schools/{school_b}/restore", 302, 403, 403, 403, 302, endpoint="events.school_restore"),
    # visits
    row("GET", "/visits/", 302, 200, 200, 200, 200, endpoint="events.visits"),
    row("GET", "/visits/{published_a}", 200, 200, 200, 200, 200, endpoint="events.visit"),
    row("GET", "/visits/{draft_a}", 404, 404, 404, 200, 200),
    row("GET", "/visits/{draft_b}", 404, 404, 404, 404, 200),
    # a cancelled visit stays visible, shown as cancelled, on both faces
    row("GET", "/visits/{cancelled_a}", 200, 200, 200, 200, 200),
    row("GET", "/visits/new", 302, 403, 403, 403, 200, endpoint="events.visit_new"),
    row("GET", "/visits/{published_a}/edit", 302, 403, 403, 403, 200, endpoint="events.visit_edit"),
    row(
        "POST",
        "/visits/{draft_b}/status",
        302,
        403,
        403,
        403,
        302,
        body={"action": "publish"},
        endpoint="events.visit_status",
    ),
    row("GET", "/visits/{published_a}/cancel", 302, 403, 403, 403, 200, endpoint="events.confirm_cancel_visit"),
    # a visit that is cancelled already: back to its page, which says so
    row("GET", "/visits/{cancelled_a}/cancel", 302, 403, 403, 403, 302),
    # tickets and posters ({ticket}: the secret of {signup}'s ticket; {poster}: published_a's poster secret)
    row("GET", "/t/{ticket}", 200, 200, 200, 200, 200, endpoint="checkin.ticket"),
    row("GET", "/t/AAAAAAAAAAAAAAAAAAAAAA", 404, 404, 404, 404, 404),
    row("POST", "/t/{ticket}/scan", 302, 403, 403, 302, 302, body={"direction": "in"}, endpoint="checkin.ticket_scan"),
    row("GET", "/t/{ticket}/qr.svg", 200, 200, 200, 200, 200, endpoint="checkin.ticket_qr_svg"),
    row("GET", "/t/{ticket}/qr.png", 200, 200, 200, 200, 200, endpoint="checkin.ticket_qr_png"),
    row("GET", "/t/AAAAAAAAAAAAAAAAAAAAAA/qr.png", 404, 404, 404, 404, 404),
    # someone else's ticket is "not found", for programme coordinators too: only its volunteer shows it
    row("GET", "/my/tickets/{signup}", 302, 404, 404, 404, 404, endpoint="checkin.my_ticket"),
    row("GET", "/my/tickets/{signup}/new", 302, 404, 404, 404, 404, endpoint="checkin.confirm_new_ticket"),
    row("POST", "/my/tickets/{signup}/new", 302, 404, 404, 404, 404, endpoint="checkin.new_ticket"),
    row("GET", "/visits/{published_a}/poster", 302, 403, 403, 200, 200, endpoint="checkin.poster"),
    row("GET", "/visits/{draft_b}/poster", 302, 404, 404, 404, 200),
    row("GET", "/p/{poster}", 302, 200, 200, 200, 200, endpoint="checkin.poster_scan"),
    row("GET", "/p/AAAAAAAAAAAAAAAAAAAAAA", 302, 404, 404, 404, 404),
    # refused (no place at the visit), stored, and said on the page it leads back to
    row("POST", "/p/{poster}", 302, 302, 302, 302, 302, body={}, endpoint="checkin.poster_check_in"),
    # the scanner at the gate: the visit's hosts and programme coordinators; without JavaScript its code form posts
    row("GET", "/visits/{published_a}/scanner", 302, 403, 403, 200, 200, endpoint="checkin.scanner"),
    row("GET", "/visits/{published_b}/scanner", 302, 403, 403, 403, 200),
    row("GET", "/visits/999999/scanner", 302, 404, 404, 404, 404),
    row("POST", "/visits/{published_a}/scanner", 302, 403, 403, 422, 422, body={}, endpoint="checkin.scanner_scan"),
    row("POST", "/visits/{published_b}/scanner", 302, 403, 403, 403, 422, body={}),
    # attendance: who came (the visit's hosts and programme coordinators); corrections by programme coordinators
    row("GET", "/visits/{published_a}/attendance", 302, 403, 403, 200, 200, endpoint="checkin.attendance"),
    row("GET", "/visits/{published_b}/attendance", 302, 403, 403, 403, 200),
    # the visit has not ended: recording students is refused (visit_not_over)
    row("POST", "/visits/{published_a}/attendance", 302, 403, 403, 422, 422, body={}),
    row("GET", "/visits/{published_a}/attendance/{signup}", 302, 403, 403, 403, 200, endpoint="checkin.correct"),
    row("POST", "/visits/{published_a}/attendance/{signup}", 302, 403, 403, 403, 422, body={}),
    # calendars: feeds are found by their secret address alone (who is logged in does not matter); a visit's
    # download by whoever may see the visit; a feed's new address by its owner
    row("GET", "/cal/programme.ics", 200, 200, 200, 200, 200, endpoint="calendars.programme"),
    row("GET", "/cal/not-a-token.ics", 404, 404, 404, 404, 404, endpoint="calendars.feed"),
    row("GET", "/visits/{published_a}/calendar.ics", 200, 200, 200, 200, 200, endpoint="calendars.visit_calendar"),
    row("GET", "/visits/{draft_a}/calendar.ics", 404, 404, 404, 200, 200),
    row("GET", "/visits/{draft_b}/calendar.ics", 404, 404, 404, 404, 200),
    row("POST", "/cal/feeds/personal/0/rotate", 302, 302, 404, 404, 404, body={}, endpoint="calendars.rotate_feed"),
    row("POST", "/cal/feeds/school/{school_a}/rotate", 302, 404, 404, 302, 404, body={}),
    # the page offering every feed one may have (the public one to anyone), and the question before a new address
    row("GET", "/calendars", 200, 200, 200, 200, 200, endpoint="calendars.subscriptions"),
    row("GET", "/calendars/personal/0/new-address", 302, 200, 404, 404, 404, endpoint="calendars.confirm_rotate"),
    row("GET", "/calendars/school/{school_a}/new-address", 302, 404, 404, 200, 404),
    # API
    row("GET", "/api/v1/calendars", 200, 200, 200, 200, 200, endpoint="calendars_api.list_calendars"),
    row("POST", "/api/v1/tokens", 422, 422, 422, 422, 422, body={}, endpoint="accounts_api.create_token"),
    row("DELETE", "/api/v1/tokens/current", 401, 401, 401, 401, 401, endpoint="accounts_api.revoke_token"),
    row("GET", "/api/v1/me", 401, 200, 200, 200, 200, endpoint="accounts_api.me"),
    row("GET", "/api/v1/schools", 401, 403, 403, 200, 200, endpoint="schools_api.list_schools"),
    row("POST", "/api/v1/schools", 401, 403, 403, 403, 422, body={}, endpoint="schools_api.create_school"),
    row("GET", "/api/v1/schools/{school_a}", 401, 404, 404, 200, 200, endpoint="schools_api.get_school"),
    row("GET", "/api/v1/schools/{school_b}", 401, 404, 404, 404, 200),
    row("PATCH", "/api/v1/schools/{school_a}", 401, 403, 403, 403, 200, body={}, endpoint="schools_api.update_school"),
    row("GET", "/api/v1/visits", 200, 200, 200, 200, 200, endpoint="visits_api.list_visits"),
    row("POST", "/api/v1/visits", 401, 403, 403, 403, 422, body={}, endpoint="visits_api.create_visit"),
    row("GET", "/api/v1/visits/{published_a}", 200, 200, 200, 200, 200, endpoint="visits_api.get_visit"),
    row("GET", "/api/v1/visits/{draft_a}", 404, 404, 404, 200, 200),
    row("GET", "/api/v1/visits/{draft_b}", 404, 404, 404, 404, 200),
    row("GET", "/api/v1/visits/{cancelled_a}", 200, 200, 200, 200, 200),
    row("PATCH", "/api/v1/visits/{published_a}", 401, 403, 403, 403, 200, body={}, endpoint="visits_api.update_visit"),
    row("POST", "/api/v1/visits/{draft_b}/publish", 401, 403, 403, 403, 200, endpoint="visits_api.publish_visit"),
    row("POST", "/api/v1/visits/{published_a}/cancel", 401, 403, 403, 403, 200, endpoint="visits_api.cancel_visit"),
    row(
        "POST", "/api/v1/slots/{slot_a}/signups", 401, 201, 403, 403, 403, body={}, endpoint="signups_api.create_signup"
    ),
    row("POST", "/api/v1/slots/{slot_draft_b}/signups", 401, 404, 404, 403, 403, body={}),
    row("DELETE", "/api/v1/signups/{signup}", 401, 404, 404, 404, 204, endpoint="signups_api.cancel_signup"),
    row("GET", "/api/v1/me/signups", 401, 200, 200, 200, 200, endpoint="signups_api.my_signups"),
    row("GET", "/api/v1/visits/{published_a}/roster", 401, 403, 403, 200, 200, endpoint="signups_api.visit_roster"),
    row("GET", "/api/v1/visits/{draft_a}/roster", 401, 403, 403, 200, 200),
    row("GET", "/api/v1/visits/{draft_b}/roster", 401, 403, 403, 404, 200),
    row("GET", "/api/v1/visits/{published_b}/roster", 401, 403, 403, 404, 200),
    row("GET", "/api/v1/kit-types", 401, 200, 200, 200, 200, endpoint="kits_api.list_kit_types"),
    row("GET", "/api/v1/visits/{published_a}/kits", 401, 403, 403, 200, 200, endpoint="visits_api.visit_kits"),
    row("GET", "/api/v1/visits/{published_b}/kits", 401, 403, 403, 403, 200),
    row("GET", "/api/v1/visits/{draft_b}/kits", 401, 404, 404, 404, 200),
    row(
        "POST",
        "/api/v1/visits/{published_a}/kits/1/ship",
        401,
        403,
        403,
        403,
        422,
        body={},
        endpoint="visits_api.ship_kits",
    ),
    row(
        "POST",
        "/api/v1/visits/{published_a}/kits/1/arrival",
        401,
        403,
        403,
        422,
        422,
        body={},
        endpoint="visits_api.confirm_kits",
    ),
    row(
        "POST",
        "/api/v1/visits/{published_b}/kits/1/arrival",
        401,
        403,
        403,
        403,
        409,
        body={"received": 1},
    ),
    row(
        "POST",
        "/api/v1/visits/{published_a}/kits/1/use",
        401,
        403,
        403,
        422,
        422,
        body={},
        endpoint="visits_api.use_kits",
    ),
    row("POST", "/api/v1/kit-types", 401, 403, 403, 403, 422, body={}, endpoint="kits_api.create_kit_type"),
    row("GET", "/api/v1/hubs", 401, 403, 403, 403, 200, endpoint="stock_api.list_hubs"),
    row("POST", "/api/v1/hubs", 401, 403, 403, 403, 422, body={}, endpoint="stock_api.create_hub"),
    row("GET", "/api/v1/stock", 401, 403, 403, 403, 200, endpoint="stock_api.list_stock"),
    row("POST", "/api/v1/stock/movements", 401, 403, 403, 403, 422, body={}, endpoint="stock_api.record_movement"),
    row("GET", "/api/v1/ledger/verify", 401, 403, 403, 403, 200, endpoint="stock_api.verify"),
    row("GET", "/api/v1/forecast", 401, 403, 403, 403, 200, endpoint="forecast_api.get_forecast"),
    row("POST", "/api/v1/volunteers", 401, 403, 403, 403, 422, body={}, endpoint="volunteers_api.create_person"),
    row(
        "PATCH",
        "/api/v1/volunteers/{person}",
        401,
        403,
        403,
        403,
        200,
        body={},
        endpoint="volunteers_api.update_person",
    ),
    # check-in: anyone signed in may scan (the answer says whether it counted), the bundle and the
    # attendance are the school's hosts' and programme coordinators' (another school's host: 403)
    row(
        "POST",
        "/api/v1/checkins",
        401,
        200,
        200,
        200,
        200,
        body={"ticket": "not a ticket", "direction": "in", "scan_id": "access-table"},
        endpoint="checkin_api.check_in",
    ),
    row("POST", "/api/v1/checkins", 401, 422, 422, 422, 422, body={}),
    row(
        "POST",
        "/api/v1/checkins/batch",
        401,
        200,
        200,
        200,
        200,
        body={"scans": [{"ticket": "not a ticket", "direction": "out", "scan_id": "access-table-batch"}]},
        endpoint="checkin_api.check_in_batch",
    ),
    row(
        "GET",
        "/api/v1/visits/{published_a}/checkin-bundle",
        401,
        403,
        403,
        200,
        200,
        endpoint="checkin_api.visit_checkin_bundle",
    ),
    row("GET", "/api/v1/visits/{published_b}/checkin-bundle", 401, 403, 403, 403, 200),
    row("GET", "/api/v1/visits/999999/checkin-bundle", 401, 404, 404, 404, 404),
    row(
        "GET",
        "/api/v1/visits/{published_a}/attendance",
        401,
        403,
        403,
        200,
        200,
        endpoint="checkin_api.visit_attendance",
    ),
    row("GET", "/api/v1/visits/{published_b}/attendance", 401, 403, 403, 403, 200),
    row("GET", "/api/v1/visits/999999/attendance", 401, 404, 404, 404, 404),
    # reports: the programme's for programme coordinators, a company's for its coordinators too, a school's
    # for its hosts too, one's hours and certificates for oneself; the impact page and a certificate's check
    # for anyone
    row("GET", "/reports/", 302, 403, 403, 403, 200, endpoint="reports.dashboard"),
    row("GET", "/reports/export/company.csv", 302, 403, 403, 403, 200, endpoint="reports.export"),
    row("GET", "/reports/export/region.xlsx", 302, 403, 403, 403, 200),
    row("GET", "/reports/export/volunteer.csv", 302, 403, 403, 403, 404),
    row("GET", "/reports/company", 302, 403, 302, 403, 403, endpoint="reports.my_company"),
    row("GET", "/reports/companies/{company}", 302, 403, 200, 403, 200, endpoint="reports.company"),
    row("GET", "/reports/companies/{other_company}", 302, 403, 404, 403, 200),
    row(
        "GET",
        "/reports/companies/{company}/export/volunteer.xlsx",
        302,
        403,
        200,
        403,
        200,
        endpoint="reports.company_export",
    ),
    row("GET", "/reports/schools/{school_a}", 302, 403, 403, 200, 200, endpoint="reports.school"),
    row("GET", "/reports/schools/{school_b}", 302, 403, 403, 404, 200),
    row(
        "GET", "/reports/schools/{school_a}/export/month.csv", 302, 403, 403, 200, 200, endpoint="reports.school_export"
    ),
    row("GET", "/reports/schools/{school_b}/export/month.xlsx", 302, 403, 403, 404, 200),
    row("GET", "/reports/schools/{school_a}/export/volunteer.csv", 302, 403, 403, 404, 404),
    row("GET", "/impact", 200, 200, 200, 200, 200, endpoint="reports.impact"),
    row("GET", "/me/hours", 302, 200, 200, 200, 200, endpoint="reports.my_hours"),
    row(
        "POST",
        "/me/hours/certificates",
        302,
        302,
        302,
        302,
        302,
        body={"locale": "en"},
        endpoint="reports.issue_certificate",
    ),
    row("GET", "/me/hours/certificates/999999", 302, 404, 404, 404, 404, endpoint="reports.certificate"),
    row(
        "POST",
        "/me/hours/certificates/999999/revoke",
        302,
        404,
        404,
        404,
        404,
        body={},
        endpoint="reports.revoke_certificate",
    ),
    row("GET", "/certificates/not-a-token", 404, 404, 404, 404, 404, endpoint="reports.verify_certificate"),
    row("GET", "/api/v1/reports/summary", 401, 403, 403, 403, 200, endpoint="reports_api.summary"),
    row("GET", "/api/v1/reports/summary?group_by=nonsense", 401, 403, 403, 403, 400),
    row("GET", "/api/v1/me/hours", 401, 200, 200, 200, 200, endpoint="reports_api.my_hours"),
]


@pytest.fixture
def world(db_session, now, make_user, make_school, make_visit, make_kit_type):
    """Each role's email, and the ids and secrets the table's paths name; built once per process and database."""
    return built_once(
        "access", lambda: _build_world(db_session, now, make_user, make_school, make_visit, make_kit_type)
    )


def _build_world(db_session, now, make_user, make_school, make_visit, make_kit_type):
    people = {
        "volunteer": make_user(Role.VOLUNTEER),
        "coordinator": make_user(Role.COORDINATOR),
        "host": make_user(Role.HOST),
        "admin": make_user(Role.ADMIN),
    }
    school_a = make_school(hosts=[people["host"]])
    school_b = make_school()
    invitation, _ = invite(
        db_session, email="new@example.org", role=Role.HOST, invited_by=people["admin"], now=now, school=school_a
    )
    db_session.commit()
    published_a = make_visit(school=school_a, days_ahead=10)
    draft_b = make_visit(school=school_b, days_ahead=30, status=VisitStatus.DRAFT)
    kit_type = make_kit_type(name="Access kit")
    donation = stock.receive(db_session, kit_type_id=kit_type.id, quantity=3, party="Donor", actor=None, now=now)
    # someone else's signup: only they, programme coordinators and their company coordinator may change it
    signup, _ = sign_up(db_session, slot_id=published_a.slots[0].id, volunteer=make_user(Role.VOLUNTEER), now=now)
    db_session.commit()
    ids = {
        "school_a": school_a.id,
        "school_b": school_b.id,
        "published_a": published_a.id,
        "slot_a": published_a.slots[0].id,
        "draft_a": make_visit(school=school_a, days_ahead=20, status=VisitStatus.DRAFT).id,
        "draft_b": draft_b.id,
        "slot_draft_b": draft_b.slots[0].id,
        "published_b": make_visit(school=school_b, days_ahead=12).id,
        "cancelled_a": make_visit(school=school_a, days_ahead=40, status=VisitStatus.CANCELLED).id,
        "invitation": invitation.id,
        "signup": signup.id,
        "person": people["volunteer"].id,
        "ticket": ticket_for(db_session, signup, now).secret,
        "poster": poster_for(db_session, published_a, now).secret,
        "company": people["coordinator"].company_id,
        "other_company": make_user(Role.COORDINATOR).company_id,
        "donation": donation.id,
        "trail": lots.trail_secret(donation.id),
    }
    db_session.commit()
    return {role: person.email for role, person in people.items()}, ids


@pytest.mark.parametrize(("method", "path", "expected", "body"), TABLE)
def test_access_table(app, world, method, path, expected, body):
    people, ids = world
    url = path.format(**ids)
    seen = {}
    for role in ROLES:  # the admin goes last, so an allowed write does not change what others see
        client = app.test_client()
        if role != "anon":
            from tests.conftest import PASSWORD

            assert client.post("/login", data={"email": people[role], "password": PASSWORD}).status_code == 302
        kwargs = {}
        if body is not None:
            kwargs = {"json": body} if url.startswith("/api/") else {"data": body}
        seen[role] = client.open(url, method=method, **kwargs).status_code
    assert seen == expected


def test_every_endpoint_is_in_the_access_table(app):
    covered = set()
    for param in TABLE:
        for mark in param.marks:
            if mark.name == "endpoint" and mark.args[0]:
                covered.add(mark.args[0])
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - covered == set(), "endpoints without a row in the access table"
    assert covered - endpoints == set(), "rows for endpoints that no longer exist"
