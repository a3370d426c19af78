"""Disclosure services against a real database (SQLite and PostgreSQL): publication, review, numbering,
objections, corrections with their hash chain, take-down, search, schedule, attachments, masking."""
import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text

from civic import audit
from civic.accounts.models import User
from civic.disclosure import queries, rules, services
from civic.disclosure.chain import verify_versions
from civic.disclosure.models import Disclosure, DisclosureVersion, Feedback, OverdueNotice
from civic.errors import Conflict, Forbidden, Invalid, NotFound
from civic.notify import Notification
from civic.registry.models import StreetOffice
from civic.registry.rules import make_id_number
from civic.security import load_actor
from tests.helpers import make_community, make_resident, make_user

MONDAY = dt.date(2026, 3, 2)
PDF = b"%PDF-1.4 test file"


class World:
    def __init__(self, db):
        self.db = db
        self.home = make_community(db, code="home", name="安和社区")
        street = db.get(StreetOffice, self.home.street_id)
        self.other = make_community(db, code="other", name="康宁社区", street=street)
        self.resident_person = make_resident(db, self.home, name="王芳", gender="F")
        users = {
            "staff": make_user(db, roles=[("staff", self.home)]),
            "other_staff": make_user(db, roles=[("staff", self.other)]),
            "supervision": make_user(db, roles=[("supervision_committee", self.home)]),
            "street": make_user(db, roles=[("street_supervisor", None)], street=street),
            "resident": make_user(db, resident=self.resident_person),
            "other_resident": make_user(db, resident=make_resident(db, self.other, name="赵六")),
            "admin": make_user(db, roles=[("admin", None)]),
        }
        self.ids = {k: u.id for k, u in users.items()}

    def actor(self, who):
        return load_actor(self.db, self.ids[who])

    def values(self, category="decisions", title="关于安和社区停车位改造的决定", body="经居民代表会议讨论通过。", table=None,
               notice_days=None, period_start=None, leaving=False):
        return services.ItemValues(category, title, body, table, notice_days, period_start, leaving)

    def published(self, today=MONDAY, **kwargs):
        item = services.create_item(self.db, self.actor("staff"), self.home, self.values(**kwargs))
        outcome = services.publish(self.db, self.actor("staff"), item.id, today, today=today)
        if outcome == "in_review":
            services.review(self.db, self.actor("supervision"), item.id, True, "", today=today)
        return queries.load_item(self.db, item.id)


@pytest.fixture
def world(db):
    return World(db)


def dibao_table():
    return rules.Table(["姓名", "身份证号", "家庭人口", "保障金额（元）", "健康状况"], [
        ["王芳", make_id_number("330102", dt.date(1960, 5, 1), 11, "F"), "2", "1640", "高血压"],
        ["李强", make_id_number("330102", dt.date(1958, 7, 9), 12, "M"), "1", "820", "无"],
    ])


def test_publish_numbers_seals_and_audits(world, db):
    first = world.published()
    second = world.published(title="第二份公告")
    assert (first.year, first.number, second.number) == (2026, 1, 2)
    assert first.published_on == MONDAY and first.display_from == MONDAY
    version = queries.current_version(first)
    assert version.state == "sealed" and version.prev_hash == audit.GENESIS and len(version.hash) == 64
    assert "停车位" in first.search_text
    sealed = db.execute(select(audit.AuditEntry).where(audit.AuditEntry.action == "disclosure.version.seal")).scalars().all()
    assert len(sealed) == 2 and json.loads(sealed[0].data)["hash"] == version.hash
    other = services.create_item(db, load_actor(db, world.ids["other_staff"]), world.other, world.values())
    services.publish(db, load_actor(db, world.ids["other_staff"]), other.id, MONDAY, today=MONDAY)
    assert queries.load_item(db, other.id).number == 1  # numbering is per community
    assert verify_versions(db) == []
    assert audit.verify_audit_chain(db) == []


