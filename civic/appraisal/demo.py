"""Demo appraisals, built through the services: 安和社区 has two published years (one cadre 不称职 twice,
so the end-of-office flag shows) and this year's campaign open for rating; 康宁社区 is in the work-reports
phase. Forms come from the meeting's paper forms, entered by the supervision committee."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from civic.appraisal import rules, services
from civic.appraisal.models import Campaign
from civic.security import load_actor

# Per cadre: the grade mix the demo raters lean to (优秀, 称职, 基本称职, 不称职).
LEANINGS = {
    "strong": (5, 4, 1, 0),
    "steady": (2, 6, 2, 0),
    "weak": (0, 1, 1, 8),
}
TARGETS = [
    ("老旧小区加装电梯协调", 80, "完成 3 幢楼的意见征询和方案公示，2 幢已开工。"),
    ("垃圾分类准确率达到 90%", 95, "每月检查两次，第四季度准确率 93%。"),
    ("为 80 岁以上独居老人每月上门服务", 100, "建立 46 户走访台账，全年上门 552 次。"),
]


def _values(demo, year: int, opens: dt.date, closes: dt.date, title: str) -> dict:
    return {
        "year": year, "title": title, "dimensions": True, "scale_max": 10, "score_basis": "grades", "trim_extremes": False,
        "trim_min_raters": 10, "satisfaction_includes_basic": True, "satisfaction_warning": 60, "unfit_num": 1, "unfit_den": 3,
        "removal_score": 60, "breakdown_min": 5, "tie_break": "lower", "ordinary_share": 70, "post_days": 5, "feedback_days": 10,
        "publish_scope": "public", "reports_due": opens - dt.timedelta(days=5), "meeting_on": opens, "meeting_place": "社区党群服务中心二楼会议室",
        "meeting_link": "", "rating_opens_on": opens, "rating_closes_on": closes,
        "groups": [("party_reps", 10, 3), ("resident_reps", 60, 5), ("street", 30, 1)],
    }


def _cadres(db, demo, code: str) -> list[tuple[str, str, int | None]]:
    """(name, position, user id): staff with logins, and two committee members from the registry."""
    people = [p for p in demo.residents[code] if (demo.today - p.birth_date).days > 30 * 366
              and not (p.is_resident_rep or p.is_party_rep) and not p.deprived_of_political_rights]
    out = [(people[0].name, "chair", None), (people[1].name, "vice_chair", None)]
    for phone, user in demo.users.items():
        if phone in ("13800000010", "13800000011") and code == "anhe" or phone == "13800000020" and code == "kangning":
            out.append((user.display_name.split("（")[0], "member" if phone != "13800000020" else "staff", user.id))
    return out


def _run(db, demo, code: str, year: int, stage: str, leanings: list[str], turnout_share: float = 1.0) -> Campaign:
    community = demo.communities[code]
    presiding = load_actor(db, demo.users["13800000001"].id)  # the street office runs the demo campaigns
    clerk = load_actor(db, demo.users["13800000012"].id)  # 郑淑珍, supervision committee of 安和
    today = demo.today
    past = year < today.year
    title = f"{community.name}{year}年度社区干部双向考评"
    campaign = services.create_campaign(db, presiding, community, _values(demo, year, today - dt.timedelta(days=3), today + dt.timedelta(days=7), title))
    cadres = []
    for name, position, user_id in _cadres(db, demo, code):
        cadres.append(services.add_cadre(db, presiding, campaign, name, position, user_id))
    if stage == "draft":
        return campaign
    services.open_reports(db, presiding, campaign)
    for cadre in cadres:
        targets = [{"title": t, "completion": c if cadre.position != "vice_chair" or year == today.year else c // 2, "statement": s}
                   for t, c, s in TARGETS]
        summary = (f"## {year}年度述职\n\n本人{year}年在社区{rules.POSITION_LABELS[cadre.position].split('(')[-1].rstrip(')')}岗位上，"
                   "围绕年初确定的工作目标开展工作。主要做法：\n\n- 坚持每周接待日，听取居民意见；\n- 推进民生实事项目；\n- 做好居务公开。\n\n"
                   "不足之处：与年轻居民的沟通还不够，明年将通过居民群和议事会加强联系。")
        services.save_report(db, presiding, cadre, summary, targets, publish=True)
    if stage == "reports":
        return campaign
    services.open_rating(db, presiding, campaign)
    rng = demo.rng
    protected = {demo.users[p].resident_id for p in ("13900000002", "13900000003") if p in demo.users}
    from sqlalchemy import select

    from civic.appraisal.models import Rater

    raters = list(db.execute(select(Rater).where(Rater.campaign_id == campaign.id).order_by(Rater.id)).scalars())
    for rater in raters:
        if not past and (rater.resident_id in protected or rng.random() > turnout_share):
            continue  # leave the demo logins (and some others) to rate this year's campaign themselves
        on, _off = services.sheet_cadres(db, campaign, rater)
        marks = {}
        for cadre in on:
            lean = LEANINGS[leanings[cadres.index(next(c for c in cadres if c.id == cadre.id)) % len(leanings)]]
            grade = rng.choices(rules.GRADES, weights=lean)[0] if rng.random() > 0.03 else None
            base = {"excellent": 9, "competent": 8, "basic": 6, "unfit": 4}.get(grade, 0)
            scores = tuple(max(0, min(10, base + rng.choice((-1, 0, 0, 1)))) for _ in rules.DIMENSIONS) if grade else None
            marks[cadre.id] = rules.Form(grade, scores)
        services.submit_sheet(db, clerk, campaign, marks, rater=rater)
    if stage == "rating":
        return campaign
    services.close_campaign(db, presiding, campaign)
    services.publish_results(db, presiding, campaign)
    for cadre in cadres:
        services.give_feedback(db, presiding, cadre, "街道和居务监督委员会已与本人面谈，反馈了测评结果和居民意见。")
        if cadre.user_id:
            services.save_plan(db, load_actor(db, cadre.user_id), cadre, "1. 每月走访网格内困难家庭；\n2. 季度向居民代表通报工作进展；\n3. 参加社区治理培训。")
    if past:
        # A past year's campaign: put its dates back in that year (the services stamp today).
        closed = dt.date(year, 12, 20)
        db.execute(update(Campaign).where(Campaign.id == campaign.id).values(
            reports_due=dt.date(year, 12, 5), meeting_on=dt.date(year, 12, 10), rating_opens_on=dt.date(year, 12, 10),
            rating_closes_on=dt.date(year, 12, 17), closed_on=closed, published_on=dt.date(year, 12, 22)))
        db.commit()
    return campaign


def seed(db, demo) -> None:
    """Called by civic.demo.load after the registry and the users exist."""
    db.flush()
    year = demo.today.year
    # The vice-chair (second cadre) leans 不称职 two years running: this year's count would end the office.
    _run(db, demo, "anhe", year - 2, "published", ["strong", "weak", "steady", "steady"])
    _run(db, demo, "anhe", year - 1, "published", ["steady", "weak", "strong", "steady"])
    _run(db, demo, "anhe", year, "rating", ["strong", "steady", "steady", "steady"], turnout_share=0.7)
    _run(db, demo, "kangning", year, "reports", ["steady"])
