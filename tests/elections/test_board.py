"""civic.elections.board: the civic-election-board/1 contract, its chain checks, recount and CLI."""
from __future__ import annotations

import builtins
import hashlib
import io
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from civic.elections import board
from civic.elections.board import (
    FORMAT,
    H,
    build_board,
    canon,
    check_chain,
    close_entry,
    genesis,
    main_verify,
    make_entry,
    recount,
    sort_ballots,
    verify,
)
from civic.elections.rules import count_round
from tests.elections.test_rules import RULES, rounds

# --------------------------------------------------------------------------------------------------
# A small board built entry by entry, its result worked out by hand
# --------------------------------------------------------------------------------------------------

ELECTION = {
    "id": "e-2026-test-01",
    "community": "安和社区",
    "title": "第十二届居民委员会选举",
    "round": 1,
    "registered_voters": 12,
    "rules": {"quorum": [1, 2], "win": [1, 2], "runoff_win": [1, 3]},
}
SECTIONS = [
    {"id": "chair", "title": "主任", "seats": 1, "candidates": [{"id": "c1", "name": "王建国"}, {"id": "c2", "name": "李秀英"}]},
    {
        "id": "member",
        "title": "委员",
        "seats": 2,
        "candidates": [{"id": "c3", "name": "张伟"}, {"id": "c4", "name": "刘洋"}, {"id": "c5", "name": "陈静"}],
    },
]


def ballot(chair=(), member=(), chair_write=(), member_write=(), chair_oppose=()):
    return {
        "chair": {"approve": list(chair), "oppose": list(chair_oppose), "write_in": list(chair_write)},
        "member": {"approve": list(member), "oppose": [], "write_in": list(member_write)},
    }


ONLINE = [
    ballot(chair=["c1"], member=["c3", "c4"]),
    ballot(chair=["c1"], member=["c3"], chair_oppose=["c2"]),
    ballot(chair_write=["　王建国 "], member=["c4"], member_write=["赵六"]),  # write-in = c1
    ballot(chair=["c2"], member=["c3", "c5"]),
]
PAPER = [
    ("box-1", ballot(chair=["c1"], member=["c3", "c4", "c5"])),  # member part overvoted
    ("box-1", None),  # spoiled
    ("box-2", ballot(chair=["c2"], member=["c3"])),
]
BOX = {
    "returned": 3,
    "invalid": 1,
    "sections": {
        "chair": {"invalid": 0, "votes": {"c1": 2}, "write_in": {}},
        "member": {"invalid": 1, "votes": {"c4": 1}, "write_in": {"赵六": 1}},
    },
}
ISSUED = {"online": 4, "box-1": 3, "box-2": 3}

# By hand: returned = 4 online + 3 paper + 3 in the box = 10 of 10 issued; 10 of 12 registered voted.
# chair:  c1 = 2 (online) + 1 (write-in) + 1 (paper) + 2 (box) = 6 > 10/2: elected; c2 = 1 + 1 = 2.
#         invalid = 1 null + 1 box whole = 2.
# member: c3 = 3 online + 1 paper = 4 (the overvoted paper part gives none); c4 = 2 online + 1 box = 3;
#         c5 = 1; write:赵六 = 1 online + 1 box = 2. Nobody has more than 5: no member elected.
#         invalid = 1 overvote + 1 null + 1 box whole + 1 box member = 4.
EXPECTED_RESULT = {
    "valid": True,
    "reason": None,
    "registered": 12,
    "issued": 10,
    "returned": 10,
    "sections": {
        "chair": {"votes": {"c1": 6, "c2": 2}, "invalid": 2, "elected": ["c1"], "tied": [], "unfilled": 0},
        "member": {
            "votes": {"c3": 4, "c4": 3, "c5": 1, "write:赵六": 2},
            "invalid": 4,
            "elected": [],
            "tied": [],
            "unfilled": 2,
        },
    },
}


def chain(election, sections, items, issued, online_ballots):
    """Entries for `items` of (kind, fields) followed by close."""
    entries, prev = [], genesis(election, sections)
    for seq, (kind, fields) in enumerate(items, 1):
        entries.append(make_entry(prev, seq, kind, **fields))
        prev = entries[-1]["hash"]
    entries.append(close_entry(prev, len(items) + 1, issued, online_ballots))
    return entries


def small_items():
    items = [("online", {"tracking_code": f"7K3M-Q9TX-{i:04d}"}) for i in range(2)]
    items += [("paper", {"box": box, "ballot": b}) for box, b in PAPER]
    items += [("online", {"tracking_code": f"7K3M-Q9TX-{i:04d}"}) for i in range(2, 4)]
    items += [("box", {"box": "box-3", "tally": BOX})]
    return items


