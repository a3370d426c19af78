"""The command-line tools: export-boards writes the stored boards byte for byte; `civic verify`
passes on them and fails (exit 1) on a board with one byte changed; `civic audit verify` detects a
ballot, an entry or a head changed in the database, in closed and in open rounds."""
import json

import pytest
from sqlalchemy import select, text

from civic import clock
from civic.audit import verify_all
from civic.cli import main
from civic.elections import polling
from civic.elections.integrity import verify_elections
from civic.elections.models import Ballot, BoardEntry, Round
from civic.elections.simulate import simulate
from civic.security import load_actor
from tests.elections.factories import election_at_polling, publish_leaving_audit
from tests.helpers import make_community, make_resident, make_user


@pytest.fixture
def cli_env(monkeypatch, sqlite_url, tmp_path):
    monkeypatch.setenv("CIVIC_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CIVIC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CIVIC_LOG_LEVEL", "WARNING")
    return sqlite_url


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr().out
    return code, out


def test_simulate_export_and_verify(cli_env, tmp_path, capsys):
    code, out = _run(["elections", "simulate", "--voters", "80", "--seed", "3", "--quiet"], capsys)
    assert code == 0
    election_id = out.strip().splitlines()[-1]
    assert election_id.startswith("e-2026-sim")
    target = tmp_path / "boards"
    code, out = _run(["elections", "export-boards", str(target)], capsys)
    assert code == 0
    files = sorted(target.glob("*.json"))
    assert files and all(f.name.startswith(f"{election_id}-round-") for f in files)
    from civic.db import make_engine, make_sessionmaker

    engine = make_engine(cli_env)
    with make_sessionmaker(engine)() as db:
        stored = {n: b for n, b in db.execute(select(Round.number, Round.board).where(Round.board.is_not(None)))}
    engine.dispose()
    assert {f.name for f in files} == {f"{election_id}-round-{n}.json" for n in stored}
    for path in files:
        number = int(path.stem.rsplit("-", 1)[1])
        assert path.read_bytes() == stored[number].encode("utf-8")
        code, out = _run(["verify", str(path)], capsys)
        assert code == 0, out
        assert "OK: the board is intact" in out
    code, out = _run(["audit", "verify"], capsys)
    assert code == 0 and "elections: intact" in out


def _flip(raw: bytes, needle: bytes, offset: int = 0) -> bytes:
    """Change one byte: the first hex digit found at `needle` + offset becomes another digit."""
    at = raw.index(needle) + len(needle) + offset
    old = raw[at:at + 1]
    new = b"1" if old != b"1" else b"2"  # never a leading zero: the file stays JSON
    return raw[:at] + new + raw[at + 1:]


@pytest.mark.parametrize("where", [b'"head":"', b'"prev":"', b'"returned":', b'"approve":["c'])
def test_verify_fails_on_one_byte_changed(cli_env, tmp_path, capsys, where):
    code, out = _run(["elections", "simulate", "--voters", "60", "--seed", "11", "--quiet", "--no-runoff"], capsys)
    target = tmp_path / "boards"
    _run(["elections", "export-boards", str(target)], capsys)
    path = sorted(target.glob("*.json"))[0]
    raw = path.read_bytes()
    changed = _flip(raw, where)
    assert len(changed) == len(raw) and sum(a != b for a, b in zip(raw, changed)) == 1
    json.loads(changed)  # still JSON: the chain or the recount has to catch it
    path.write_bytes(changed)
    code, out = _run(["verify", str(path)], capsys)
    assert code == 1, out
    assert "FAILED" in out


def test_unreadable_board(cli_env, tmp_path, capsys):
    path = tmp_path / "board.json"
    path.write_bytes(b"{not json")
    code, out = _run(["verify", str(path)], capsys)
    assert code == 2


# -- civic audit verify: tampering in the database -------------------------------------------------


