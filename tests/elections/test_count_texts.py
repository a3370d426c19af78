"""Counting at close from the stored ballot texts, grouped before parsing (board.group_texts), gives
exactly what counting the ballots one by one gave: the same result, down to the order of its dicts."""
from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import select

from civic import clock
from civic.elections import board, castqueue, polling, rules
from civic.elections.models import Ballot, RollEntry
from civic.secrecy import coarse_day, tracking_code
from civic.security import load_actor
from tests.elections.factories import election_at_polling, publish_leaving_audit
from tests.helpers import make_community, make_resident, make_user

RULES = {"quorum": [1, 2], "win": [1, 2], "runoff_win": [1, 3]}
SECTIONS = [
    {"id": "chair", "title": "主任", "seats": 1, "candidates": [{"id": "c1", "name": "王建国"}, {"id": "c2", "name": "李秀英"}]},
    {"id": "vice", "title": "副主任", "seats": 1, "candidates": [{"id": "c3", "name": "张伟"}, {"id": "c4", "name": "刘洋"}]},
    {"id": "member", "title": "委员", "seats": 3,
     "candidates": [{"id": f"c{i}", "name": f"委员候选人{i}"} for i in range(5, 10)]},
]
WRITE_INS = ["赵六", "王建国", "ＷＡＮＧ", " 周八 ", "null", "委员候选人7"]


def random_ballot(rng: random.Random, sections) -> dict | None:
    """A ballot as a voter might fill it in: blank parts, write-ins (some a candidate's name), overvotes."""
    if rng.random() < 0.05:
        return {}  # blank: no section marked
    ballot = {}
    for section in sections:
        if rng.random() < 0.05:
            continue  # a missing section counts as left blank
        ids = [c["id"] for c in section["candidates"]]
        k = rng.randint(0, section["seats"] + (1 if rng.random() < 0.15 else 0))  # overvotes
        ballot[section["id"]] = {"approve": rng.sample(ids, min(k, len(ids))), "oppose": [],
                                 "write_in": [rng.choice(WRITE_INS)] if rng.random() < 0.15 else []}
    return ballot


