"""The public election board, contract civic-election-board/1 (shared/contracts/election-board.md).

A board is one JSON document per closed round: a hash chain of entries (one per online ballot, per
paper ballot read out, per box counted whole, and a final `close`), the sorted contents of the online
ballots, and the result. Anyone can check the chain and recount without trusting the server; this
module is both the writer's toolkit (make_entry, close_entry, build_board) and the reference verifier
used by ``civic verify BOARD.json`` (check_chain, recount, verify, main_verify).

Pure apart from main_verify, which reads one file and prints. Counting itself lives in
civic.elections.rules.count_round: one implementation for the service and the verifier.

Speed: a board of a million entries is checked in seconds. Online entries (the bulk) are hashed from
a fixed template that is byte-identical to canon(); other hashes use orjson when it is installed,
and anything that does not match is recomputed with canon() before it is reported, so a fast encoder
never makes an intact board fail. (The one thing it could let through is a board hashed with an
encoder that writes floats or NaN differently from Python's json — values no valid board contains.)
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, compress, count, repeat
from json.encoder import encode_basestring
from operator import itemgetter, ne
from typing import Any, NamedTuple, TextIO

from civic.elections.rules import count_round, gc_paused, normalise_name

try:  # optional: several times faster for loading and hashing large boards
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None

__all__ = [
    "FORMAT",
    "H",
    "GroupedBallots",
    "build_board",
    "canon",
    "check_chain",
    "close_entry",
    "genesis",
    "group_texts",
    "main_verify",
    "make_entry",
    "normalise_name",
    "recount",
    "sign",
    "sort_ballots",
    "verify",
]

FORMAT = "civic-election-board/1"

# The fields each kind of entry carries besides seq, prev, kind and hash.
ENTRY_FIELDS: dict[str, tuple[str, ...]] = {
    "online": ("tracking_code",),
    "paper": ("box", "ballot"),
    "box": ("box", "tally"),
    "close": ("issued", "online_ballots"),
}

_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_MAX_LISTED = 20  # entry problems listed one by one before the rest are summed up


# --------------------------------------------------------------------------------------------------
# Canonical JSON and hashes
# --------------------------------------------------------------------------------------------------


def canon(x: Any) -> bytes:
    """json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":")) in UTF-8.
    (A prebuilt encoder with the same options: identical output, less set-up per call.)"""
    return _ENCODER.encode(x).encode("utf-8")


def H(x: Any) -> str:
    """sha256(canon(x)) as hex."""
    return hashlib.sha256(canon(x)).hexdigest()


def _H_fast(x: Any) -> str:
    """H(x) through orjson when installed; equal to H(x) for every valid board value."""
    if orjson is not None:
        try:
            return hashlib.sha256(orjson.dumps(x, option=orjson.OPT_SORT_KEYS)).hexdigest()
        except TypeError:  # orjson.JSONEncodeError: big integers, lone surrogates, odd keys
            pass
    return H(x)


def _H_is(x: Any, expected: Any) -> bool:
    """H(x) == expected, trying the fast encoder first and confirming a mismatch with canon()."""
    try:
        if _H_fast(x) == expected:
            return True
        return orjson is not None and H(x) == expected
    except (TypeError, ValueError, RecursionError):  # not encodable as canonical JSON at all
        return False


_ONLINE_KEYS = frozenset({"seq", "prev", "kind", "tracking_code", "hash"})
_ONLINE_TEMPLATE = '{"kind":"online","prev":%s,"seq":%d,"tracking_code":%s}'
_HEX_DIGEST = re.compile("[0-9a-f]{64}")
_ONLINE_LINKED = '{"kind":"online","prev":"%s","seq":%d,"tracking_code":%s}'  # prev: a hex digest
_ONLINE_FIELDS = itemgetter("kind", "seq", "prev", "tracking_code", "hash")


def _entry_hash_ok(entry: dict) -> bool:
    """entry["hash"] == H(entry without "hash"). Online entries take the template: its keys are
    already in sorted order and encode_basestring is the string encoder canon() itself uses."""
    stored = entry.get("hash")
    if entry.keys() == _ONLINE_KEYS and entry["kind"] == "online":
        seq, prev, code = entry["seq"], entry["prev"], entry["tracking_code"]
        if type(seq) is int and type(prev) is str and type(code) is str:
            text = _ONLINE_TEMPLATE % (encode_basestring(prev), seq, encode_basestring(code))
            try:
                return hashlib.sha256(text.encode("utf-8")).hexdigest() == stored
            except UnicodeEncodeError:
                return False
    return _H_is({k: v for k, v in entry.items() if k != "hash"}, stored)


def genesis(election: dict, sections: list) -> str:
    """The `prev` of the first entry: H({"election": election, "sections": sections})."""
    return H({"election": election, "sections": sections})


# --------------------------------------------------------------------------------------------------
# Writing a board
# --------------------------------------------------------------------------------------------------


def make_entry(prev: str, seq: int, kind: str, **fields: Any) -> dict:
    """One chain entry with its hash. `fields` are exactly those of the kind (ENTRY_FIELDS)."""
    if kind not in ENTRY_FIELDS:
        raise ValueError(f"unknown entry kind {kind!r}")
    if set(fields) != set(ENTRY_FIELDS[kind]):
        raise ValueError(f"a {kind} entry takes {sorted(ENTRY_FIELDS[kind])}, not {sorted(fields)}")
    entry = {"seq": seq, "prev": prev, "kind": kind, **fields}
    entry["hash"] = H(entry)
    return entry


def sort_ballots(ballots: Sequence) -> list:
    """Ballots in the order of their canonical JSON: reveals nothing of who cast which, or when."""
    return sorted(ballots, key=canon)


def _ballots_hash(ballots: Sequence) -> str:
    """H(sort_ballots(ballots)); a list's canonical text is its items' texts joined by commas."""
    texts = sorted(map(canon, ballots))
    return hashlib.sha256(b"[" + b",".join(texts) + b"]").hexdigest()


class GroupedBallots(NamedTuple):
    """Online ballots grouped by content (see group_texts): each distinct ballot once, in the order of
    its canonical text — the order of sort_ballots() — with that text and how often it was cast."""

    ballots: list
    texts: list[bytes]  # canon() of each ballot, ascending
    weights: list[int]

    def expand(self) -> list:
        """sort_ballots() of all the ballots: each distinct one repeated (the same object) as often as cast."""
        return list(chain.from_iterable(map(repeat, self.ballots, self.weights)))

    def digest(self) -> str:
        """H(self.expand()), hashed from the canonical texts without encoding a ballot again."""
        digest, separator = hashlib.sha256(b"["), b""
        for text, n in zip(self.texts, self.weights):
            if n <= 0:
                continue
            digest.update(separator + text)
            separator, n, piece = b",", n - 1, b"," + text
            while n > 0:  # in slices: a group may be hundreds of thousands of blank ballots
                step = min(n, 4096)
                digest.update(piece * step)
                n -= step
        digest.update(b"]")
        return digest.hexdigest()


def group_texts(texts: Iterable[str | bytes]) -> GroupedBallots:
    """Online ballots as stored (JSON texts; canonical ones, so identical choices share one text) grouped
    before anything is parsed: a Counter of the texts, then each distinct text parsed once (exactly as
    json.loads parses it, see _parse_canon) and put in canonical order. Two different texts of the same
    ballot (not written by this code base) end up as one group, as sort_ballots() would make them
    neighbours. Counting the groups with their weights gives exactly the count of the ballots one by one.

    Equal sections of different ballots are one shared object (a million ballots of a real election have
    a few ten thousand distinct contents, but only hundreds of distinct sections): a fraction of the
    objects to make, keep and collect. The ballots are for reading: changing one would change others."""
    with gc_paused():  # the parsed ballots are acyclic; collections would walk everything else alive
        return _group_texts(texts)


def _group_texts(texts: Iterable[str | bytes]) -> GroupedBallots:
    sections: dict[str, Any] = {}
    return _group_parsed((*_read_ballot(text, sections), n) for text, n in Counter(texts).items())


def _read_ballot(text: str | bytes, sections: dict[str, Any]) -> tuple[Any, bytes, bool, bool]:
    """(json.loads(text), canon() of it, whether it was read the fast way, whether its equal sections are one
    object already): cut into its sections when it has the shape ballots are stored in (_parse_sectioned, its
    sections kept in `sections`), else _parse_canon."""
    found = _parse_sectioned(text, sections)
    return (*found, True, True) if found is not None else (*_parse_canon(text), False)


def _group_parsed(parsed: Iterable[tuple[Any, bytes, bool, bool, int]]) -> GroupedBallots:
    """GroupedBallots from _read_ballot's (ballot, canonical text, fast, shared) and the times cast, of each
    distinct text."""
    groups: dict[bytes, list] = {}
    shared: dict[bytes, Any] = {}
    for ballot, key, plain, shared_already, n in parsed:
        group = groups.get(key)
        if group is not None:
            group[1] += n
            continue
        if plain and not shared_already and type(ballot) is dict:  # equal orjson texts: equal values of equal types
            for sid, part in ballot.items():
                ballot[sid] = shared.setdefault(orjson.dumps(part), part)
        groups[key] = [ballot, n]
    keys = sorted(groups)
    return GroupedBallots([groups[k][0] for k in keys], keys, [groups[k][1] for k in keys])


# Where orjson reads or writes a JSON text differently from json/canon(): float literals (a digit followed by
# ".", "e" or "E"; canon() writes some floats differently) and integers of 19 digits or more (orjson reads those
# beyond 64 bits as floats). A match inside a string merely takes the slower way.
_NOT_PLAIN = re.compile(r"[0-9](?:[.eE]|[0-9]{18})")


# A ballot as castqueue stores it: {"sid":{...},...}, sections in key order, each a flat object (no brace inside
# it, in its strings neither), section ids needing no escape. A million ballots have tens of thousands of distinct
# texts but only hundreds of distinct sections: such a text is cut into its sections without being parsed, and
# each distinct section text is parsed once.
_SECTIONED = re.compile(r'\{"[^"\\\x00-\x1f]*":\{[^{}]*\}(?:,"[^"\\\x00-\x1f]*":\{[^{}]*\})*\}')
_SECTION = re.compile(r'"([^"\\\x00-\x1f]*)":(\{[^{}]*\})')


def _parse_sectioned(text: Any, sections: dict[str, Any]) -> tuple[dict, bytes] | None:
    """(json.loads(text), canon() of it) when `text` is canonical JSON of that shape (canon() of the ballot is
    then the text itself); None for any other text. The ballot is built from its sections' values, kept in
    `sections`, one object per distinct section text: read them, never change them. The shape makes the first
    "}" after a section's "{" its end, so a section text that parses as a canonical object is its value."""
    if type(text) is not str or _SECTIONED.fullmatch(text) is None:
        return None
    ballot: dict[str, Any] = {}
    last = None
    for sid, part in _SECTION.findall(text):
        value = sections.get(part)
        if value is None:
            value = sections[part] = _canonical_section(part)
        if value is False or (last is not None and sid <= last) or _NOT_PLAIN.search(sid):
            return None  # not canonical (keys out of order, repeated), or not the fast way's to read
        ballot[sid] = value
        last = sid
    try:
        return ballot, text.encode()
    except UnicodeEncodeError:  # a lone surrogate has no canonical text: _parse_canon says so
        return None


