"""`civic elections simulate --voters N --seed S`: a community and a whole election, through the services.

Everything the web does, the simulator does with the same service calls, on the legal dates
(civic.clock.frozen): set-up, the voter roll, nominations (party nominations, a joint nomination
signed online, one recorded from a paper form), nominee acceptance and review, the formal list, a
proxy, polling (online ballots in the window; paper ballots issued at two stations and a mobile
box), the count (one box read out ballot by ballot with a second official confirming each entry,
one box counted as a whole), closing, publishing, and a run-off when seats are left empty.

The ballots are random but drawn from `random.Random(seed)` alone: the same seed gives the same
count and result (tracking codes and ballot keys are random on purpose and differ between runs).
They include blank and null ballots, overvoted sections (paper only: the online form refuses them,
and the simulator tries that too), write-ins — of people who are no candidate, and of candidates'
names written with stray spaces, ideographic spaces or full-width letters — and near-ties.

Only the registry rows (residents, households, accounts) are inserted in bulk: they are the set-up,
not the procedure. Nothing that the procedure records bypasses its service.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from civic import clock
from civic.accounts.models import RoleAssignment, User
from civic.elections import nominations, polling, roll, rules, setup
from civic.elections.models import Election, RollEntry, Round, Section
from civic.errors import DomainError
from civic.i18n import TZ
from civic.registry.models import Community, District, Household, Resident, ResidentGroup, StreetOffice
from civic.registry.rules import make_id_number
from civic.rulesconfig.services import current_rules
from civic.security import Actor, load_actor

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文"
GIVEN = ("秀英 桂英 秀兰 玉兰 桂兰 秀珍 凤英 玉珍 丽 静 敏 燕 艳 娟 霞 芳 婷 雪梅 晓红 美玲 欣怡 思琪 佳怡 雨涵 子涵 梦琪 海燕 "
         "建国 建华 国强 志强 伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 俊杰 子轩 浩然 宇航 家豪 文博 志明").split()
SEATS = {"chair": 1, "vice": 2, "member": 4}
CANDIDATES = {"chair": 2, "vice": 3, "member": 6}
# How popular the candidates of each section are (chance a voter approves each), before jitter:
# close to one half on purpose, so that some win narrowly, some miss narrowly, and neighbours tie.
POPULARITY = {"chair": [0.66, 0.42], "vice": [0.68, 0.6, 0.36], "member": [0.7, 0.62, 0.56, 0.555, 0.5, 0.22]}
# A person who is no candidate, written in by some voters in several spellings (all one person).
WRITE_IN_VARIANTS = ["Anna王", " Anna王", "Ａｎｎａ王", "Anna王\u3000", "ＡＮＮＡ王"]
OTHER_WRITE_INS = ["赵六", "钱七 ", "\u3000孙八"]
MIN_VOTERS = 60
LARGE_BOX = 500  # ballots
POLLING_DAY = dt.date(2026, 6, 14)  # a Sunday; the simulated world's calendar is fixed


@dataclass
class Simulation:
    """What was simulated: the election, and what each round's count found."""

    election: Election
    community: Community
    results: list[dict] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)
    seconds: float = 0.0


