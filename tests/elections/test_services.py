"""The election services end to end on SQLite and PostgreSQL."""
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from civic import clock
from civic.elections import board, nominations, polling, roll, setup
from civic.elections.models import Ballot, RollEntry, RollMark
from civic.errors import DomainError
from civic.security import load_actor
from tests.elections.factories import election_at_polling, publish_leaving_audit
from tests.helpers import make_community, make_resident, make_user


@pytest.fixture
def world(db):
    community = make_community(db)
    publish_leaving_audit(db, community)  # D8
    people = [make_resident(db, community, name=f"居民{i}", gender="F" if i % 2 else "M", age=20 + i) for i in range(24)]
    make_resident(db, community, name="少年", age=16)
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    second = load_actor(db, make_user(db, roles=[("election_committee", community)]).id)
    voters = [load_actor(db, make_user(db, resident=p).id) for p in people]
    return community, committee, second, voters


def test_roll_follows_eligibility(db, world):
    community, committee, _second, _voters = world
    election, _round = election_at_polling(db, committee, community)
    names = set(db.execute(select(RollEntry.name).where(RollEntry.election_id == election.id)).scalars())
    assert "少年" not in names and len(names) == 24


def test_schedule_violations_are_explained(db, world, english):
    community, committee, *_ = world
    day = clock.today() + dt.timedelta(days=30)
    bad = setup.default_schedule(day, dict(setup.current_rules(db).values))
    bad["roll_published_on"] = day - dt.timedelta(days=10)
    with pytest.raises(setup.ScheduleInvalid) as error:
        setup.create_election(db, committee, community, setup.ElectionInput("t", "general", "all-voters", day, {"chair": 1, "vice": 1, "member": 3}, schedule=bad))
    assert any("20 days" in p for p in error.value.problems)
    with pytest.raises(setup.ScheduleInvalid) as error:
        setup.create_election(db, committee, community, setup.ElectionInput("t", "general", "all-voters", day, {"chair": 1, "vice": 1, "member": 9}))
    assert any("5 to 9" in p for p in error.value.problems)


def test_cast_count_close_and_verify(db, world):
    community, committee, second, voters = world
    election, round_ = election_at_polling(db, committee, community)
    sections = polling.sections_of(round_)
    chair = sections[0]["candidates"][0]["id"]
    codes = []
    with clock.frozen(election.polling_day):
        for voter in voters[:14]:
            ballot = {s["id"]: {"approve": [], "oppose": [], "write_in": []} for s in sections}
            ballot["chair"]["approve"] = [chair]
            codes.append(polling.cast_online(db, voter, election, community, round_, ballot))
        with pytest.raises(DomainError):  # one ballot per voter
            polling.cast_online(db, voters[0], election, community, round_, ballot)
        box = polling.boxes_of(db, round_)[0]
        entry = roll.entry_for(db, election, voters[20].resident.id)
        polling.issue_paper_ballot(db, committee, election, community, round_, box, entry)
        with pytest.raises(DomainError):  # already marked online
            polling.issue_paper_ballot(db, committee, election, community, round_, box, roll.entry_for(db, election, voters[0].resident.id))
        polling.close_polling(db, committee, election, community, round_, {box.key: 1})
    draft = polling.enter_paper(db, committee, community, round_, box, {"chair": {"approve": [chair], "oppose": [], "write_in": []}})
    with pytest.raises(DomainError):  # the same official cannot confirm
        polling.confirm_draft(db, committee, community, round_, draft, True)
    polling.confirm_draft(db, second, community, round_, draft, True)
    result = polling.close_round(db, committee, election, community, round_)
    assert result["returned"] == 15 and result["registered"] == 24 and result["valid"]
    assert result["sections"]["chair"]["elected"] == [chair]
    document = json.loads(round_.board)
    ok, recount, problems = board.verify(document)
    assert ok, problems
    assert {e["tracking_code"] for e in document["entries"] if e["kind"] == "online"} == set(codes)
    assert db.scalar(select(func.count()).select_from(Ballot)) == 14
    assert db.scalar(select(func.count()).select_from(RollMark)) == 15


