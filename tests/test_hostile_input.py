"""Hostile input to every route and every field: never a 5xx, and under /api/v1 always the JSON error.

Nothing here is a hand list of routes or fields. Routes come from `app.url_map`; a page's fields come
from the forms and links the pages themselves render (so a form's fields are what a browser would
send); an API operation's query parameters and body fields come from the OpenAPI document. A new
route, field or parameter is covered without touching this file.

An anonymous visitor and an admin send, to every route they can reach: path ids beyond the
database's range, negative and non-numeric, and hostile tokens; every method a route lacks; each
query parameter and each field set in turn to hostile values (huge and negative numbers, NUL,
invalid UTF-8, 20,000-character strings, malformed dates) on top of otherwise plausible input, so that a value
a field lets through travels as deep as it can; every field hostile at once; bodies that are not
what the route reads. A volunteer, a company coordinator and a school host do the same where the
admin cannot go. With the database down, every API route still answers the JSON error.

Every answer must be below 500, a 405 must carry Allow, and under /api/v1 every error must be the
JSON error with a code. Every failure names the role, method, URL, field and value, and all
failures of a test are reported together.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote_from_bytes, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from accounts.models import Role
from accounts.services import invite, issue_api_token, request_password_reset
from events.models import SlotRole, VisitStatus
from mail.models import OutboxMessage, OutboxStatus
from tests.conftest import PASSWORD, school_date
from volunteers.signups import sign_up

ROLES = ("anon", "volunteer", "coordinator", "host", "admin")
#: the roles that send everything everywhere; the others only where the admin cannot go (see the pages test)
FULL_ROLES = ("anon", "admin")
API = "/api/v1"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
#: methods tried on every route; those a route lacks must be 405 with an Allow header
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: four times the longest text any field takes (5,000 characters): past every limit, cheap to echo back
LONG_TEXT = "x" * 20_000

# ---------------------------------------------------------------- hostile values

NUL = "a\x00b@x.org"
NOT_UTF8 = b"\xff\xfe"
NUMBERS = ["99999999999999999999", "-1"]
#: each field in turn, the rest plausible, so that a value the field lets through goes as deep as it can:
#: NUL for every field, and what the field's kind invites (text: LONG_TEXT). Bytes that are not UTF-8 reach
#: the views as U+FFFD; every field gets them at once (ALL_AT_ONCE), and raw and multipart bodies too.
BY_KIND = {
    "number": NUMBERS,
    "select": NUMBERS,
    "hidden": NUMBERS,
    "checkbox": NUMBERS,
    "radio": NUMBERS,
    "button": NUMBERS,
    "date": ["2026-13-45", "0000-00-00"],
    "time": ["25:61"],
    "datetime-local": ["9999-99-99T99:99"],
}
#: what a text field gets besides NUL
TEXT = [LONG_TEXT]
#: each query parameter in turn
PER_PARAMETER = [*NUMBERS, NUL, NOT_UTF8, LONG_TEXT, "2026-13-45", " "]
#: every generic query parameter at once, one request per value
GENERIC_VALUES = [*NUMBERS, NUL, NOT_UTF8, " "]
#: every field at once, one request per value
ALL_AT_ONCE = [
    *NUMBERS,
    "\x00",
    NOT_UTF8,
    b"a\xed\xa0\x80b",  # a UTF-8-encoded surrogate: not UTF-8 either
    "2026-13-45",
    " ",
    "\u2028",
    LONG_TEXT,
]
#: query parameters views commonly read; each is tried, all at once, on every GET route
GENERIC_QUERY = [
    "page",
    "per_page",
    "role",
    "q",
    "search",
    "company",
    "school",
    "school_id",
    "slot_id",
    "status",
    "when",
    "from",
    "to",
    "date",
    "sort",
    "next",
    "lang",
    "join_code",
]
#: fields sent (all at once) to a POST route for which no page of this role renders a form
GENERIC_FIELDS = ["email", "password", "name", "title", "reason", "slot", "person", "action", "next", "locale"]
#: path segments for `<int:…>` ids, and for `<token>`-like strings (already percent-encoded)
HOSTILE_IDS = ["0", "2147483647", "-1", "2147483648", "99999999999999999999", "1e3", "abc", "%00", "1%00", "%ff%fe"]
#: hostile ids the `int` converter lets through: the view itself must answer them
ROUTABLE_IDS = ["0", "2147483647"]
HOSTILE_STRINGS = ["%00", "a%00b", "%ff%fe", "%ed%a0%80", "x" * 20_000, "..%2f..%2fetc%2fpasswd", "%e2%80%a8"]

#: JSON values for each API body property in turn: of the wrong type, and what the property's type invites
#: (a boolean gets nothing true: archiving the school everything else uses would stop the rest short)
JSON_ANY = [None, [], {}, NUL]
JSON_NUMBERS = [99999999999999999999, -99999999999999999999, -1, 0, 2**31, 2**63, 1.5, "1", True]
JSON_BY_TYPE = {
    "integer": JSON_NUMBERS,
    "number": JSON_NUMBERS,
    "string": ["", "a\ud800b", "\x1b[2J", LONG_TEXT, 99999999999999999999, True],  # a lone surrogate, escaped
    "date-time": [
        "2026-13-45",
        "0000-00-00",
        "9999-99-99T99:99",
        "9999-12-31T23:59:59+14:00",
        "0001-01-01T00:00:00-12:00",
        "2026-06-01T09:00:00",
        True,
    ],
    "enum": ["not-one-of-them", "", True],
    "array": [["a\x00b"], [99999999999999999999], [{}], [None], "a\x00b", True],
    "boolean": ["maybe", 2],  # not "true" or 1: marshmallow takes those, and would archive the school
}
#: whole bodies that are not the JSON object an operation reads
RAW_BODIES = [
    (b'{"name": ', "application/json"),
    (b"\xff\xfe{}", "application/json"),
    (b'{"name": "\xff\xfe"}', "application/json"),
    (b'{"name": "a\x00b"}', "application/json"),
    (b'{"name": "a\\u0000b"}', "application/json"),
    (b'{"name": "\\ud800"}', "application/json"),
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (b'"text"', "application/json"),
    (b"9" * 5000, "application/json"),
    (b"[" * 50_000 + b"]" * 50_000, "application/json"),
    (b'{"name": 1e999}', "application/json"),
    (b"name=x&email=y", "application/x-www-form-urlencoded"),
    (b'{"name": "x"}', "text/plain"),
    (b"\x00\x01\x02", "application/octet-stream"),
]


def as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def urlencode(pairs) -> str:
    """`pairs` as application/x-www-form-urlencoded, bytes kept as they are (invalid UTF-8 stays invalid)."""
    return "&".join(f"{quote_from_bytes(as_bytes(k))}={quote_from_bytes(as_bytes(v))}" for k, v in pairs)


def shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}…({len(text)} chars)"


# ---------------------------------------------------------------- the world


@pytest.fixture
def world(db_session, now, make_company, make_user, make_school, make_visit, make_kit_type):
    """One of everything a route can name, and a person of each role."""
    company = make_company()
    people = {
        "admin": make_user(Role.ADMIN),
        "coordinator": make_user(Role.COORDINATOR, company=company),
        "host": make_user(Role.HOST),
        "volunteer": make_user(Role.VOLUNTEER, company=company),
    }
    colleague = make_user(Role.VOLUNTEER, company=company)
    school = make_school(hosts=[people["host"]])
    kit = make_kit_type()
    visit = make_visit(
        school=school, days_ahead=10, roles=(SlotRole.LEAD_INSTRUCTOR, SlotRole.ASSISTANT), lessons=2, kit_type=kit
    )
    make_visit(school=make_school(), days_ahead=30, status=VisitStatus.DRAFT)
    signup, _ = sign_up(db_session, slot_id=visit.slots[0].id, volunteer=people["volunteer"], now=now)
    sign_up(db_session, slot_id=visit.slots[1].id, volunteer=colleague, now=now)
    invitation, invitation_token = invite(
        db_session, email="invited@example.org", role=Role.HOST, invited_by=people["admin"], now=now, school=school
    )
    request_password_reset(db_session, colleague.email, now)
    db_session.flush()
    reset_mail = db_session.scalar(select(OutboxMessage).where(OutboxMessage.template == "password_reset"))
    reset_token = re.search(r"/password/reset/([\w-]+)", reset_mail.body).group(1)
    failed = db_session.scalar(select(OutboxMessage).where(OutboxMessage.id != reset_mail.id))
    failed.status, failed.attempts, failed.last_error = OutboxStatus.FAILED, 8, "550 mailbox unavailable"
    db_session.commit()
    ids = {
        "visit_id": visit.id,
        "slot_id": visit.slots[0].id,
        "signup_id": signup.id,
        "school_id": school.id,
        "invitation_id": invitation.id,
        "message_id": failed.id,
        "kit_type_id": kit.id,
        "company_id": company.id,
        "host_ids": [people["host"].id],
    }
    tokens = {"accounts.reset_password": reset_token, "accounts.accept_invitation": invitation_token}
    return World(people=people, ids=ids, tokens=tokens)


@dataclass
class World:
    people: dict
    ids: dict
    tokens: dict

    def real_path(self, rule) -> str:
        """The rule's path with the ids of real rows (and real tokens) filled in."""
        return fill(rule.rule, lambda converter, name: self._real_value(rule, converter, name))

    def _real_value(self, rule, converter: str, name: str) -> str:
        if converter == "int":
            return str(self.ids.get(name, 1))
        if converter == "path":
            return "css/app.css"
        return self.tokens.get(rule.endpoint, "not-a-token")

    def hostile_paths(self, rule, *, full: bool = True):
        """(argument, value, path) with one argument hostile and the others real; unless `full`, only ids
        that the routing lets through to the view."""
        for converter, name in ARGUMENT.findall(rule.rule):
            values = HOSTILE_IDS if converter == "int" else HOSTILE_STRINGS
            for value in values if full else [v for v in values if v in ROUTABLE_IDS]:

                def pick(c, n, value=value, name=name):
                    return value if n == name else self._real_value(rule, c, n)

                yield name, value, fill(rule.rule, pick)


ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def fill(rule: str, value_of) -> str:
    return ARGUMENT.sub(lambda m: value_of(m.group(1) or "default", m.group(2)), rule)


