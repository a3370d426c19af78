"""Elections at district scale (`civic demo --scale district`, the page benchmark).

Every community gets this year's election with polling day today: set up, nominations, the formal
candidate list and round 1 opened through the services on their legal dates (civic.clock.frozen), so
the schedule, the audit log and the round's genesis are exactly what real use produces. Only the
volume is bulk-written: the voter roll (the registry's adults, by the same eligibility rule as
roll.generate_roll), some online ballots (through castqueue.write_casts, the module's own writer, so
every one is on the board's hash chain) and the paper ballots already handed out at the station
(roll marks and the box's counter; at this volume without one audit entry per ballot).

The first community also has its previous election, five years ago, voted by the residents'
representatives and counted box by box through the services: closed, published, its board verifies.
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from civic import audit, clock
from civic.accounts.models import RoleAssignment, User
from civic.elections import board, castqueue, nominations, polling, roll, rules, setup
from civic.elections.demo import _ballot, _tally
from civic.elections.models import Box, Election, RollEntry, RollMark, Round, Section
from civic.i18n import TZ
from civic.registry.models import Community, Household, Resident, ResidentGroup
from civic.rulesconfig.services import current_rules
from civic.secrecy import coarse_day, tracking_code
from civic.security import Actor, ensure_permission, load_actor

SEED = 2026_07
BATCH = 10_000
SEATS = {"chair": 1, "vice": 1, "member": 3}
CANDIDATES = {"chair": 2, "vice": 2, "member": 5}
STATION = {"kind": "station", "name": "第一投票站（社区党群服务中心）"}
MOBILE = {"kind": "mobile", "name": "流动票箱", "escorts": "张建国, 李秀英, 王志强"}
NOMINEE_AGES = (25, 65)
SHARES = {"chair": [0.72, 0.25], "vice": [0.66, 0.3], "member": [0.7, 0.64, 0.58, 0.35, 0.2]}
ONLINE_VOTES = 300  # online ballots already cast in each community's open round
AT_STATION = 0.3  # share of the other voters already issued a paper ballot
# Officials of the district-scale data (district-wide admins: the scale data has no per-community staff).
OFFICIALS = {"13700000000": "规模测试选举委员会", "13700000001": "规模测试监督委员会"}


def officials(db: Session) -> list[Actor]:
    """The two district-scale officials (created once; a count needs two: one enters, the other confirms)."""
    from civic.demo import DEMO_PASSWORD
    from civic.security import hash_password

    ids = []
    for phone, name in OFFICIALS.items():
        user = db.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
        if user is None:
            user = User(display_name=name, phone=phone, password_hash=hash_password(DEMO_PASSWORD))
            db.add(user)
            db.flush()
            db.add(RoleAssignment(user_id=user.id, role="admin"))
        ids.append(user.id)
    db.commit()
    return [load_actor(db, i) for i in ids]


def scale_seed(db: Session, demo) -> None:
    rng = random.Random(SEED)
    manager, clerk = officials(db)
    today = clock.today()
    codes = sorted(demo.communities)
    _closed_by_representatives(db, rng, demo.communities[codes[0]], manager, clerk, dt.date(today.year - 5, 6, 13))
    for code in codes:
        _open_today(db, rng, demo.communities[code], manager, clerk, today)


def _years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years) if (day.month, day.day) != (2, 29) else dt.date(day.year - years, 2, 28)


def _at(day: dt.date, hour: int = 10, minute: int = 0):
    return clock.frozen(dt.datetime.combine(day, dt.time(hour, minute), TZ))


def bulk_roll(db: Session, actor: Actor, election: Election, community: Community) -> int:
    """roll.generate_roll for a community of thousands: the same eligibility rule, rows written in batches."""
    ensure_permission(actor, "elections:election:manage", community)
    setup.require_status(election, "setup")
    config = setup.config_of(election)
    groups = dict(db.execute(select(Household.id, ResidentGroup.name).join(ResidentGroup, ResidentGroup.id == Household.group_id)
                             .where(Household.community_id == community.id)).all())
    people = db.execute(select(
        Resident.id, Resident.name, Resident.household_id, Resident.birth_date, Resident.deprived_of_political_rights, Resident.hukou_here,
        Resident.lives_here, Resident.residence_since, Resident.works_here_since, Resident.is_household_head, Resident.is_resident_rep,
    ).where(Resident.community_id == community.id).order_by(Resident.id)).all()
    rows = []
    for person in people:
        ok, _code, basis = roll.eligible(person, election, config)
        if ok:
            rows.append({"election_id": election.id, "resident_id": person.id, "name": person.name, "group_name": groups.get(person.household_id, ""),
                         "basis": basis, "listed": True, "change_reason": "", "excluded_from_base": False})
    for start in range(0, len(rows), BATCH):
        db.execute(insert(RollEntry.__table__), rows[start:start + BATCH])
    audit.record(db, "elections.roll.generate", actor=actor, target=f"election:{election.public_id}", community_id=community.id,
                 data={"listed": len(rows)})
    db.commit()
    return len(rows)


def _to_polling(db: Session, rng: random.Random, community: Community, manager: Actor, clerk: Actor, *, title: str, mode: str,
                polling_day: dt.date, candidates: dict[str, int], boxes: list[dict], online_window: tuple | None) -> tuple[Election, Round]:
    """Set-up → roll → nominations (party nominations, accepted and approved) → formal list → polling opens."""
    config = dict(current_rules(db).values)
    schedule = setup.default_schedule(polling_day, config)
    opens, closes = online_window or (None, None)
    with _at(schedule["roll_published_on"] - dt.timedelta(days=4)):
        election = setup.create_election(db, manager, community, setup.ElectionInput(
            title=title, purpose="general", mode=mode, polling_day=polling_day, seats=SEATS,
            online_enabled=online_window is not None, online_opens_at=opens, online_closes_at=closes))
        bulk_roll(db, manager, election, community)
    with _at(schedule["roll_published_on"]):
        roll.publish_roll(db, manager, election, community)
    with _at(schedule["objections_close_on"], 16):
        nominations.open_nominations(db, manager, election, community)
    # Nominees: voters of working age, distinct names.
    pool = db.execute(select(Resident).join(RollEntry, RollEntry.resident_id == Resident.id)
                      .where(RollEntry.election_id == election.id, RollEntry.listed.is_(True),
                             Resident.birth_date.between(_years_before(polling_day, NOMINEE_AGES[1]), _years_before(polling_day, NOMINEE_AGES[0])))
                      .order_by(Resident.id).limit(400)).scalars().all()
    pool = list(pool)
    rng.shuffle(pool)
    names, nominees = set(), []
    for person in pool:
        if person.name not in names:
            names.add(person.name)
            nominees.append(person)
    picked = iter(nominees)
    sections = list(db.execute(select(Section).where(Section.election_id == election.id).order_by(Section.position)).scalars())
    with _at(schedule["objections_close_on"] + dt.timedelta(days=1), 9):
        for section in sections:
            for _ in range(candidates[section.key]):
                nomination = nominations.party_nomination(db, clerk, election, community, section, next(picked), "社区党组织推荐。")
                nominations.answer_nomination(db, clerk, election, community, nomination, True)
                nominations.review_nomination(db, manager, election, community, nomination, True, "")
    with _at(schedule["nominations_close_on"]):
        nominations.build_candidate_list(db, manager, election, community)
    with _at(schedule["candidates_published_on"]):
        nominations.publish_candidates(db, manager, election, community)
    with _at(polling_day, 7, 30):
        round_ = polling.open_polling(db, manager, election, community, boxes)
    return election, round_


def _open_today(db: Session, rng: random.Random, community: Community, manager: Actor, clerk: Actor, today: dt.date) -> Election:
    """Polling day is today: online voting from midnight to midnight, the station open; some have voted."""
    window = (dt.datetime.combine(today, dt.time(0, 0), TZ), dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0), TZ))
    election, round_ = _to_polling(db, rng, community, manager, clerk, title="第十二届居民委员会选举", mode="all-voters", polling_day=today,
                                   candidates=CANDIDATES, boxes=[STATION, MOBILE], online_window=window)
    entries = list(db.execute(select(RollEntry.id).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
                              .order_by(RollEntry.id)).scalars())
    rng.shuffle(entries)
    cut = min(ONLINE_VOTES, len(entries) // 4)
    online, paper = entries[:cut], entries[cut:]
    paper = paper[: int(len(paper) * AT_STATION)]
    sections = polling.sections_of(round_)
    day = coarse_day(clock.now())
    casts = [castqueue.Cast(round_.id, entry_id, board.canon(rules.canonical_ballot(
        polling.complete(_ballot(rng, sections, SHARES, online=True), sections), sections)).decode(), tracking_code(), day) for entry_id in online]
    write_online(db, round_, casts, rng)
    boxes = polling.boxes_of(db, round_)
    rows = [{"round_id": round_.id, "roll_entry_id": entry_id, "channel": "box", "box_key": boxes[i % len(boxes)].key, "by_proxy": False, "day": day}
            for i, entry_id in enumerate(sorted(paper))]
    for start in range(0, len(rows), BATCH):
        db.execute(insert(RollMark.__table__), rows[start:start + BATCH])
    for box in boxes:
        db.execute(update(Box).where(Box.id == box.id).values(issued=sum(1 for r in rows if r["box_key"] == box.key)))
    db.commit()
    return election


def write_online(db: Session, round_: Round, casts: list[castqueue.Cast], rng: random.Random) -> None:
    """castqueue's batch writer for casts known to be valid, ballots shuffled by the seeded `rng`."""
    state = castqueue.lock_round(db, round_.id)
    if state["status"] != "open":
        raise RuntimeError("the round is not open")
    castqueue.insert_batch(db, state, casts, shuffle=rng.shuffle)
    db.commit()


