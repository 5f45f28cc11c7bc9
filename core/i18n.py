"""Languages: the interface languages, and the spoken languages volunteers offer."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

#: Interface languages, default first.
LOCALES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"


#: a locale (language, script, territory, variant) -> its translations, as flask_babel finds them (one domain,
#: one set of catalogues per process); a tuple key, because babel's Locale compares slowly
_TRANSLATIONS: dict[tuple, NullTranslations] = {}


def current_locale() -> Locale | None:
    """flask_babel's get_locale, without its proxies while a locale is chosen: the one chosen for this context
    (`babel_locale` on its namespace in `g`, which `force_locale` replaces while it holds), else the one
    get_locale chooses (and remembers); None outside an app context."""
    context = _cv_app.get(None)  # Flask's own context variable: `g` through its proxy costs a microsecond a call
    if context is None:
        return None
    state = context.g.get("_flask_babel")
    return getattr(state, "babel_locale", None) or get_locale()


def current_translations() -> NullTranslations:
    """The catalogue flask_babel would use now, found with one lookup instead of its dozen.

    flask_babel resolves its domain, context and locale again on every gettext (a tenth of a page's time, at a
    hundred strings a page); the locale it chose for this context keys a cache of what it found the first time.
    """
    locale = current_locale()
    if locale is None:  # outside an app context, or nothing to choose from: flask_babel answers as it does
        return get_translations()
    key = locale_key(locale)
    found = _TRANSLATIONS.get(key)
    if found is None:
        found = _TRANSLATIONS[key] = get_translations()
    return found


def gettext(string: str, **variables) -> str:
    """flask_babel's gettext, through current_translations."""
    translated = current_translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """flask_babel's ngettext (`num` is a variable too), through current_translations."""
    variables.setdefault("num", num)
    return current_translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """flask_babel's lazy_gettext: translated when shown, in the language of that moment."""
    return LazyString(gettext, string, **variables)


_l = lazy_gettext


#: Spoken languages a volunteer may offer and a role may require.
SPOKEN_LANGUAGES = {
    "mandarin": _l("Mandarin"),
    "cantonese": _l("Cantonese"),
    "yi": _l("Yi (Nuosu)"),
    "tibetan": _l("Tibetan"),
    "uyghur": _l("Uyghur"),
    "zhuang": _l("Zhuang"),
    "miao": _l("Miao (Hmong)"),
    "hakka": _l("Hakka"),
    "english": _l("English"),
}


def select_locale() -> str:
    """The page language: the signed-in person's own choice, then this browser's, then Accept-Language.

    An account holds a language only when its person chose one (the switch in the header while signed
    in, or the profile's select); otherwise the page follows the phone, as for anyone else.
    """
    if not has_request_context():
        return DEFAULT_LOCALE  # CLI and workers: mail sets its own with force_locale
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    return browser_locale()


@cache
def parsed_locale(code: str) -> Locale:
    """Babel's Locale for one of LOCALES' codes, parsed once per process (parsing lists Babel's data each time)."""
    return Locale.parse(code)


def selected_locale() -> Locale:
    """The page language as Babel's Locale: Flask-Babel's locale selector."""
    return parsed_locale(select_locale())


def browser_locale() -> str:
    """The language this browser asks for, whoever is signed in: its switch's choice, then Accept-Language."""
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    header = request.headers.get("Accept-Language", "")
    if len(header) > LONGEST_REMEMBERED_HEADER:
        return header_locale.__wrapped__(header)
    return header_locale(header)


#: an Accept-Language header longer than this is parsed each time rather than remembered (browsers send far shorter)
LONGEST_REMEMBERED_HEADER = 200


@lru_cache(maxsize=256)
def header_locale(header: str) -> str:
    """The language an Accept-Language header asks for, worked out once per process for each header.

    Phones send a few dozen different headers, so a small bounded cache holds nearly every request's, and
    made-up ones can neither grow it nor (past LONGEST_REMEMBERED_HEADER) fill it with long strings.
    """
    return accepted_locale(parse_accept_header(header, LanguageAccept)) or DEFAULT_LOCALE


def accepted_locale(accepted: Iterable[tuple[str, float]]) -> str | None:
    """The first of the browser's languages, best first, that we have in any of its regions or scripts.

    Not werkzeug's `best_match`: it tries every exact tag before any language alone, so a phone set to
    "zh-TW, en;q=0.8" or "zh-Hans, en;q=0.8" got English, not the Chinese it asked for first.
    """
    for tag, quality in accepted:  # highest quality first
        if quality <= 0:
            continue
        if tag == "*":
            return DEFAULT_LOCALE
        wanted = tag.replace("_", "-").lower()
        for code in LOCALES:
            if code.replace("_", "-").lower() == wanted:
                return code
        language = wanted.split("-")[0]
        for code in LOCALES:
            if code.split("_")[0].lower() == language:
                return code
    return None


def html_lang(locale: str) -> str:
    return locale.replace("_", "-")


def locale_key(locale: Locale) -> tuple:
    """What tells two of Babel's Locales apart, as a tuple (Locale's own comparison is slow)."""
    return (locale.language, locale.territory, locale.script, locale.variant, locale.modifier)


@cache
def _codes() -> dict[tuple, str]:
    """locale_key of each of LOCALES' Locales -> its code."""
    return {locale_key(parsed_locale(code)): code for code in LOCALES}


def current_locale_code() -> str:
    """The page language as one of LOCALES' keys (Babel spells zh_CN as zh_Hans_CN)."""
    current = get_locale()
    return DEFAULT_LOCALE if current is None else _codes().get(locale_key(current), DEFAULT_LOCALE)


def install_template_gettext(app: Flask) -> None:
    """Templates translate through current_translations (after flask_babel's own installation)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: current_translations().ugettext(string),
        ngettext=lambda singular, plural, n: current_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: current_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: current_translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    # `_` and `gettext`, a hundred calls a page, straight to the catalogue: Jinja's own pair goes through two
    # more calls of Context.call on the way (a fifth of a list page's time), to the same answer.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = _template_gettext


@pass_context
def _template_gettext(context: Context, string: str, **variables) -> str:
    """Jinja's newstyle gettext (jinja2.ext._make_new_gettext), without its detours."""
    translated = current_translations().ugettext(string)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704  (our own catalogue, as Jinja trusts it)
    if not variables and "%" not in translated:
        return translated  # what formatting would give, without Markup's formatting machinery (most strings)
    # As Jinja does: always a format string, so "%%" reads "%" with or without variables.
    return translated % variables
