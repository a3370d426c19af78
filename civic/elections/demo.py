"""Demo elections, every step taken through the services on its legal date (civic.clock.frozen).

- 安和社区, 第十一届 (five years ago): closed after a run-off — round 1 fills the chair and the
  vice-chair but leaves two member seats empty, round 2 (另行选举) fills them; both published.
- 康宁社区, 第十二届 (last month): closed in one round, published.
- 安和社区, 第十二届 (today): open for voting. The online window is open today; the demo residents
  13900000001–3 are on the roll and have not voted; a few voters have been issued paper ballots at
  the station; one voter has authorised a proxy.

Ballots are drawn from a fixed seed, so the demo's results are the same on every machine.
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from civic import clock
from civic.elections import nominations, polling, roll, setup
from civic.elections.models import Election, RollEntry, Round, Section
from civic.i18n import TZ
from civic.registry.models import Community, Resident
from civic.rulesconfig.services import current_rules
from civic.security import Actor, load_actor

SEED = 2026_0312
STATIONS = [{"kind": "station", "name": "第一投票站（社区活动中心）"}, {"kind": "station", "name": "第二投票站（幼儿园门厅）"}]
MOBILE = {"kind": "mobile", "name": "流动票箱", "escorts": "陈晓红, 林国强, 郑淑珍"}


class _Officials:
    def __init__(self, manager: Actor, clerk: Actor, scrutineer: Actor):
        self.manager, self.clerk, self.scrutineer = manager, clerk, scrutineer


def seed(db, demo) -> None:
    """Three demo elections (see the module docstring)."""
    rng = random.Random(SEED)
    users = demo.users
    anhe, kangning = demo.communities["anhe"], demo.communities["kangning"]
    anhe_officials = _Officials(load_actor(db, users["13800000011"].id), load_actor(db, users["13800000011"].id),
                                load_actor(db, users["13800000012"].id))
    kangning_officials = _Officials(load_actor(db, users["13800000000"].id), load_actor(db, users["13800000020"].id),
                                    load_actor(db, users["13800000000"].id))
    residents = [load_actor(db, users[phone].id) for phone in ("13900000001", "13900000002", "13900000003")]
    today = clock.today()
    _closed_with_runoff(db, rng, anhe, anhe_officials, residents, dt.date(today.year - 5, 6, 13))
    kangning_closed = _closed_in_one_round(db, rng, kangning, kangning_officials, today - dt.timedelta(days=38))
    _open_today(db, rng, anhe, anhe_officials, residents, today)
    _recall_request(db, kangning, kangning_closed, kangning_officials)


def _recall_request(db, community: Community, election: Election, officials: _Officials) -> None:
    """康宁社区: a recall request (罢免, E39) handed in on paper against one member, still collecting signatures,
    with the member's written reply."""
    from civic.elections import recall

    member = recall.sitting_members(db, election)[-1]
    request = recall.start_request(db, officials.clerk, election, community, [member["key"]],
                                   "该委员近半年未参加居委会例会，居民反映的楼道堆物问题长期无人跟进。", paper=True)
    entries = db.execute(select(RollEntry.id).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
                         .order_by(RollEntry.id).limit(8)).scalars().all()
    recall.record_paper_signatures(db, officials.clerk, request, community, list(entries))
    recall.reply(db, officials.clerk, request, community, recall.targets_of(db, request)[0],
                 "本人因家人住院请假，已向居委会书面说明；楼道堆物问题已与物业约定本月内清理。")


# --------------------------------------------------------------------------------------------------
# Steps shared by the three elections
# --------------------------------------------------------------------------------------------------


def _at(day: dt.date, hour: int = 10, minute: int = 0):
    return clock.frozen(dt.datetime.combine(day, dt.time(hour, minute), TZ))