def sign_in(client, world: World, role: str) -> None:
    """A fresh session for `role` (a route may have logged it out), through the real login form."""
    if role == "anon":
        return
    response = client.post("/login", data={"email": world.people[role].email, "password": PASSWORD})
    assert response.status_code == 302, f"{role} could not log in"


# ---------------------------------------------------------------- sending and checking


@dataclass
class Probe:
    """Sends requests and remembers each that broke the rules, with what was sent."""

    client: object
    role: str
    #: with the database down, 503 (the JSON `unavailable` under /api/v1) is the right answer
    database_down: bool = False
    failures: list = field(default_factory=list)
    sent: int = 0

    def send(self, method: str, url: str, what: str = "", **kwargs):
        self.sent += 1
        response = self.client.open(url, method=method, **kwargs)
        problem = self.problem(url, response)
        if problem:
            where = url if len(url) <= 120 else f"{url[:100]}…"
            self.failures.append(f"{self.role}: {method} {where} {what} -> {response.status_code} {problem}")
        return response

    def problem(self, url: str, response) -> str:
        if response.status_code >= 500 and not (self.database_down and response.status_code == 503):
            return response.get_data(as_text=True)[:200].replace("\n", " ")
        if response.status_code == 405 and "Allow" not in response.headers:
            return "405 without an Allow header"
        if not urlsplit(url).path.startswith(API) or response.status_code < 400:
            return ""
        if response.mimetype not in ("application/json", "application/problem+json"):
            return f"an API error that is not JSON but {response.mimetype}"
        body = response.get_json(silent=True)
        error = body.get("error") if isinstance(body, dict) else None
        if not (isinstance(error, dict) and isinstance(error.get("code"), str) and error["code"]):
            return f"an API error without an error code: {str(body)[:100]}"
        return ""

    def assert_clean(self) -> None:
        assert not self.failures, f"{len(self.failures)} of {self.sent} requests failed:\n" + "\n".join(
            self.failures[:100]
        )


