"""Consultations at district scale (`civic demo --scale district`, the page benchmark).

Every community: accounts for some of its adult residents (phones 137CCCNNNNN, password civic-demo-2026;
13700100001 is the first of 规模001社区), three topics taken through the services (one proposed and
supported, one declined with its reason, one accepted as a deliberation council), a short thread on the
proposed one and a representatives' meeting called. In the first THREAD_COMMUNITIES communities a
further topic carries a 10,000-comment thread (in a community of 10,000 residents; proportionally shorter in a
smaller one): 2,500 top-level comments and 7,500 replies up to five levels deep, with stances and up-votes.

Comments and up-votes are bulk-written as the services would write them (paths, root ids, reply and
up-vote counters; one CommentVote row per up-vote) and each has its audit entry, appended to the audit
chain in one batch with the chain's own hashing, so `civic audit verify` holds.
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from civic import audit
from civic.accounts.models import RoleAssignment, User
from civic.consultations import formal, rules, services
from civic.consultations.models import Comment, CommentVote, Consultation
from civic.markdown import render_markdown
from civic.registry.models import Community, Resident
from civic.security import Actor, load_actor

SEED = 2026_08
USERS = 60  # accounts per community
THREAD_USERS = 400  # accounts in a community with a 10,000-comment thread
THREAD_COMMUNITIES = 5
BIG = (2_500, 7_500)  # top-level comments, replies
SMALL = (12, 28)
BATCH = 10_000
STAFF_PHONE = "13700000002"
BODIES = [
    "我同意这个方案，但希望**先公示预算**。",
    "建议分期实施，先在一个楼栋试点，效果好再推广。",
    "费用怎么分摊？一楼住户和高层住户的受益不一样。",
    "支持！家里老人上下楼太难了。",
    "施工期间的噪音和安全问题要提前考虑。",
    "能不能请物业公司一起来说明一下后续的维护费用？",
    "上次类似的事情拖了很久，希望这次有明确的时间表。",
    "我反对，小区的公共空间已经很少了。",
]
TOPICS = [
    ("关于小区停车收费标准调整的讨论", "小区停车位紧张，外来车辆多，建议调整临时停车收费标准，收益用于小区维修。"),
    ("为老旧楼栋加装电梯征集意见", "多幢楼住着很多老人，上下楼困难。建议社区牵头征集住户意见，研究费用分摊办法。"),
    ("在小区外墙设置商业广告牌", "有商户来信，希望在小区临街外墙设置广告牌，收入用于小区维修。"),
    ("增设电动自行车集中充电点", "楼道里给电动车充电有火灾隐患，建议在小区内增设集中充电点。"),
]


def _staff(db: Session) -> Actor:
    """The district-scale community worker (a district-wide admin: the scale data has no per-community staff)."""
    from civic.demo import DEMO_PASSWORD
    from civic.security import hash_password

    user = db.execute(select(User).where(User.phone == STAFF_PHONE)).scalar_one_or_none()
    if user is None:
        user = User(display_name="规模测试社工", phone=STAFF_PHONE, password_hash=hash_password(DEMO_PASSWORD))
        db.add(user)
        db.flush()
        db.add(RoleAssignment(user_id=user.id, role="admin"))
        db.commit()
    return load_actor(db, user.id)


def resident_accounts(db: Session, community: Community, number: int, count: int, password_hash: str) -> list[int]:
    """Accounts for the community's first `count` adults without one (phones 137 + community number + serial)."""
    today = services.local_today()
    adult = today.replace(year=today.year - 18) if (today.month, today.day) != (2, 29) else dt.date(today.year - 18, 2, 28)
    taken = select(User.resident_id).where(User.resident_id.is_not(None))
    people = db.execute(select(Resident.id, Resident.name).where(
        Resident.community_id == community.id, Resident.birth_date <= adult, Resident.deprived_of_political_rights.is_(False),
        Resident.id.not_in(taken)).order_by(Resident.id).limit(count)).all()
    now = dt.datetime.now(dt.timezone.utc)
    rows = [{"resident_id": rid, "display_name": name, "phone": f"137{number:03d}{n:05d}", "password_hash": password_hash, "active": True,
             "session_version": 1, "created_at": now} for n, (rid, name) in enumerate(people, start=1)]
    if rows:
        db.execute(insert(User.__table__), rows)
    db.commit()
    return list(db.execute(select(User.id).where(User.phone.in_([r["phone"] for r in rows])).order_by(User.id)).scalars())