def stored_text(ballot: dict, sections, rng: random.Random) -> str:
    """The text as the system stores it; now and then a non-canonical spelling of the same ballot."""
    if rng.random() < 0.1:
        return json.dumps(ballot, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
    return board.canon(rules.canonical_ballot(ballot, sections)).decode()


def old_count(texts, paper, boxes, sections, *, registered, issued, round_no=1):
    """The path before: every text parsed, the list sorted as the board lists it, counted one by one."""
    return rules.count_round(RULES, sections, board.sort_ballots([json.loads(t) for t in texts]), paper, boxes,
                             registered=registered, issued=issued, round_no=round_no)


def same(a: dict, b: dict) -> bool:
    """Equal, and equal as JSON written without sorting keys (the order in which votes were met)."""
    return a == b and json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


def test_grouped_texts_count_exactly_like_ballot_by_ballot():
    for seed in range(12):
        rng = random.Random(seed)
        pool = [random_ballot(rng, SECTIONS) for _ in range(rng.choice([3, 40, 400]))]
        texts = [stored_text(rng.choice(pool), SECTIONS, rng) for _ in range(rng.choice([0, 1, 50, 3000]))]
        texts += ["null"] * rng.choice([0, 2])  # a null ballot: counted invalid, as before
        rng.shuffle(texts)
        paper = [None if rng.random() < 0.1 else random_ballot(rng, SECTIONS) for _ in range(rng.randint(0, 40))]
        boxes = [{"returned": 5, "invalid": 1, "sections": {"chair": {"invalid": 1, "votes": {"c1": 3}, "write_in": {"赵六": 1}}}}]
        returned = len(texts) + len(paper) + 5
        for registered, round_no in ((returned, 1), (returned + 1, 2), (3 * returned, 1)):  # valid, run-off, no quorum
            before = old_count(texts, paper, boxes, SECTIONS, registered=registered, issued=returned, round_no=round_no)
            grouped = board.group_texts(texts)
            after = rules.count_round(RULES, SECTIONS, grouped.ballots, paper, boxes, registered=registered, issued=returned,
                                      round_no=round_no, weights=grouped.weights)
            assert same(after, before), seed
            unsorted = rules.count_round(RULES, SECTIONS, [json.loads(t) for t in texts], paper, boxes,
                                         registered=registered, issued=returned, round_no=round_no)
            assert after == unsorted
        parsed = [json.loads(t) for t in texts]
        assert grouped.expand() == board.sort_ballots(parsed)
        assert grouped.digest() == board.H(board.sort_ballots(parsed))
        assert sum(grouped.weights) == len(texts) and grouped.texts == sorted(set(map(board.canon, parsed)))
        parts = [part for b in grouped.ballots if isinstance(b, dict) for part in b.values()]
        assert len(parts) < 500 or len(set(map(id, parts))) < len(parts) / 2  # equal sections are one object


def parse_canon_exactly(text, monkeypatch, *, fast: bool | None = None) -> None:
    """board._parse_canon(text) is (json.loads(text), canon() of it), to the type and order of every value;
    `fast`: whether it must have taken orjson's way (canon() never called) or json's."""
    expected = json.loads(text)
    calls = []
    real = board.canon
    monkeypatch.setattr(board, "canon", lambda x: calls.append(x) or real(x))
    try:
        ballot, key, plain = board._parse_canon(text)
    finally:
        monkeypatch.setattr(board, "canon", real)
    assert repr(ballot) == repr(expected) and key == real(expected) and plain is (not calls)
    if fast is not None:
        assert plain is fast, text


def test_parse_canon_is_json_loads_then_canon(monkeypatch):
    """orjson's way equals json.loads and canon() for characters of every UTF-8 length (all below U+0800,
    where the escapes are, then a spread and the edges), as keys in any order and in strings; float
    literals, long integers and what orjson refuses go json's way."""
    edges = [0x7FF, 0x800, 0xD7FF, 0xE000, 0xFEFF, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF]
    points = sorted({*range(0x800), *range(0x800, 0x110000, 61), *edges} - set(range(0xD800, 0xE000)))
    rng = random.Random(5)
    fast = 0
    for start in range(0, len(points), 1024):
        chars = [chr(cp) for cp in points[start:start + 1024]]
        rng.shuffle(chars)
        value = {c: ["a" + c + "\\\"", 7] for c in chars}
        value["".join(chars)] = {"approve": chars[:50], "n": [-1, 0, -(10**18 - 1), 10**18 - 1], "x": [True, False, None]}
        text = json.dumps(value, ensure_ascii=False)
        plain = board._NOT_PLAIN.search(text) is None
        fast += plain
        parse_canon_exactly(text, monkeypatch, fast=plain)
        parse_canon_exactly(json.dumps(value), monkeypatch)  # \\u escapes (their hex digits may take json's way)
    assert fast >= len(points) // 1024  # at most one chunk (digits next to "." or "e") went json's way
    for text in ['{"a":["b"]}', '[-0]', "[]", "null", '"x"', "[true,false]", '{"a":1,"b":2,"a":3}', '{"b":{"z":1,"a":[]}}',
                 '["\\ud83d\\ude00", "\\u00f1\\/\\n\\u001f"]', ' [1] ', '["1.5号楼", "e"]', '["x1e"]']:
        parse_canon_exactly(text, monkeypatch, fast="1.5" not in text and "1e" not in text)
    for text in ['{"a":1.0}', '{"a":1e16}', '[1E2]', '[-0.0, 1e400]', '[NaN]', '{"a":[Infinity,-Infinity]}',
                 f'[{2**64}]', f'[{2**64 - 1}]', f'[{-2**63 - 1}]', f'[{10**18}]', '[1' + '0' * 30 + "]"]:
        parse_canon_exactly(text, monkeypatch, fast=False)
    for text in ['"\\ud800"', '["\\udc00"]', '["\\ude00\\ud83d"]']:  # lone surrogates: no canonical text, as before
        with pytest.raises(UnicodeEncodeError):
            board.canon(json.loads(text))
        with pytest.raises(UnicodeEncodeError):
            board._parse_canon(text)
    for text in ["\ufeff{}", "{", "", "[1,]", '["a\x01"]', "[01]"]:
        with pytest.raises(ValueError):
            json.loads(text)
        with pytest.raises(ValueError):
            board._parse_canon(text)
    parse_canon_exactly(b'{"a":["\xe8\xb5\xb5"]}', monkeypatch, fast=False)  # bytes: json's way


def test_a_board_built_from_grouped_texts_equals_the_old_board():
    rng = random.Random(7)
    pool = [random_ballot(rng, SECTIONS) for _ in range(30)]
    texts = [stored_text(rng.choice(pool), SECTIONS, rng) for _ in range(500)]
    paper = [None, random_ballot(rng, SECTIONS), {"chair": {"approve": ["c1", "c2"], "oppose": [], "write_in": []}}]
    election = {"id": "e-t", "community": "安和社区", "title": "t", "round": 1, "registered_voters": 700, "rules": RULES}

    def entries(online):
        out, prev = [], board.genesis(election, SECTIONS)
        for i in range(len(texts)):
            out.append(board.make_entry(prev, len(out) + 1, "online", tracking_code=f"T{i}"))
            prev = out[-1]["hash"]
        for ballot in paper:
            out.append(board.make_entry(prev, len(out) + 1, "paper", box="box-1", ballot=ballot))
            prev = out[-1]["hash"]
        out.append(board.close_entry(prev, len(out) + 1, {"online": len(texts), "box-1": len(paper)}, online))
        return out

    sorted_online = board.sort_ballots([json.loads(t) for t in texts])
    old = board.build_board(election, SECTIONS, entries(sorted_online), sorted_online)
    grouped = board.group_texts(texts)
    new = board.build_board(election, SECTIONS, entries(grouped), grouped)
    assert board.canon(new) == board.canon(old) and same(new["result"], old["result"])
    ok, recount, problems = board.verify(json.loads(board.canon(new)))
    assert ok, problems
    assert recount == new["result"]


def test_close_round_counts_the_stored_texts_like_before(db):
    """The real path: online ballots stored by castqueue as canonical texts (write-ins, overvotes, blank
    parts), paper ballots entered and confirmed (one null, one overvoted), then close_round."""
    community = make_community(db)
    publish_leaving_audit(db, community)
    people = [make_resident(db, community, name=f"计票{i}", age=25 + i % 50) for i in range(70)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    second = load_actor(db, make_user(db, roles=[("election_committee", community)]).id)
    election, round_ = election_at_polling(db, committee, community)
    sections = polling.sections_of(round_)
    rng = random.Random(3)
    pool = [random_ballot(rng, sections) for _ in range(8)]
    entries = list(db.execute(select(RollEntry.id).where(RollEntry.election_id == election.id).order_by(RollEntry.id)).scalars())
    assert len(entries) >= 60
    with clock.frozen(election.polling_day):
        casts = [castqueue.Cast(round_.id, entry_id, board.canon(rules.canonical_ballot(
            polling.complete(rng.choice(pool), sections), sections)).decode(), tracking_code(), coarse_day(clock.now()))
            for entry_id in entries[:55]]
        state = castqueue.lock_round(db, round_.id)
        castqueue.insert_batch(db, state, casts)
        db.commit()
        box = polling.boxes_of(db, round_)[0]
        for entry_id in entries[55:58]:
            polling.issue_paper_ballot(db, committee, election, community, round_, box, db.get(RollEntry, entry_id))
        polling.close_polling(db, committee, election, community, round_, {box.key: 3})
    chair = sections[0]["candidates"]
    for paper in (None, {"chair": {"approve": [chair[0]["id"], chair[1]["id"]], "oppose": [], "write_in": []}}, rng.choice(pool)):
        draft = polling.enter_paper(db, committee, community, round_, box, paper)
        polling.confirm_draft(db, second, community, round_, draft, True)
    texts = list(db.execute(select(Ballot.content).where(Ballot.round_id == round_.id)).scalars())
    assert len(texts) == 55 and len(set(texts)) < 55  # identical ballots share one text
    result = polling.close_round(db, committee, election, community, round_)
    document = json.loads(round_.board)
    paper = [e["ballot"] for e in document["entries"] if e["kind"] == "paper"]
    before = old_count(texts, paper, [], sections, registered=document["election"]["registered_voters"], issued=58,
                       round_no=document["election"]["round"])
    assert same(result, before) and same(json.loads(round_.result), before)
    assert result["returned"] == 58 and any(s["invalid"] for s in result["sections"].values())
    assert document["online_ballots"] == board.sort_ballots([json.loads(t) for t in texts])
    ok, recount, problems = board.verify(document)
    assert ok, problems


def test_a_ballot_cut_into_its_sections_reads_as_json_loads_then_canon(monkeypatch):
    """board._parse_sectioned gives exactly _parse_canon's ballot and text, or None (then _parse_canon reads it):
    every ballot the system stores is cut into its sections; texts made to look like them are not misread."""
    rng = random.Random(3)
    stored = [board.canon(rules.canonical_ballot(random_ballot(rng, SECTIONS), SECTIONS)).decode() for _ in range(300)]
    crafted = [
        '{"chair":{"approve":["c1"],"oppose":[],"write_in":["a},{b"]}}',  # a brace in a write-in
        '{"chair":{"approve":["c1"],"oppose":[],"write_in":["a\\"},\\"b"]}}',
        '{"chair":{"approve":[],"oppose":[],"write_in":["\\\\","\\n","\\"","é","\\u2028"]}}',
        '{"vice":{"approve":[],"oppose":[],"write_in":[]},"chair":{"approve":[],"oppose":[],"write_in":[]}}',  # order
        '{"chair":{"approve":["c1"],"oppose":[],"write_in":[]},"chair":{"approve":[],"oppose":[],"write_in":[]}}',
        '{"chair":{"oppose":[],"approve":[],"write_in":[]}}',  # a section's keys out of order
        '{"chair": {"approve":[],"oppose":[],"write_in":[]}}', '{"chair":{"approve":[ ],"oppose":[],"write_in":[]}}',
        '{"chair":{"approve":["1.5号楼"],"oppose":[],"write_in":[]}}', '{"a1e":{"approve":[],"oppose":[],"write_in":[]}}',
        '{"ch\\u0061ir":{"approve":[],"oppose":[],"write_in":[]}}', '{"chair":{"approve":["\\u00631"],"oppose":[],"write_in":[]}}',
        '{"chair":{"approve":[1],"oppose":[null],"write_in":[true]}}', '{"chair":{}}', '{"":{}}', "{}", "null", "[]",
        '{"chair":{"n":' + "1" * 25 + '}}', '{"chair":{"x":["\\ud800"]}}', '{"chair":{"x":[]}', '{"chair":{"x":[]}}}',
        '{"chair":{"approve":[],"oppose":[],"write_in":[]},"member":{"a":1,"a":2}}',
    ]
    sections: dict = {}
    fast = 0
    for text in stored + crafted:
        found = board._parse_sectioned(text, sections)
        try:
            expected = board._parse_canon(text)
        except ValueError:
            assert found is None, text
            continue
        if found is not None:
            fast += 1
            assert repr(found[0]) == repr(expected[0]) and found[1] == expected[1] == text.encode(), text
        elif text in stored:
            pytest.fail(f"a stored ballot took the slow way: {text}")
    assert fast == len(stored) + 3  # three crafted texts are canonical ballots of that shape too
    again = board._parse_sectioned(stored[0], sections)[0]
    first = board._parse_sectioned(stored[0], sections)[0]
    assert all(again[sid] is first[sid] for sid in first)  # equal sections are one object