#: the last part of a path that ends something (a signup, a school, a session): such routes go last, so that
#: the others still find the world whole
ENDS_SOMETHING = re.compile(r"/(cancel|archive|delete|revoke|no-show|status|logout)$")


def routes(app, *, api: bool):
    """Every route of the app on the chosen face, with its methods."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API) == api]
    for rule in sorted(rules, key=lambda r: (bool(ENDS_SOMETHING.search(r.rule)), r.rule, r.endpoint)):
        yield rule, sorted(rule.methods - {"HEAD", "OPTIONS"})


def endpoint_of(app, path: str) -> str | None:
    """The endpoint a page's link or form points to, if it is one of the app's."""
    adapter = app.url_map.bind("localhost")
    for method in ("GET", "POST"):
        try:
            return adapter.match(path, method=method)[0]
        except HTTPException:  # not found, another method, a redirect to the slashed path
            continue
    return None


# ---------------------------------------------------------------- what pages render


@dataclass
class HtmlForm:
    method: str
    action: str
    #: (name, kind, value, default_on): kind is the input type, "select", "textarea" or "button"
    controls: list = field(default_factory=list)
    options: dict = field(default_factory=dict)

    def names(self) -> list[str]:
        return list(dict.fromkeys(name for name, *_ in self.controls))

    def kinds(self) -> dict[str, str]:
        """Each control's kind by name; of a list of rows (`lessons-0-title`), only the first row's."""
        return {name: kind for name, kind, *_ in self.controls if not LATER_ROW.search(name)}

    def plausible(self) -> list[tuple[str, str]]:
        """What a person would send: the values shown, blanks filled in, one box of each group ticked."""
        pairs = []
        groups: dict[str, list] = {}
        for name, kind, value, on in self.controls:
            if kind in ("checkbox", "radio"):
                groups.setdefault(name, []).append((value, on))
            elif kind == "button":
                continue
            elif kind == "select":
                # The option chosen, unless it is a placeholder ("", "0": choose…); then the first real one.
                options = self.options.get(name, [])
                real = [v for v, _ in options if v not in ("", "0")]
                chosen = [v for v, selected in options if selected and v in real] or real[:1]
                pairs.extend((name, v) for v in chosen or [""])
            else:
                pairs.append((name, value or filler(name, kind)))
        for name, boxes in groups.items():
            ticked = [v for v, on in boxes if on]
            if not ticked and len(boxes) > 1:  # a list of choices (roles, hosts): one ticked; a lone box stays
                ticked = [boxes[0][0]]
            pairs.extend((name, v) for v in ticked)
        buttons = [(name, value) for name, kind, value, _ in self.controls if kind == "button"]
        if buttons and all(kind in ("hidden", "button") for _, kind, *_ in self.controls):
            pairs.append(buttons[0])  # a form of buttons only (publish, cancel): press the first
        return pairs


#: a control of the second or a later row of a repeating part of a form
LATER_ROW = re.compile(r"-[1-9][0-9]*-")


def filler(name: str, kind: str) -> str:
    """A plausible value for an empty control, so a hostile neighbour is what the view trips on."""
    in_row = "-" in name
    if kind == "email" or "email" in name:
        return "hostile@example.org"
    if kind == "password" or "password" in name or name == "confirm":
        return "hostile-password-2026"
    if kind == "date":
        return school_date(20).isoformat()
    if kind == "time" or name.endswith(("starts_at", "ends_at")):
        return {(False, True): "09:00", (False, False): "15:00", (True, True): "10:00", (True, False): "11:00"}[
            (in_row, name.endswith("starts_at"))
        ]
    if kind == "number":
        return "1"
    if kind == "url" or name.endswith("url"):
        return "https://example.org/plan"
    if kind in ("hidden", "datetime-local"):
        return ""
    return "Hostile test"


class PageParser(HTMLParser):
    """The forms of a page (their controls and options) and the query parameters of its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self.links: list[str] = []
        self._form: HtmlForm | None = None
        self._select: str | None = None
        self._option: list | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = HtmlForm((a.get("method") or "get").upper(), a.get("action") or "")
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "option" and self._select is not None:
            self._finish_option()
            self._option = [a.get("value"), "", "selected" in a]
        elif not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image", "button", "reset"):
                kind = "button"
            self._form.controls.append((a["name"], kind, a.get("value") or "", "checked" in a))
        elif tag == "button":
            self._form.controls.append((a["name"], "button", a.get("value") or "", False))
        elif tag == "select":
            self._select = a["name"]
            self._form.controls.append((a["name"], "select", "", False))
            self._form.options.setdefault(a["name"], [])
        elif tag == "textarea":
            self._textarea = [a["name"]]

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.append(data)
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._finish_option()
            self._select = None
        elif tag == "option":
            self._finish_option()
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, *text = self._textarea
            self._form.controls.append((name, "textarea", "".join(text).lstrip("\n"), False))
            self._textarea = None

    def _finish_option(self):
        if self._option is not None and self._form is not None and self._select is not None:
            value, text, selected = self._option
            self._form.options[self._select].append((text.strip() if value is None else value, selected))
        self._option = None