def _canonical_section(part: str) -> Any:
    """A section text's value when it is a plain canonical JSON object (see _parse_canon), else False."""
    try:
        value, key, plain = _parse_canon(part)
    except (ValueError, RecursionError):
        return False
    return value if plain and type(value) is dict and key == part.encode() else False


def _parse_canon(text: str | bytes) -> tuple[Any, bytes, bool]:
    """json.loads(text), canon() of it, and whether it was read the fast way. A text without float literals
    or long integers is read by orjson as json.loads reads it (objects, arrays, strings, 64-bit integers,
    true, false, null; what orjson refuses — NaN, a lone surrogate, a BOM, deep nesting — goes the slow way)
    and encoded with sorted keys exactly as canon() encodes it: same escapes, same key order, no spaces
    (tests/elections/test_count_texts.py). That is a third of the time of json.loads and canon(). Anything
    else, or no orjson, takes json.loads and canon()."""
    if orjson is not None and type(text) is str and _NOT_PLAIN.search(text) is None:
        try:
            ballot = orjson.loads(text)
            return ballot, orjson.dumps(ballot, option=orjson.OPT_SORT_KEYS), True
        except (ValueError, TypeError):  # orjson.JSONDecodeError, orjson.JSONEncodeError
            pass
    ballot = json.loads(text)
    return ballot, canon(ballot), False


