"""The demo elections: loaded through the services, boards that verify, one election open today."""
import json
import shutil
import time

import pytest
from sqlalchemy import select

from civic import demo as demo_district
from civic.accounts.models import User
from civic.audit import verify_all
from civic.cli import main
from civic.db import make_engine, make_sessionmaker
from civic.elections import board, polling, roll
from civic.elections.models import Election, RollMark, Round
from civic.registry.models import Community


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, sqlite_template):
    path = tmp_path_factory.mktemp("demo") / "civic.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    sessions = make_sessionmaker(engine, write=True)
    started = time.perf_counter()
    with sessions() as db:
        loaded = demo_district.load(db)
    seconds = time.perf_counter() - started
    yield url, sessions, loaded, seconds
    engine.dispose()


def _elections(db, code):
    community = db.execute(select(Community).where(Community.code == code)).scalar_one()
    return community, list(db.execute(select(Election).where(Election.community_id == community.id).order_by(Election.id)).scalars())


def _rounds(db, election):
    return list(db.execute(select(Round).where(Round.election_id == election.id).order_by(Round.number)).scalars())


def test_demo_loads_once(demo_db):
    # (How long it takes is measured by bench/, never asserted in a test.)
    _url, sessions, loaded, _seconds = demo_db
    assert loaded is not None
    with sessions() as db:
        assert demo_district.load(db) is None  # safe to run twice


def test_anhe_closed_election_with_runoff(demo_db):
    _url, sessions, *_ = demo_db
    with sessions() as db:
        _community, (closed, _open) = _elections(db, "anhe")
        first, second = _rounds(db, closed)
        assert closed.status == "closed"
        assert first.status == second.status == "published"
        one, two = json.loads(first.result), json.loads(second.result)
        assert one["valid"] and one["sections"]["chair"]["unfilled"] == 0 and one["sections"]["vice"]["unfilled"] == 0
        assert one["sections"]["member"]["unfilled"] > 0
        assert second.kind == "runoff" and list(two["sections"]) == ["member"]
        assert two["valid"] and two["sections"]["member"]["unfilled"] == 0
        # Marks carry the polling day, not the day the demo was loaded (coarse, but the right day).
        days = set(db.execute(select(RollMark.day).where(RollMark.round_id.in_([first.id, second.id]))).scalars())
        assert days == {closed.polling_day}


def test_kangning_closed_in_one_round(demo_db):
    _url, sessions, *_ = demo_db
    with sessions() as db:
        _community, elections = _elections(db, "kangning")
        (election,) = elections
        (only,) = _rounds(db, election)
        result = json.loads(only.result)
        assert election.status == "closed" and only.status == "published"
        assert result["valid"] and all(s["unfilled"] == 0 for s in result["sections"].values())


def test_anhe_election_open_today(demo_db):
    _url, sessions, *_ = demo_db
    with sessions() as db:
        _community, (_closed, election) = _elections(db, "anhe")
        (round_,) = _rounds(db, election)
        assert election.status == "polling" and round_.status == "open"
        assert polling.online_window_open(election)
        for phone in ("13900000001", "13900000002", "13900000003"):
            user = db.execute(select(User).where(User.phone == phone)).scalar_one()
            entry = roll.entry_for(db, election, user.resident_id)
            assert entry is not None and entry.listed, phone
            assert not polling.has_voted(db, round_, entry), phone
        assert sum(b.issued for b in polling.boxes_of(db, round_)) > 0


def test_demo_boards_verify_and_chains_are_intact(demo_db, tmp_path, monkeypatch, capsys):
    url, sessions, *_ = demo_db
    with sessions() as db:
        assert not any(verify_all(db).values()), verify_all(db)
        boards = list(db.execute(select(Round.board).where(Round.board.is_not(None))).scalars())
    assert len(boards) == 3
    for document in boards:
        ok, _recount, problems = board.verify(json.loads(document))
        assert ok, problems
    monkeypatch.setenv("CIVIC_DATABASE_URL", url)
    monkeypatch.setenv("CIVIC_DATA_DIR", str(tmp_path))
    assert main(["elections", "export-boards", str(tmp_path / "boards")]) == 0
    files = sorted((tmp_path / "boards").glob("*.json"))
    assert len(files) == 3
    for path in files:
        assert main(["verify", str(path)]) == 0
        raw = path.read_bytes()
        at = raw.index(b'"head":"') + 8
        path.write_bytes(raw[:at] + (b"1" if raw[at:at + 1] != b"1" else b"2") + raw[at + 1:])
        assert main(["verify", str(path)]) == 1
    capsys.readouterr()


def test_kangning_recall_request_collects_signatures(demo_db):
    from civic.elections import recall

    _url, sessions, *_ = demo_db
    with sessions() as db:
        community, (closed,) = _elections(db, "kangning")[0], _elections(db, "kangning")[1][:1]
        (request,) = recall.requests_against(db, closed)
        assert request.status == "collecting" and request.channel == "paper"
        assert recall.signature_count(db, request) == 8 < request.threshold
        assert recall.targets_of(db, request)[0].reply