class _World:
    """The people of the simulated community and the officials who run the election."""

    def __init__(self, db: Session, rng: random.Random, voters: int):
        self.db, self.rng = db, rng
        n = (db.scalar(select(func.count()).select_from(Community)) or 0) + 1
        district = db.execute(select(District).where(District.code == "sim")).scalar_one_or_none()
        if district is None:
            district = District(name="模拟区", code="sim")
            db.add(district)
            db.flush()
            street = StreetOffice(district_id=district.id, name="模拟街道", code="sim-street")
            db.add(street)
            db.flush()
        else:
            street = db.execute(select(StreetOffice).where(StreetOffice.code == "sim-street")).scalar_one()
        code = f"sim{n:04d}"
        while db.execute(select(Community.id).where(Community.code == code)).first():
            n += 1
            code = f"sim{n:04d}"
        self.community = Community(street_id=street.id, name=f"模拟社区{n}", code=code, address=f"模拟路 {n} 号")
        db.add(self.community)
        db.flush()
        groups = [ResidentGroup(community_id=self.community.id, number=i, name=f"第{i}居民小组") for i in range(1, 9)]
        db.add_all(groups)
        db.flush()
        self.area = f"9{n % 100000:05d}"
        self._residents(voters, [g.id for g in groups])
        self.committee = self._official("选委会主任", [("election_committee", self.community), ("staff", self.community)])
        self.clerk = self._official("唱票员", [("staff", self.community)])
        self.scrutineer = self._official("监票人", [("supervision_committee", self.community)])

    def _residents(self, voters: int, group_ids: list[int]) -> None:
        """`voters` eligible adults, plus some who are not: minors, and one deprived of political rights."""
        db, rng = self.db, self.rng
        households = []
        for h in range(max(1, voters * 2 // 5)):
            households.append({"community_id": self.community.id, "group_id": group_ids[h % len(group_ids)],
                               "number": f"{self.community.code.upper()}-{h + 1:05d}", "building": f"{h // 24 + 1}幢",
                               "unit": f"{h % 24 // 12 + 1}单元", "room": f"{h % 12 + 1:02d}01"})
        db.execute(insert(Household), households)
        household_ids = list(db.execute(select(Household.id).where(Household.community_id == self.community.id)
                                        .order_by(Household.id)).scalars())
        people, seen_ids, names = [], set(), set()
        minors = max(1, voters // 40)
        for i in range(voters + minors + 1):
            gender = rng.choice("FM")
            if i < voters + 1:
                birth = POLLING_DAY - dt.timedelta(days=rng.randint(18 * 366, 90 * 365))
            else:
                birth = POLLING_DAY - dt.timedelta(days=rng.randint(3 * 365, 18 * 365 - 10))
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            if i < 40:  # the nominees come first: their names must be told apart on a ballot
                while name in names:
                    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                names.add(name)
            id_number = make_id_number(self.area, birth, i, gender)
            while id_number in seen_ids:
                birth -= dt.timedelta(days=1)
                id_number = make_id_number(self.area, birth, i, gender)
            seen_ids.add(id_number)
            people.append({
                "community_id": self.community.id, "household_id": household_ids[i % len(household_ids)], "name": name,
                "gender": gender, "birth_date": birth, "id_number": id_number, "phone": "",
                "hukou_here": rng.random() > 0.1, "lives_here": True, "residence_since": birth,
                "deprived_of_political_rights": i == voters, "is_household_head": i < len(household_ids),
                "party_member": rng.random() < 0.1,
            })
        for start in range(0, len(people), 2000):
            db.execute(insert(Resident), people[start:start + 2000])
        db.commit()

    def _official(self, title: str, roles: list[tuple[str, Community]]) -> Actor:
        user = User(display_name=f"{title}（{self.community.name}）", phone=None, password_hash=None)
        self.db.add(user)
        self.db.flush()
        for role, community in roles:
            self.db.add(RoleAssignment(user_id=user.id, role=role, community_id=community.id))
        self.db.commit()
        return load_actor(self.db, user.id)

    def accounts(self, resident_ids: list[int]) -> dict[int, Actor]:
        """Residents who vote online have an account; their actor as the web would load it."""
        db = self.db
        have = dict(db.execute(select(User.resident_id, User.id).where(User.resident_id.in_(resident_ids))).all()) if resident_ids else {}
        missing = [r for r in resident_ids if r not in have]
        names = dict(db.execute(select(Resident.id, Resident.name).where(Resident.community_id == self.community.id)).all())
        for start in range(0, len(missing), 2000):
            db.execute(insert(User), [{"resident_id": r, "display_name": names[r], "phone": None, "password_hash": None}
                                      for r in missing[start:start + 2000]])
        db.commit()
        users = {u.resident_id: u for u in db.execute(select(User).where(User.resident_id.in_(resident_ids))).scalars()} if resident_ids else {}
        residents = {r.id: r for r in db.execute(select(Resident).where(Resident.id.in_(resident_ids))).scalars()} if resident_ids else {}
        # Residents have no role rows: their roles follow from the registry (civic.security.roles_for).
        return {rid: Actor(user=users[rid], resident=residents[rid], roles=[("resident", self.community.id, None)]
                           + ([("resident_rep", self.community.id, None)] if residents[rid].is_resident_rep else [])
                           + ([("party_rep", self.community.id, None)] if residents[rid].is_party_rep else []))
                for rid in resident_ids}


class _Ballots:
    """Random ballots for one round: popularity per candidate, jittered by the seed."""

    def __init__(self, rng: random.Random, sections: list[dict]):
        self.rng, self.sections = rng, sections
        self.popularity = {}
        for section in sections:
            base = POPULARITY.get(section["id"], [])
            self.popularity[section["id"]] = [
                max(0.05, min(0.95, (base[i] if i < len(base) else 0.45) + rng.uniform(-0.03, 0.03)))
                for i in range(len(section["candidates"]))
            ]

    def draw(self, *, online: bool) -> dict | None:
        """One ballot as a voter marks it; None for a paper ballot invalid as a whole."""
        rng = self.rng
        if not online and rng.random() < 0.01:
            return None
        ballot = {}
        blank = rng.random() < 0.015
        for section in self.sections:
            part = {"approve": [], "oppose": [], "write_in": []}
            ballot[section["id"]] = part
            if blank or rng.random() < 0.03:
                continue
            candidates = section["candidates"]
            ranked = sorted(zip(candidates, self.popularity[section["id"]]), key=lambda cp: -cp[1])
            for candidate, p in ranked:
                if rng.random() < p:
                    part["approve"].append(candidate["id"])
                elif rng.random() < 0.08:
                    part["oppose"].append(candidate["id"])
            roll_ = rng.random()
            if roll_ < 0.015:
                part["write_in"].append(rng.choice(WRITE_IN_VARIANTS))
            elif roll_ < 0.025:
                part["write_in"].append(rng.choice(OTHER_WRITE_INS))
            elif roll_ < 0.035:
                # A candidate's name written in rather than ticked, spelt with stray spaces.
                candidate = rng.choice(candidates)
                if candidate["id"] not in part["oppose"]:
                    part["write_in"].append(rng.choice(["", " ", "\u3000"]) + candidate["name"] + rng.choice(["", " ", "\u3000"]))
            # Too many marks: online the form refuses, and the voter crosses out their least favoured
            # (ticks are in order of popularity); on paper most voters do the same, some do not.
            if online or rng.random() < 0.8:
                self._fit(part, section)
        return ballot

    def overvote(self, ballot: dict) -> dict:
        """The ballot with one section ticked beyond its seats (what the online form refuses)."""
        section = max(self.sections, key=lambda s: len(s["candidates"]) - s["seats"])
        wrong = {sid: {k: list(v) for k, v in part.items()} for sid, part in ballot.items()}
        wrong[section["id"]] = {"approve": [c["id"] for c in section["candidates"][: section["seats"] + 1]], "oppose": [], "write_in": []}
        return wrong

    @staticmethod
    def _persons(part: dict, section: dict) -> set[str]:
        by_name = {rules.normalise_name(c["name"]): c["id"] for c in section["candidates"]}
        return set(part["approve"]) | {by_name.get(rules.normalise_name(w), "write:" + rules.normalise_name(w)) for w in part["write_in"]}

    def _fit(self, part: dict, section: dict) -> None:
        """Online, the form refuses an overvote: the voter drops ticks until the section fits."""
        while len(self._persons(part, section)) > section["seats"]:
            if part["write_in"]:
                part["write_in"].pop()
            else:
                part["approve"].pop()

    def tally(self, ballots: list[dict | None]) -> dict:
        """A box counted as a whole: what the counters write on the tally sheet for these ballots."""
        out = {"returned": len(ballots), "invalid": sum(1 for b in ballots if b is None), "sections": {}}
        for section in self.sections:
            votes, write_in, invalid = Counter(), Counter(), 0
            ids = {c["id"] for c in section["candidates"]}
            by_name = {rules.normalise_name(c["name"]): c["id"] for c in section["candidates"]}
            for ballot in ballots:
                if ballot is None:
                    continue
                part = ballot[section["id"]]
                if len(self._persons(part, section)) > section["seats"]:
                    invalid += 1
                    continue
                approved = set(part["approve"])
                written = {}
                for name in part["write_in"]:
                    person = by_name.get(rules.normalise_name(name), "write:" + rules.normalise_name(name))
                    if person not in approved:
                        written.setdefault(person, name)  # the name as the counters read it out
                for cid in approved & ids:
                    votes[cid] += 1
                for name in written.values():
                    write_in[name] += 1
            out["sections"][section["id"]] = {"invalid": invalid, "votes": dict(sorted(votes.items())),
                                              "write_in": dict(sorted(write_in.items()))}
        return out


def simulate(db: Session, voters: int, seed: int, *, runoff: bool = True, progress=None) -> Simulation:
    """Build a community of `voters` voters and run an election to its published result."""
    if voters < MIN_VOTERS:
        raise ValueError(f"simulate needs at least {MIN_VOTERS} voters (nominees, nominators and proxies come from the roll)")
    started = time.perf_counter()
    rng = random.Random(seed)
    say = progress or (lambda _message: None)
    config = dict(current_rules(db).values)
    world = _World(db, rng, voters)
    community, committee = world.community, world.committee
    say(f"community {community.name}: {voters} voters")
    election = _prepare(db, world, rng, config)
    sim = Simulation(election=election, community=community)
    round_ = polling.get_round(db, election, 1)
    voter_entries = list(db.execute(select(RollEntry).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
                                    .order_by(RollEntry.id)).scalars())
    sim.stats["roll"] = len(voter_entries)
    number = 1
    while True:
        # A run-off (另行选举) is held the same afternoon, while the online window is still open.
        hour = 9 + 5 * (number - 1)
        say(f"round {number}: polling")
        boxes, draw = _poll(db, world, rng, election, round_, voter_entries, sim, hour=hour, turnout=0.78 if number == 1 else 0.6)
        say(f"round {number}: counting")
        with clock.frozen(dt.datetime.combine(POLLING_DAY, dt.time(hour + 2, 30), TZ)):
            _count(db, world, rng, election, round_, boxes, draw, sim)
            result = polling.close_round(db, committee, election, community, round_)
            sim.results.append(result)
            polling.publish_round(db, committee, election, community, round_,
                                  {"presiding": "选委会主任", "counters": "唱票员", "scrutineers": "监票人"})
        unfilled = sum(s["unfilled"] for s in result["sections"].values())
        if not (runoff and result["valid"] and unfilled and number < 2):
            break
        number += 1
        with clock.frozen(dt.datetime.combine(POLLING_DAY, dt.time(hour + 3, 30), TZ)):
            try:
                round_ = polling.start_runoff(db, committee, election, community, round_,
                                              [{"kind": "station", "name": "第一投票站"}, {"kind": "station", "name": "第二投票站"},
                                               {"kind": "mobile", "name": "流动票箱", "escorts": "唱票员, 监票人, 选委会主任"}])
            except DomainError:
                break
    sim.seconds = time.perf_counter() - started
    return sim


def _prepare(db: Session, world: _World, rng: random.Random, config: dict) -> Election:
    """Set-up, roll, objections, nominations, candidates and a proxy, each on a legal date."""
    community, committee = world.community, world.committee
    schedule = setup.default_schedule(POLLING_DAY, config)
    opens = dt.datetime.combine(POLLING_DAY, dt.time(7, 0), TZ)
    closes = dt.datetime.combine(POLLING_DAY, dt.time(20, 0), TZ)
    with clock.frozen(schedule["roll_published_on"] - dt.timedelta(days=3)):
        election = setup.create_election(db, committee, community, setup.ElectionInput(
            title="社区居民委员会换届选举（模拟）", purpose="general", mode="all-voters", polling_day=POLLING_DAY,
            seats=dict(SEATS), online_enabled=True, online_opens_at=opens, online_closes_at=closes),
            check_leaving_audit=False)  # a synthetic community with no notice board: D8 is not what is simulated
        roll.generate_roll(db, committee, election, community)
    with clock.frozen(schedule["roll_published_on"]):
        roll.publish_roll(db, committee, election, community)
    entries = list(db.execute(select(RollEntry).where(RollEntry.election_id == election.id).order_by(RollEntry.id)).scalars())
    residents = {r.id: r for r in db.execute(select(Resident).where(Resident.community_id == community.id)).scalars()}
    with clock.frozen(schedule["roll_published_on"] + dt.timedelta(days=2)):
        # A resident left off the list (hukou elsewhere, living here for years) objects and is added.
        missing = next((r for r in residents.values() if not r.hukou_here and r.id not in {e.resident_id for e in entries}), None)
        if missing is not None:
            objection = roll.file_objection(db, committee, election, community, kind="missing", subject=missing,
                                            reason="长期居住在本社区，应当登记")
            roll.decide_objection(db, committee, election, community, objection, upheld=True, decision="核实居住满一年，予以登记")
    with clock.frozen(schedule["nominations_open_on"]):
        nominations.open_nominations(db, committee, election, community)
        entries = list(db.execute(select(RollEntry).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
                                  .order_by(RollEntry.id)).scalars())
        sections = list(db.execute(select(Section).where(Section.election_id == election.id).order_by(Section.position)).scalars())
        pool = [residents[e.resident_id] for e in entries[:20]]
        nominees = iter(pool)
        signers = [e.resident_id for e in entries[20:50]]
        actors = world.accounts(signers[:12])
        kinds = iter(["joint-online", "joint-paper"] + ["party"] * 20)
        for section in sections:
            for _ in range(CANDIDATES[section.key]):
                nominee = next(nominees)
                kind = next(kinds)
                if kind == "joint-online":  # started by one voter, signed online by others to the threshold
                    first, *others = [actors[r] for r in signers[:12]]
                    nomination = nominations.start_joint_nomination(db, first, election, community, section, nominee, "热心社区事务")
                    for actor in others:
                        nominations.sign(db, actor, election, community, nomination)
                elif kind == "joint-paper":  # a paper form with ten signatures, recorded by staff
                    first = actors[signers[0]]
                    nomination = nominations.start_joint_nomination(db, first, election, community, section, nominee)
                    nominations.record_paper_signatures(db, world.clerk, election, community, nomination, signers[12:21])
                else:
                    nomination = nominations.party_nomination(db, committee, election, community, section, nominee, "社区党委推荐")
                # The nominee's written acceptance, recorded by an official.
                nominations.answer_nomination(db, world.clerk, election, community, nomination, True)
                nominations.review_nomination(db, committee, election, community, nomination, True, "")
        nominations.build_candidate_list(db, committee, election, community)
    with clock.frozen(schedule["candidates_published_on"]):
        nominations.publish_candidates(db, committee, election, community)
        # Two voters away on polling day authorise a proxy (E24); the proxy votes for them on paper.
        holder, *principals = [residents[e.resident_id] for e in entries[-3:]]
        for principal in principals:
            nominations.register_proxy(db, committee, election, community, principal, holder, "外出务工，选举日不在本社区")
    with clock.frozen(POLLING_DAY):
        polling.open_polling(db, committee, election, community, [
            {"kind": "station", "name": "第一投票站"}, {"kind": "station", "name": "第二投票站"},
            {"kind": "mobile", "name": "流动票箱", "escorts": "唱票员, 监票人, 选委会主任"}])
    return election


def _trim(db: Session, *keep: object) -> None:
    """Forget what the services loaded along the way (one roll entry per ballot, …), keeping `keep`.
    Bulk updates check every object the session holds, so a session kept small stays fast."""
    keep_ids = {id(obj) for obj in keep}
    for obj in list(db.identity_map.values()):
        if id(obj) not in keep_ids:
            db.expunge(obj)


def _poll(db: Session, world: _World, rng: random.Random, election: Election, round_: Round, entries: list[RollEntry],
          sim: Simulation, *, hour: int, turnout: float) -> tuple[dict[str, list], _Ballots]:
    """Polling day: who votes, where, and what; online casts and station issues through the services."""
    community = world.community
    proxies = {p.principal_roll_id: p.proxy_roll_id for p in db.execute(
        select(nominations.Proxy).where(nominations.Proxy.election_id == election.id)).scalars()}
    by_id = {e.id: e for e in entries}
    boxes = polling.boxes_of(db, round_)
    plan: list[tuple[RollEntry, str]] = []
    for entry in entries:
        if entry.id in proxies:
            plan.append((entry, "proxy"))
        elif rng.random() < turnout:
            where = rng.random()
            plan.append((entry, "online" if where < 0.55 else "box-1" if where < 0.73 else "box-2" if where < 0.92 else "box-3"))
    actors = world.accounts([e.resident_id for e, channel in plan if channel == "online"])
    draw = _Ballots(rng, polling.sections_of(round_))
    sim_ballots: dict[str, list] = {box.key: [] for box in boxes}
    keys = {box.key: box for box in boxes}
    with clock.frozen(dt.datetime.combine(POLLING_DAY, dt.time(hour, 0), TZ)):
        for done, (entry, channel) in enumerate(plan):
            if done % 25 == 0:
                _trim(db, election, round_, community, *boxes)
            if channel == "online":
                ballot = draw.draw(online=True)
                actor = actors[entry.resident_id]
                if rng.random() < 0.01:  # the form refuses an overvote; the voter corrects it
                    try:
                        polling.cast_online(db, actor, election, community, round_, draw.overvote(ballot))
                    except polling.BallotInvalid:
                        sim.stats["online overvotes refused"] += 1
                polling.cast_online(db, actor, election, community, round_, ballot)
                sim.stats["online"] += 1
                if rng.random() < 0.005 or sim.stats["online"] % 97 == 1:  # a second try is refused, online and at the station
                    try:
                        polling.cast_online(db, actor, election, community, round_, ballot)
                    except DomainError:
                        sim.stats["second ballots refused"] += 1
                    try:
                        polling.issue_paper_ballot(db, world.clerk, election, community, round_, keys["box-1"], entry)
                    except DomainError:
                        sim.stats["second ballots refused"] += 1
            else:
                key = "box-1" if channel == "proxy" else channel
                holder = by_id.get(proxies.get(entry.id)) if channel == "proxy" else None
                polling.issue_paper_ballot(db, world.clerk, election, community, round_, keys[key], entry, proxy_holder=holder)
                sim.stats["paper issued"] += 1
                sim_ballots[key].append(draw.draw(online=False))
        returned = {}
        for key, ballots in sim_ballots.items():
            lost = sum(1 for _ in ballots if rng.random() < 0.01)  # taken away, not put in the box
            del ballots[len(ballots) - lost:]
            returned[key] = len(ballots)
        polling.close_polling(db, world.committee, election, community, round_, returned)
    return sim_ballots, draw


def _count(db: Session, world: _World, rng: random.Random, election: Election, round_: Round, boxes: dict[str, list], draw: _Ballots,
           sim: Simulation) -> None:
    """The count: box-2 (and a large box-1) as a whole, on a tally sheet; the others read out ballot by
    ballot (唱票), each entry confirmed by a second official; now and then an entry is wrong and rejected."""
    community = world.community
    for key, ballots in boxes.items():
        box = polling.get_box(db, round_, key)
        # box-2 is counted by tally sheet; so is box-1 when it is large (at a station of hundreds,
        # counting the box as a whole is the practice); the mobile box is always read out.
        if key == "box-2" or (key == "box-1" and len(ballots) > LARGE_BOX):
            draft = polling.enter_box_tally(db, world.clerk, community, round_, box, draw.tally(ballots))
            polling.confirm_draft(db, world.scrutineer, community, round_, draft, True)
            sim.stats["box tallies"] += 1
            continue
        for done, ballot in enumerate(ballots):
            if done % 25 == 0:
                _trim(db, election, round_, community, box)
            if rng.random() < 0.005 and ballot is not None:  # misread: the scrutineer rejects, the clerk re-enters
                wrong = polling.enter_paper(db, world.clerk, community, round_, box, None)
                polling.confirm_draft(db, world.scrutineer, community, round_, wrong, False)
                sim.stats["entries rejected"] += 1
            draft = polling.enter_paper(db, world.clerk, community, round_, box, ballot)
            polling.confirm_draft(db, world.scrutineer, community, round_, draft, True)
            sim.stats["paper entered"] += 1
            sim.stats["null ballots"] += ballot is None
