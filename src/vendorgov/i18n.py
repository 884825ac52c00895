"""Translations: zh-CN first, English second.

Message ids are English. Every user-visible string goes through `_()` (Python) or `{{ _("…") }}`
(Jinja, whose i18n extension is installed with these callables). Strings defined at import
time (labels, navigation, statuses) are only marked with `N_()` and translated where they are
shown, so one process serves both languages. The language of the current request (or job) is a
context variable; catalogs are compiled `.mo` files under `locale/`.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.core import LOCALE_ALIASES, negotiate_locale

DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)
# What each locale is called in its own language (the header's switch offers the other one).
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def valid_locale(value: object) -> str | None:
    return value if isinstance(value, str) and value in LOCALES else None


def html_lang(locale: str) -> str:
    """The BCP 47 tag of a locale, for <html lang> and Content-Language: zh_CN → zh-CN."""
    return locale.replace("_", "-")


def negotiate(accept_language: str) -> str:
    """The locale an Accept-Language header prefers (by q-value, then order), zh_CN when it
    names none of ours: Babel matches en-US to en and zh, zh-Hans or zh-CN to zh_CN."""
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.replace("-", "_")))
    preferred = [tag for _, _, tag in sorted(ranked)]
    # zh_Hans (simplified script) is what browsers send for simplified Chinese without a region.
    aliases = {**LOCALE_ALIASES, "zh_hans": "zh_CN", "zh_Hans": "zh_CN"}
    return negotiate_locale(preferred, LOCALES, aliases=aliases) or DEFAULT_LOCALE


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> stdlib_gettext.NullTranslations:
    return stdlib_gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def pgettext(context: str, message: str, **variables: object) -> str:
    text = translations(current_locale.get()).pgettext(context, message)
    return text % variables if variables else text


def N_(message: str) -> str:
    """Marks a string for extraction without translating it (translated where it is shown)."""
    return message


_ = gettext


def every_translation(message: str) -> set[str]:
    """The msgid and its text in every language (what a header read back may say)."""
    return {message} | {translations(locale).gettext(message) for locale in LOCALES}


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    """Runs a block (a job, a document, a message) in `locale`."""
    token = current_locale.set(valid_locale(locale) or DEFAULT_LOCALE)
    try:
        yield
    finally:
        current_locale.reset(token)
