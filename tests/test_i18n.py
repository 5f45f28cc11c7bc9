"""Every string a person reads is in both catalogues, translated."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["accounts", "core", "events", "kits", "mail", "volunteers", "checkin", "calendars", "reports", "templates"]
TOP_LEVEL = ["app.py", "api.py", "access.py", "cli.py", "demo.py"]
METHODS = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def extracted_ids() -> set:
    ids = set()
    for folder in SOURCES:
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT / folder, METHODS, keywords=KEYWORDS):
            ids.add(message if isinstance(message, str) else tuple(message))
    for name in TOP_LEVEL:
        path = ROOT / name
        if path.exists():
            from babel.messages.extract import extract

            with path.open("rb") as f:
                for _line, message, _comments, _context in extract("python", f, keywords=KEYWORDS):
                    ids.add(message if isinstance(message, str) else tuple(message))
    return ids


def catalogue(locale: str):
    with (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def test_extraction_finds_the_strings_of_every_package():
    ids = extracted_ids()
    assert "Log in" in ids
    assert "Some fields need attention." in ids  # a lazy string in core
    assert len(ids) > 100


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_catalogue_translates_every_string(locale):
    messages = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalogue(locale) if m.id}
    missing, untranslated = [], []
    for msgid in sorted(extracted_ids(), key=str):
        message = messages.get(msgid)
        if message is None:
            missing.append(msgid)
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            untranslated.append(msgid)
    assert not missing, f"{locale}: not in the catalogue (run `make extract-messages`): {missing[:20]}"
    assert not untranslated, f"{locale}: untranslated or fuzzy: {untranslated[:20]}"


def test_chinese_translations_keep_their_placeholders():
    import re

    for message in catalogue("zh_Hans_CN"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[0]))
        for string in strings:
            if string:
                assert set(re.findall(r"%\(\w+\)[sd]", string)) == wanted, message.id


#: Counted things whose English plural differs from the singular.
COUNTED = r"(?:places|volunteers|people|students|hours|days|visits|kits|signups|lessons|roles|minutes|schools)"


def test_a_number_before_a_counted_noun_is_always_a_plural_message():
    """'1 places left' cannot happen: a placeholder before a plural noun lives in an ngettext message."""
    import re

    number_then_plural = re.compile(r"%\(\w+\)[sd] (?:of %\(\w+\)[sd] )?" + COUNTED + r"\b")
    singular_only = [msgid for msgid in extracted_ids() if isinstance(msgid, str) and number_then_plural.search(msgid)]
    assert not singular_only, f"use ngettext for: {singular_only}"


def test_the_app_translates_through_core_i18n_never_flask_babels_gettext_directly():
    """core.i18n's gettext family finds the catalogue once per language; flask_babel's looks it up on every
    string. A module that imports flask_babel's would quietly be the slow one."""
    import ast

    from tests.test_layers import project_modules

    slow = []
    for module, path in project_modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask_babel":
                names = {alias.name for alias in node.names}
                if names & {"gettext", "ngettext", "lazy_gettext", "pgettext", "lazy_ngettext"}:
                    slow.append(f"{module}: {sorted(names)}")
    assert slow == []


@pytest.mark.parametrize(
    ("text", "variables", "shown"),
    [
        ("Log in", {}, "Log in"),  # no variables, no %: as it is
        ("100%% of the places", {}, "100% of the places"),  # always a format string, as Jinja's gettext is
        ("%(name)s signed up", {"name": "<b>Li</b>"}, "&lt;b&gt;Li&lt;/b&gt; signed up"),  # variables escaped
    ],
)
def test_templates_translate_as_jinjas_gettext_would(app, text, variables, shown):
    """The templates' `_` (core.i18n._template_gettext) gives what Jinja's own newstyle gettext gives."""
    template = "{{ _(text, **variables) }}"
    jinjas = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # Jinja's own, untranslated
    jinjas.install_gettext_callables(lambda s: s, lambda s, p, n: s if n == 1 else p, newstyle=True)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        ours = app.jinja_env.from_string(template).render(text=text, variables=variables)
        theirs = jinjas.from_string(template.replace("_(", "gettext(")).render(text=text, variables=variables)
    assert ours == theirs == shown