def close_entry(prev: str, seq: int, issued: dict, online_ballots: list | GroupedBallots) -> dict:
    """The last entry: ballots issued per channel and the hash of the sorted online ballots."""
    digest = online_ballots.digest() if isinstance(online_ballots, GroupedBallots) else _ballots_hash(online_ballots)
    return make_entry(prev, seq, "close", issued=issued, online_ballots=digest)


def build_board(election: dict, sections: list, entries: list, online_ballots: list | GroupedBallots) -> dict:
    """The complete document, its `result` counted from its own content. Raises ValueError when the
    entries do not form an intact chain ending in `close` over these online ballots.

    Given GroupedBallots, the board lists them expanded and counts each distinct ballot once with its
    weight (the result is the one a recount of the board gives)."""
    entries = list(entries)
    grouped = online_ballots if isinstance(online_ballots, GroupedBallots) else None
    doc = {
        "format": FORMAT,
        "election": election,
        "sections": sections,
        "entries": entries,
        "online_ballots": grouped.expand() if grouped is not None else sort_ballots(online_ballots),
        "head": entries[-1]["hash"] if entries else genesis(election, sections),
    }
    problems = check_chain(doc)
    if problems:
        raise ValueError("the board's chain is not intact: " + "; ".join(problems[:5]))
    doc["result"] = recount(doc, grouped)
    return doc