def small_board():
    entries = chain(ELECTION, SECTIONS, small_items(), ISSUED, ONLINE)
    return build_board(ELECTION, SECTIONS, entries, ONLINE)


def rechain(doc, entries):
    """The same document over rewritten entries, every link and hash recomputed."""
    prev, out = genesis(doc["election"], doc["sections"]), []
    for seq, entry in enumerate(entries, 1):
        body = {k: v for k, v in entry.items() if k not in ("hash", "seq", "prev")}
        out.append(make_entry(prev, seq, body.pop("kind"), **body))
        prev = out[-1]["hash"]
    return {**doc, "entries": out, "head": prev}


def test_hand_built_board_counts_as_worked_out_by_hand():
    doc = small_board()
    assert doc["result"] == EXPECTED_RESULT
    assert verify(doc) == (True, EXPECTED_RESULT, [])
    assert doc["format"] == FORMAT and doc["head"] == doc["entries"][-1]["hash"]


def test_canon_and_hash_are_exactly_the_contract():
    value = {"b": [1, "王"], "a": {"z": None, "y": True}, "c": "\"\n\u2028"}
    expected = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    assert canon(value) == expected
    assert H(value) == hashlib.sha256(expected).hexdigest()
    assert genesis(ELECTION, SECTIONS) == H({"election": ELECTION, "sections": SECTIONS})


def test_entries_follow_the_contract():
    doc = small_board()
    first = doc["entries"][0]
    assert first["prev"] == genesis(ELECTION, SECTIONS) and first["seq"] == 1
    for entry in doc["entries"]:
        assert entry["hash"] == H({k: v for k, v in entry.items() if k != "hash"})
        assert set(entry) == {"seq", "prev", "kind", "hash", *board.ENTRY_FIELDS[entry["kind"]]}
    close = doc["entries"][-1]
    assert close["kind"] == "close" and close["issued"] == ISSUED
    assert doc["online_ballots"] == sorted(ONLINE, key=canon)
    assert close["online_ballots"] == H(doc["online_ballots"])


def test_make_entry_refuses_fields_of_another_kind():
    with pytest.raises(ValueError):
        make_entry("0" * 64, 1, "online", tracking_code="X", time="12:00")
    with pytest.raises(ValueError):
        make_entry("0" * 64, 1, "vote", tracking_code="X")


def test_sort_ballots_orders_by_canonical_bytes():
    ballots = [{"s": {"approve": ["b"]}}, {"s": {"approve": ["a"]}}, {"s": {"approve": ["王"]}}, {"s": {"approve": ["Z"]}}]
    assert [canon(b) for b in sort_ballots(ballots)] == sorted(canon(b) for b in ballots)


# --------------------------------------------------------------------------------------------------
# Tampering
# --------------------------------------------------------------------------------------------------


def fails(doc) -> bool:
    return verify(doc)[0] is False


def test_every_single_byte_change_is_caught():
    """Change any one byte of the published file: it no longer parses, or it no longer verifies."""
    text = canon(small_board())
    for i in range(len(text)):
        changed = text[:i] + bytes([text[i] ^ 0x01]) + text[i + 1 :]
        try:
            doc = json.loads(changed)
        except ValueError:
            continue
        assert fails(doc), f"byte {i} ({text[max(0, i - 20):i + 20]!r}) changed and still verifies"


def test_changed_tracking_code_breaks_that_entry():
    doc = small_board()
    doc["entries"][0]["tracking_code"] = "XXXX-Q9TX-0000"
    ok, result, problems = verify(doc)
    assert not ok and result is None
    assert problems == ["entry 1: hash does not match the entry's content"]


def test_reordered_entries_fail():
    doc = small_board()
    entries = doc["entries"]
    doc["entries"] = [entries[1], entries[0], *entries[2:]]
    ok, _, problems = verify(doc)
    assert not ok
    assert any("seq" in p for p in problems) and any("prev" in p for p in problems)