@dataclass
class Discovered:
    """What the pages a role can see say about each endpoint: forms posted to it, query keys it is sent."""

    forms: dict = field(default_factory=dict)  # endpoint -> (action url, HtmlForm)
    query: dict = field(default_factory=dict)  # endpoint -> set of parameter names


def discover(app, probe: Probe, world: World) -> Discovered:
    """Render every GET page this role reaches and read its forms and links."""
    found = Discovered()
    for rule, methods in routes(app, api=False):
        if "GET" not in methods:
            continue
        url = world.real_path(rule)
        response = probe.send("GET", url, "(discovering forms)")
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = PageParser()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            target = urlsplit(form.action or url)
            endpoint = endpoint_of(app, target.path)
            if endpoint is None:
                continue
            if form.method == "GET":
                found.query.setdefault(endpoint, set()).update(form.names())
            else:
                found.forms.setdefault(endpoint, (form.action or url, form))
        for href in parser.links:
            target = urlsplit(href)
            endpoint = endpoint_of(app, target.path or urlsplit(url).path) if not target.netloc else None
            if endpoint and target.query:
                found.query.setdefault(endpoint, set()).update(k for k, _ in parse_qsl(target.query))
    return found


# ---------------------------------------------------------------- pages


def _page_get(probe: Probe, url: str, params: list[str]) -> None:
    for name in params:
        for value in PER_PARAMETER:
            probe.send("GET", f"{url}?{urlencode([(name, value)])}", f"query {name}={shown(value)}")
    for value in GENERIC_VALUES:
        everything = urlencode([(name, value) for name in GENERIC_QUERY])
        probe.send("GET", f"{url}?{everything}", f"every generic query parameter={shown(value)}")


