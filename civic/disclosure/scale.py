"""Years of disclosures for many communities, written with bulk inserts (for `civic demo --scale district`
and bench/disclosure_search.py). Each notice gets one sealed version whose hash is chained and recorded in
the audit log exactly as services._seal does, so `civic audit verify` stays intact at scale."""
from __future__ import annotations

import datetime as dt
import json
import random
from types import SimpleNamespace

from sqlalchemy import insert
from sqlalchemy.orm import Session

from civic import audit
from civic.audit import GENESIS
from civic.disclosure import rules
from civic.disclosure.chain import SEAL_ACTION, version_hash
from civic.disclosure.models import Disclosure, DisclosureVersion, Obligation
from civic.i18n import TZ, translations
from civic.markdown import plain_text
from civic.registry.models import Community

WORDS = ("居民代表会议 讨论通过 老旧小区 加装电梯 垃圾分类 停车管理 绿化养护 楼道照明 消防通道 雨污分流 适老化改造 "
         "助老食堂 物业服务 公共收益 维修资金 社区公益金 便民服务 文明创建 平安巡逻 邻里互助").split()
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "秀英 建国 桂兰 志强 丽 伟 芳 军 敏 磊".split()


def _plan(rng: random.Random, community: Community, start: dt.date, today: dt.date) -> list[dict]:
    """What one community published from `start` to `today`, oldest first."""
    plan = []
    for month_start in _month_starts(start, today):
        period = rules.period_of(month_start, 1)
        on = period.end + dt.timedelta(days=rng.randint(3, 10))
        if on < today:
            table = rules.Table(["科目", "收入（元）", "支出（元）"], [
                [rng.choice(WORDS), str(rng.randint(1, 90) * 100), ""] for _ in range(3)] + [[rng.choice(WORDS), "", str(rng.randint(1, 90) * 100)] for _ in range(5)])
            plan.append(dict(on=on, category="finance", title=f"{community.name}{period.start.year}年{period.start.month}月财务收支公开",
                             body="本月收支明细如下。" + "，".join(rng.sample(WORDS, 4)) + "。", table=table, period_start=period.start))
        if month_start.month % 3 == 1:
            on = month_start + dt.timedelta(days=rng.randint(2, 20))
            if on < today:
                people = [[rng.choice(SURNAMES) + rng.choice(GIVEN), str(rng.randint(1, 4)), str(rng.randint(1, 4) * 820)] for _ in range(30)]
                plan.append(dict(on=on, category="dibao", title=f"{community.name}{on.year}年第{(on.month - 1) // 3 + 1}季度低保对象名单公示",
                                 body="现将拟享受最低生活保障家庭名单公示如下，公示期 7 天。", table=rules.Table(["户主姓名", "家庭人口", "月保障金额（元）"], people),
                                 notice_days=7, period_start=rules.period_of(on, 3).start))
        for _ in range(rng.randint(0, 2)):
            on = month_start + dt.timedelta(days=rng.randint(0, 27))
            if on < today:
                topic = rng.choice(WORDS)
                plan.append(dict(on=on, category=rng.choice(["decisions", "construction", "services", "party"]), title=f"关于{topic}的公告",
                                 body=f"经{rng.choice(WORDS)}，{topic}事项如下：" + "；".join(rng.sample(WORDS, 6)) + "。"))
    # D8: the chair's leaving audit, published before this term's election is set up (elections seed after disclosure).
    on = today - dt.timedelta(days=40)
    if on >= start:
        plan.append(dict(on=on, category="audit", title=f"{community.name}居委会主任离任经济责任审计结果公告", leaving=True,
                         body="受街道办事处委托，审计机构对原主任任期内经济责任履行情况进行了审计，未发现重大问题。"))
    return sorted(plan, key=lambda p: p["on"])


def _month_starts(start: dt.date, today: dt.date):
    day = start.replace(day=1)
    while day <= today:
        yield day
        day = (day + dt.timedelta(days=32)).replace(day=1)