@pytest.mark.parametrize("canonical", [True, False])
def test_an_online_entry_after_a_non_hex_hash_is_hashed_canonically(canonical):
    """The walk writes a linked prev into the online template unescaped only when it is a hex digest:
    after an entry whose stored hash is something else, the next online entry's hash must still be
    checked over canon(), whether it was made that way (only entry 1 is wrong) or not (both are)."""
    doc = small_board()
    entries = doc["entries"]
    odd = 'x"y\\z\n'
    entries[0]["hash"] = odd
    entries[1]["prev"] = odd
    body = {k: v for k, v in entries[1].items() if k != "hash"}
    if canonical:
        entries[1]["hash"] = H(body)
    else:  # the prev written raw into the JSON text, quotes and all: not the canonical hash
        text = '{"kind":"online","prev":"%s","seq":2,"tracking_code":"%s"}' % (odd, body["tracking_code"])
        entries[1]["hash"] = hashlib.sha256(text.encode()).hexdigest()
    expected = ["entry 1: hash does not match the entry's content"]
    if not canonical:
        expected.append("entry 2: hash does not match the entry's content")
    expected.append("entry 3: prev is not the hash of the entry before it")  # entry 2's hash changed
    assert verify(doc)[2] == expected


def test_wrong_head_fails():
    doc = small_board()
    doc["head"] = doc["entries"][-2]["hash"]
    assert verify(doc)[2] == ["head is not the hash of the last entry"]


def test_close_not_last_fails_even_when_rechained():
    doc = small_board()
    entries = doc["entries"]
    doc = rechain(doc, [*entries[:2], entries[-1], *entries[2:-1]])
    problems = verify(doc)[2]
    assert problems == ["the close entry (seq 3) is not the last entry"]


def test_two_closes_fail():
    doc = small_board()
    doc = rechain(doc, [*doc["entries"], doc["entries"][-1]])
    assert "there must be exactly one close entry, found 2" in verify(doc)[2]


def test_online_ballot_count_mismatch_fails():
    """One online entry too many, everything else consistent (the close hash covers the 4 ballots)."""
    doc = small_board()
    extra = {"kind": "online", "tracking_code": "EXTRA-0000-0000"}
    doc = rechain(doc, [extra, *doc["entries"]])
    assert verify(doc)[2] == ["4 online ballots listed for 5 online entries"]


def test_dropped_online_ballot_fails():
    doc = small_board()
    doc["online_ballots"] = doc["online_ballots"][1:]
    problems = verify(doc)[2]
    assert "3 online ballots listed for 4 online entries" in problems
    assert "the online ballots do not match the hash in the close entry" in problems


def test_swapped_online_ballot_content_fails():
    doc = small_board()
    doc["online_ballots"][0] = ballot(chair=["c2"])
    assert verify(doc)[2] == ["the online ballots do not match the hash in the close entry"]


def test_changed_election_breaks_the_first_link():
    doc = small_board()
    doc["election"] = {**doc["election"], "registered_voters": 11}
    assert verify(doc)[2] == ["entry 1: prev is not the hash of the entry before it"]


def test_falsified_result_is_caught_with_the_difference():
    doc = small_board()
    doc["result"] = json.loads(json.dumps(doc["result"]))
    doc["result"]["sections"]["member"]["elected"] = ["c3"]
    ok, result, problems = verify(doc)
    assert not ok and result == EXPECTED_RESULT
    assert problems == ["result.sections.member.elected: published ['c3'], recount []"]


def test_not_a_board():
    assert check_chain([]) == ["the board is not a JSON object"]
    assert check_chain({"format": FORMAT}) == [
        "'election' is missing or of the wrong JSON type",
        "'sections' is missing or of the wrong JSON type",
        "'entries' is missing or of the wrong JSON type",
        "'online_ballots' is missing or of the wrong JSON type",
    ]
    doc = small_board()
    assert verify({**doc, "format": "civic-election-board/2"})[2] == [
        "format is 'civic-election-board/2', expected 'civic-election-board/1'"
    ]


def test_many_broken_entries_are_summed_up():
    doc = small_board()
    doc["entries"] = [dict(e, tracking_code="?") if e["kind"] == "online" else e for e in doc["entries"]] * 10
    problems = check_chain(doc)
    assert sum(p.startswith("entry ") for p in problems) == 20
    assert any(p.startswith("... and ") for p in problems)


def test_build_board_refuses_a_broken_chain():
    entries = chain(ELECTION, SECTIONS, small_items(), ISSUED, ONLINE)
    with pytest.raises(ValueError):
        build_board(ELECTION, SECTIONS, entries[:-1], ONLINE)
    with pytest.raises(ValueError):
        build_board(ELECTION, SECTIONS, entries, ONLINE[:3])


