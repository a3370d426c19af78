"""Reading a published board without building each online ballot (what makes `civic verify` of a
million-ballot board take seconds rather than tens of seconds).

A board lists its online ballots one by one, but a real election has a few ten thousand distinct
ballots among a million: parsing each one builds some twenty million small objects, most of the time
and memory of a check. Here the list is read as text instead: cut into the ballots' texts, grouped by
text, each distinct text parsed once (board.group_texts' way). Everything else of the document is
parsed as usual.

Only ever a shortcut: `read` answers None for anything it cannot prove to be read exactly as
orjson.loads would read the whole document, and the caller then parses it whole. The proof, for a
document D = prefix + L + suffix where L is the text taken for the list:

- the rest, prefix + "[]" + suffix, parses to an object whose "online_ballots" is [], and the suffix
  is byte for byte the canonical text of that object's members after "online_ballots" followed by
  "}". Each such member's text is balanced, so the suffix closes exactly one container: the "[]" is
  a value of the top-level object, not of something nested in it, and the last member of that name;
- L is "[{" + p1 + "},{" + p2 + … + "}]" and every "{" + pi + "}" parses as JSON on its own. Reading
  from the start of L, the first cut that fell inside a string or a nested value would leave the piece
  before it unterminated or unbalanced, which does not parse; so every cut is between two elements
  and L is a well-formed array of these objects;
- a well-formed value put in place of another well-formed value leaves the text around it read the
  same, so D parses to the rest's object with the pieces as its online ballots.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, NamedTuple

from civic.elections import board

_START = b',"online_ballots":[{'  # canonical JSON: no spaces, members in key order
_END = b'}],"result":'
_CUT = b"},{"


class Listed(NamedTuple):
    """A board's online ballots as read from its text: how many are listed, H() of the list as listed
    (in its order), and the ballots grouped for counting."""

    count: int
    digest: str
    grouped: board.GroupedBallots


def read(raw: bytes) -> tuple[dict, Listed] | None:
    """(the board without its online ballots — "online_ballots" is [] —, the ballots) or None."""
    orjson = board.orjson
    if orjson is None:
        return None
    start = raw.find(_START)
    end = raw.find(_END, start) if start >= 0 else -1
    if end < 0:
        return None
    opening, closing = start + len(_START) - 2, end + 2  # the list's "[" and one past its "]"
    rest = _rest(raw, opening, closing)
    if rest is None:
        return None
    listed = _ballots(raw[opening + 2:closing - 2], raw, opening, closing)
    return None if listed is None else (rest, listed)


def _rest(raw: bytes, opening: int, closing: int) -> dict | None:
    orjson = board.orjson
    try:
        doc = orjson.loads(b"".join((raw[:opening], b"[]", raw[closing:])))
        if type(doc) is not dict or doc.get("online_ballots") != [] or "signature" in doc:
            return None  # (a signature is over the whole text: a signed board is read whole)
        after = [b"," + orjson.dumps(key) + b":" + orjson.dumps(doc[key], option=orjson.OPT_SORT_KEYS)
                 for key in sorted(doc) if key > "online_ballots"]
    except (ValueError, TypeError):  # not JSON, or a value orjson cannot write back
        return None
    return doc if raw[closing:] == b"".join(after) + b"}" else None


def _ballots(inner: bytes, raw: bytes, opening: int, closing: int) -> Listed | None:
    pieces = inner.split(_CUT)
    parsed: list[tuple[Any, bytes, bool, bool, int]] = []
    canonical, sections = {}, {}
    for piece, n in Counter(pieces).items():
        text = b"{" + piece + b"}"
        try:
            read = board._read_ballot(text.decode(), sections)  # as counting at close reads the stored texts
        except (ValueError, RecursionError):  # not JSON on its own: a cut fell inside a ballot
            return None
        if not read[2]:  # read by json, not orjson: the whole document's reading could differ
            return None
        parsed.append((*read, n))
        if read[1] != text:
            canonical[piece] = read[1]
    if canonical:  # some ballot not written canonically: hash the list as canon() writes it
        texts = [canonical.get(piece) or b"{" + piece + b"}" for piece in pieces]
        digest = hashlib.sha256(b"[" + b",".join(texts) + b"]").hexdigest()
    else:
        digest = hashlib.sha256(memoryview(raw)[opening:closing]).hexdigest()
    return Listed(len(pieces), digest, board._group_parsed(parsed))
