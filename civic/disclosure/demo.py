"""Demo notice boards, built through the services (with the day of each step passed in): a year of
安和社区's disclosures in every status, an up-to-date 康宁社区, and a 和平社区 behind on its accounts.

安和社区 (today = T):
- monthly accounts for every month of the past year except the last one due, which is overdue;
- quarterly 低保 lists with 7-day notice periods; the current one in its notice period with an objection
  pending; an earlier one with an upheld objection and a material correction (history with a diff);
- a subsidies list whose notice period is over with an objection unanswered (flagged to supervisors);
- a construction project with a PDF attachment, a notice scheduled for T+3, a draft, an item awaiting
  review, a fees notice taken down, the chair's leaving audit (D8).
"""
from __future__ import annotations

import datetime as dt

from civic.disclosure import queries, rules, services
from civic.security import load_actor

DAY = dt.timedelta(days=1)
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


class _Seeder:
    def __init__(self, db, demo, today: dt.date):
        self.db, self.demo, self.today = db, demo, today
        self.phone = {phone: user.id for phone, user in demo.users.items()}

    def actor(self, phone: str):
        return load_actor(self.db, self.phone[phone])

    def publish(self, staff: str, reviewer: str, community, on: dt.date, category: str, title: str, body: str = "",
                table: rules.Table | None = None, notice_days: int | None = None, period_start: dt.date | None = None,
                leaving: bool = False, attachments: list[tuple[str, str]] = ()):
        values = services.ItemValues(category, title, body, table, notice_days, period_start, leaving)
        item = services.create_item(self.db, self.actor(staff), community, values)
        for filename, title_ in attachments:
            services.add_attachment(self.db, self.actor(staff), item.id, self.data_dir(), filename, PDF, title_, True)
        if services.publish(self.db, self.actor(staff), item.id, on, today=min(on, self.today)) == "in_review":
            services.review(self.db, self.actor(reviewer), item.id, True, "已核对，同意公开。", today=min(on, self.today))
        return item

    def data_dir(self):
        from civic.settings import Settings

        return Settings.from_env().data_dir


def _finance_table(rng, month: int) -> rules.Table:
    rows = [
        ["上级拨付社区工作经费", f"{rng.randint(30, 60) * 1000}", "", "陈晓红", "13800000010"],
        ["辖区单位捐赠（助老活动）", f"{rng.randint(2, 9) * 500}", "", "陈晓红", "13800000010"],
        ["办公用品", "", f"{rng.randint(800, 2600)}", "林国强", "13800000011"],
        ["环境整治与绿化养护", "", f"{rng.randint(3, 12) * 1000}", "林国强", "13800000011"],
        ["老年食堂补贴", "", f"{rng.randint(4, 9) * 1000}", "陈晓红", "13800000010"],
    ]
    if month % 3 == 0:
        rows.append(["居民议事会场地维修", "", f"{rng.randint(5, 20) * 500}", "林国强", "13800000011"])
    return rules.Table(["科目", "收入（元）", "支出（元）", "经办人", "联系电话"], rows)


def _dibao_table(people, rng, count: int, skip: int = 0) -> rules.Table:
    chosen = [p for p in people if p.household_id][skip: skip + count]
    rows = []
    for person in chosen:
        size = rng.randint(1, 4)
        rows.append([person.name, person.id_number, str(size), str(size * 820), rng.choice(["无", "慢性病", "肢体残疾"]),
                     f"安和路88号{rng.randint(1, 12)}幢{rng.randint(1, 6)}0{rng.randint(1, 2)}室"])
    return rules.Table(["户主姓名", "身份证号", "家庭人口", "月保障金额（元）", "健康状况", "家庭住址"], rows)


def _month_label(period: rules.Period) -> str:
    return f"{period.start.year}年{period.start.month}月"


def _quarter_label(period: rules.Period) -> str:
    return f"{period.start.year}年第{(period.start.month - 1) // 3 + 1}季度"