def test_uncountable_board_fails_cleanly():
    doc = small_board()
    box = next(e for e in doc["entries"] if e["kind"] == "box")
    doc = rechain(doc, [dict(e, tally={**BOX, "returned": "3"}) if e is box else e for e in doc["entries"]])
    ok, result, problems = verify(doc)
    assert not ok and result is None and problems[0].startswith("cannot recount:")


# --------------------------------------------------------------------------------------------------
# Invalid rounds and run-offs on the board
# --------------------------------------------------------------------------------------------------


def test_no_quorum_board_elects_nobody():
    election = {**ELECTION, "registered_voters": 20}
    entries = chain(election, SECTIONS, small_items(), ISSUED, ONLINE)
    doc = build_board(election, SECTIONS, entries, ONLINE)
    assert (doc["result"]["valid"], doc["result"]["reason"]) == (False, "no-quorum")
    assert all(s["elected"] == [] and s["tied"] == [] for s in doc["result"]["sections"].values())
    assert verify(doc)[0]


def test_over_issued_board():
    issued = {**ISSUED, "box-2": 2}
    entries = chain(ELECTION, SECTIONS, small_items(), issued, ONLINE)
    doc = build_board(ELECTION, SECTIONS, entries, ONLINE)
    assert doc["result"]["reason"] == "over-issued" and doc["result"]["issued"] == 9


def test_runoff_round_uses_one_third():
    election = {**ELECTION, "round": 2}
    doc = build_board(election, SECTIONS, chain(election, SECTIONS, small_items(), ISSUED, ONLINE), ONLINE)
    member = doc["result"]["sections"]["member"]
    # 4 of 10 is at least a third; 3 is not (3 * 3 < 10)
    assert member["elected"] == ["c3"] and member["unfilled"] == 1


# --------------------------------------------------------------------------------------------------
# Signature
# --------------------------------------------------------------------------------------------------


def test_signature_is_checked_when_present():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    doc = board.sign(small_board(), Ed25519PrivateKey.generate())
    assert verify(doc)[0]
    body = {k: v for k, v in doc.items() if k != "signature"}
    assert json.loads(json.dumps(doc)) == doc and canon(body) == canon(small_board())
    tampered = {**doc, "signature": {**doc["signature"], "value": "00" * 64}}
    assert verify(tampered)[2] == ["signature does not match the document"]
    other = board.sign(small_board(), bytes(range(32)))
    assert verify({**doc, "signature": other["signature"]})[0]
    assert verify({**doc, "signature": {**other["signature"], "public_key": doc["signature"]["public_key"]}})[0] is False
    assert verify({**doc, "signature": {"alg": "rsa"}})[2] == ['signature: only {"alg": "ed25519"} is known']
    assert "not valid hex" in verify({**doc, "signature": {"alg": "ed25519", "public_key": "zz", "value": ""}})[2][0]


def test_signature_without_cryptography(monkeypatch):
    doc = {**small_board(), "signature": {"alg": "ed25519", "public_key": "00", "value": "00"}}
    real_import = builtins.__import__

    def no_cryptography(name, *args, **kwargs):
        if name.startswith("cryptography"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cryptography)
    assert verify(doc)[2] == ["signature present but cryptography not installed"]


# --------------------------------------------------------------------------------------------------
# Random boards: build → verify, recount equals count_round over the same ballots
# --------------------------------------------------------------------------------------------------


def board_from_round(sections, online, paper, boxes, registered, issued, round_no):
    election = {"id": "e-x", "community": "c", "title": "t", "round": round_no, "registered_voters": registered, "rules": RULES}
    items = [("online", {"tracking_code": f"T{i}"}) for i in range(len(online))]
    items += [("paper", {"box": "box-1", "ballot": b}) for b in paper]
    items += [("box", {"box": f"box-{i + 2}", "tally": t}) for i, t in enumerate(boxes)]
    issued_by = {"online": len(online), "box-1": len(paper), **{f"box-{i + 2}": t["returned"] for i, t in enumerate(boxes)}}
    extra = issued - sum(issued_by.values())
    for channel in issued_by:  # fewer issued than returned: take them off the channels
        take = max(extra, -issued_by[channel])
        issued_by[channel] += take
        extra -= take
    issued_by["box-1"] += extra
    return build_board(election, sections, chain(election, sections, items, issued_by, online), online)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rounds(), st.data())
