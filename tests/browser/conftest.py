"""Browser tests: the real app on a real server, driven by a real Chromium at phone size.

Each test gets its own app and SQLite database (a copy of an empty one with the schema), served on a
loopback port, so no test can see another's data and the factories of tests/conftest.py work
unchanged. (A module whose tests only read may share one app and server: `browser_config` and
`serving`, as test_phone_layout.py does.) CSRF stays on: the forms post the tokens the pages gave
them. The catalogues are compiled from the .po files for the run, so the pages speak what the
catalogues say now.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext, ngettext
from werkzeug.serving import make_server

from app import create_app
from extensions import db
from tests.conftest import PASSWORD, empty_sqlite_database, test_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ARTIFACTS = ROOT / "test-artifacts"

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these three Chromium keeps trying to reach the network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DEFAULT_LOCALE = "zh-CN"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: how long a page may take to answer; the server is on loopback
TIMEOUT_MS = 10_000
EXPECT_TIMEOUT_MS = 2_000

_REPORTS = pytest.StashKey[dict]()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so teardown knows whether the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(node) -> bool:
    return any(report.failed for report in node.stash.get(_REPORTS, {}).values())


# ---------------------------------------------------------------- the server


@pytest.fixture(scope="session")
def catalogues(tmp_path_factory) -> Path:
    """The .po catalogues compiled into a directory of this run, as `make translations` would."""
    out = tmp_path_factory.mktemp("translations")
    for po in sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po")):
        locale = po.parent.parent.name
        with po.open("rb") as f:
            catalogue = read_po(f, locale=locale)
        target = out / locale / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / "messages.mo").open("wb") as f:
            write_mo(f, catalogue)
    return out


@pytest.fixture
def database_url(tmp_path):
    """SQLite only: what a browser sees does not depend on the database, and it keeps the run short."""
    return empty_sqlite_database(tmp_path / "browser.sqlite3")


def browser_config(database_url: str, tmp_path: Path, clock, catalogues: Path, **overrides) -> dict:
    """The settings of an app a browser talks to: CSRF on, this run's catalogues, the given clock."""
    return {
        **test_config(database_url, tmp_path, clock),
        "WTF_CSRF_ENABLED": True,
        "BABEL_TRANSLATION_DIRECTORIES": str(catalogues),
        **overrides,
    }


@pytest.fixture
def app(request, database_url, tmp_path, monkeypatch, catalogues, clock):
    """The app the browser talks to, with CSRF on and on the test's clock (so is the live server that
    serves it); `@pytest.mark.app_config(...)` overrides settings."""
    monkeypatch.setenv("SCIVISIT_INSTANCE", str(tmp_path / "instance"))
    overrides = {}
    for marker in request.node.iter_markers("app_config"):
        overrides = {**marker.kwargs, **overrides}
    application = create_app(browser_config(database_url, tmp_path, clock, catalogues, **overrides))
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@contextmanager
def serving(app):
    """Serve the app on a free loopback port from a threaded server while inside; gives its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """The app served on a free loopback port by a threaded server; yields its base URL."""
    with serving(app) as url:
        yield url


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session; missing Chromium skips, or fails when REQUIRE_BROWSER=1."""
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    required = os.environ.get("REQUIRE_BROWSER") == "1"
    problem = None
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        problem = f"Chromium not found at {path} (install Debian's chromium or set CHROMIUM_PATH)"
    else:
        try:
            from playwright.sync_api import expect, sync_playwright
        except ImportError:
            problem = "Python Playwright is not installed (pip install -r requirements-dev.txt)"
    if problem:
        if required:
            pytest.fail(f"REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    # Assertions look at pages that have finished loading: waiting long only delays a failure.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@dataclass
class _Watch:
    """What happened on one page: documents loaded without an axe check, and broken resources."""

    unchecked: list[str] = field(default_factory=list)
    pending: str | None = None
    problems: list[str] = field(default_factory=list)


_WATCHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _watch(page) -> None:
    watch = _WATCHES[page] = _Watch()

    def on_load(_page):
        if watch.pending:
            watch.unchecked.append(watch.pending)
        watch.pending = page.url

    def on_response(response):
        if response.request.resource_type != "document" and response.status >= 400:
            watch.problems.append(f"{response.status} for {response.url}")

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            watch.problems.append(f"CSP: {message.text}")

    page.on("load", on_load)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.problems.append(f"script error: {error}"))