def _to_polling(db, rng: random.Random, community: Community, officials: _Officials, *, title: str, polling_day: dt.date,
                seats: dict[str, int], candidates: dict[str, int], boxes: list[dict], online_window: tuple | None,
                signers: list[Actor] = (), proxies: int = 0) -> tuple[Election, Round]:
    """Set-up → roll (with an objection) → nominations → formal candidate list → proxies → polling opens."""
    manager = officials.manager
    config = dict(current_rules(db).values)
    schedule = setup.default_schedule(polling_day, config)
    opens, closes = online_window or (None, None)
    with _at(schedule["roll_published_on"] - dt.timedelta(days=4)):
        election = setup.create_election(db, manager, community, setup.ElectionInput(
            title=title, purpose="general", mode="all-voters", polling_day=polling_day, seats=seats,
            online_enabled=online_window is not None, online_opens_at=opens, online_closes_at=closes))
        roll.generate_roll(db, manager, election, community)
    with _at(schedule["roll_published_on"]):
        roll.publish_roll(db, manager, election, community)
    people = {r.id: r for r in db.execute(select(Resident).where(Resident.community_id == community.id).order_by(Resident.id)).scalars()}
    listed = {e.resident_id for e in db.execute(select(RollEntry).where(RollEntry.election_id == election.id)).scalars()}
    with _at(schedule["roll_published_on"] + dt.timedelta(days=2), 15):
        # Objections (E16): a demo resident missing from the list objects online and is added; a
        # resident who does not qualify objects at the office and is refused, with the reason.
        upheld = [(actor, actor.resident) for actor in signers if actor.resident.id not in listed]
        left_out = next((p for p in people.values() if p.id not in listed and not p.deprived_of_political_rights
                         and not p.hukou_here and clock.today().year - p.birth_date.year > 20), None)
        filed = [(roll.file_objection(db, actor, election, community, kind="missing", subject=person,
                                      reason="本人户籍和居住都在本社区，名单上没有我"), True) for actor, person in upheld]
        if left_out is not None:
            filed.append((roll.file_objection(db, officials.clerk, election, community, kind="missing", subject=left_out,
                                              reason="本人在本社区居住，要求登记为选民"), False))
    with _at(schedule["objections_close_on"], 16):
        for objection, uphold in filed:
            roll.decide_objection(db, manager, election, community, objection, upheld=uphold,
                                  decision="经核实符合登记条件，予以登记" if uphold else "经核实户籍不在本社区，且在本社区居住不满一年，不符合登记条件")
        nominations.open_nominations(db, manager, election, community)
    entries = list(db.execute(select(RollEntry).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
                              .order_by(RollEntry.id)).scalars())
    signer_ids = {a.resident.id for a in signers}
    # Nominees: adults in the prime of life, with distinct names, none of the demo logins.
    pool = [people[e.resident_id] for e in entries if e.resident_id not in signer_ids and 28 <= polling_day.year - people[e.resident_id].birth_date.year <= 62]
    rng.shuffle(pool)
    names, nominees = set(), []
    for person in pool:
        if person.name not in names:
            names.add(person.name)
            nominees.append(person)
    paper_signers = [e.resident_id for e in entries if e.resident_id not in signer_ids][-12:]
    sections = list(db.execute(select(Section).where(Section.election_id == election.id).order_by(Section.position)).scalars())
    picked = iter(nominees)
    first = True
    with _at(schedule["objections_close_on"] + dt.timedelta(days=1), 9):
        for section in sections:
            for _ in range(candidates[section.key]):
                nominee = next(picked)
                if first:
                    first = False
                    # A joint nomination (联名提名): started and signed online by residents, the rest of the
                    # signatures from a paper form recorded by staff, until the threshold is met.
                    starter = signers[0] if signers else None
                    if starter is not None:
                        nomination = nominations.start_joint_nomination(db, starter, election, community, section, nominee,
                                                                        "在社区工作多年，熟悉居民情况。")
                        for other in signers[1:]:
                            nominations.sign(db, other, election, community, nomination)
                        needed = int(setup.config_of(election).get("elections.nomination_threshold", 10)) - len(signers)
                        nominations.record_paper_signatures(db, officials.clerk, election, community, nomination, paper_signers[:needed])
                        nominations.answer_nomination(db, officials.clerk, election, community, nomination, True)
                        nominations.review_nomination(db, manager, election, community, nomination, True, "")
                        continue
                nomination = nominations.party_nomination(db, officials.clerk, election, community, section, nominee,
                                                          "社区党组织推荐。")
                # The nominee's written acceptance (提名接受书), recorded by an official.
                nominations.answer_nomination(db, officials.clerk, election, community, nomination, True)
                nominations.review_nomination(db, manager, election, community, nomination, True, "")
    with _at(schedule["nominations_close_on"]):
        nominations.build_candidate_list(db, manager, election, community)
    with _at(schedule["candidates_published_on"]):
        nominations.publish_candidates(db, manager, election, community)
    if proxies:
        candidates_ = set(nominees[: sum(candidates.values())])
        away = [people[e.resident_id] for e in reversed(entries)
                if people[e.resident_id] not in candidates_ and e.resident_id not in signer_ids][: proxies * 2]
        with _at(schedule["proxy_deadline_on"], 11):
            for principal, holder in zip(away[::2], away[1::2]):
                nominations.register_proxy(db, officials.clerk, election, community, principal, holder,
                                           "在外地务工，选举日不能回社区投票")
    with _at(polling_day, 7, 30):
        round_ = polling.open_polling(db, manager, election, community, boxes)
    return election, round_