def test_only_staff_of_the_community_write(world, db):
    for who in ("resident", "supervision", "street", "other_staff"):
        with pytest.raises(Forbidden):
            services.create_item(db, world.actor(who), world.home, world.values())
    assert db.scalar(select(func.count()).select_from(Disclosure)) == 0


def test_review_gate_for_dibao(world, db):
    item = services.create_item(db, world.actor("staff"), world.home, world.values(category="dibao", table=dibao_table(), notice_days=7))
    assert services.publish(db, world.actor("staff"), item.id, MONDAY, today=MONDAY) == "in_review"
    supervisors = db.execute(select(Notification.user_id)).scalars().all()
    assert world.ids["supervision"] in supervisors
    with pytest.raises(Conflict):
        services.update_draft(db, world.actor("staff"), item.id, world.values(category="dibao"))
    with pytest.raises(Forbidden):
        services.review(db, world.actor("staff"), item.id, True, "", today=MONDAY)
    with pytest.raises(Invalid):
        services.review(db, world.actor("supervision"), item.id, False, "", today=MONDAY)
    assert services.review(db, world.actor("supervision"), item.id, False, "金额核对有误", today=MONDAY) == "returned"
    loaded = queries.load_item(db, item.id)
    assert queries.working_copy(loaded).state == "draft" and queries.working_copy(loaded).review_comment == "金额核对有误"
    assert loaded.published_on is None
    services.publish(db, world.actor("staff"), item.id, MONDAY, today=MONDAY)
    assert services.review(db, world.actor("supervision"), item.id, True, "已核对", today=MONDAY) == "published"
    loaded = queries.load_item(db, item.id)
    assert loaded.notice_ends_on == dt.date(2026, 3, 9)  # 7 days, the publication day not counted
    assert queries.current_version(loaded).reviewed_by == world.ids["supervision"]
    with pytest.raises(Conflict):
        services.review(db, world.actor("supervision"), item.id, True, "", today=MONDAY)


def test_publication_date_cannot_be_in_the_past_and_nothing_changes(world, db):
    item = services.create_item(db, world.actor("staff"), world.home, world.values())
    with pytest.raises(Invalid):
        services.publish(db, world.actor("staff"), item.id, MONDAY - dt.timedelta(days=1), today=MONDAY)
    db.rollback()
    loaded = queries.load_item(db, item.id)
    assert loaded.published_on is None and queries.working_copy(loaded).state == "draft"


def test_scheduled_item_is_public_only_from_its_day(world, db):
    item = services.create_item(db, world.actor("staff"), world.home, world.values())
    services.publish(db, world.actor("staff"), item.id, MONDAY + dt.timedelta(days=3), today=MONDAY)
    assert queries.board(db, world.home, today=MONDAY).total == 0
    assert queries.board(db, world.home, today=MONDAY + dt.timedelta(days=3)).total == 1
    with pytest.raises(NotFound):
        services.file_feedback(db, world.actor("resident"), item.id, "question", "请问何时开工？", today=MONDAY)


def test_objection_during_notice_answered_in_public(world, db):
    item = world.published(category="dibao", table=dibao_table(), notice_days=7)
    with pytest.raises(Forbidden):
        services.file_feedback(db, world.actor("other_resident"), item.id, "objection", "我认为名单有误。", today=MONDAY)
    with pytest.raises(Forbidden):
        services.file_feedback(db, world.actor("staff"), item.id, "objection", "我认为名单有误。", today=MONDAY)
    with pytest.raises(Invalid):
        services.file_feedback(db, world.actor("resident"), item.id, "objection", "短", today=MONDAY)
    objection = services.file_feedback(db, world.actor("resident"), item.id, "objection", "李强家已有稳定收入，不符合条件。", today=MONDAY)
    notified = set(db.execute(select(Notification.user_id)).scalars())
    assert {world.ids["staff"], world.ids["supervision"]} <= notified
    assert queries.pending_objection_counts(db, [item.id]) == {item.id: 1}
    with pytest.raises(Conflict):  # the period is over
        services.file_feedback(db, world.actor("resident"), item.id, "objection", "又一条异议内容。", today=dt.date(2026, 3, 10))
    assert queries.status_of(item, dt.date(2026, 3, 10), 1) == "objections_pending"
    with pytest.raises(Forbidden):
        services.answer_feedback(db, world.actor("resident"), objection.id, "答复", "dismissed")
    with pytest.raises(Invalid):
        services.answer_feedback(db, world.actor("staff"), objection.id, "经核实，情况属实。", "")
    services.answer_feedback(db, world.actor("staff"), objection.id, "经入户核实，情况属实，已取消其资格。", "upheld")
    with pytest.raises(Conflict):
        services.answer_feedback(db, world.actor("staff"), objection.id, "再答一次", "upheld")
    answered = db.get(Feedback, objection.id)
    assert answered.outcome == "upheld" and answered.answered_by == world.ids["staff"]
    assert world.ids["resident"] in set(db.execute(select(Notification.user_id).where(Notification.text.contains("答复") | Notification.text.contains("answered"))).scalars())
    assert queries.status_of(item, dt.date(2026, 3, 10), 0) == "final"