@pytest.fixture
def closed_and_open(db):
    """One closed round (simulated) and one round open with a few online ballots."""
    sim = simulate(db, 60, seed=2, runoff=False)
    community = make_community(db)
    publish_leaving_audit(db, community)  # D8
    people = [make_resident(db, community, name=f"选民{i}", age=30 + i) for i in range(12)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    voters = [load_actor(db, make_user(db, resident=p).id) for p in people]
    election, round_ = election_at_polling(db, committee, community)
    sections = polling.sections_of(round_)
    with clock.frozen(election.polling_day):
        for i, voter in enumerate(voters[:6]):
            ballot = {s["id"]: {"approve": [], "oppose": [], "write_in": []} for s in sections}
            ballot["chair"]["approve"] = [sections[0]["candidates"][i % 2]["id"]]
            polling.cast_online(db, voter, election, community, round_, ballot)
    closed = db.execute(select(Round).where(Round.election_id == sim.election.id, Round.number == 1)).scalar_one()
    return closed, round_


def test_verifier_passes_intact_rounds(db, closed_and_open):
    assert verify_elections(db) == []
    assert verify_all(db)["elections"] == []


def _sql(db, statement, **params):
    db.execute(text(statement), params)
    db.commit()


def test_changed_ballot_of_closed_round(db, closed_and_open):
    closed, _open = closed_and_open
    content = db.execute(select(Ballot.content).where(Ballot.round_id == closed.id).limit(1)).scalar_one()
    ballot = json.loads(content)
    ballot["chair"]["approve"] = [] if ballot["chair"]["approve"] else ["c1"]
    from civic.elections.board import canon

    _sql(db, "UPDATE elections_ballot SET content = :new WHERE round_id = :r AND content = :old",
         new=canon(ballot).decode(), r=closed.id, old=content)
    problems = verify_elections(db)
    assert any("ballot store" in p for p in problems), problems


def test_changed_board_of_closed_round(db, closed_and_open):
    closed, _open = closed_and_open
    board = closed.board.replace('"returned":', '"returned":1', 1)
    _sql(db, "UPDATE elections_round SET board = :b WHERE id = :r", b=board, r=closed.id)
    assert verify_elections(db)


def test_changed_entry_of_closed_round(db, closed_and_open):
    closed, _open = closed_and_open
    entry = db.execute(select(BoardEntry).where(BoardEntry.round_id == closed.id, BoardEntry.kind == "online").limit(1)).scalar_one()
    changed = entry.entry.replace('"tracking_code":"', '"tracking_code":"X', 1)
    _sql(db, "UPDATE elections_board_entry SET entry = :e WHERE round_id = :r AND seq = :s", e=changed, r=closed.id, s=entry.seq)
    problems = verify_elections(db)
    assert any("stored entries differ" in p for p in problems), problems


def test_changed_entry_of_open_round(db, closed_and_open):
    _closed, open_ = closed_and_open
    entry = db.execute(select(BoardEntry).where(BoardEntry.round_id == open_.id, BoardEntry.seq == 3)).scalar_one()
    data = json.loads(entry.entry)
    data["tracking_code"] = "AAAA-BBBB-CCCC"
    _sql(db, "UPDATE elections_board_entry SET entry = :e WHERE round_id = :r AND seq = 3", e=json.dumps(data), r=open_.id)
    problems = verify_elections(db)
    assert any("entry 3: hash does not match" in p for p in problems), problems


def test_removed_entry_and_ballot_of_open_round(db, closed_and_open):
    _closed, open_ = closed_and_open
    _sql(db, "DELETE FROM elections_board_entry WHERE round_id = :r AND seq = 6", r=open_.id)
    problems = verify_elections(db)
    assert any("head is not the hash of its last entry" in p for p in problems), problems
    assert any("stored ballots" in p for p in problems), problems


def test_changed_head_of_open_round(db, closed_and_open):
    _closed, open_ = closed_and_open
    _sql(db, "UPDATE elections_round SET head = :h WHERE id = :r", h="0" * 64, r=open_.id)
    problems = verify_elections(db)
    assert any("head" in p for p in problems), problems


def test_malformed_ballot_of_open_round(db, closed_and_open):
    _closed, open_ = closed_and_open
    _sql(db, "UPDATE elections_ballot SET content = :c WHERE round_id = :r", c='{"chair":{"approve":["c99"]}}', r=open_.id)
    problems = verify_elections(db)
    assert any("not well-formed" in p for p in problems), problems


def test_audit_verify_command_exits_1_on_tampering(cli_env, capsys):
    _run(["elections", "simulate", "--voters", "60", "--seed", "5", "--quiet", "--no-runoff"], capsys)
    from sqlalchemy import create_engine

    engine = create_engine(cli_env)
    with engine.begin() as conn:
        conn.execute(text("UPDATE elections_ballot SET content = replace(content, '\"approve\":[\"c1\"]', '\"approve\":[\"c2\"]')"))
    engine.dispose()
    code, out = _run(["audit", "verify"], capsys)
    assert code == 1 and "elections: TAMPERED" in out, out
