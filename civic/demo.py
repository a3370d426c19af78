"""The demo district: one street office, three communities, a few hundred residents with known logins.

Deterministic (seeded) and safe to run twice: a second run finds the district and stops.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from civic import audit
from civic.accounts.models import AccessCode, RoleAssignment, User
from civic.modules import domain_modules, seed_order
from civic.registry.models import Community, District, Grid, Household, Resident, ResidentGroup, StreetOffice
from civic.registry.rules import make_id_number
from civic.rulesconfig.services import ensure_profile
from civic.security import hash_code, hash_password

DEMO_PASSWORD = "civic-demo-2026"
DEMO_ACTIVATION_CODE = "DEMO-2026-ANHE"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN_F = "秀英 桂英 秀兰 玉兰 桂兰 秀珍 凤英 玉珍 丽 静 敏 燕 艳 娟 霞 芳 婷 雪梅 晓红 美玲 欣怡 思琪 佳怡 雨涵 子涵 梦琪 海燕 春梅 丽华 淑珍".split()
GIVEN_M = "建国 建华 国强 志强 伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 俊杰 子轩 浩然 宇航 家豪 文博 志明".split()
COMMUNITIES = [
    ("anhe", "安和社区", "安和路 88 号", "330102"),
    ("kangning", "康宁社区", "康宁街 16 号", "330103"),
    ("heping", "和平社区", "和平大道 203 号", "330104"),
]

# Known logins (README lists them): phone -> (display name, roles, community code or None)
STAFF_LOGINS = {
    "13800000000": ("系统管理员", [("admin", None)], None),
    "13800000001": ("周督导（街道）", [("street_supervisor", "street")], None),
    "13800000010": ("陈晓红（安和社工）", [("staff", "anhe")], "anhe"),
    "13800000011": ("林国强（安和选委会）", [("election_committee", "anhe"), ("staff", "anhe")], "anhe"),
    "13800000012": ("郑淑珍（安和监委会）", [("supervision_committee", "anhe")], "anhe"),
    "13800000020": ("吴海燕（康宁社工）", [("staff", "kangning")], "kangning"),
    "13800000030": ("黄志明（和平社工）", [("staff", "heping")], "heping"),
}
RESIDENT_LOGINS = {"13900000001": "resident", "13900000002": "resident_rep", "13900000003": "party_rep"}


@dataclass
class Demo:
    """What the module seeds build on: ids by code, the known users, a seeded random source."""

    rng: random.Random
    district: District
    street: StreetOffice
    communities: dict[str, Community] = field(default_factory=dict)
    residents: dict[str, list[Resident]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # by phone
    today: dt.date = field(default_factory=dt.date.today)


def _name(rng: random.Random, gender: str) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_F if gender == "F" else GIVEN_M)


def load(db: Session, *, residents_per_community: int = 150, seed: int = 2026) -> Demo | None:
    """Returns None when the demo district is already there."""
    if db.execute(select(District).where(District.code == "demo")).scalar_one_or_none():
        return None
    rng = random.Random(seed)
    district = District(name="示范区", code="demo")
    db.add(district)
    db.flush()
    street = StreetOffice(district_id=district.id, name="安和街道办事处", code="anhe-street")
    db.add(street)
    db.flush()
    ensure_profile(db, "示范区规则（默认）", "示范省示范市", district.id)
    demo = Demo(rng=rng, district=district, street=street)
    password = hash_password(DEMO_PASSWORD)
    serial = 0
    for code, name, address, area in COMMUNITIES:
        community = Community(street_id=street.id, name=name, code=code, address=address)
        db.add(community)
        db.flush()
        demo.communities[code] = community
        groups = [ResidentGroup(community_id=community.id, number=i, name=f"第{i}居民小组") for i in range(1, 7)]
        grids = [Grid(community_id=community.id, name=f"第{i}网格", leader_name=_name(rng, rng.choice("FM"))) for i in range(1, 4)]
        db.add_all(groups + grids)
        db.flush()
        people: list[Resident] = []
        household_count = residents_per_community * 2 // 5
        households = []
        for h in range(household_count):
            building = h // 12 + 1
            household = Household(
                community_id=community.id, group_id=groups[h % len(groups)].id, grid_id=grids[h % len(grids)].id,
                number=f"{code.upper()}-{h + 1:04d}", building=f"{building}幢", unit=f"{h % 12 // 6 + 1}单元", room=f"{h % 6 + 1:02d}0{h % 2 + 1}",
            )
            households.append(household)
        db.add_all(households)
        db.flush()
        for i in range(residents_per_community):
            serial += 1
            household = households[i % household_count]
            gender = rng.choice("FM")
            age_days = rng.randint(16 * 365, 88 * 365) if i % 9 else rng.randint(2 * 365, 17 * 365)
            birth = demo.today - dt.timedelta(days=age_days)
            resident = Resident(
                community_id=community.id, household_id=household.id, name=_name(rng, gender), gender=gender, birth_date=birth,
                id_number=make_id_number(area, birth, serial, gender), phone=f"139{serial:08d}" if i % 3 else "",
                hukou_here=rng.random() > 0.15, lives_here=rng.random() > 0.08,
                residence_since=birth + dt.timedelta(days=rng.randint(0, max(1, age_days - 1))),
                party_member=rng.random() < 0.12, deprived_of_political_rights=(i == 77),
                is_household_head=i < household_count,
            )
            people.append(resident)
        # About one resident representative per 20–50 households (O1); group leaders among them.
        adults = [p for p in people if (demo.today - p.birth_date).days > 18 * 366]
        for index, person in enumerate(adults[: max(3, household_count // 6)]):
            person.is_resident_rep = True
            person.is_group_leader = index < len(groups)
        for person in [p for p in adults if p.party_member][:8]:
            person.is_party_rep = True
        db.add_all(people)
        db.flush()
        demo.residents[code] = people
    _users(db, demo, password)
    for module in seed_order(domain_modules()):
        if module.seed:
            module.seed(db, demo)
    audit.record(db, "demo.load", target="district:demo", data={"communities": len(demo.communities)})
    db.commit()
    return demo


def _users(db: Session, demo: Demo, password: str) -> None:
    for phone, (display, roles, _home) in STAFF_LOGINS.items():
        user = User(display_name=display, phone=phone, password_hash=password)
        db.add(user)
        db.flush()
        for role, scope in roles:
            db.add(RoleAssignment(
                user_id=user.id, role=role,
                community_id=demo.communities[scope].id if scope in demo.communities else None,
                street_id=demo.street.id if scope == "street" else None,
            ))
        demo.users[phone] = user
    anhe = [p for p in demo.residents["anhe"] if (demo.today - p.birth_date).days > 18 * 366 and not p.deprived_of_political_rights]
    plain = next(p for p in anhe if not (p.is_resident_rep or p.is_party_rep))
    rep = next(p for p in anhe if p.is_resident_rep and not p.is_party_rep)
    party = next(p for p in anhe if p.is_party_rep and not p.is_resident_rep)
    for phone, resident in zip(RESIDENT_LOGINS, (plain, rep, party)):
        resident.phone = phone
        user = User(resident_id=resident.id, display_name=resident.name, phone=phone, password_hash=password)
        db.add(user)
        db.flush()
        demo.users[phone] = user
    # One resident waits for activation with a known code (for trying the letter flow).
    waiting = next(p for p in anhe if p not in (plain, rep, party) and not p.is_resident_rep)
    user = User(resident_id=waiting.id, display_name=waiting.name, phone=None)
    db.add(user)
    db.flush()
    now = dt.datetime.now(dt.timezone.utc)
    db.add(AccessCode(user_id=user.id, purpose="activate", code_hash=hash_code(DEMO_ACTIVATION_CODE), issued_at=now, expires_at=now + dt.timedelta(days=3650)))
    db.flush()