def test_questions_any_time_and_staff_record_offline_ones(world, db):
    item = world.published()
    services.file_feedback(db, world.actor("resident"), item.id, "question", "改造期间临时停车怎么安排？", today=MONDAY + dt.timedelta(days=40))
    with pytest.raises(Conflict):  # no notice period: no objection
        services.file_feedback(db, world.actor("resident"), item.id, "objection", "我反对这个决定。", today=MONDAY)
    with pytest.raises(Invalid):
        services.record_feedback(db, world.actor("staff"), item.id, "question", "电话询问施工时间。", "online", "王阿姨")
    recorded = services.record_feedback(db, world.actor("staff"), item.id, "question", "电话询问施工时间。", "phone", "3幢王阿姨", today=MONDAY)
    assert recorded.author_id is None and recorded.recorded_by == world.ids["staff"] and recorded.channel == "phone"


def test_too_many_open_messages_are_refused(world, db):
    item = world.published()
    for i in range(services.MAX_PENDING_PER_PERSON):
        services.file_feedback(db, world.actor("resident"), item.id, "question", f"第{i}个问题，请答复。", today=MONDAY)
    with pytest.raises(Conflict):
        services.file_feedback(db, world.actor("resident"), item.id, "question", "再问一个问题。", today=MONDAY)


def test_correction_is_a_new_chained_version_and_restarts_the_clock(world, db):
    item = world.published(category="dibao", table=dibao_table(), notice_days=7)
    with pytest.raises(Invalid):
        services.start_correction(db, world.actor("staff"), item.id, "", True)
    services.start_correction(db, world.actor("staff"), item.id, "李强家情况核实后取消", True)
    with pytest.raises(Conflict):
        services.start_correction(db, world.actor("staff"), item.id, "再来一次更正", False)
    corrected = dibao_table()
    corrected = rules.Table(corrected.columns, corrected.rows[:1])
    services.update_draft(db, world.actor("staff"), item.id, world.values(category="dibao", title="低保名单（更正）", table=corrected))
    later = MONDAY + dt.timedelta(days=5)
    assert services.publish(db, world.actor("staff"), item.id, None, today=later) == "in_review"
    services.review(db, world.actor("supervision"), item.id, True, "", today=later)
    loaded = queries.load_item(db, item.id)
    first, second = queries.sealed_versions(loaded)
    assert second.prev_hash == first.hash and second.reason == "李强家情况核实后取消"
    assert "李强" in first.table_json and "李强" not in second.table_json  # history kept, never edited
    assert loaded.title == "低保名单（更正）" and loaded.number == 1 and loaded.published_on == MONDAY
    assert loaded.display_from == later and loaded.notice_ends_on == later + dt.timedelta(days=7)
    ops = rules.diff_lines(queries.render_version(first, "full").lines, queries.render_version(second, "full").lines)
    assert any(op == "removed" and "李强" in line for op, line in ops)
    assert verify_versions(db) == []


