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

DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


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


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    """Runs a block (a job, a document, a message) in `locale`."""
    token = current_locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        current_locale.reset(token)