def _page_post(probe: Probe, url: str, form: HtmlForm | None, method: str = "POST") -> None:
    form_type = "application/x-www-form-urlencoded"
    plausible = form.plausible() if form else [(name, "Hostile test") for name in GENERIC_FIELDS]
    kinds = form.kinds() if form else {}  # fields no page shows are only guessed: all at once is enough
    names = form.names() if form else GENERIC_FIELDS
    for name, kind in kinds.items():
        others = [(k, v) for k, v in plausible if k != name]
        for value in [NUL, *BY_KIND.get(kind, TEXT)]:
            body = urlencode([*others, (name, value)])
            probe.send(method, url, f"field {name}={shown(value)}", data=body, content_type=form_type)
    for value in ALL_AT_ONCE:
        body = urlencode([(name, value) for name in names])
        probe.send(method, url, f"every field={shown(value)}", data=body, content_type=form_type)
    doubled = urlencode([*plausible, *plausible, *((name, "0") for name in names)])
    probe.send(method, url, "every field sent twice and again", data=doubled, content_type=form_type)
    for raw, content_type in [*RAW_BODIES[:5], (b"\xff\xfe=\xff&\x00=\x00", form_type)]:
        probe.send(method, url, f"raw body {shown(raw)} as {content_type}", data=raw, content_type=content_type)
    parts = b"".join(
        b'--hostile\r\nContent-Disposition: form-data; name="%s"\r\n\r\na\x00b\xff\xfe\r\n' % as_bytes(name)
        for name in names
    )
    probe.send(
        method,
        url,
        "every field as a multipart part with NUL and invalid UTF-8",
        data=parts + b"--hostile--\r\n",
        content_type="multipart/form-data; boundary=hostile",
    )


def reachable(response) -> bool:
    """Whether the role got past the door (a refusal says nothing about how input is handled)."""
    if response.mimetype == "application/json" and response.status_code >= 400:
        error = (response.get_json(silent=True) or {}).get("error") or {}
        return error.get("code") not in ("unauthorized", "forbidden")
    location = response.headers.get("Location", "")
    return response.status_code not in (401, 403) and "/login" not in urlsplit(location).path


#: (role, what it sends): the admin's share is the largest, so it runs as two tests that can run side by side
PAGE_RUNS = [
    *((role, ("reads", "writes")) for role in ROLES if role != "admin"),
    ("admin", ("reads",)),
    ("admin", ("writes",)),
]


