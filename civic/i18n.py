"""Babel catalogues (zh_CN default, en) and the current locale, carried in a context variable.

The locale is chosen per request by LocaleMiddleware and read by `_()` anywhere below it: in
templates, forms and services alike, so a message is translated where it is produced.
"""
from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_COOKIE = "civic_lang"
TEXT_SIZE_COOKIE = "civic_text"
TZ = ZoneInfo("Asia/Shanghai")
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

_current: ContextVar[str] = ContextVar("civic_locale", default=DEFAULT_LOCALE)


@lru_cache(maxsize=None)
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str):
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def _(message: str, **params) -> str:
    text = translations(get_locale()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    params.setdefault("num", n)
    return translations(get_locale()).ngettext(singular, plural, n) % params


def N_(message: str) -> str:
    """Marks a string for extraction; translated later where it is shown."""
    return message


def lang_tag(locale: str | None = None) -> str:
    return (locale or get_locale()).replace("_", "-")


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(TZ)


def format_datetime(value: dt.datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_datetime(local(value), fmt, tzinfo=TZ, locale=Locale.parse(get_locale()))


def format_date(value: dt.date | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return dates.format_date(value, fmt, locale=Locale.parse(get_locale()))


def format_number(value) -> str:
    return numbers.format_decimal(value, locale=Locale.parse(get_locale()))


def pick_locale(cookie: str | None, accept_language: str | None, default: str) -> str:
    if cookie in LOCALES:
        return cookie
    # The UI is Chinese first: only a browser that asks for English and not Chinese gets English.
    if accept_language:
        langs = [part.split(";")[0].strip().lower() for part in accept_language.split(",")]
        if langs and langs[0].startswith("en") and not any(l.startswith("zh") for l in langs):
            return "en"
    return default if default in LOCALES else DEFAULT_LOCALE
