"""Languages: the interface languages, and the spoken languages volunteers offer."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

#: Interface languages, default first.
LOCALES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"

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
    """The signed-in person's choice, then this browser's choice, then Accept-Language."""
    if not has_request_context():
        return DEFAULT_LOCALE  # CLI and workers: mail sets its own with force_locale
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(list(LOCALES)) or DEFAULT_LOCALE


def html_lang(locale: str) -> str:
    return locale.replace("_", "-")


def current_locale_code() -> str:
    """The page language as one of LOCALES' keys (Babel spells zh_CN as zh_Hans_CN)."""
    from babel import Locale
    from flask_babel import get_locale

    current = get_locale()
    return next((code for code in LOCALES if Locale.parse(code) == current), DEFAULT_LOCALE)