def _ballot(rng: random.Random, sections: list[dict], shares: dict[str, list[float]], *, online: bool) -> dict | None:
    """One voter's ballot: each candidate approved with its share; a voter who ticks too many
    usually crosses the weakest out (online always: the form refuses an overvote)."""
    if not online and rng.random() < 0.02:
        return None  # spoiled
    ballot = {}
    for section in sections:
        part = {"approve": [], "oppose": [], "write_in": []}
        ballot[section["id"]] = part
        if rng.random() < 0.03:
            continue  # left blank
        ranked = sorted(zip(section["candidates"], shares[section["id"]]), key=lambda cs: -cs[1])
        for candidate, share in ranked:
            if rng.random() < share:
                part["approve"].append(candidate["id"])
            elif rng.random() < 0.05:
                part["oppose"].append(candidate["id"])
        if len(part["approve"]) > section["seats"] and (online or rng.random() < 0.85):
            del part["approve"][section["seats"]:]
        if rng.random() < 0.03 and len(part["approve"]) < section["seats"]:
            part["write_in"].append(rng.choice(["王美玲", " 王美玲", "王美玲\u3000"]))
    return ballot


def _vote(db, rng: random.Random, election: Election, community: Community, round_: Round, officials: _Officials,
          shares: dict[str, list[float]], *, turnout: float, online_voters: list[Actor], day: dt.date, hour: int) -> dict[str, list]:
    """Polling: some vote online, the others are issued paper ballots at the boxes (proxies collect
    for their principals); returns what went into each box."""
    sections = polling.sections_of(round_)
    boxes = polling.boxes_of(db, round_)
    entries = list(db.execute(select(RollEntry).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
                              .order_by(RollEntry.id)).scalars())
    proxy_of = {p.principal_roll_id: p.proxy_roll_id for p in db.execute(
        select(nominations.Proxy).where(nominations.Proxy.election_id == election.id)).scalars()}
    by_id = {e.id: e for e in entries}
    online_voters = [a for a in online_voters if a.resident.id in {e.resident_id for e in entries}]
    online_ids = {a.resident.id for a in online_voters}
    contents: dict[str, list] = {b.key: [] for b in boxes}
    with _at(day, hour):
        for actor in online_voters:
            polling.cast_online(db, actor, election, community, round_, _ballot(rng, sections, shares, online=True))
        for entry in entries:
            if entry.resident_id in online_ids:
                continue
            holder = by_id.get(proxy_of.get(entry.id))
            if holder is None and rng.random() >= turnout:
                continue
            box = boxes[0] if holder is not None else rng.choice(boxes)
            polling.issue_paper_ballot(db, officials.clerk, election, community, round_, box, entry, proxy_holder=holder)
            contents[box.key].append(_ballot(rng, sections, shares, online=False))
    return contents


def _count(db, election: Election, community: Community, round_: Round, officials: _Officials, contents: dict[str, list],
           *, day: dt.date, hour: int, tally_box: str | None = None) -> dict:
    """Polling closes; ballots are read out one by one and confirmed by a second official (a box
    may be counted as a whole); the round closes and its results are published."""
    sections = polling.sections_of(round_)
    with _at(day, hour):
        polling.close_polling(db, officials.manager, election, community, round_, {k: len(v) for k, v in contents.items()})
    with _at(day, hour, 40):
        for key, ballots in contents.items():
            box = polling.get_box(db, round_, key)
            if key == tally_box:
                draft = polling.enter_box_tally(db, officials.clerk, community, round_, box, _tally(sections, ballots))
                polling.confirm_draft(db, officials.scrutineer, community, round_, draft, True)
                continue
            for ballot in ballots:
                draft = polling.enter_paper(db, officials.clerk, community, round_, box, ballot)
                polling.confirm_draft(db, officials.scrutineer, community, round_, draft, True)
        result = polling.close_round(db, officials.manager, election, community, round_)
        polling.publish_round(db, officials.manager, election, community, round_,
                              {"presiding": officials.manager.user.display_name, "counters": officials.clerk.user.display_name,
                               "scrutineers": officials.scrutineer.user.display_name})
    return result