def seed(db, demo) -> None:
    """Called by civic.demo.load after the registry and the users exist."""
    today = queries.local_today()
    s = _Seeder(db, demo, today)
    rng = demo.rng
    street, staff, supervisor, admin = "13800000001", "13800000010", "13800000012", "13800000000"
    anhe, kangning, heping = demo.communities["anhe"], demo.communities["kangning"], demo.communities["heping"]
    schedule_start = (today - 365 * DAY).replace(day=1)
    quarters = _quarters(schedule_start, today)
    # The schedule (set by the street office): accounts monthly for a year; 低保 and subsidies quarterly,
    # owed from the quarters the demo covers so that only the accounts show overdue periods.
    for community in (anhe, kangning, heping):
        services.save_obligation(db, s.actor(street), community, "finance", 1, 10, schedule_start, True)
        services.save_obligation(db, s.actor(street), community, "dibao", 3, 10,
                                 quarters[-2].start if community is anhe and len(quarters) > 1 else quarters[-1].start, True)
        services.save_obligation(db, s.actor(street), community, "subsidies", 3, 10, quarters[-1].start, True)

    # Everything happens in date order, so notice numbers (第N号) follow publication as on a real board.
    events: list[tuple[dt.date, int, object]] = []

    def at(day: dt.date, action) -> None:
        events.append((day, len(events), action))

    # Monthly accounts of 安和社区: every due month of the past year but the last (overdue, D4).
    due_months = [p for p in _months(schedule_start, today) if rules.due_on(p, 10) < today]
    for period in due_months[:-1]:
        table = _finance_table(rng, period.start.month)
        at(period.end + 8 * DAY, lambda period=period, table=table: s.publish(
            staff, supervisor, anhe, period.end + 8 * DAY, "finance", f"安和社区{_month_label(period)}财务收支公开",
            "本月收支明细如下，原始凭证存社区居委会备查。如有疑问，可在本页提问或到社区办公室查询。", table, period_start=period.start))
    # 康宁社区 is up to date; 和平社区 published nothing for its last two due months.
    for community, staff_phone, skip_last in ((kangning, "13800000020", 0), (heping, "13800000030", 2)):
        covered = (due_months[:-skip_last] if skip_last else due_months)[-4:]
        if covered:  # their schedules began with the first month shown here
            services.save_obligation(db, s.actor(street), community, "finance", 1, 10, covered[0].start, True)
        for period in covered:
            table = _finance_table(rng, period.start.month)
            at(period.end + 6 * DAY, lambda period=period, table=table, community=community, staff_phone=staff_phone: s.publish(
                staff_phone, admin, community, period.end + 6 * DAY, "finance", f"{community.name}{_month_label(period)}财务收支公开",
                "本月收支明细见下表。", table, period_start=period.start))

    people = demo.residents["anhe"]
    if len(quarters) >= 2:
        earlier = quarters[-2]
        on = earlier.start + 5 * DAY
        original = _dibao_table(people, rng, 6)
        at(on, lambda: _corrected_dibao(s, db, anhe, earlier, on, original))

    # The current 低保 list, in its notice period, with an objection waiting.
    current = quarters[-1]
    dibao_now = _dibao_table(people, rng, 8, skip=10)

    def current_dibao():
        item = s.publish(staff, supervisor, anhe, today - 2 * DAY, "dibao", f"安和社区{_quarter_label(current)}最低生活保障对象名单公示",
                         "现将本季度拟享受最低生活保障家庭名单公示如下。公示期 7 天，期间如有异议，可在本页提出，或到社区居委会、居务监督委员会反映。",
                         dibao_now, notice_days=7, period_start=current.start)
        services.file_feedback(db, s.actor("13900000003"), item.id, "objection", "名单中有一户经常开车出入小区，是否符合低保条件？请核实。", today=today - DAY)

    at(today - 2 * DAY, current_dibao)

    # A subsidies list: notice period over, objection still unanswered (the supervisors see it).
    elderly = [[p.name, str((today - p.birth_date).days // 365), "200"] for p in people if (today - p.birth_date).days > 80 * 365][:6]

    def subsidies():
        item = s.publish(staff, supervisor, anhe, today - 12 * DAY, "subsidies", "安和社区高龄老人生活补贴发放名单公示",
                         "本月高龄老人生活补贴发放名单如下，公示期 7 天。", rules.Table(["姓名", "年龄", "补贴金额（元）"], elderly or [["王秀英", "86", "200"]]),
                         notice_days=7, period_start=current.start)
        services.file_feedback(db, s.actor("13900000001"), item.id, "objection", "我家老人今年满 80 周岁，为什么不在名单上？", today=today - 10 * DAY)

    at(today - 12 * DAY, subsidies)

    # A construction project with its budget attached (search finds the attachment's title).
    at(today - 20 * DAY, lambda: s.publish(
        staff, supervisor, anhe, today - 20 * DAY, "construction", "安和社区老旧小区加装电梯工程公示",
        "经居民代表会议讨论通过，3 幢、5 幢加装电梯。施工单位经公开比选确定，工期 90 天。\n\n- 资金来源：政府补助与居民自筹\n- 施工期间：请居民注意安全",
        attachments=[("elevator-budget.pdf", "电梯加装工程预算明细")]))

    def fees():
        item = s.publish(staff, supervisor, anhe, today - 60 * DAY, "fees", "安和社区停车收费标准调整公告",
                         "经居民代表会议表决，小区临时停车收费标准调整为每小时 2 元，每日封顶 15 元。")
        services.withdraw(db, s.actor(staff), item.id, "新收费标准已纳入物业服务合同，公告期满撤下", today=today - 30 * DAY)

    at(today - 60 * DAY, fees)
    at(today - 30 * DAY, lambda: s.publish(
        staff, supervisor, anhe, today - 30 * DAY, "audit", "安和社区居委会主任离任经济责任审计结果公告",
        "受街道办事处委托，审计机构对原主任任期内经济责任履行情况进行了审计，未发现重大问题。审计报告全文存社区备查。", leaving=True))
    at(today - 7 * DAY, lambda: s.publish(
        staff, supervisor, anhe, today - 7 * DAY, "decisions", "关于开展垃圾分类督导志愿服务的决定",
        "经居民代表会议讨论通过，自下月起在各小区开展垃圾分类督导志愿服务，欢迎居民报名。"))
    # 康宁社区: the chair's leaving audit too, published before its election was set up (the elections demo seeds
    # after this one: D8); 和平社区 has none yet (an election there would wait, D8).
    at(today - 70 * DAY, lambda: s.publish(
        "13800000020", admin, kangning, today - 70 * DAY, "audit", "康宁社区居委会主任离任经济责任审计结果公告",
        "审计结果：财务收支基本规范，已整改问题 2 项。", leaving=True))
    for _day, _order, action in sorted(events, key=lambda e: (e[0], e[1])):
        action()

    # A notice scheduled for T+3, a draft, and an assets contract awaiting the supervision committee.
    s.publish(staff, supervisor, anhe, today + 3 * DAY, "decisions", "关于召开居民代表会议的通知",
              "定于本周六上午 9 时在社区议事厅召开居民代表会议，议题：小区停车管理。")
    services.create_item(db, s.actor(staff), anhe, services.ItemValues(
        "party", "安和社区党组织党费收缴情况公开", "（草稿）本季度党费收缴情况。", None, None, None, False))
    waiting = services.create_item(db, s.actor(staff), anhe, services.ItemValues(
        "assets", "社区集体用房出租合同公开", "社区沿街集体用房出租合同主要条款如下，租金收入纳入社区公益金管理。",
        rules.Table(["承租方", "面积（㎡）", "年租金（元）", "租期"], [["安和便民超市", "86", "51600", "3 年"]]), None, None, False))
    services.publish(db, s.actor(staff), waiting.id, today, today=today)
    services.notify_overdue(db, today=today)


def _corrected_dibao(s: _Seeder, db, anhe, quarter: rules.Period, on: dt.date, original: rules.Table) -> None:
    """An earlier 低保 list: objection upheld, then a material correction (the history shows the diff)."""
    staff, supervisor = "13800000010", "13800000012"
    title = f"安和社区{_quarter_label(quarter)}最低生活保障对象名单公示"
    item = s.publish(staff, supervisor, anhe, on, "dibao", title,
                     "根据《最低生活保障审核确认办法》，现将本季度拟享受最低生活保障家庭名单公示如下。公示期 7 天，如有异议请于公示期内提出。",
                     original, notice_days=7, period_start=quarter.start)
    objection = services.file_feedback(db, s.actor("13900000002"), item.id, "objection", "名单中第 3 户家中子女已就业，收入超过标准，请核实。", today=on + DAY)
    services.answer_feedback(db, s.actor(staff), objection.id, "经入户核查，该户子女已稳定就业，家庭人均收入超过本市低保标准，取消其保障资格，并更正名单。", "upheld")
    question = services.file_feedback(db, s.actor("13900000003"), item.id, "question", "低保金每月几号发放？", today=on + 2 * DAY)
    services.answer_feedback(db, s.actor(staff), question.id, "每月 10 日前由民政部门直接发放至保障对象账户。", "")
    services.start_correction(db, s.actor(staff), item.id, "根据居民异议入户核查，第 3 户不符合保障条件，予以删除", True)
    services.update_draft(db, s.actor(staff), item.id, services.ItemValues(
        "dibao", title + "（更正）", "根据居民异议，经入户核查，对名单更正如下。更正后重新公示 7 天。",
        rules.Table(original.columns, original.rows[:2] + original.rows[3:]), 7, quarter.start, False))
    services.publish(db, s.actor(staff), item.id, None, today=on + 3 * DAY)
    services.review(db, s.actor(supervisor), item.id, True, "已核对更正内容。", today=on + 3 * DAY)


def _months(start: dt.date, today: dt.date) -> list[rules.Period]:
    found, day = [], start
    while day <= today:
        found.append(rules.period_of(day, 1))
        day = found[-1].end + DAY
    return found


def _quarters(start: dt.date, today: dt.date) -> list[rules.Period]:
    found, day = [], rules.period_of(start, 3).start
    while day <= today:
        found.append(rules.period_of(day, 3))
        day = found[-1].end + DAY
    return found