@pytest.mark.parametrize(("role", "parts"), PAGE_RUNS, ids=[f"{r}-{'+'.join(p)}" for r, p in PAGE_RUNS])
def test_pages_answer_hostile_input_without_a_server_error(app, client, world, role, parts):
    """Anonymous visitors and admins send everything everywhere. The other roles see the same forms on the
    pages they share with the admin; they send everything to the pages only they reach (a volunteer's
    signup, a coordinator's company) and to every form posted without a page of its own."""
    probe = Probe(client, role)
    full = role in FULL_ROLES
    shared = set() if full else pages_the_admin_reaches(app, world)
    sign_in(client, world, role)
    found = discover(app, probe, world)
    for rule, methods in routes(app, api=False):
        sign_in(client, world, role)
        url = world.real_path(rule)
        sweep = rule.endpoint not in shared
        if "reads" in parts:
            for argument, value, path in world.hostile_paths(rule, full=full):
                for method in methods:
                    probe.send(method, path, f"path {argument}={shown(value)}")
            for method in METHODS if full else ():
                if method not in methods:
                    probe.send(method, url, "(a method the route lacks)")
            if "GET" in methods and reachable(probe.send("GET", url)) and sweep:
                _page_get(probe, url, sorted(found.query.get(rule.endpoint, set())))
        if "writes" in parts and "POST" in methods:
            action, form = found.forms.get(rule.endpoint, (url, None))
            plausible = urlencode(form.plausible()) if form else ""
            first = probe.send(
                "POST", action, "(plausible form)", data=plausible, content_type="application/x-www-form-urlencoded"
            )
            if reachable(first) and sweep:
                _page_post(probe, action, form)
    probe.assert_clean()


def pages_the_admin_reaches(app, world: World) -> set[str]:
    """Endpoints of the pages (GET) an admin is let into."""
    admin = app.test_client()
    sign_in(admin, world, "admin")
    return {
        rule.endpoint
        for rule, methods in routes(app, api=False)
        if "GET" in methods and reachable(admin.get(world.real_path(rule)))
    }


# ---------------------------------------------------------------- the API


def _resolve(spec: dict, schema: dict | None) -> dict:
    while schema and "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema or {}


def _api_ops(spec: dict, rule, method: str) -> dict:
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
    return spec["paths"].get(path, {}).get(method.lower(), {})


