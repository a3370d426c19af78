"""Fill zh_CN translations from a tab-separated file: `msgid<TAB>msgstr` per line.

    python scripts/i18n_fill.py elections translations.tsv   # or "core"
Run scripts/i18n.py first so the catalogue has the new msgids.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).parent))
from i18n import catalogue_path  # noqa: E402


def main() -> int:
    name, tsv = sys.argv[1], sys.argv[2]
    pairs = {}
    for line in Path(tsv).read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            msgid, msgstr = line.split("\t", 1)
            pairs[msgid.replace("\\n", "\n")] = msgstr.replace("\\n", "\n")
    path = catalogue_path(name, "zh_CN")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    filled = 0
    for message in catalog:
        if message.id in pairs:
            message.string = pairs[message.id]
            message.flags.discard("fuzzy")
            filled += 1
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=True, include_lineno=False)
    print(f"{filled} of {len(pairs)} filled in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