def _closed_by_representatives(db: Session, rng: random.Random, community: Community, manager: Actor, clerk: Actor,
                               polling_day: dt.date) -> Election:
    """The previous term's election, voted by the residents' representatives at one station, counted as a
    whole box (the tally entered by one official, confirmed by the other), closed and published."""
    from sqlalchemy import func

    # Representatives vote (a few hundred at district size; every paper ballot goes through the services); a
    # community with too few adult representatives for the candidate list and some voters: everybody.
    reps = db.scalar(select(func.count()).select_from(Resident).where(
        Resident.community_id == community.id, Resident.is_resident_rep.is_(True),
        Resident.birth_date.between(_years_before(polling_day, NOMINEE_AGES[1]), _years_before(polling_day, NOMINEE_AGES[0]))))
    mode = "representatives" if reps >= 12 else "all-voters"
    election, round_ = _to_polling(db, rng, community, manager, clerk, title="第十一届居民委员会选举", mode=mode,
                                   polling_day=polling_day, candidates={"chair": 2, "vice": 2, "member": 4}, boxes=[STATION],
                                   online_window=None)
    sections = polling.sections_of(round_)
    shares = {"chair": [0.8, 0.17], "vice": [0.75, 0.22], "member": [0.82, 0.76, 0.7, 0.18]}
    entries = list(db.execute(select(RollEntry).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
                              .order_by(RollEntry.id)).scalars())
    station = polling.boxes_of(db, round_)[0]
    ballots = []
    with _at(polling_day, 9):
        for entry in entries:
            if rng.random() < 0.88:
                polling.issue_paper_ballot(db, clerk, election, community, round_, station, entry)
                ballots.append(_ballot(rng, sections, shares, online=False))
    with _at(polling_day, 16):
        polling.close_polling(db, manager, election, community, round_, {station.key: len(ballots)})
    with _at(polling_day, 16, 40):
        draft = polling.enter_box_tally(db, clerk, community, round_, station, _tally(sections, ballots))
        polling.confirm_draft(db, manager, community, round_, draft, True)
        polling.close_round(db, manager, election, community, round_)
        polling.publish_round(db, manager, election, community, round_,
                              {"presiding": manager.user.display_name, "counters": clerk.user.display_name, "scrutineers": manager.user.display_name})
    return election
