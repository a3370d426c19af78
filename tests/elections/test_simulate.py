"""The simulator: the same seed gives the same count; its boards carry every kind of entry and
ballot the contract describes, and verify."""
import json
import unicodedata

from sqlalchemy import func, select

from civic.elections import board
from civic.elections.models import Round, RollMark
from civic.elections.simulate import simulate


def _rounds(db, election):
    return list(db.execute(select(Round).where(Round.election_id == election.id).order_by(Round.number)).scalars())


def test_same_seed_same_result(db):
    first = simulate(db, 90, seed=42)
    second = simulate(db, 90, seed=42)
    assert first.election.public_id != second.election.public_id
    assert first.results == second.results
    assert [json.loads(r.result) for r in _rounds(db, first.election)] == [json.loads(r.result) for r in _rounds(db, second.election)]
    other = simulate(db, 90, seed=43)
    assert other.results != first.results


def test_simulated_boards_verify_and_show_everything(db):
    sim = simulate(db, 400, seed=7)
    rounds = _rounds(db, sim.election)
    assert rounds and all(r.status == "published" for r in rounds)
    kinds, write_ins, invalid, spoiled = set(), set(), 0, 0
    for round_ in rounds:
        doc = json.loads(round_.board)
        ok, recount, problems = board.verify(doc)
        assert ok, problems
        assert recount == json.loads(round_.result)
        kinds |= {e["kind"] for e in doc["entries"]}
        spoiled += sum(e["kind"] == "paper" and e["ballot"] is None for e in doc["entries"])
        spoiled += sum(e["tally"]["invalid"] for e in doc["entries"] if e["kind"] == "box")
        for section in recount["sections"].values():
            write_ins |= {p for p in section["votes"] if p.startswith("write:")}
            invalid += section["invalid"]
        # Every voter who took part has exactly one mark; online marks match the online entries.
        online = sum(e["kind"] == "online" for e in doc["entries"])
        marks = db.scalar(select(func.count()).select_from(RollMark).where(RollMark.round_id == round_.id, RollMark.channel == "online"))
        assert online == marks == len(doc["online_ballots"])
    assert kinds == {"online", "paper", "box", "close"}
    # Full-width and space variants of one written-in name are one person.
    # Full-width and space variants of a written-in name are one person, counted under its NFKC form.
    assert "write:Anna王" in write_ins
    assert all(p == unicodedata.normalize("NFKC", p).strip() for p in write_ins)
    assert invalid > 0 and spoiled > 0
    assert sim.stats["online overvotes refused"] > 0 and sim.stats["second ballots refused"] > 0
    assert sim.stats["entries rejected"] + sim.stats["box tallies"] > 0
