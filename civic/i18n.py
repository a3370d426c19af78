"""Babel catalogues (zh_CN default, en) and the current locale, carried in a context variable.

The locale is chosen per request by LocaleMiddleware and read by `_()` anywhere below it: in
templates, forms and services alike, so a message is translated where it is produced.
"""
from __future__ import annotations

import datetime as dt
import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_COOKIE = "civic_lang"
TEXT_SIZE_COOKIE = "civic_text"
TZ = ZoneInfo("Asia/Shanghai")
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

_current: ContextVar[str] = ContextVar("civic_locale", default=DEFAULT_LOCALE)


def catalogue_dirs() -> list[Path]:
    """The core catalogue and one per module (civic/<module>/translations), so modules never clash."""
    root = Path(__file__).parent
    return [TRANSLATIONS_DIR] + sorted(p for p in root.glob("*/translations") if p.is_dir())


def _load(directory: Path, locale: str) -> Translations | None:
    po = directory / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return None
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


@lru_cache(maxsize=None)
def translations(locale: str) -> NullTranslations:
    """Every catalogue merged, compiled in memory from the .po files at first use (no build step, no .mo files
    to go stale). The core's catalogue is merged last, so core messages keep the core's wording."""
    merged: NullTranslations = NullTranslations()
    dirs = catalogue_dirs()
    for directory in dirs[1:] + dirs[:1]:
        loaded = _load(directory, locale)
        if loaded is None:
            continue
        if isinstance(merged, Translations):
            merged.merge(loaded)
        else:
            merged = loaded
    return merged


@lru_cache(maxsize=None)
def module_translations(locale: str, module: str) -> NullTranslations:
    """A module's own catalogue first, then everything: the same English word may need different Chinese in
    different modules ("Report": 举报 a comment, 述职报告 of a cadre)."""
    own = _load(Path(__file__).parent / module / "translations", locale)
    if own is None:
        return translations(locale)
    own.add_fallback(translations(locale))
    return own


def module_names() -> frozenset[str]:
    return frozenset(p.parent.name for p in catalogue_dirs()[1:])


_module: ContextVar[str | None] = ContextVar("civic_module", default=None)


def set_module(module: str | None):
    """Which module's pages are being served (LocaleMiddleware sets it from the path)."""
    return _module.set(module if module in _MODULES else None)


def current() -> NullTranslations:
    module = _module.get()
    return module_translations(get_locale(), module) if module else translations(get_locale())


@lru_cache(maxsize=None)
def babel_locale(code: str) -> Locale:
    """Parsed once per locale: Locale.parse was half of a page's CPU when called for every date shown."""
    return Locale.parse(code)


_MODULES = module_names()


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str):
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


_TEXTS: dict[tuple[str, str | None], dict[str, str]] = {}
_TEXTS_PER_CATALOGUE = 20_000  # msgids come from code and templates; `|t` may pass data, so bounded


def gettext(message: str) -> str:
    """`message` in the current locale and module, remembered: the catalogues never change while serving, and
    walking a module's catalogue and its fallbacks cost a tenth of a signed-in page (two dozen strings each)."""
    key = (_current.get(), _module.get())
    texts = _TEXTS.get(key)
    if texts is None:
        texts = _TEXTS.setdefault(key, {})
    text = texts.get(message)
    if text is None:
        text = current().gettext(message)
        if len(texts) < _TEXTS_PER_CATALOGUE:
            texts[message] = text
    return text


def _(message: str, **params) -> str:
    text = gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    params.setdefault("num", n)
    return current().ngettext(singular, plural, n) % params


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
    return dates.format_datetime(local(value), fmt, tzinfo=TZ, locale=babel_locale(get_locale()))


def format_date(value: dt.date | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return dates.format_date(value, fmt, locale=babel_locale(get_locale()))


def format_number(value) -> str:
    return numbers.format_decimal(value, locale=babel_locale(get_locale()))


def pick_locale(cookie: str | None, accept_language: str | None, default: str) -> str:
    if cookie in LOCALES:
        return cookie
    # The UI is Chinese first: only a browser that asks for English and not Chinese gets English.
    if accept_language:
        langs = [part.split(";")[0].strip().lower() for part in accept_language.split(",")]
        if langs and langs[0].startswith("en") and not any(l.startswith("zh") for l in langs):
            return "en"
    return default if default in LOCALES else DEFAULT_LOCALE