def _tally(sections: list[dict], ballots: list) -> dict:
    """The tally sheet of a box counted as a whole."""
    from civic.elections.rules import normalise_name

    out = {"returned": len(ballots), "invalid": sum(1 for b in ballots if b is None), "sections": {}}
    for section in sections:
        by_name = {normalise_name(c["name"]): c["id"] for c in section["candidates"]}
        votes, write_in, invalid = {}, {}, 0
        for ballot in ballots:
            if ballot is None:
                continue
            part = ballot[section["id"]]
            persons = set(part["approve"]) | {by_name.get(normalise_name(w), "write:" + normalise_name(w)) for w in part["write_in"]}
            if len(persons) > section["seats"]:
                invalid += 1
                continue
            for cid in part["approve"]:
                votes[cid] = votes.get(cid, 0) + 1
            for name in {normalise_name(w) for w in part["write_in"]}:
                if by_name.get(name) not in part["approve"]:
                    write_in[name] = write_in.get(name, 0) + 1
        out["sections"][section["id"]] = {"invalid": invalid, "votes": votes, "write_in": write_in}
    return out


# --------------------------------------------------------------------------------------------------
# The three elections
# --------------------------------------------------------------------------------------------------


def _closed_with_runoff(db, rng: random.Random, community: Community, officials: _Officials, residents: list[Actor],
                        polling_day: dt.date) -> Election:
    window = (dt.datetime.combine(polling_day, dt.time(7, 0), TZ), dt.datetime.combine(polling_day, dt.time(18, 0), TZ))
    election, round_ = _to_polling(db, rng, community, officials, title="第十一届居民委员会选举", polling_day=polling_day,
                                   seats={"chair": 1, "vice": 1, "member": 3}, candidates={"chair": 2, "vice": 2, "member": 5},
                                   boxes=[*STATIONS, MOBILE], online_window=window, proxies=1)
    # Round 1: the chair and the vice-chair are clear; among members only one passes half the votes.
    shares = {"chair": [0.7, 0.45], "vice": [0.68, 0.4], "member": [0.68, 0.36, 0.33, 0.30, 0.14]}
    contents = _vote(db, rng, election, community, round_, officials, shares, turnout=0.82, online_voters=residents,
                     day=polling_day, hour=9)
    _count(db, election, community, round_, officials, contents, day=polling_day, hour=16, tally_box="box-2")
    # Round 2 (另行选举) the same evening for the empty member seats, at least a third of the votes to win.
    with _at(polling_day, 17, 30):
        runoff = polling.start_runoff(db, officials.manager, election, community, round_, [STATIONS[0]])
    shares = {"member": [0.62, 0.55, 0.22]}
    contents = _vote(db, rng, election, community, runoff, officials, shares, turnout=0.7, online_voters=[],
                     day=polling_day, hour=18)
    _count(db, election, community, runoff, officials, contents, day=polling_day, hour=20)
    return election


def _closed_in_one_round(db, rng: random.Random, community: Community, officials: _Officials, polling_day: dt.date) -> Election:
    election, round_ = _to_polling(db, rng, community, officials, title="第十二届居民委员会选举", polling_day=polling_day,
                                   seats={"chair": 1, "vice": 1, "member": 3}, candidates={"chair": 2, "vice": 2, "member": 4},
                                   boxes=[*STATIONS, MOBILE], online_window=None)
    shares = {"chair": [0.78, 0.18], "vice": [0.72, 0.23], "member": [0.8, 0.74, 0.66, 0.2]}
    contents = _vote(db, rng, election, community, round_, officials, shares, turnout=0.8, online_voters=[],
                     day=polling_day, hour=9)
    _count(db, election, community, round_, officials, contents, day=polling_day, hour=17, tally_box="box-1")
    return election


def _open_today(db, rng: random.Random, community: Community, officials: _Officials, residents: list[Actor],
                today: dt.date) -> Election:
    """Polling day is today: the online window runs from midnight to midnight (Shanghai time), the
    stations are open; a handful of voters have already been issued paper ballots."""
    window = (dt.datetime.combine(today, dt.time(0, 0), TZ), dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0), TZ))
    election, round_ = _to_polling(db, rng, community, officials, title="第十二届居民委员会选举", polling_day=today,
                                   seats={"chair": 1, "vice": 1, "member": 3}, candidates={"chair": 2, "vice": 2, "member": 5},
                                   boxes=[*STATIONS, MOBILE], online_window=window, signers=residents, proxies=1)
    demo_ids = {a.resident.id for a in residents}
    proxied = {p.principal_roll_id for p in db.execute(select(nominations.Proxy).where(nominations.Proxy.election_id == election.id)).scalars()}
    waiting = [e for e in db.execute(select(RollEntry).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
                                     .order_by(RollEntry.id)).scalars() if e.resident_id not in demo_ids and e.id not in proxied]
    station = polling.boxes_of(db, round_)[0]
    for entry in rng.sample(waiting, 8):
        polling.issue_paper_ballot(db, officials.clerk, election, community, round_, station, entry)
    return election