def test_runoff_for_unfilled_seats(db, world):
    community, committee, second, voters = world
    election, round_ = election_at_polling(db, committee, community)
    sections = polling.sections_of(round_)
    chair_a = sections[0]["candidates"][0]["id"]
    with clock.frozen(election.polling_day):
        for voter in voters[:13]:  # quorum met, but nobody gets more than half for members
            ballot = {s["id"]: {"approve": [], "oppose": [], "write_in": []} for s in sections}
            ballot["chair"]["approve"] = [chair_a]
            ballot["vice"]["approve"] = [sections[1]["candidates"][0]["id"]]
            polling.cast_online(db, voter, election, community, round_, ballot)
        polling.close_polling(db, committee, election, community, round_, {"box-1": 0})
    result = polling.close_round(db, committee, election, community, round_)
    assert result["sections"]["member"]["unfilled"] == 3
    polling.publish_round(db, committee, election, community, round_, {"presiding": "主持人"})
    assert election.status != "closed"
    with clock.frozen(election.polling_day):
        runoff = polling.start_runoff(db, committee, election, community, round_, [{"kind": "station", "name": "站"}])
    assert runoff.number == 2
    assert [s["id"] for s in polling.sections_of(runoff)] == ["member"]


def test_proxy_limit(db, world, english):
    community, committee, *_ = world
    _voters = world[3]
    day = clock.today() + dt.timedelta(days=25)
    schedule = setup.default_schedule(day, dict(setup.current_rules(db).values))
    with clock.frozen(schedule["roll_published_on"] - dt.timedelta(days=1)):
        election = setup.create_election(db, committee, community, setup.ElectionInput("t", "general", "all-voters", day, {"chair": 1, "vice": 1, "member": 3}))
        roll.generate_roll(db, committee, election, community)
    with clock.frozen(schedule["roll_published_on"]):
        roll.publish_roll(db, committee, election, community)
        holder = _voters[0].resident
        for voter in _voters[1:4]:
            nominations.register_proxy(db, committee, election, community, voter.resident, holder, "外出务工")
        with pytest.raises(DomainError) as error:
            nominations.register_proxy(db, committee, election, community, _voters[4].resident, holder, "外出务工")
        assert "3 authorisations" in error.value.message


def test_paper_nominations_recorded_late_and_written_answers(db, world, english):
    """Officials may enter paper nominations after the window closed (until the candidate list is built);
    residents may not sign online late. Officials record a nominee's written answer; another resident cannot answer."""
    community, committee, _second, voters = world
    day = clock.today() + dt.timedelta(days=30)
    schedule = setup.default_schedule(day, dict(setup.current_rules(db).values))
    with clock.frozen(schedule["roll_published_on"] - dt.timedelta(days=1)):
        election = setup.create_election(db, committee, community, setup.ElectionInput("t", "general", "all-voters", day, {"chair": 1, "vice": 1, "member": 3}))
        roll.generate_roll(db, committee, election, community)
    with clock.frozen(schedule["roll_published_on"]):
        roll.publish_roll(db, committee, election, community)
    with clock.frozen(schedule["nominations_open_on"]):
        nominations.open_nominations(db, committee, election, community)
        section = setup.Section
        chair = db.execute(select(section).where(section.election_id == election.id, section.key == "chair")).scalar_one()
        joint = nominations.start_joint_nomination(db, voters[0], election, community, chair, voters[1].resident)
    late = schedule["nominations_close_on"] + dt.timedelta(days=1)
    with clock.frozen(late):
        with pytest.raises(DomainError) as error:
            nominations.sign(db, voters[2], election, community, joint)
        assert "closed" in error.value.message
        party = nominations.party_nomination(db, committee, election, community, chair, voters[3].resident)
        assert party.status == "submitted"
        assert nominations.record_paper_signatures(db, committee, election, community, joint, [v.resident.id for v in voters[4:13]]) == 9
        assert joint.status == "submitted"
        with pytest.raises(DomainError) as error:
            nominations.answer_nomination(db, voters[5], election, community, party, True)
        assert error.value.status == 403
        nominations.answer_nomination(db, committee, election, community, party, True)
        nominations.answer_nomination(db, voters[1], election, community, joint, False)
    assert (party.status, joint.status) == ("accepted", "declined")
    from civic.audit import AuditEntry

    late_entries = [json.loads(d) for d in db.execute(select(AuditEntry.data).where(AuditEntry.action.in_(
        ("elections.nomination.party", "elections.nomination.paper")))).scalars()]
    assert late_entries and all(e["late_entry"] for e in late_entries)