def seed_communities(db: Session, communities: list[Community], *, years: int = 3, seed: int = 2026, today: dt.date | None = None,
                     corrections: float = 0.0) -> int:
    """Returns the number of notices written. A share `corrections` of the finance reports gets a correction a few
    days after publication (version 2, not material, chained to version 1 and audited as services._seal does)."""
    from civic.disclosure.queries import local_today

    rng = random.Random(seed)
    today = today or local_today()
    start = dt.date(today.year - years + 1, 1, 1)
    names = {code: translations("zh_CN").gettext(c.title) for code, c in rules.CATEGORIES.items()}
    written = 0
    for community in communities:
        db.execute(insert(Obligation), [
            {"community_id": community.id, "category": "finance", "every_months": 1, "grace_days": 10, "starts_on": start, "active": True,
             "created_at": dt.datetime.now(dt.timezone.utc)},
            {"community_id": community.id, "category": "dibao", "every_months": 3, "grace_days": 10, "starts_on": start, "active": True,
             "created_at": dt.datetime.now(dt.timezone.utc)},
        ])
        plan = _plan(rng, community, start, today)
        numbers: dict[int, int] = {}
        rows = []
        for p in plan:
            numbers[p["on"].year] = numbers.get(p["on"].year, 0) + 1
            table = p.get("table")
            public = rules.public_table(table, rules.CATEGORIES[p["category"]].names)
            notice_end = p["on"] + dt.timedelta(days=p["notice_days"]) if p.get("notice_days") else None
            rows.append({
                "community_id": community.id, "category": p["category"], "title": p["title"], "year": p["on"].year, "number": numbers[p["on"].year],
                "published_on": p["on"], "display_from": p["on"], "notice_days": p.get("notice_days"), "notice_ends_on": notice_end,
                "period_start": p.get("period_start"), "is_leaving_audit": p.get("leaving", False), "rules_version_id": None, "withdrawn_on": None,
                "withdrawn_reason": "", "read_count": rng.randint(0, 400), "created_by": None,
                "search_text": rules.search_text(p["title"], plain_text(p["body"], limit=100_000), public, []) + "\n" + names[p["category"]],
                "created_at": dt.datetime.combine(p["on"], dt.time(9), TZ).astimezone(dt.timezone.utc),
            })
        ids = db.execute(insert(Disclosure).returning(Disclosure.id, sort_by_parameter_order=True), rows).scalars().all()
        versions, sealed = [], []
        for item_id, p, row in zip(ids, plan, rows):
            table = p.get("table")
            version = SimpleNamespace(
                disclosure_id=item_id, number=1, title=p["title"], body=p["body"],
                table_json=json.dumps(table.to_json(), ensure_ascii=False) if table else "", reason="", material=False,
                sealed_by=None, sealed_at=row["created_at"],
            )
            digest = version_hash(version, [], GENESIS)
            versions.append({**vars(version), "state": "sealed", "intended_on": None, "review_comment": "", "created_by": None,
                             "created_at": row["created_at"], "reviewed_by": None, "reviewed_at": None, "prev_hash": GENESIS, "hash": digest})
            sealed.append((f"disclosure:{item_id}", {"version": 1, "hash": digest, "number": row["number"], "year": row["year"], "material": False,
                                                     "published_on": p["on"]}))
        if corrections:
            versions += _corrections(db, rng, community, ids, plan, rows, versions, corrections, names, sealed)
        db.execute(insert(DisclosureVersion), versions)
        _audit_seals(db, community.id, sealed)
        written += len(rows)
    return written


def _corrections(db: Session, rng: random.Random, community: Community, ids: list[int], plan: list[dict], rows: list[dict],
                 versions: list[dict], share: float, names: dict[str, str], sealed: list) -> list[dict]:
    """Version 2 of some finance reports: one amount was entered wrongly and is corrected."""
    from sqlalchemy import update

    now = dt.datetime.now(dt.timezone.utc)
    out = []
    for item_id, p, row, first in zip(ids, plan, rows, versions):
        if p["category"] != "finance" or rng.random() >= share:
            continue
        sealed_at = row["created_at"] + dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        if sealed_at >= now:
            continue
        table = rules.Table(p["table"].columns, [list(r) for r in p["table"].rows])
        line = rng.randrange(len(table.rows))
        cell = 1 if table.rows[line][1] else 2
        table.rows[line][cell] = str(int(table.rows[line][cell]) + rng.choice((-1, 1)) * rng.randint(1, 9) * 10)
        version = SimpleNamespace(
            disclosure_id=item_id, number=2, title=p["title"], body=p["body"], table_json=json.dumps(table.to_json(), ensure_ascii=False),
            reason=f"第{line + 1}行金额录入有误，予以更正。", material=False, sealed_by=None, sealed_at=sealed_at,
        )
        digest = version_hash(version, [], first["hash"])
        out.append({**vars(version), "state": "sealed", "intended_on": None, "review_comment": "", "created_by": None, "created_at": sealed_at,
                    "reviewed_by": None, "reviewed_at": None, "prev_hash": first["hash"], "hash": digest})
        public = rules.public_table(table, rules.CATEGORIES["finance"].names)
        db.execute(update(Disclosure).where(Disclosure.id == item_id).values(
            search_text=rules.search_text(p["title"], plain_text(p["body"], limit=100_000), public, []) + "\n" + names["finance"]))
        sealed.append((f"disclosure:{item_id}", {"version": 2, "hash": digest, "number": row["number"], "year": row["year"], "material": False,
                                                 "published_on": p["on"]}))
    return out


def _audit_seals(db: Session, community_id: int, sealed: list[tuple[str, dict]]) -> None:
    """audit.record(SEAL_ACTION, …) for each sealed version, in one batch: the same entries, chained and hashed
    by AuditEntry's own payload, the chain's head moved once (hundreds of notices per community)."""
    from sqlalchemy import update

    head = audit.lock_head(db, "audit")
    seq, prev, rows = head.seq, head.hash, []
    for target, data in sealed:
        seq += 1
        entry = audit.AuditEntry(seq=seq, at=dt.datetime.now(dt.timezone.utc), actor_id=None, on_behalf_of_id=None, action=SEAL_ACTION,
                                 target=target, community_id=community_id, data=audit.canon(data).decode(), prev=prev)
        prev = audit.sha256(entry.payload())
        rows.append({"seq": seq, "at": entry.at, "actor_id": None, "on_behalf_of_id": None, "action": SEAL_ACTION, "target": target,
                     "community_id": community_id, "data": entry.data, "prev": entry.prev, "hash": prev})
    if rows:
        db.execute(insert(audit.AuditEntry.__table__), rows)
        db.execute(update(audit.AuditHead).where(audit.AuditHead.chain == "audit").values(seq=seq, hash=prev))
    db.expire(head)


def scale_seed(db: Session, demo) -> None:
    """`civic demo --scale district`: ten years of notices in every community, a few of them corrected."""
    seed_communities(db, list(demo.communities.values()), years=10, corrections=0.03)