@pytest.fixture
def phone(browser, live_server, request):
    """Open a phone-sized page in a fresh browser context: `page = phone()` or `phone("en-US")`;
    `phone(javascript=False)` for a browser with JavaScript off (axe checks its pages in a twin: see `_checkable`).

    A failed test leaves a screenshot of each of its pages in test-artifacts/. A passing test
    still fails if a page it loaded was never checked with axe, or a resource or script broke.
    """
    contexts = []

    def open_page(locale: str = DEFAULT_LOCALE, *, javascript: bool = True):
        context = browser.new_context(base_url=live_server, locale=locale, java_script_enabled=javascript, **PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        # Loaded into every document the way DevTools injects it, which the app's CSP does not
        # block; Chromium then caches the compiled script, about 0.4 s saved on each page.
        context.add_init_script(_axe_source())
        page = context.new_page()
        _watch(page)
        contexts.append((context, page))
        if not javascript:
            twin = browser.new_context(base_url=live_server, locale=locale, **PHONE)
            twin.add_init_script(_axe_source())
            _SCRIPTLESS_TWINS[page] = twin.new_page()
            contexts.append((twin, None))
        return page

    yield open_page

    failed = _failed(request.node)
    complaints = []
    for n, (context, page) in enumerate(contexts, start=1):
        if page is None:  # the twin of a page with JavaScript off
            context.close()
            continue
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
            page.screenshot(path=str(ARTIFACTS / f"{name}-{n}.png"), full_page=True)
        watch = _WATCHES[page]
        unchecked = watch.unchecked + ([watch.pending] if watch.pending else [])
        complaints += [f"loaded without an axe check: {url}" for url in unchecked]
        complaints += watch.problems
        context.close()
    if complaints and not failed:
        pytest.fail("\n".join(complaints), pytrace=False)


@pytest.fixture
def page(phone):
    """A phone in Chinese, the app's first language."""
    return phone()


# ---------------------------------------------------------------- helpers for tests


@functools.cache
def _axe_source() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


#: Elements sticking out past the right edge of the screen, outside any scrolling box of their own.
_OVERFLOW_JS = r"""() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const scrolls = el => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const inScroller = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) return true;
    return false;
  };
  const sticksOut = el => el && el.getBoundingClientRect().right > width + 1;
  const culprits = [...document.body.querySelectorAll('*')]
    .filter(el => sticksOut(el) && !sticksOut(el.parentElement) && !inScroller(el))
    .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right);
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map(c => '.' + c).join('');
  return culprits.slice(0, 3)
    .map(el => `${name(el.parentElement)} > ${name(el)} "${el.textContent.replace(/\s+/g, ' ').trim().slice(0, 40)}"`);
}"""


#: a page opened with JavaScript off -> a page with it on, where axe checks what the first one shows
_SCRIPTLESS_TWINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _checkable(page):
    """The page axe can run in: the page itself, or for a page with JavaScript off its twin.

    With JavaScript off no timer fires, not even for DevTools' scripts, and axe waits on timers. The twin
    (JavaScript on, same size and language) shows the HTML the first page shows, at its address, with the
    server's stylesheets: what is checked is what the person without JavaScript sees.
    """
    twin = _SCRIPTLESS_TWINS.get(page)
    if twin is None:
        return page
    url, html = page.url, page.content()

    def this_address(address: str) -> bool:
        return address == url

    def same_document(route):
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    twin.set_viewport_size(page.viewport_size)
    twin.route(this_address, same_document)
    try:
        twin.goto(url)
    finally:
        twin.unroute(this_address)
    return twin


def accessibility_problems(page) -> list[str]:
    """Check the page as it is now: axe-core (WCAG 2.1 A and AA) and reflow at phone width.

    Reflow (WCAG 1.4.10, which axe cannot judge) means the page never scrolls sideways on a
    phone; a wide table may scroll inside its own box.
    """
    shown = page
    page = _checkable(shown)
    watch = _WATCHES.get(shown)
    if watch is not None:
        watch.pending = None
    # The same document at the same size was judged before in this run (the login page of every test
    # that logs in, say): the checks would find the same, so they are not run again.
    key = hashlib.sha256(page.evaluate(_SHOWN_JS).encode("utf-8")).hexdigest()
    if key not in _JUDGED:
        _JUDGED[key] = _judge(page)
    problems = list(_JUDGED[key])
    if problems:
        problems.insert(0, f"{len(problems)} accessibility problem(s) on {shown.url}:")
    return problems


#: what the checks see of a page: its size, #target and focus, and its document without what changes on every
#: load (the CSRF token, script nonces); the same document so shown gives the same results. The focused element
#: is named by its place in the document (the child index at each level), not by its HTML: on most pages it is
#: the <body>, whose HTML holds the token and nonces, and no page would ever have been found judged before.
_SHOWN_JS = r"""() => {
  const copy = document.documentElement.cloneNode(true);
  copy.querySelectorAll('[nonce]').forEach(el => el.removeAttribute('nonce'));
  copy.querySelectorAll('input[name=csrf_token]').forEach(el => el.removeAttribute('value'));
  const place = el => {
    const steps = [];
    for (; el && el.parentElement; el = el.parentElement) steps.unshift([...el.parentElement.children].indexOf(el));
    return steps.join('.');
  };
  const active = document.activeElement;
  const focused = active ? `${active.tagName}@${place(active)}` : '';
  return `${innerWidth}x${innerHeight}|${location.hash}|${focused}|${copy.outerHTML}`;
}"""
_JUDGED: dict[str, list[str]] = {}


def _judge(page) -> list[str]:
    """axe-core's violations and the reflow check, one line each."""
    # For a page opened without the `phone` fixture. The app's CSP forbids injected script
    # tags; evaluate() runs the source as DevTools does.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    problems = []
    for v in results["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
        problems.append(f"- {v['id']} [{v['impact']}] {v['help']}: {targets}{more}")
    problems += [
        f"- reflow: wider than the screen, the page scrolls sideways: {what}" for what in page.evaluate(_OVERFLOW_JS)
    ]
    return problems


def assert_accessible(page) -> None:
    """Fail listing each problem `accessibility_problems` finds on the page."""
    problems = accessibility_problems(page)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def visit(page, path: str):
    """Open a path, expect a page that is not an error, and check it with axe."""
    response = page.goto(path)
    assert response is not None and response.ok, f"GET {path}: {response.status if response else 'no response'}"
    assert_accessible(page)
    return response


def click_to_page(page, control) -> int:
    """Click a link or a submit button, wait for the page that answers and check it; returns its status."""
    with page.expect_navigation() as navigation:
        control.click()
    assert_accessible(page)
    return navigation.value.status if navigation.value else 0


#: the browser's language -> the app's locale it gets
APP_LOCALES = {"zh-CN": "zh_CN", "en-US": "en"}


def translated(browser_locale: str, msgid: str, **values) -> str:
    """What a page shows for `msgid` to a browser asking for `browser_locale`."""
    with force_locale(APP_LOCALES[browser_locale]):
        return gettext(msgid, **values)


def translated_plural(browser_locale: str, singular: str, plural: str, num: int, **values) -> str:
    """What a page shows for a message with a number (`%(num)s` filled in) to that browser."""
    with force_locale(APP_LOCALES[browser_locale]):
        return ngettext(singular, plural, num, **values)


def server_state():
    """The test's database session, reading what the server has committed by now.

    The test thread's session may still hold the snapshot of an earlier read; end it.
    """
    db.session.rollback()
    return db.session


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the login page (in whatever language it speaks) and land on one's home page."""
    visit(page, "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    status = click_to_page(page, page.locator("main form button[type=submit]"))
    assert status == 200, f"login answered {status} at {page.url}"
    assert urlsplit(page.url).path == "/", page.url


def open_menu(page):
    """Open the main menu as a person does, by tapping its button, if it is closed; returns the `nav`.

    On a phone the menu is a closed <details>; on a wide screen its list shows without a button.
    """
    from playwright.sync_api import expect

    nav = page.locator("header nav")
    button = nav.locator("summary")
    if button.is_visible() and nav.locator("details[open]").count() == 0:
        button.click()
    expect(nav.locator("ul")).to_be_visible()
    return nav


def log_out(page) -> None:
    """Log out with the button in the menu."""
    click_to_page(page, open_menu(page).locator("form button[type=submit]"))