def scale_seed(db: Session, demo) -> None:
    from civic.demo import DEMO_PASSWORD
    from civic.security import hash_password

    rng = random.Random(SEED)
    staff = _staff(db)
    password_hash = hash_password(DEMO_PASSWORD)
    for index, code in enumerate(sorted(demo.communities)):
        community = demo.communities[code]
        big = index < THREAD_COMMUNITIES
        users = resident_accounts(db, community, index + 1, THREAD_USERS if big else USERS, password_hash)
        if len(users) < 4:
            continue
        seed_community(db, rng, staff, community, users, big=big)


def seed_community(db: Session, rng: random.Random, staff: Actor, community: Community, users: list[int], *, big: bool) -> None:
    actors = [load_actor(db, uid) for uid in users[:4]]
    title, body = TOPICS[1]
    lift = services.propose_topic(db, actors[0], community, title=title, body=body)
    for supporter in actors[1:]:
        services.toggle_support(db, supporter, lift)
    bulk_thread(db, rng, lift, users, *SMALL)
    title, body = TOPICS[2]
    billboard = services.record_topic(db, staff, community, title=title, body=body, source="mailbox", source_note="民情信箱来信",
                                      proposer_name="一位商户")
    services.decide_topic(db, staff, billboard, verdict="decline",
                          reason="外墙属于全体业主共有部分，设置广告须由业主大会决定，不属于居委会协商事项；已转告业主委员会。")
    title, body = TOPICS[3]
    charging = services.propose_topic(db, actors[1], community, title=title, body=body)
    services.decide_topic(db, staff, charging, verdict="accept", form="council", reason="涉及全体居民安全，提交居民议事会协商。")
    today = services.local_today()
    formal.call_meeting(db, staff, community, {
        "kind": "representatives", "title": "居民代表会议（本季度）", "composition": "", "meeting_date": today + dt.timedelta(days=20),
        "place": f"{community.name}党群服务中心", "urgent": False, "urgent_reason": "", "requested": False, "requesters": 0,
        "request_basis": "", "members": 50, "representative_members": 45,
    }, today=today)
    if big:
        # As long as the community is big: 10,000 comments for 10,000 residents (a smaller district, a shorter thread).
        residents = db.scalar(select(func.count()).select_from(Resident).where(Resident.community_id == community.id)) or 0
        share = min(1.0, residents / sum(BIG))
        title, body = TOPICS[0]
        parking = services.propose_topic(db, actors[2], community, title=title, body=body)
        bulk_thread(db, rng, parking, users, max(SMALL[0], round(BIG[0] * share)), max(SMALL[1], round(BIG[1] * share)))