def sign(doc: dict, private_key: Any) -> dict:
    """A copy of `doc` with an Ed25519 "signature" over canon(doc without "signature").
    `private_key` is a cryptography Ed25519PrivateKey or its 32 raw bytes."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    if isinstance(private_key, (bytes, bytearray)):
        private_key = Ed25519PrivateKey.from_private_bytes(bytes(private_key))
    body = {k: v for k, v in doc.items() if k != "signature"}
    public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    value = private_key.sign(canon(body))
    return {**body, "signature": {"alg": "ed25519", "public_key": public.hex(), "value": value.hex()}}


# --------------------------------------------------------------------------------------------------
# Checking the chain (contract, Counting point 1)
# --------------------------------------------------------------------------------------------------


class _Problems(list):
    """A list of problems in which per-entry problems are listed up to a limit, then counted."""

    def __init__(self) -> None:
        super().__init__()
        self.unlisted = 0
        self.listed_entries = 0

    def entry(self, seq: int, message: str) -> None:
        if self.listed_entries < _MAX_LISTED:
            self.listed_entries += 1
            self.append(f"entry {seq}: {message}")
        else:
            self.unlisted += 1

    def close_list(self) -> list[str]:
        if self.unlisted:
            self.append(f"... and {self.unlisted} more entry problems")
        return list(self)


def check_chain(doc: Any, listed: Any = None) -> list[str]:
    """Why `doc` is not an intact board (contract point 1), or [] when it is.

    Checks the format, every prev/hash link from the genesis hash, seq numbering, that each entry is
    of a known kind with its fields, that `close` is unique and last, the head, the number of online
    ballots and their hash — and the signature when the document carries one. `listed`: the online
    ballots as boardtext.read() found them, when the document was read without them.
    """
    if not isinstance(doc, dict):
        return ["the board is not a JSON object"]
    problems = _Problems()
    if doc.get("format") != FORMAT:
        problems.append(f"format is {doc.get('format')!r}, expected {FORMAT!r}")
    shapes = {"election": dict, "sections": list, "entries": list, "online_ballots": list}
    missing = [key for key, shape in shapes.items() if not isinstance(doc.get(key), shape)]
    if missing:
        return [*problems, *(f"{key!r} is missing or of the wrong JSON type" for key in missing)]
    entries, online_ballots = doc["entries"], doc["online_ballots"]
    try:
        prev = genesis(doc["election"], doc["sections"])
    except (TypeError, ValueError, RecursionError) as error:
        return [*problems, f"election and sections cannot be hashed: {error}"]
    with gc_paused():
        online, closes = _walk(entries, prev, problems)
    last_hash = entries[-1].get("hash") if entries and isinstance(entries[-1], dict) else None
    if not entries:
        problems.append("the board has no entries (it must end with a close entry)")
    elif doc.get("head") is None or doc.get("head") != last_hash:
        problems.append("head is not the hash of the last entry")
    if len(closes) != 1:
        problems.append(f"there must be exactly one close entry, found {len(closes)}")
    if closes and closes[-1] != len(entries):
        problems.append(f"the close entry (seq {closes[-1]}) is not the last entry")
    listed_count = len(online_ballots) if listed is None else listed.count
    if listed_count != online:
        problems.append(f"{listed_count} online ballots listed for {online} online entries")
    if closes:
        expected = entries[closes[-1] - 1].get("online_ballots")
        with gc_paused():
            if not (_H_is(online_ballots, expected) if listed is None else listed.digest == expected):
                problems.append("the online ballots do not match the hash in the close entry")
    if "signature" in doc:
        problems.extend(_signature_problems(doc))  # (boardtext.read leaves signed boards to be read whole)
    return problems.close_list()


def _walk(entries: list, prev: str, problems: _Problems) -> tuple[int, list[int]]:
    """Follow the chain; returns the number of online entries and the seqs of close entries."""
    online = 0
    closes: list[int] = []
    sha256 = hashlib.sha256
    hex_prev = _HEX_DIGEST.fullmatch(prev) is not None  # the genesis hash, then each digest matched
    for seq, entry in enumerate(entries, 1):
        # The bulk of a board: a well-formed online entry that links, checked in one go.
        if type(entry) is dict and entry.keys() == _ONLINE_KEYS:
            kind, number, link, code, digest = _ONLINE_FIELDS(entry)
            if kind == "online" and number == seq and link == prev and hex_prev and type(number) is int and type(code) is str:
                # link == prev, a hex digest: written into the JSON text as it is, nothing to escape
                text = _ONLINE_LINKED % (link, number, encode_basestring(code))
                try:
                    if sha256(text.encode("utf-8")).hexdigest() == digest:
                        online += 1
                        prev = digest
                        continue
                except UnicodeEncodeError:  # a lone surrogate: no canonical form; reported below
                    pass
        online += _check_entry(seq, entry, prev, problems, closes)
        prev = entry.get("hash") if type(entry) is dict else None
        hex_prev = type(prev) is str and _HEX_DIGEST.fullmatch(prev) is not None
    return online, closes


def _check_entry(seq: int, entry: Any, prev: Any, problems: _Problems, closes: list[int]) -> int:
    """The careful check of one entry: reports each problem; returns 1 for an online entry."""
    if type(entry) is not dict:
        problems.entry(seq, "is not a JSON object")
        return 0
    kind = entry.get("kind")
    if kind == "close":
        closes.append(seq)
    if entry.get("seq") != seq or type(entry.get("seq")) is not int:
        problems.entry(seq, f"seq is {entry.get('seq')!r}, expected {seq}")
    if entry.get("prev") != prev:
        problems.entry(seq, "prev is not the hash of the entry before it")
    if kind not in ENTRY_FIELDS:
        problems.entry(seq, f"unknown kind {kind!r}")
    elif not all(field in entry for field in ENTRY_FIELDS[kind]):
        problems.entry(seq, f"a {kind} entry needs {', '.join(ENTRY_FIELDS[kind])}")
    if not _entry_hash_ok(entry):
        problems.entry(seq, "hash does not match the entry's content")
    return 1 if kind == "online" else 0


def _signature_problems(doc: dict) -> list[str]:
    """Check the optional Ed25519 signature over canon(document without "signature")."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return ["signature present but cryptography not installed"]
    signature = doc["signature"]
    if not isinstance(signature, dict) or signature.get("alg") != "ed25519":
        return ["signature: only {\"alg\": \"ed25519\"} is known"]
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(signature["public_key"]))
        value = bytes.fromhex(signature["value"])
    except (KeyError, TypeError, ValueError):
        return ["signature: public_key or value is not valid hex of the right length"]
    body = {k: v for k, v in doc.items() if k != "signature"}
    candidates = [lambda: orjson.dumps(body, option=orjson.OPT_SORT_KEYS)] if orjson is not None else []
    for message in [*candidates, lambda: canon(body)]:  # fast encoding first, canon() decides
        try:
            key.verify(value, message())
            return []
        except (InvalidSignature, TypeError, ValueError, RecursionError):
            continue
    return ["signature does not match the document"]


