"""`civic demo --scale district`: a district at full size for the benchmarks — 100 communities and
1,000,000 residents (households, groups, grids) — written with bulk Core inserts; then each module's
`scale_seed` adds its own data at scale (an election per community, long comment threads, years of
disclosures). Deterministic for a seed; safe to run twice (a second run finds the district and stops)."""
from __future__ import annotations

import datetime as dt
import random
import time

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from civic.demo import GIVEN_F, GIVEN_M, SURNAMES, Demo
from civic.modules import domain_modules, seed_order
from civic.registry.models import Community, District, Grid, Household, Resident, ResidentGroup, StreetOffice
from civic.registry.rules import id_check_digit
from civic.rulesconfig.services import ensure_profile

COMMUNITIES = 100
RESIDENTS = 1_000_000
BATCH = 20_000


def _id_number(area: str, birth: dt.date, nth: int, gender: str) -> str:
    """Unique by construction: `nth` counts the people of this area born that day (odd digit for men)."""
    seq = nth * 2 + (1 if gender == "M" else 0)
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_digit(body)


def load_district(db: Session, *, communities: int = COMMUNITIES, residents: int = RESIDENTS, seed: int = 7, log=print) -> Demo | None:
    if db.execute(select(District).where(District.code == "scale")).scalar_one_or_none():
        log("the district-scale data is already loaded; nothing changed")
        return None
    started = time.perf_counter()
    rng = random.Random(seed)
    district = District(name="规模测试区", code="scale")
    db.add(district)
    db.flush()
    ensure_profile(db, "规模测试区规则", "", district.id)
    streets = []
    for s in range(10):
        street = StreetOffice(district_id=district.id, name=f"第{s + 1}街道办事处", code=f"scale-street-{s + 1}")
        db.add(street)
        streets.append(street)
    db.flush()
    demo = Demo(rng=rng, district=district, street=streets[0])
    per_community = residents // communities
    serial = 0
    today = dt.date.today()
    for c in range(communities):
        community = Community(street_id=streets[c % len(streets)].id, name=f"规模{c + 1:03d}社区", code=f"scale-{c + 1:03d}")
        db.add(community)
        db.flush()
        demo.communities[community.code] = community
        groups = [ResidentGroup(community_id=community.id, number=g + 1, name=f"第{g + 1}居民小组") for g in range(20)]
        grids = [Grid(community_id=community.id, name=f"第{g + 1}网格", leader_name="") for g in range(8)]
        db.add_all(groups + grids)
        db.flush()
        household_count = per_community * 2 // 5
        first_household = db.execute(insert(Household).returning(Household.id), [
            {"community_id": community.id, "group_id": groups[h % 20].id, "grid_id": grids[h % 8].id, "number": f"S{c + 1:03d}-{h + 1:05d}",
             "building": f"{h // 24 + 1}幢", "unit": f"{h % 24 // 12 + 1}单元", "room": f"{h % 12 + 1:02d}01"}
            for h in range(household_count)
        ]).scalars().all()
        area = f"33{c // 10:02d}{c % 10:02d}"
        rows, born_on = [], {}
        for i in range(per_community):
            serial += 1
            gender = "F" if rng.random() < 0.5 else "M"
            birth = today - dt.timedelta(days=rng.randint(2 * 365, 90 * 365))
            nth = born_on[birth] = born_on.get(birth, -1) + 1
            if nth >= 500:  # that day's number space is full: take the next day
                birth -= dt.timedelta(days=1)
                nth = born_on[birth] = born_on.get(birth, -1) + 1
            rows.append({
                "community_id": community.id, "household_id": first_household[i % household_count], "name": rng.choice(SURNAMES) + rng.choice(GIVEN_F if gender == "F" else GIVEN_M),
                "gender": gender, "birth_date": birth, "id_number": _id_number(area, birth, nth, gender), "phone": "",
                "hukou_here": True, "lives_here": True, "party_member": rng.random() < 0.1, "deprived_of_political_rights": False,
                "is_resident_rep": i % 40 == 0, "is_party_rep": i % 97 == 0, "is_group_leader": i < 20, "is_household_head": i < household_count,
                "created_at": dt.datetime.now(dt.timezone.utc),
            })
            if len(rows) >= BATCH:
                db.execute(insert(Resident), rows)
                rows = []
        if rows:
            db.execute(insert(Resident), rows)
        db.commit()
        if (c + 1) % 10 == 0:
            log(f"  {c + 1} communities, {serial:,} residents ({time.perf_counter() - started:.0f} s)")
    demo.scale = "district"
    for module in seed_order(domain_modules()):
        scale_seed = getattr(module, "scale_seed", None)
        if scale_seed:
            t = time.perf_counter()
            scale_seed(db, demo)
            db.commit()
            log(f"  {module.name}: {time.perf_counter() - t:.0f} s")
    log(f"district loaded in {time.perf_counter() - started:.0f} s")
    return demo