def bulk_thread(db: Session, rng: random.Random, consultation: Consultation, user_ids: list[int], roots: int, replies: int) -> int:
    """`roots` top-level comments and `replies` replies (depth 1–5) over the past weeks, with up-votes, written
    as comments.post_comment and comments.toggle_vote would write them, audit entries included."""
    now = dt.datetime.now(dt.timezone.utc)
    began = now - dt.timedelta(days=21)
    db.execute(update(Consultation).where(Consultation.id == consultation.id).values(created_at=began))
    names = dict(db.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
    html = {body: str(render_markdown(body)) for body in BODIES}
    start = (db.scalar(select(func.max(Comment.id))) or 0) + 1
    total = roots + replies
    step = (now - began) / (total + 1)
    rows: list[dict] = []
    by_id: dict[int, dict] = {}
    root_ids: list[int] = []
    for n in range(total):
        cid = start + n
        parent = None
        if n >= roots:
            parent = by_id[rng.choice(root_ids)] if rng.random() < 0.5 or n < roots + 10 else rows[rng.randrange(len(rows))]
            if parent["depth"] >= 5:
                parent = by_id[parent["root_id"]]
        body = rng.choice(BODIES)
        author = rng.choice(user_ids)
        row = {
            "id": cid, "consultation_id": consultation.id, "agenda_item_id": None, "parent_id": parent["id"] if parent else None,
            "root_id": (parent["root_id"] or parent["id"]) if parent else None, "depth": parent["depth"] + 1 if parent else 0,
            "path": rules.path_for(parent["path"] if parent else "", cid), "author_user_id": author, "display_name": names[author],
            "body": body, "html": html[body], "stance": rng.choice(list(rules.STANCES)), "created_at": began + step * (n + 1),
            "edited_at": None, "deleted_at": None, "state": "visible", "upvotes": 0, "replies": 0, "reports": 0,
        }
        rows.append(row)
        by_id[cid] = row
        if parent is None:
            root_ids.append(cid)
        else:
            for ancestor in parent["path"].split("."):
                by_id[int(ancestor)]["replies"] += 1
    # Interleave roots and replies in time as a live thread does: replies come after their parent.
    votes, entries = [], []
    for row in rows:
        entries.append((row["created_at"], "consultations.comment.post", row["author_user_id"], f"comment:{row['id']}",
                        {"consultation": consultation.id, "parent": row["parent_id"]}))
        count = min(len(user_ids) - 1, int(rng.paretovariate(1.5)) - 1)
        voters = [u for u in rng.sample(user_ids, min(len(user_ids), count + 1)) if u != row["author_user_id"]][:count]
        row["upvotes"] = len(voters)
        for voter in voters:
            votes.append({"comment_id": row["id"], "user_id": voter})
            entries.append((min(now, row["created_at"] + dt.timedelta(minutes=rng.randint(1, 600))), "consultations.comment.vote", voter, f"comment:{row['id']}", {}))
    for chunk in range(0, len(rows), BATCH):
        db.execute(insert(Comment.__table__), rows[chunk:chunk + BATCH])
    for chunk in range(0, len(votes), BATCH):
        db.execute(insert(CommentVote.__table__), votes[chunk:chunk + BATCH])
    entries.sort(key=lambda e: e[0])
    append_audit(db, [(at, action, actor, target, consultation.community_id, data) for at, action, actor, target, data in entries])
    if db.get_bind().dialect.name == "postgresql":  # explicit ids were inserted: move the sequence past them
        db.execute(text("SELECT setval(pg_get_serial_sequence('consultations_comment', 'id'), (SELECT max(id) FROM consultations_comment))"))
    db.commit()
    return len(rows)


def append_audit(db: Session, records: list[tuple]) -> None:
    """Many audit.record calls in one: (at, action, actor user id, target, community id, data) each, chained and
    hashed by AuditEntry's own payload, written in batches, the chain's head moved once."""
    head = audit.lock_head(db, "audit")
    seq, prev = head.seq, head.hash
    rows = []
    for at, action, actor_id, target, community_id, data in records:
        seq += 1
        entry = audit.AuditEntry(seq=seq, at=at, actor_id=actor_id, on_behalf_of_id=None, action=action, target=target,
                                 community_id=community_id, data=audit.canon(data or {}).decode(), prev=prev)
        prev = audit.sha256(entry.payload())
        rows.append({"seq": seq, "at": at, "actor_id": actor_id, "on_behalf_of_id": None, "action": action, "target": target,
                     "community_id": community_id, "data": entry.data, "prev": entry.prev, "hash": prev})
    for chunk in range(0, len(rows), BATCH):
        db.execute(insert(audit.AuditEntry.__table__), rows[chunk:chunk + BATCH])
    db.execute(update(audit.AuditHead).where(audit.AuditHead.chain == "audit").values(seq=seq, hash=prev))
    db.expire(head)