# --------------------------------------------------------------------------------------------------
# Recount and verify
# --------------------------------------------------------------------------------------------------


def _group_adjacent(ballots: list) -> tuple[list, list[int]]:
    """Runs of equal neighbours as (one ballot per run, run lengths). Published ballots are sorted,
    so identical ballots are neighbours and are counted once, then multiplied."""
    if not ballots:
        return [], []
    starts = [0, *compress(count(1), map(ne, ballots, ballots[1:]))]
    ends = starts[1:] + [len(ballots)]
    return [ballots[i] for i in starts], [e - s for s, e in zip(starts, ends)]


def recount(doc: dict, grouped: GroupedBallots | None = None) -> dict:
    """The `result` the contract's Counting section gives for this board (points 2–6).
    Meaningful only for an intact board (see check_chain). Raises ValueError, KeyError or TypeError
    for content that cannot be counted. `grouped`, when the caller has it (build_board), is the
    board's online ballots already grouped: counted as they are instead of grouping them again."""
    election = doc["election"]
    with gc_paused():
        paper, boxes, issued, ballots, weights = _gather(doc, grouped)
    return count_round(
        election.get("rules"),
        doc["sections"],
        ballots,
        paper,
        boxes,
        registered=election["registered_voters"],
        issued=issued,
        round_no=election.get("round", 1),
        weights=weights,
    )