def test_correction_needs_a_published_notice(world, db):
    item = services.create_item(db, world.actor("staff"), world.home, world.values())
    with pytest.raises(Conflict):
        services.start_correction(db, world.actor("staff"), item.id, "更正原因", False)


def test_tampering_with_a_version_is_detected(world, db):
    item = world.published(category="decisions")
    services.start_correction(db, world.actor("staff"), item.id, "补充说明", False)
    services.publish(db, world.actor("staff"), item.id, None, today=MONDAY)
    assert verify_versions(db) == []
    db.execute(text("UPDATE disclosure_version SET body = '篡改后的内容' WHERE number = 1"))
    db.commit()
    problems = verify_versions(db)
    assert any("changed after it was sealed" in p for p in problems)
    assert audit.verify_all(db)["disclosure"] == problems


def test_removing_the_newest_version_or_rehashing_is_detected(world, db):
    item = world.published(category="decisions")
    services.start_correction(db, world.actor("staff"), item.id, "补充说明", False)
    services.publish(db, world.actor("staff"), item.id, None, today=MONDAY)
    # Rewrite version 2 and recompute its hash so the chain alone looks intact: the audit log still knows.
    version = db.execute(select(DisclosureVersion).where(DisclosureVersion.number == 2)).scalar_one()
    version.body = "悄悄改过"
    from civic.disclosure.chain import version_hash
    version.hash = version_hash(version, [], version.prev_hash)
    db.commit()
    assert any("differs from the hash recorded" in p for p in verify_versions(db))
    db.execute(text("DELETE FROM disclosure_version WHERE number = 2"))
    db.commit()
    assert any("missing" in p for p in verify_versions(db))


def test_take_down_only_after_fifteen_days_and_answers(world, db):
    item = world.published(category="dibao", table=dibao_table(), notice_days=7)
    services.file_feedback(db, world.actor("resident"), item.id, "objection", "名单中有人不符合条件。", today=MONDAY)
    with pytest.raises(Conflict) as early:
        services.withdraw(db, world.actor("staff"), item.id, "公示期满", today=MONDAY + dt.timedelta(days=15))
    assert "2026年3月18日" in early.value.message
    with pytest.raises(Conflict):  # objection unanswered
        services.withdraw(db, world.actor("staff"), item.id, "公示期满", today=MONDAY + dt.timedelta(days=16))
    pending = db.execute(select(Feedback)).scalar_one()
    services.answer_feedback(db, world.actor("staff"), pending.id, "已核实，情况不属实。", "dismissed")
    with pytest.raises(Invalid):
        services.withdraw(db, world.actor("staff"), item.id, "", today=MONDAY + dt.timedelta(days=16))
    services.withdraw(db, world.actor("staff"), item.id, "公示期满，转入档案", today=MONDAY + dt.timedelta(days=16))
    loaded = queries.load_item(db, item.id)
    assert loaded.withdrawn_on == MONDAY + dt.timedelta(days=16)
    assert queries.board(db, world.home, today=MONDAY + dt.timedelta(days=20)).total == 1  # kept in the archive
    assert queries.board(db, world.home, today=MONDAY + dt.timedelta(days=20), include_withdrawn=False).total == 0
    with pytest.raises(Conflict):
        services.start_correction(db, world.actor("staff"), item.id, "撤下后更正", False)


def test_extending_the_notice_period(world, db):
    item = world.published(category="dibao", notice_days=7)
    with pytest.raises(Invalid):
        services.extend_notice_period(db, world.actor("staff"), item.id, 5, "", today=MONDAY)
    with pytest.raises(Invalid):
        services.extend_notice_period(db, world.actor("staff"), item.id, 0, "需要入户核实", today=MONDAY)
    extension = services.extend_notice_period(db, world.actor("staff"), item.id, 5, "需要入户核实", today=MONDAY)
    assert (extension.old_end, extension.new_end) == (dt.date(2026, 3, 9), dt.date(2026, 3, 14))
    with pytest.raises(Conflict):  # over, and nothing pending
        services.extend_notice_period(db, world.actor("staff"), item.id, 5, "再延长", today=dt.date(2026, 3, 20))
    plain = world.published(category="decisions")
    with pytest.raises(Conflict):
        services.extend_notice_period(db, world.actor("staff"), plain.id, 5, "没有公示期", today=MONDAY)


