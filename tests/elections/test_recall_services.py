"""Recall (E39) and by-election (E41) through the services, on SQLite and PostgreSQL."""
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from civic import clock
from civic.audit import AuditEntry  # noqa: F401  (the audit table is checked below)
from civic.elections import board, byelection, polling, recall, rules, setup
from civic.elections.models import Election, RecallSignature, Section, Vacancy
from civic.errors import Conflict, DomainError, Forbidden, Invalid
from civic.security import load_actor
from tests.elections.recall_factories import closed_election, recall_vote_open
from tests.helpers import make_community, make_resident, make_user


@pytest.fixture
def world(db):
    community = make_community(db)
    people = [make_resident(db, community, name=f"居民{i}", gender="F" if i % 2 else "M", age=20 + i) for i in range(24)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    second = load_actor(db, make_user(db, roles=[("election_committee", community)]).id)
    voters = [load_actor(db, make_user(db, resident=p).id) for p in people]
    other = make_community(db, code="other", name="康宁社区")
    outsider = load_actor(db, make_user(db, resident=make_resident(db, other, name="外人")).id)
    election = closed_election(db, committee, community, voters)
    return community, committee, second, voters, outsider, election


def _audits(db, action: str) -> int:
    from civic.audit import AuditEntry

    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def test_sitting_members_are_the_elected(db, world):
    community, committee, _second, voters, _outsider, election = world
    members = recall.sitting_members(db, election)
    assert [m["section_key"] for m in members] == ["chair", "vice", "member", "member", "member"]
    assert all(m["resident_id"] for m in members)


def test_request_signatures_reply_vote_and_result(db, world, english):
    community, committee, second, voters, outsider, election = world
    members = recall.sitting_members(db, election)
    chair, member = members[0], members[2]
    signer = voters[10]
    with pytest.raises(Invalid):  # reasons are required
        recall.start_request(db, signer, election, community, [chair["key"]], "短")
    db.rollback()
    with pytest.raises(Forbidden):  # a resident of another community is not on the roll
        recall.start_request(db, outsider, election, community, [chair["key"]], "长期不履行职责，不听取居民意见。")
    db.rollback()
    request = recall.start_request(db, signer, election, community, [chair["key"], member["key"]], "长期不履行职责，不听取居民意见。")
    assert (request.base, request.threshold, request.status) == (24, 3, "collecting")  # 1/10 of 24 → 3 (2.4 rounded up)
    assert recall.signature_count(db, request) == 1
    with pytest.raises(Conflict):  # one signature per voter
        recall.sign(db, signer, request, community)
    db.rollback()
    recall.sign(db, voters[11], request, community)
    assert request.status == "collecting"
    with pytest.raises(Conflict):  # not yet: the threshold is not met
        recall.schedule_vote(db, committee, request, community, title="罢免", polling_day=clock.today() + dt.timedelta(days=30))
    db.rollback()
    entry = db.execute(select(RecallSignature.roll_entry_id)).scalars().first()
    from civic.elections.roll import entry_for

    paper = entry_for(db, election, voters[12].resident.id)
    assert recall.record_paper_signatures(db, committee, request, community, [paper.id]) == 1
    assert request.status == "submitted" and recall.signature_count(db, request) == 3 and entry
    # right of reply: the member, not someone else
    target = recall.targets_of(db, request)[0]
    chair_actor = next(v for v in voters if v.resident.id == chair["resident_id"])
    with pytest.raises(Forbidden):
        recall.reply(db, voters[13], request, community, target, "我一直认真履职。")
    db.rollback()
    recall.reply(db, chair_actor, request, community, target, "我一直认真履职，欢迎监督。")
    assert target.reply.startswith("我一直")
    with pytest.raises(Invalid):  # a second request against a member under recall
        recall.start_request(db, voters[14], election, community, [chair["key"]], "再次提出罢免请求，理由同上。")
    db.rollback()
    # the vote: 24 voters, 15 vote; chair: 8 agree (> 7.5) → passed; member: 7 agree → not passed
    polling_day = clock.today() + dt.timedelta(days=40)
    vote, round_ = recall_vote_open(db, committee, community, request, polling_day)
    assert vote.purpose == "recall" and vote.mode == election.mode and vote.parent_id == election.id
    sections = polling.sections_of(round_)
    assert [(s["id"], s["seats"], [c["id"] for c in s["candidates"]]) for s in sections] == [("recall-1", 1, ["c1"]), ("recall-2", 1, ["c2"])]
    with clock.frozen(polling_day):
        with pytest.raises(polling.BallotInvalid):  # no write-ins on a recall ballot
            polling.cast_online(db, voters[0], vote, community, round_, {"recall-1": {"approve": [], "oppose": [], "write_in": ["某人"]}})
        db.rollback()
        for i, voter in enumerate(voters[:15]):
            ballot = {"recall-1": {"approve": ["c1"] if i < 8 else [], "oppose": [] if i < 8 else ["c1"], "write_in": []},
                      "recall-2": {"approve": ["c2"] if i < 7 else [], "oppose": [], "write_in": []}}
            polling.cast_online(db, voter, vote, community, round_, ballot)
        polling.close_polling(db, committee, vote, community, round_, {"box-1": 0})
    result = polling.close_round(db, committee, vote, community, round_)
    assert result["valid"] and result["sections"]["recall-1"]["elected"] == ["c1"] and result["sections"]["recall-2"]["elected"] == []
    assert rules.recall_passes("all-voters", 15, 24, 8) and not rules.recall_passes("all-voters", 15, 24, 7)
    ok, _recount, problems = board.verify(json.loads(round_.board))
    assert ok, problems
    with pytest.raises(Conflict):
        polling.start_runoff(db, committee, vote, community, round_, [{"kind": "station", "name": "站"}])
    db.rollback()
    polling.publish_round(db, committee, vote, community, round_, {"presiding": "主持人"})
    assert vote.status == "closed" and request.status == "decided"
    outcomes = {t.name: t.outcome for t in recall.targets_of(db, request)}
    assert outcomes == {chair["name"]: "passed", member["name"]: "failed"}
    assert [m["key"] for m in recall.sitting_members(db, election)] == [m["key"] for m in members if m["key"] != chair["key"]]
    vacancies = byelection.open_vacancies(db, election)
    assert [(v.section_key, v.reason, v.member_key) for v in vacancies] == [("chair", "recall", chair["key"])]
    assert _audits(db, "elections.recall.decide") == 1 and _audits(db, "elections.recall.sign") == 1


def test_recall_vote_without_turnout_fails(db, world):
    community, committee, _second, voters, _outsider, election = world
    member = recall.sitting_members(db, election)[3]
    request = recall.start_request(db, committee, election, community, [member["key"]], "纸质罢免请求书，理由见附件。", paper=True)
    assert recall.signature_count(db, request) == 0 and request.channel == "paper"
    from civic.elections.roll import entry_for

    recall.record_paper_signatures(db, committee, request, community, [entry_for(db, election, v.resident.id).id for v in voters[:3]])
    polling_day = clock.today() + dt.timedelta(days=40)
    vote, round_ = recall_vote_open(db, committee, community, request, polling_day)
    with clock.frozen(polling_day):
        for voter in voters[:12]:  # 12 of 24 is not more than half (E31)
            polling.cast_online(db, voter, vote, community, round_, {"recall-1": {"approve": ["c1"], "oppose": [], "write_in": []}})
        polling.close_polling(db, committee, vote, community, round_, {"box-1": 0})
    result = polling.close_round(db, committee, vote, community, round_)
    assert not result["valid"] and result["reason"] == "no-quorum"
    polling.publish_round(db, committee, vote, community, round_, {"presiding": "主持人"})
    assert recall.targets_of(db, request)[0].outcome == "failed" and byelection.open_vacancies(db, election) == []


def test_by_election_from_resignation(db, world, english):
    community, committee, _second, voters, outsider, election = world
    members = recall.sitting_members(db, election)
    with pytest.raises(Conflict):  # nothing vacant yet
        byelection.create_by_election(db, committee, election, community, title="补选", polling_day=clock.today() + dt.timedelta(days=40))
    db.rollback()
    with pytest.raises(DomainError):  # residents cannot record resignations
        byelection.record_resignation(db, voters[0], election, community, members[4]["key"], "本人书面辞职，居民会议已同意。")
    db.rollback()
    with pytest.raises(Invalid):
        byelection.record_resignation(db, committee, election, community, members[4]["key"], "")
    db.rollback()
    byelection.record_resignation(db, committee, election, community, members[4]["key"], "本人书面辞职，居民会议已同意。")
    assert len(recall.sitting_members(db, election)) == 4
    with pytest.raises(DomainError):
        byelection.create_by_election(db, outsider, election, community, title="补选", polling_day=clock.today() + dt.timedelta(days=40))
    db.rollback()
    with pytest.raises(Invalid):  # after the end of the term
        byelection.create_by_election(db, committee, election, community, title="补选", polling_day=election.term_ends_on + dt.timedelta(days=1))
    db.rollback()
    by = byelection.create_by_election(db, committee, election, community, title="补选委员", polling_day=clock.today() + dt.timedelta(days=40))
    assert by.purpose == "by_election" and by.parent_id == election.id and by.term_ends_on == election.term_ends_on
    assert by.term_ends_on == setup.term_end(election.polling_day, election.term_years)
    assert [(s.key, s.seats) for s in db.execute(select(Section).where(Section.election_id == by.id)).scalars()] == [("member", 1)]
    assert byelection.open_vacancies(db, election) == [] and byelection.by_elections_of(db, election) == [by]


def test_by_election_from_seats_left_empty(db, world):
    community, committee, second, voters, _outsider, _closed = world
    from tests.elections.factories import election_at_polling

    election, round_ = election_at_polling(db, committee, community, polling_day=clock.today() + dt.timedelta(days=60))
    sections = polling.sections_of(round_)
    with clock.frozen(election.polling_day):
        for voter in voters[:13]:  # chair and vice filled; nobody reaches half for members
            ballot = {s["id"]: {"approve": [], "oppose": [], "write_in": []} for s in sections}
            ballot["chair"]["approve"] = [sections[0]["candidates"][0]["id"]]
            ballot["vice"]["approve"] = [sections[1]["candidates"][0]["id"]]
            polling.cast_online(db, voter, election, community, round_, ballot)
        polling.close_polling(db, committee, election, community, round_, {"box-1": 0})
    polling.close_round(db, committee, election, community, round_)
    assert not byelection.can_finish(db, election)
    polling.publish_round(db, committee, election, community, round_, {"presiding": "主持人"})
    assert byelection.can_finish(db, election)
    with pytest.raises(DomainError):
        byelection.finish_with_empty_seats(db, voters[0], election, community)
    db.rollback()
    created = byelection.finish_with_empty_seats(db, committee, election, community)
    assert election.status == "closed" and [(v.section_key, v.reason) for v in created] == [("member", "unfilled")] * 3
    by = byelection.create_by_election(db, committee, election, community, title="补选", polling_day=election.polling_day + dt.timedelta(days=60))
    assert db.scalar(select(Section.seats).where(Section.election_id == by.id, Section.key == "member")) == 3
    assert db.scalar(select(func.count()).select_from(Vacancy).where(Vacancy.by_election_id == by.id)) == 3
    assert db.get(Election, by.id).status == "setup"


def test_nobody_sits_after_the_end_of_the_term(db, world):
    _community, _committee, _second, _voters, _outsider, election = world
    assert len(recall.sitting_members(db, election)) == 5
    with clock.frozen(election.term_ends_on - dt.timedelta(days=1)):
        assert len(recall.sitting_members(db, election)) == 5
    with clock.frozen(election.term_ends_on):
        assert recall.sitting_members(db, election) == []


def test_recall_votes_and_by_elections_only_through_their_flows(db, world):
    community, committee, *_ = world
    for purpose in ("recall", "by_election"):
        with pytest.raises(Invalid):
            setup.create_election(db, committee, community, setup.ElectionInput(
                "t", purpose, "all-voters", clock.today() + dt.timedelta(days=40), {"member": 1}))
        db.rollback()