def _plausible_json(spec: dict, schema: dict, world: World, name: str = "", row: bool = False):
    """A value the schema would accept, from its type and the property's name; objects get their required
    properties only, so the plausible body is a small valid one."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        return {
            prop: _plausible_json(spec, sub, world, prop, row)
            for prop, sub in schema["properties"].items()
            if prop in required
        }
    if kind == "array":
        if name in world.ids:
            return list(world.ids[name])
        return [_plausible_json(spec, schema.get("items", {}), world, name, True)]
    if kind == "integer":
        return world.ids.get(name, max(1, schema.get("minimum", 1)))
    if kind in ("number", "boolean"):
        return {"number": 1, "boolean": False}[kind]
    return _plausible_text(schema, name, row)


def _plausible_text(schema: dict, name: str, row: bool) -> str:
    if schema.get("format") == "date-time":
        hour = {"starts_at": 10 if row else 9, "ends_at": 11 if row else 15}.get(name, 8)
        return f"{school_date(20).isoformat()}T{hour:02d}:00:00+08:00"
    if schema.get("format") == "email":
        return "hostile@example.org"
    by_name = {
        "email": "hostile@example.org",
        "password": "hostile-password-2026",
        "timezone": "Asia/Shanghai",
        "url": "https://example.org/plan",
    }
    return next((value for part, value in by_name.items() if part in name), "Hostile test")


def _body_paths(spec: dict, schema: dict, world: World):
    """(label, setter, hostile values) for each property of the body and of the objects in its lists."""
    schema = _resolve(spec, schema)
    for prop, sub in schema.get("properties", {}).items():
        sub = _resolve(spec, sub)
        yield prop, (lambda body, value, prop=prop: body.__setitem__(prop, value)), _json_values(sub)
        if sub.get("type") == "array":
            items = _resolve(spec, sub.get("items", {}))
            for inner, inner_schema in items.get("properties", {}).items():

                def set_inner(body, value, prop=prop, inner=inner, items=items):
                    row = _plausible_json(spec, items, world, prop, True)
                    row[inner] = value
                    body[prop] = [row]

                yield f"{prop}[0].{inner}", set_inner, _json_values(_resolve(spec, inner_schema))


def _json_values(schema: dict) -> list:
    kind = "enum" if "enum" in schema else schema.get("format") or schema.get("type") or "string"
    return [*JSON_ANY, *JSON_BY_TYPE.get(kind, JSON_BY_TYPE["string"])]


def _api_calls(app, spec: dict, world: World, probe: Probe, credentials, *, full: bool) -> None:
    for rule, methods in routes(app, api=True):
        headers = credentials()  # a fresh token: a route may have revoked the last one
        url = world.real_path(rule)
        for argument, value, path in world.hostile_paths(rule, full=full):
            for method in methods:
                probe.send(method, path, f"path {argument}={shown(value)}", headers=headers)
        for method in METHODS if full else ():
            if method not in methods:
                probe.send(method, url, "(a method the route lacks)", headers=headers)
        for method in methods:
            operation = _api_ops(spec, rule, method)
            if method == "GET":
                _api_get(probe, url, operation, headers)
            else:
                _api_write(probe, method, url, spec, operation, world, headers)


def _api_get(probe: Probe, url: str, operation: dict, headers: dict) -> None:
    if not reachable(probe.send("GET", url, headers=headers)):
        return
    params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    for name in params:
        for value in PER_PARAMETER:
            query = urlencode([(name, value)])
            probe.send("GET", f"{url}?{query}", f"query {name}={shown(value)}", headers=headers)
    for value in ALL_AT_ONCE:
        query = urlencode([(name, value) for name in {*params, *GENERIC_QUERY}])
        probe.send("GET", f"{url}?{query}", f"every query parameter={shown(value)}", headers=headers)


def _api_write(probe: Probe, method: str, url: str, spec: dict, operation: dict, world: World, headers: dict):
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    body = _plausible_json(spec, schema, world) if schema else None
    if not reachable(probe.send(method, url, "(plausible body)", json=body, headers=headers)):
        return
    for label, put, values in _body_paths(spec, schema, world) if schema else ():
        for value in values:
            hostile = json.loads(json.dumps(body))
            put(hostile, value)
            data = json.dumps(hostile)
            what = f"body {label}={shown(value)}"
            probe.send(method, url, what, data=data, content_type="application/json", headers=headers)
    for raw, content_type in RAW_BODIES:
        what = f"raw body {shown(raw)} as {content_type}"
        probe.send(method, url, what, data=raw, content_type=content_type, headers=headers)


def _bearer(db_session, now, world: World, role: str) -> dict:
    if role == "anon":
        return {}
    token = issue_api_token(db_session, world.people[role], now)
    db_session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_hostile_input_with_json_errors_and_never_a_server_error(
    app, client, db_session, now, world, role
):
    """Every operation of the OpenAPI document: hostile path ids, query parameters, body properties (and the
    properties of the objects in its lists), bodies that are not a JSON object; as each role, by bearer token."""
    probe = Probe(client, role)
    spec = client.get(f"{API}/openapi.json").get_json()
    _api_calls(app, spec, world, probe, partial(_bearer, db_session, now, world, role), full=role in FULL_ROLES)
    probe.assert_clean()


def test_unknown_api_paths_and_methods_are_json_errors(client, db_session, now, world):
    """JSON 404 for a path under /api/v1 that is not there, JSON 405 with Allow for a method a path lacks."""
    probe = Probe(client, "admin and anon")
    for headers in ({}, _bearer(db_session, now, world, "admin")):
        for method in (*METHODS, "PROPFIND"):
            for path in (f"{API}/nope", f"{API}/visits/nope/deeper", f"{API}/", API, f"{API}/%00", f"{API}/%ff"):
                response = probe.send(method, path, headers=headers)
                assert response.status_code == 404, (method, path)
        for method, path in (("PATCH", f"{API}/me"), ("DELETE", f"{API}/kit-types"), ("PUT", f"{API}/visits")):
            response = probe.send(method, path, headers=headers)
            assert response.status_code == 405, (method, path)
    probe.assert_clean()


def test_with_the_database_down_every_api_route_answers_a_json_error(unreachable_app):
    client = unreachable_app.test_client()
    probe = Probe(client, "database down", database_down=True)
    for rule, methods in routes(unreachable_app, api=True):
        url = fill(rule.rule, lambda converter, name: "1")
        for method in METHODS:
            for headers in ({}, {"Authorization": "Bearer some-token"}):
                response = probe.send(method, url, json={} if method in UNSAFE else None, headers=headers)
                if method in methods and rule.endpoint != "api-docs.openapi_json" and headers:
                    assert response.status_code == 503, f"{method} {url}: {response.status_code}"
    probe.send("GET", f"{API}/nope")
    probe.assert_clean()
