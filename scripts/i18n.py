"""Extract UI strings and update the catalogues: the core's and each module's.

    python scripts/i18n.py            # extract + update every catalogue
    python scripts/i18n.py elections  # only that module's catalogue
    python scripts/i18n.py --check    # exit 1 when a zh_CN entry is missing or untranslated
Chinese (zh_CN) entries must be translated by hand; English uses the msgid itself.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["elections", "consultations", "disclosure", "appraisal"]
CORE_TEMPLATE_DIRS = ["", "errors", "accounts", "registry", "rulesconfig", "audit"]
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "gettext": None}


def _extract(directory: Path, catalog: Catalog, recursive: bool = True) -> None:
    if not directory.exists():
        return
    for filename, lineno, message, comments, context in extract_from_dir(
        str(directory), METHOD_MAP, OPTIONS, keywords=KEYWORDS,
        callback=None,
    ):
        if not recursive and "/" in filename:
            continue
        catalog.add(message, None, [(str((directory / filename).relative_to(ROOT)), lineno)], auto_comments=comments, context=context)


def template_catalog(name: str) -> Catalog:
    catalog = Catalog(project="civic", charset="utf-8")
    if name == "core":
        _extract_core(catalog)
    else:
        _extract(ROOT / "civic" / name, catalog)
        _extract(ROOT / "templates" / name, catalog)
    return catalog


def _extract_core(catalog: Catalog) -> None:
    civic = ROOT / "civic"
    for filename, lineno, message, comments, context in extract_from_dir(str(civic), [("*.py", "python"), ("registry/**.py", "python"), ("accounts/**.py", "python"), ("rulesconfig/**.py", "python")], keywords=KEYWORDS):
        catalog.add(message, None, [(filename, lineno)], context=context)
    for sub in CORE_TEMPLATE_DIRS:
        directory = ROOT / "templates" / sub if sub else ROOT / "templates"
        for filename, lineno, message, comments, context in extract_from_dir(str(directory), [("*.html", "jinja2")], OPTIONS, keywords=KEYWORDS):
            catalog.add(message, None, [(f"templates/{sub}/{filename}", lineno)], context=context)


def catalogue_path(name: str, locale: str) -> Path:
    base = ROOT / "civic" / ("translations" if name == "core" else f"{name}/translations")
    return base / locale / "LC_MESSAGES" / "messages.po"


def update(name: str, write: bool = True) -> list[str]:
    template = template_catalog(name)
    missing = []
    for locale in ("zh_CN", "en"):
        path = catalogue_path(name, locale)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="civic", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if locale == "zh_CN":
            missing += [f"{name}: {m.id!r}" for m in catalog if m.id and (not m.string or m.fuzzy)]
        if not write:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False, sort_output=True, include_lineno=False)
    return missing


def main() -> int:
    names = ["core"] + [m for m in MODULES if (ROOT / "civic" / m).exists()]
    chosen = [a for a in sys.argv[1:] if not a.startswith("--")]
    if chosen:  # only these catalogues (e.g. `scripts/i18n.py elections`)
        names = [n for n in names if n in chosen]
    missing = []
    for name in names:
        missing += update(name, write="--dry-run" not in sys.argv)
    if "--check" in sys.argv and missing:
        print("untranslated zh_CN entries:")
        print("\n".join(missing))
        return 1
    print(f"{len(missing)} zh_CN entries still need a translation")
    for line in missing[:400]:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
