"""Who may call what: every endpoint against every kind of caller.

Callers are tried in this order, the programme coordinator last, so a write that succeeds
does not change what the others see.
"""

from __future__ import annotations

import pytest

from accounts.models import Role
from events.models import VisitStatus
from tests.api.helpers import visit_body
from tests.conftest import PASSWORD

CALLERS = ("anonymous", "volunteer", "coordinator", "host", "admin")

ADMIN_ONLY_WRITE = {"anonymous": 401, "volunteer": 403, "coordinator": 403, "host": 403}
SIGNED_IN = {"anonymous": 401, "volunteer": 200, "coordinator": 200, "host": 200, "admin": 200}
EVERYONE = dict.fromkeys(CALLERS, 200)
CREATED = dict.fromkeys(CALLERS, 201)

# endpoint id -> (method, path template, body factory or None, expected status per caller)
TABLE = {
    "create-token": ("POST", "/api/v1/tokens", lambda w: {"email": w["email"], "password": PASSWORD}, CREATED),
    "revoke-token": ("DELETE", "/api/v1/tokens/current", None, {**SIGNED_IN, **dict.fromkeys(CALLERS[1:], 204)}),
    "me": ("GET", "/api/v1/me", None, SIGNED_IN),
    "list-schools": ("GET", "/api/v1/schools", None, {**SIGNED_IN, "volunteer": 403, "coordinator": 403}),
    "create-school": (
        "POST",
        "/api/v1/schools",
        lambda w: {"name": "New", "province": "云南省"},
        {**ADMIN_ONLY_WRITE, "admin": 201},
    ),
    "get-school": ("GET", "/api/v1/schools/{school}", None, {**SIGNED_IN, "volunteer": 404, "coordinator": 404}),
    "change-school": (
        "PATCH",
        "/api/v1/schools/{school}",
        lambda w: {"address": "Hill"},
        {**ADMIN_ONLY_WRITE, "admin": 200},
    ),
    "list-visits": ("GET", "/api/v1/visits", None, EVERYONE),
    "create-visit": (
        "POST",
        "/api/v1/visits",
        lambda w: visit_body(w["other_school"]),
        {**ADMIN_ONLY_WRITE, "admin": 201},
    ),
    "get-published-visit": ("GET", "/api/v1/visits/{published}", None, EVERYONE),
    "get-draft-visit": (
        "GET",
        "/api/v1/visits/{draft}",
        None,
        {**EVERYONE, "anonymous": 404, "volunteer": 404, "coordinator": 404},
    ),
    "change-visit": (
        "PATCH",
        "/api/v1/visits/{published}",
        lambda w: {"title": "New"},
        {**ADMIN_ONLY_WRITE, "admin": 200},
    ),
    "publish-visit": ("POST", "/api/v1/visits/{draft}/publish", None, {**ADMIN_ONLY_WRITE, "admin": 200}),
    "cancel-visit": ("POST", "/api/v1/visits/{published}/cancel", None, {**ADMIN_ONLY_WRITE, "admin": 200}),
    "list-kit-types": ("GET", "/api/v1/kit-types", None, SIGNED_IN),
    "create-kit-type": ("POST", "/api/v1/kit-types", lambda w: {"name": "Magnets"}, {**ADMIN_ONLY_WRITE, "admin": 201}),
    "create-person": (
        "POST",
        "/api/v1/volunteers",
        lambda w: {"email": "new@example.com", "name": "New", "password": "violet-otter-kettle-91"},
        {**ADMIN_ONLY_WRITE, "admin": 201},
    ),
}


@pytest.mark.parametrize("endpoint", list(TABLE))
def test_each_kind_of_caller_gets_the_expected_status(client, make_user, bearer, make_school, make_visit, endpoint):
    method, template, body, expected = TABLE[endpoint]
    host = make_user(Role.HOST)
    school = make_school(hosts=[host])
    users = {
        "volunteer": make_user(Role.VOLUNTEER),
        "coordinator": make_user(Role.COORDINATOR),
        "host": host,
        "admin": make_user(Role.ADMIN),
    }
    world = {
        "school": school.id,
        "draft": make_visit(school=school, status=VisitStatus.DRAFT, days_ahead=10).id,
        "published": make_visit(school=school, days_ahead=12).id,
        "other_school": make_school(),
        "email": users["volunteer"].email,
    }
    path = template.format(**world)
    got = {}
    for caller in CALLERS:
        headers = bearer(users[caller]) if caller in users else {}
        kwargs = {"json": body(world)} if body else {}
        response = client.open(path, method=method, headers=headers, **kwargs)
        assert response.mimetype == "application/json" or response.status_code == 204
        if response.status_code >= 400:
            assert set(response.get_json()["error"]) >= {"code", "message"}
        got[caller] = response.status_code
    assert got == expected