def test_search_finds_chinese_words_and_attachment_titles_but_not_masked_data(world, db, tmp_path):
    world.published(title="2026年第一季度低保名单公示", category="dibao", table=dibao_table())
    item = services.create_item(db, world.actor("staff"), world.home, world.values(title="老旧小区加装电梯工程", body="工程预算见附件。"))
    services.add_attachment(db, world.actor("staff"), item.id, tmp_path, "budget.pdf", PDF, "电梯工程预算明细表", True)
    services.add_attachment(db, world.actor("staff"), item.id, tmp_path, "internal.pdf", PDF, "内部测算底稿", False)
    services.publish(db, world.actor("staff"), item.id, MONDAY, today=MONDAY)

    def found(q):
        return [i.title for i in queries.board(db, world.home, today=MONDAY, q=q).items]

    assert found("低保名单") == ["2026年第一季度低保名单公示"]  # 4 characters: trigram index
    assert found("低保") == ["2026年第一季度低保名单公示"]  # 2 characters: LIKE fallback
    assert found("梯") == ["老旧小区加装电梯工程"]  # 1 character
    assert found("最低生活保障") == ["2026年第一季度低保名单公示"]  # the category's name
    assert found("预算明细") == ["老旧小区加装电梯工程"]  # attachment title
    assert found("内部测算") == []  # staff-only attachment
    assert found("电梯 预算") == ["老旧小区加装电梯工程"]  # every word must occur
    assert found("王芳") == ["2026年第一季度低保名单公示"]
    number = make_id_number("330102", dt.date(1960, 5, 1), 11, "F")
    assert found(number) == [] and found(number[6:14]) == []  # the ID number is not searchable
    assert found("高血压") == []  # health details are not published
    assert found('"%_') == [] and found("a\"b OR c") == []  # quoting and wildcards are harmless
    assert queries.board(db, world.home, today=MONDAY, q="低保", category="fees").total == 0
    assert queries.board(db, world.home, today=MONDAY, year=2025).total == 0


def test_public_rendition_masks_by_category(world, db):
    item = world.published(category="finance", table=rules.Table(["收款人", "联系电话", "金额"], [["欧阳娜娜", "13912345678", "300"]]),
                           body="经办人电话 13812345678")
    rendition = queries.render_version(queries.current_version(item), queries.categories(db)["finance"].names)
    assert rendition.table.rows == [["欧***", "139****5678", "300"]]
    assert "13812345678" not in rendition.body_html and "138****5678" in rendition.body_html
    full = queries.render_version(queries.current_version(item), "masked", full=True)
    assert full.table.rows == [["欧阳娜娜", "13912345678", "300"]]


