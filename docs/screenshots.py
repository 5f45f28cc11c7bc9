"""The README's phone screenshots: the demo data on a fresh SQLite database, in Chromium at 390x844.

Run with `make screenshots` (it needs Debian's chromium, or CHROMIUM_PATH). It migrates and seeds a
database in a temporary folder, serves it on a free loopback port, signs the demo volunteer up for
the livestream visit through the page, and writes docs/screenshots/<page>-<language>.png.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT))

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
#: a fake camera (a test pattern) for the scanner, allowed without asking
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def serve(instance: Path):
    """Migrate, seed and serve the demo; returns the base URL and the server."""
    os.environ["SCIVISIT_INSTANCE"] = str(instance)
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from app import create_app
    from core import timeutil
    from core.db import begin_write
    from demo import seed_demo
    from extensions import db

    app = create_app({"SECRET_KEY": "screenshots"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        begin_write(db.session)
        seed_demo(db.session, timeutil.now())
        db.session.commit()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return base, server


def log_in(page, base: str, email: str) -> None:
    from demo import DEMO_PASSWORD

    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def shoot(browser, base: str, language: str) -> None:
    def new_page():
        context = browser.new_context(locale=LANGUAGES[language], **PHONE)
        return context.new_page()

    def save(page, name: str) -> None:
        page.screenshot(path=OUT / f"{name}-{language}.png")

    page = new_page()
    page.goto(f"{base}/")
    save(page, "home")

    page = new_page()
    log_in(page, base, "volunteer@scivisit.demo")
    page.goto(f"{base}/visits/")
    page.get_by_role("link", name="Livestream").first.click()
    visit_url = page.url
    signup = page.locator("form[action*='/signup'] button[type=submit]").first
    if signup.count():
        signup.click()
        page.wait_for_load_state()
    page.goto(visit_url)
    save(page, "visit")
    page.get_by_role("link", name="我的签到票" if language == "zh" else "My ticket").first.click()
    page.wait_for_load_state()
    save(page, "my-ticket")
    page.goto(f"{base}/my/visits")
    save(page, "my-visits")

    page = new_page()
    page.context.grant_permissions(["camera"])
    log_in(page, base, "host@scivisit.demo")
    save(page, "host")
    page.goto(visit_url + "/scanner")
    page.wait_for_timeout(1500)  # the fake camera starts
    save(page, "scanner")

    page = new_page()
    log_in(page, base, "admin@scivisit.demo")
    save(page, "coordinator")
    page.goto(f"{base}/visits/new")
    save(page, "visit-form")


def main() -> None:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not chromium:
        sys.exit("screenshots need Chromium: apt-get install chromium, or set CHROMIUM_PATH")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as instance:
        base, server = serve(Path(instance))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                for language in LANGUAGES:
                    shoot(browser, base, language)
                browser.close()
        finally:
            server.shutdown()
    print(f"screenshots written to {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