def _gather(doc: dict, grouped: GroupedBallots | None = None) -> tuple[list, list, int, list, list[int] | None]:
    """What counting needs from a board: paper ballots, box tallies, ballots issued, and the online
    ballots grouped into runs of identical neighbours (or as they are, when they rarely repeat), or
    as `grouped` has them."""
    entries = doc["entries"]
    kinds = list(map(itemgetter("kind"), entries))
    paper = [e["ballot"] for e in compress(entries, map("paper".__eq__, kinds))]
    boxes = [e["tally"] for e in compress(entries, map("box".__eq__, kinds))]
    close = entries[len(kinds) - 1 - kinds[::-1].index("close")]
    issued = sum(_whole(v) for v in close["issued"].values())
    if grouped is not None:
        return paper, boxes, issued, grouped.ballots, grouped.weights
    ballots = doc["online_ballots"]
    if not _repeats_often(ballots):  # grouping would cost more than it saves
        return paper, boxes, issued, ballots, None
    reps, weights = _group_adjacent(ballots)
    return paper, boxes, issued, reps, weights


def _repeats_often(ballots: list, sample: int = 20_000) -> bool:
    """Whether, judging by evenly spread samples of neighbours, at least three in four sorted
    ballots equal the one before them."""
    step = max(1, len(ballots) // sample)
    picks = range(1, len(ballots), step)
    equal = sum(ballots[i] == ballots[i - 1] for i in picks)
    return equal * 4 >= len(picks) * 3 > 0


def _whole(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"issued count is not a whole number: {value!r}")
    return value


def verify(doc: Any, listed: Any = None) -> tuple[bool, dict | None, list[str]]:
    """(intact and recount equals the published result, the recount or None, problems). `listed`: see
    check_chain."""
    problems = check_chain(doc, listed)
    if problems:
        return False, None, problems
    try:
        result = recount(doc, None if listed is None else listed.grouped)
    except (ValueError, KeyError, TypeError, IndexError) as error:
        return False, None, [f"cannot recount: {error}"]
    published = doc.get("result")
    if published is None:
        problems.append("the board has no result")
    elif not _same(result, published):
        problems.extend(_differences(result, published))
    return not problems, result, problems


def _same(a: Any, b: Any) -> bool:
    try:
        return canon(a) == canon(b)
    except (TypeError, ValueError, RecursionError):
        return False


def _differences(recounted: dict, published: Any) -> list[str]:
    """Where the published result departs from the recount, field by field."""
    if not isinstance(published, dict):
        return ["the published result is not a JSON object"]
    out = []
    for key in ("valid", "reason", "registered", "issued", "returned"):
        if not _same(recounted[key], published.get(key)):
            out.append(f"result.{key}: published {published.get(key)!r}, recount {recounted[key]!r}")
    theirs = published.get("sections") if isinstance(published.get("sections"), dict) else {}
    for sid, ours in recounted["sections"].items():
        section = theirs.get(sid) if isinstance(theirs.get(sid), dict) else {}
        for key, value in ours.items():
            if not _same(value, section.get(key)):
                out.append(f"result.sections.{sid}.{key}: published {section.get(key)!r}, recount {value!r}")
    for sid in theirs:
        if sid not in recounted["sections"]:
            out.append(f"result.sections.{sid}: published, but no such section")
    for key in published:
        if key not in recounted:
            out.append(f"result.{key}: not part of a result")
    return out or ["the published result differs from the recount"]


# --------------------------------------------------------------------------------------------------
# civic verify BOARD.json
# --------------------------------------------------------------------------------------------------


def _loads(raw: bytes) -> Any:
    """Parse JSON, with orjson when installed (it refuses a few things json accepts, e.g. NaN)."""
    with gc_paused():
        if orjson is not None:
            try:
                return orjson.loads(raw)
            except ValueError:
                pass
        return json.loads(raw)


def main_verify(path: str, out: TextIO | None = None) -> int:
    """`civic verify BOARD.json`: print what was checked and the recount; exit status 0 when the
    chain is intact and the recount equals the published result, 1 when not, 2 when the file cannot
    be read or is not JSON."""
    out = out if out is not None else sys.stdout

    def say(line: str = "") -> None:
        print(line, file=out)

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        say(f"civic verify: cannot read {path}: {error.strerror or error}")
        return 2
    with gc_paused():  # a board is acyclic data: no collection ever needs to walk it
        return _verify_bytes(path, raw, say)


def _verify_bytes(path: str, raw: bytes, say) -> int:
    from civic.elections import boardtext

    try:
        doc, listed = boardtext.read(raw) or (None, None)
    except Exception:  # the shortcut is only ever that: whatever it trips on, the whole parse says  # noqa: BLE001
        doc, listed = None, None
    if listed is None:
        try:
            doc = _loads(raw)
        except (ValueError, RecursionError) as error:
            say(f"civic verify: {path} is not valid JSON: {error}")
            return 2
    try:
        return _report(path, doc, say, listed)
    except Exception as error:  # never a traceback for an observer; say what broke
        say(f"FAILED: the board could not be checked: {type(error).__name__}: {error}")
        return 1


def _report(path: str, doc: Any, say, listed: Any = None) -> int:
    say(f"civic verify: {path}")
    ok, result, problems = verify(doc, listed)
    if isinstance(doc, dict):
        _describe(doc, say)
    if problems:
        chain_broken = result is None
        say(f"chain           {'NOT INTACT' if chain_broken else 'intact'}")
        for problem in problems:
            say(f"  - {problem}")
    else:
        say("chain           intact: every prev/hash link holds, seq 1..n, close last, head matches")
        say(f"online ballots  {len(doc['online_ballots']) if listed is None else listed.count}, hash matches the close entry")
        say(f"signature       {_signature_line(doc)}")
    if result is not None:
        _print_result(doc, result, say)
    if ok:
        say("OK: the board is intact and its published result equals the recount.")
        return 0
    if result is not None:
        say("FAILED: the published result differs from the recount (see above).")
    else:
        say("FAILED: the board is not intact; it has no valid recount.")
    return 1


def _describe(doc: dict, say) -> None:
    election = doc.get("election") if isinstance(doc.get("election"), dict) else {}
    say(f"format          {doc.get('format')}")
    say(
        f"election        {election.get('id')} {election.get('title', '')} ({election.get('community', '')}), "
        f"round {election.get('round')}, {election.get('registered_voters')} registered"
    )
    entries = doc.get("entries") if isinstance(doc.get("entries"), list) else []
    try:
        kinds = Counter(map(itemgetter("kind"), entries))
    except (KeyError, TypeError, IndexError):
        kinds = Counter(e.get("kind") for e in entries if isinstance(e, dict))
    detail = ", ".join(f"{kinds[k]} {k}" for k in ("online", "paper", "box", "close"))
    say(f"entries         {len(entries)} ({detail})")


def _signature_line(doc: dict) -> str:
    signature = doc.get("signature")
    if signature is None:
        return "none (the board is not signed)"
    return f"valid ed25519 signature by key {signature.get('public_key')}"


def _print_result(doc: dict, result: dict, say) -> None:
    names = {
        c.get("id"): c.get("name")
        for s in doc.get("sections", [])
        for c in (s.get("candidates", []) if isinstance(s, dict) else [])
        if isinstance(c, dict)
    }

    def who(person: str) -> str:
        return f"{person} {names[person]}" if person in names else person

    status = "valid" if result["valid"] else f"INVALID ({result['reason']}): nobody is elected"
    say(
        f"recount         {status}; registered {result['registered']}, issued {result['issued']}, "
        f"returned {result['returned']}"
    )
    titles = {s.get("id"): s for s in doc.get("sections", []) if isinstance(s, dict)}
    for sid, section in result["sections"].items():
        info = titles.get(sid, {})
        elected = ", ".join(f"{who(p)} ({section['votes'].get(p, 0)})" for p in section["elected"]) or "none"
        tied = ", ".join(f"{who(p)} ({section['votes'].get(p, 0)})" for p in section["tied"]) or "none"
        say(
            f"  {sid} {info.get('title', '')} (seats {info.get('seats')}): elected {elected}; "
            f"tied {tied}; unfilled {section['unfilled']}"
        )
        ranked = sorted(section["votes"].items(), key=lambda pv: (-pv[1], pv[0]))
        shown = ", ".join(f"{who(p)} {v}" for p, v in ranked[:12])
        more = f", and {len(ranked) - 12} more" if len(ranked) > 12 else ""
        say(f"      votes: {shown or 'none'}{more}; invalid {section['invalid']}")