def test_attachments_are_checked(world, db, tmp_path):
    item = services.create_item(db, world.actor("staff"), world.home, world.values())
    with pytest.raises(Invalid) as wrong:
        services.add_attachment(db, world.actor("staff"), item.id, tmp_path, "run.exe", b"MZ....", "", True)
    assert wrong.value.field == "file"
    with pytest.raises(Invalid):
        services.add_attachment(db, world.actor("staff"), item.id, tmp_path, "fake.pdf", b"<html><script>", "", True)
    with pytest.raises(Invalid):
        services.add_attachment(db, world.actor("staff"), item.id, tmp_path, "big.pdf", b"%PDF-" + b"0" * services.ATTACHMENT_MAX, "", True)
    stored = services.add_attachment(db, world.actor("staff"), item.id, tmp_path, "../../etc/名单.pdf", PDF, "", True)
    assert stored.original_name == "名单.pdf" and stored.title == "名单"
    assert (tmp_path / "uploads" / stored.storage_name).read_bytes() == PDF
    with pytest.raises(Forbidden):
        services.add_attachment(db, world.actor("other_staff"), item.id, tmp_path, "a.pdf", PDF, "", True)
    services.remove_attachment(db, world.actor("staff"), item.id, stored.id)
    assert queries.working_copy(queries.load_item(db, item.id)).attachments == []


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_table_import_from_xlsx(world, db):
    item = services.create_item(db, world.actor("staff"), world.home, world.values())
    table = services.import_table(db, world.actor("staff"), item.id, "名单.xlsx", _xlsx([["姓名", "金额"], ["王芳", 820], [None, None], ["李强", 640.5]]))
    assert table.rows == [["王芳", "820"], ["李强", "640.5"]]
    with pytest.raises(Invalid):
        services.import_table(db, world.actor("staff"), item.id, "名单.xlsx", b"PK\x03\x04 not really a workbook")
    with pytest.raises(Invalid):
        services.import_table(db, world.actor("staff"), item.id, "名单.xlsx", _xlsx([["a", "", "c"], [1, 2, 3]]))
    with pytest.raises(Invalid):
        services.import_table(db, world.actor("staff"), item.id, "名单.pdf", PDF)
    csv_table = services.import_table(db, world.actor("staff"), item.id, "名单.csv", "姓名,金额\n张三,100\n".encode("gb18030"))
    assert csv_table.rows == [["张三", "100"]]


def test_discarding_a_draft(world, db):
    item = services.create_item(db, world.actor("staff"), world.home, world.values())
    assert services.discard_draft(db, world.actor("staff"), item.id) is True
    assert queries.load_item(db, item.id) is None
    published = world.published()
    services.start_correction(db, world.actor("staff"), published.id, "打错字了", False)
    assert services.discard_draft(db, world.actor("staff"), published.id) is False
    assert len(queries.load_item(db, published.id).versions) == 1


def test_schedule_calendar_overdue_and_notifications(world, db):
    with pytest.raises(Forbidden):
        services.set_default_schedule(db, world.actor("staff"), world.home, today=dt.date(2026, 1, 5))
    made = services.set_default_schedule(db, world.actor("street"), world.home, today=dt.date(2026, 1, 5))
    by_category = {o.category: o for o in made}
    assert by_category["finance"].every_months == 1 and by_category["dibao"].every_months == 3
    # January's accounts published (covering January); February's not.
    world.published(category="finance", title="2026年1月财务收支公开", period_start=dt.date(2026, 1, 1), today=dt.date(2026, 2, 5))
    today = dt.date(2026, 3, 20)
    rows = {row.obligation.category: row for row in queries.calendar(db, world.home, 2026, today)}
    finance = [cell.status for cell in rows["finance"].cells]
    assert finance[:4] == ["done", "overdue", "open", "upcoming"]
    assert [cell.status for cell in rows["dibao"].cells][:2] == ["open", "upcoming"]
    late = queries.overdue(db, [world.home, world.other], today)
    assert [(o.obligation.category, o.period.start) for o in late] == [("finance", dt.date(2026, 2, 1))]
    assert services.notify_overdue(db, today=today) == 1
    told = set(db.execute(select(Notification.user_id).where(Notification.link.contains("calendar"))).scalars())
    assert told == {world.ids["supervision"], world.ids["street"]}
    assert services.notify_overdue(db, today=today) == 0  # once per period
    assert db.scalar(select(func.count()).select_from(OverdueNotice)) == 1


def test_schedule_line_validation(world, db):
    with pytest.raises(Invalid):
        services.save_obligation(db, world.actor("street"), world.home, "finance", 5, 10, dt.date(2026, 1, 1), True)
    with pytest.raises(Invalid):
        services.save_obligation(db, world.actor("street"), world.home, "nope", 1, 10, dt.date(2026, 1, 1), True)
    duty = services.save_obligation(db, world.actor("street"), world.home, "finance", 2, 15, dt.date(2026, 1, 1), True)
    again = services.save_obligation(db, world.actor("street"), world.home, "finance", 1, 10, dt.date(2026, 1, 1), False)
    assert duty.id == again.id and again.active is False