def test_random_boards_verify_and_any_entry_change_is_caught(case, data):
    sections, online, paper, boxes, registered, issued, round_no = case
    assume(issued >= 0)
    doc = board_from_round(*case)
    expected = count_round(RULES, sections, online, paper, boxes, registered=registered, issued=issued, round_no=round_no)
    assert doc["result"] == expected
    assert verify(json.loads(canon(doc))) == (True, expected, [])
    # change one entry's content (not its hash): that entry is reported
    k = data.draw(st.integers(0, len(doc["entries"]) - 1))
    entry = doc["entries"][k]
    field = data.draw(st.sampled_from(sorted(board.ENTRY_FIELDS[entry["kind"]])))
    changed = json.loads(canon(doc))
    changed["entries"][k][field] = ["tampered"]
    ok, _, problems = verify(changed)
    assert not ok and f"entry {k + 1}: hash does not match the entry's content" in problems


@given(st.text(), st.integers(0, 2**63 - 1), st.text())
def test_online_entry_template_is_canonical(prev, seq, code):
    entry = {"seq": seq, "prev": prev, "kind": "online", "tracking_code": code}
    try:
        expected = H(entry)
    except UnicodeEncodeError:  # lone surrogates: not encodable at all
        return
    assert board._entry_hash_ok({**entry, "hash": expected})
    assert not board._entry_hash_ok({**entry, "hash": "0" * 64})


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_fast_hash_equals_canonical_hash(value):
    try:
        expected = H(value)
    except UnicodeEncodeError:
        return
    assert board._H_fast(value) == expected
    assert board._H_is(value, expected)


def test_fast_hash_mismatch_is_confirmed_with_canon():
    """A value the fast encoder writes differently (NaN) is still hashed as canon() says."""
    value = {"x": float("nan"), "y": 1e16}
    assert board._H_is(value, H(value))


# --------------------------------------------------------------------------------------------------
# civic verify BOARD.json
# --------------------------------------------------------------------------------------------------


def run_verify(path) -> tuple[int, str]:
    out = io.StringIO()
    code = main_verify(str(path), out=out)
    return code, out.getvalue()


def test_main_verify_intact_board(tmp_path):
    path = tmp_path / "board.json"
    path.write_text(json.dumps(small_board(), ensure_ascii=False, indent=2), encoding="utf-8")
    code, text = run_verify(path)
    assert code == 0, text
    assert "chain           intact" in text
    assert "entries         9 (4 online, 3 paper, 1 box, 1 close)" in text
    assert "recount         valid; registered 12, issued 10, returned 10" in text
    assert "  chair 主任 (seats 1): elected c1 王建国 (6); tied none; unfilled 0" in text
    assert "  member 委员 (seats 2): elected none; tied none; unfilled 2" in text
    assert "write:赵六 2" in text
    assert text.rstrip().endswith("OK: the board is intact and its published result equals the recount.")


def test_main_verify_tampered_board(tmp_path):
    doc = small_board()
    doc["entries"][2]["box"] = "box-9"
    path = tmp_path / "board.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    code, text = run_verify(path)
    assert code == 1
    assert "entry 3: hash does not match the entry's content" in text and "FAILED" in text


def test_main_verify_falsified_result(tmp_path):
    doc = small_board()
    doc["result"]["sections"]["chair"]["votes"]["c1"] = 7
    path = tmp_path / "board.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    code, text = run_verify(path)
    assert code == 1
    assert "result.sections.chair.votes" in text and "recount         valid" in text


@pytest.mark.parametrize(
    "content,code,message",
    [
        (None, 2, "cannot read"),
        (b"{\"format\": ", 2, "is not valid JSON"),
        (b"\xff\xfe", 2, "is not valid JSON"),
        (b"[1, 2]", 1, "the board is not a JSON object"),
        (b"{}", 1, "'entries' is missing"),
    ],
)
def test_main_verify_unreadable_input(tmp_path, content, code, message):
    path = tmp_path / "board.json"
    if content is not None:
        path.write_bytes(content)
    got, text = run_verify(path)
    assert got == code and message in text and "Traceback" not in text


def test_recount_of_a_sorted_board_groups_identical_ballots():
    """Many identical online ballots (neighbours once sorted) count like the plain list."""
    online = [ONLINE[i % 4] for i in range(40)]
    items = [("online", {"tracking_code": f"T{i}"}) for i in range(40)]
    election = {**ELECTION, "registered_voters": 60}
    doc = build_board(election, SECTIONS, chain(election, SECTIONS, items, {"online": 40}, online), online)
    plain = count_round(election["rules"], SECTIONS, online, registered=60, issued=40)
    assert board._repeats_often(doc["online_ballots"]) and not board._repeats_often(ONLINE)
    assert recount(doc) == plain and plain["sections"]["chair"]["votes"] == {"c1": 30, "c2": 10}
