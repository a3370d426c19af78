"""civic.elections.boardtext: `civic verify` reading a board's online ballots as text must say exactly
what reading the whole document says, for intact boards, tampered ones and texts made to fool it."""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from civic.elections import board, boardtext
from tests.elections.test_board import ELECTION, ISSUED, ONLINE, SECTIONS, ballot, chain, small_items


def board_with(online, election=ELECTION) -> dict:
    items = small_items()
    return board.build_board(election, SECTIONS, chain(election, SECTIONS, items, ISSUED, online), online)


def verify_both(raw: bytes, monkeypatch, tmp_path) -> tuple[int, str, bool]:
    """(exit code, output, whether the text reading was used), after checking that reading the whole
    document gives the same exit code and output."""
    path = tmp_path / "board.json"
    path.write_bytes(raw)
    quick = boardtext.read(raw) is not None
    out = io.StringIO()
    code = board.main_verify(str(path), out=out)
    with monkeypatch.context() as patch:
        patch.setattr(boardtext, "read", lambda raw: None)
        whole = io.StringIO()
        assert board.main_verify(str(path), out=whole) == code
    assert out.getvalue() == whole.getvalue()
    return code, out.getvalue(), quick


def test_an_intact_board_is_read_as_text_and_verified(monkeypatch, tmp_path):
    raw = board.canon(board_with(ONLINE))
    code, text, quick = verify_both(raw, monkeypatch, tmp_path)
    assert quick and code == 0
    assert "online ballots  4, hash matches the close entry" in text
    doc, listed = boardtext.read(raw)
    assert doc["online_ballots"] == [] and listed.count == 4
    assert listed.digest == board.H(board.sort_ballots(ONLINE))
    assert sum(listed.grouped.weights) == 4


def test_a_board_of_many_equal_ballots_counts_each_one(monkeypatch, tmp_path):
    online = [ONLINE[i % 3] for i in range(40)]
    items = [("online", {"tracking_code": f"T{i:04d}"}) for i in range(40)]
    election = {**ELECTION, "registered_voters": 60}
    doc = board.build_board(election, SECTIONS, chain(election, SECTIONS, items, {"online": 40}, online), online)
    code, text, quick = verify_both(board.canon(doc), monkeypatch, tmp_path)
    assert quick and code == 0, text
    assert "online ballots  40," in text
    assert sorted(boardtext.read(board.canon(doc))[1].grouped.weights) == [13, 13, 14]


def test_a_changed_ballot_fails_the_same_way(monkeypatch, tmp_path):
    raw = board.canon(board_with(ONLINE)).replace(b'"approve":["c3","c5"]', b'"approve":["c3","c4"]', 1)
    code, text, quick = verify_both(raw, monkeypatch, tmp_path)
    assert quick and code == 1
    assert "the online ballots do not match the hash in the close entry" in text


def test_a_ballot_written_with_its_keys_out_of_order_is_hashed_as_canon_writes_it(monkeypatch, tmp_path):
    doc = board_with(ONLINE)
    first = board.canon(doc["online_ballots"][0])
    part = json.loads(first)
    reordered = ("{" + ",".join(f'"{k}":{json.dumps(part[k], ensure_ascii=False, separators=(",", ":"))}'
                                for k in sorted(part, reverse=True)) + "}").encode()
    assert reordered != first
    raw = board.canon(doc).replace(first, reordered, 1)
    code, _text, quick = verify_both(raw, monkeypatch, tmp_path)
    assert quick and code == 0


@pytest.mark.parametrize(
    "write_in",
    [
        "x},{y",  # a cut inside a string: that ballot alone is not JSON
        '"}],"result":{"',  # the end marker inside a string: its quotes are escaped there
        "}]",
        "\\",
        '\\"},{\\"',
    ],
)
def test_write_ins_that_look_like_the_list_s_punctuation(write_in, monkeypatch, tmp_path):
    online = [*ONLINE, ballot(chair=["c1"], member_write=[write_in])]
    items = small_items()
    issued = {**ISSUED, "online": 5}
    items.insert(0, ("online", {"tracking_code": "7K3M-Q9TX-9999"}))
    doc = board.build_board(ELECTION, SECTIONS, chain(ELECTION, SECTIONS, items, issued, online), online)
    code, text, quick = verify_both(board.canon(doc), monkeypatch, tmp_path)
    assert code == 0, text
    assert quick == ("},{" not in write_in)


def test_boards_the_text_reading_leaves_to_the_whole_parse(monkeypatch, tmp_path):
    doc = board_with(ONLINE)
    nested = {**ELECTION, "online_ballots": [{"chair": {}}]}  # the marker inside the election first
    signed = board.sign(doc, bytes(range(32)))
    canonical = board.canon(doc)
    at = canonical.rindex('"write_in":["赵六"]'.encode())  # in the online ballots, the last member
    texts = {
        "indented": json.dumps(doc, ensure_ascii=False, indent=2).encode(),
        "nested marker": board.canon(board_with(ONLINE, nested)),
        "signed": board.canon(signed),
        "a float": canonical[:at] + b'"write_in":[1.5]' + canonical[at + len('"write_in":["赵六"]'.encode()):],
        "truncated": board.canon(doc)[:-40],
        "no online ballots": board.canon({**doc, "online_ballots": []}),
    }
    for name, raw in texts.items():
        assert not verify_both(raw, monkeypatch, tmp_path)[2], name
    assert verify_both(texts["signed"], monkeypatch, tmp_path)[0] == 0
    assert "valid ed25519 signature" in verify_both(texts["signed"], monkeypatch, tmp_path)[1]


def test_a_second_list_of_the_same_name_is_read_as_json_reads_it(monkeypatch, tmp_path):
    raw = board.canon(board_with(ONLINE))
    listed = raw[raw.index(b',"online_ballots":'):raw.index(b',"result":')]
    before = raw.replace(b',"online_ballots":', b',"online_ballots":[],"online_ballots":', 1)
    after = raw.replace(b',"result":', b',"online_ballots":[{}],"result":', 1)
    twice = raw.replace(b',"result":', listed + b',"result":', 1)
    for variant in (before, after, twice):
        verify_both(variant, monkeypatch, tmp_path)
    assert verify_both(after, monkeypatch, tmp_path)[0] == 1


PUNCTUATION = ["},{", "}]", "[{", ",", '"', "\\", '"result":', '"online_ballots":', "{", "}", "[", "]", " ", "1.5", "é"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_edit_of_the_text_is_judged_as_the_whole_parse_judges_it(data, monkeypatch, tmp_path):
    raw = board.canon(board_with(ONLINE))
    listed = raw.index(b',"online_ballots":')  # edits around the list most of the time
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.one_of(st.integers(listed, min(len(raw), listed + 400)), st.integers(0, len(raw))))
        cut = data.draw(st.integers(0, 12))
        piece = data.draw(st.sampled_from(PUNCTUATION)).encode()
        raw = raw[:at] + piece + raw[at + cut:]
    code, _text, quick = verify_both(raw, monkeypatch, tmp_path)
    event(f"read as text: {quick}, exit {code}")