def test_category_settings_change_review_and_masking(world, db):
    with pytest.raises(Forbidden):
        services.save_category(db, world.actor("staff"), "dibao", False, "masked", True)
    services.save_category(db, world.actor("admin"), "dibao", False, "masked", True)
    item = services.create_item(db, world.actor("staff"), world.home, world.values(category="dibao", table=dibao_table()))
    assert services.publish(db, world.actor("staff"), item.id, MONDAY, today=MONDAY) == "published"
    assert "王*" in queries.load_item(db, item.id).search_text
    services.save_category(db, world.actor("admin"), "party", True, "full", False)
    with pytest.raises(Invalid):
        services.create_item(db, world.actor("staff"), world.home, world.values(category="party"))


def test_leaving_audit_published_for_elections(world, db):
    assert queries.leaving_audit_published(db, world.home.id) is False
    with pytest.raises(Invalid):
        services.create_item(db, world.actor("staff"), world.home, world.values(category="finance", leaving=True))
    today = queries.local_today()
    world.published(category="audit", title="主任离任经济责任审计结果", leaving=True, today=today)
    assert queries.leaving_audit_published(db, world.home.id) is True
    assert queries.leaving_audit_published(db, world.home.id, since=today + dt.timedelta(days=1)) is False
    assert queries.leaving_audit_published(db, world.other.id) is False


def test_readings_are_added_up_and_written_together(world, db, engine):
    """Readings wait in the process until `seconds` have passed, then go in one transaction; none is lost."""
    from civic.db import make_sessionmaker
    from tests.helpers import counted

    first, second = world.published().id, world.published(title="第二份公开").id
    db.commit()  # this session's SQLite write transaction ends before the counts' writer comes

    def readings() -> tuple[int, int]:
        with make_sessionmaker(engine)() as reader:
            return reader.get(Disclosure, first).read_count, reader.get(Disclosure, second).read_count

    counts = services.ReadCounts(make_sessionmaker(engine, write=True), seconds=3600)
    with counted(engine) as statements:
        for item in (first, second, first, first):
            counts.add(item)
    assert readings() == (0, 0) and statements == []  # not due yet: nothing written
    counts.flush()
    assert readings() == (3, 1)
    counts.seconds = 0  # due at every reading
    counts.add(second)
    assert readings() == (3, 2)
    assert services.read_counts(counts.sessions) is services.read_counts(counts.sessions)


def test_actor_without_account_row_is_refused(world, db):
    item = world.published()
    user = db.get(User, world.ids["resident"])
    user.active = False
    db.commit()
    assert load_actor(db, world.ids["resident"]) is None
    from civic.security import ANONYMOUS, LoginRequired

    with pytest.raises(LoginRequired):
        services.file_feedback(db, ANONYMOUS, item.id, "question", "匿名提问可以吗？", today=MONDAY)


def test_overdue_agrees_with_the_calendar_for_every_schedule(world, db):
    """The oversight list (every community, this year and last) and the community's calendar call the same
    periods overdue, for monthly and quarterly duties, with items covering some of them."""
    services.set_default_schedule(db, world.actor("street"), world.home, today=dt.date(2025, 1, 5))
    world.published(category="dibao", title="2025年第二季度低保公示", period_start=dt.date(2025, 4, 1), today=dt.date(2025, 7, 5))
    world.published(category="finance", title="2025年3月财务收支公开", period_start=dt.date(2025, 3, 1), today=dt.date(2025, 4, 5))
    for today in (dt.date(2025, 8, 20), dt.date(2026, 3, 20)):
        calendar = sorted((row.obligation.category, cell.period.start) for year in sorted({2025, today.year})
                          for row in queries.calendar(db, world.home, year, today) for cell in row.cells if cell.status == "overdue")
        late = sorted((o.obligation.category, o.period.start) for o in queries.overdue(db, [world.home, world.other], today))
        assert late == calendar and ("finance", dt.date(2025, 2, 1)) in late
        assert ("dibao", dt.date(2025, 4, 1)) not in late and ("finance", dt.date(2025, 3, 1)) not in late
