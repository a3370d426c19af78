"""Actor–verb–object flows of consultations in Chromium, with and without JavaScript (axe on every page)."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from e2e.conftest import check_a11y, screenshot

STAFF = "13800000010"  # 陈晓红, staff of 安和社区
TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def sign_in(server):
    """Log a page in by setting the session cookie the login form would set (signed with the server's key).
    The login form itself is covered by the foundation's flows; going through it here for every resident
    would use up the per-address login limit (10 per 15 minutes) those flows rely on."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from civic.accounts.models import User
    from civic.db import make_engine
    from civic.security import SESSION_COOKIE, SessionCookies
    from civic.settings import Settings

    settings = Settings.from_env(server["env"])
    cookies = SessionCookies(settings.secret_key, settings.session_hours)
    engine = make_engine(settings.database_url)

    def login(page, phone: str) -> None:
        with Session(engine) as db:
            user = db.execute(select(User).where(User.phone == phone)).scalar_one()
            value = cookies.dumps(user)
        page.context.add_cookies([{"name": SESSION_COOKIE, "value": value, "url": server["base"]}])

    yield login
    engine.dispose()


def resident_phone(n: int) -> str:
    return f"139{n:08d}"  # demo residents of 安和社区 13900000101 … 13900000124


def submit(page, form_selector: str) -> None:
    page.locator(f"{form_selector} button[type=submit]").first.click()
    page.wait_for_load_state()


def manage(page, cid: int) -> None:
    page.goto(f"/consultations/manage/{cid}")


def propose(page, title: str, js: bool) -> int:
    page.goto("/consultations/?community=anhe")
    check_a11y(page, js)
    page.click("text=提出议题")
    page.wait_for_load_state()
    check_a11y(page, js)
    page.fill("#f-title", title)
    page.fill("#f-body", "小区里的情况需要大家一起商量，这是议题说明。")
    submit(page, "main form")
    assert "议题已提交" in page.locator("main").inner_text()
    return int(re.search(r"/consultations/(\d+)", page.url).group(1))


def accept_and_announce(staff, cid: int, form: str, js: bool) -> None:
    manage(staff, cid)
    check_a11y(staff, js)
    staff.select_option("#f-form", form)
    staff.fill("#f-reason", "涉及居民切身利益，同意组织协商。")
    submit(staff, "form[action$='/decide']")
    assert "已采纳" in staff.locator("main").inner_text()
    staff.fill("#f-meeting_date", (TODAY + dt.timedelta(days=12)).isoformat())
    staff.fill("#f-meeting_time", "19:00")
    staff.fill("#f-place", "安和社区议事厅")
    submit(staff, "form[action$='/plan']")
    staff.fill("#f-agenda_title", "方案介绍与讨论")
    submit(staff, "form[action$='/agenda']")
    check_a11y(staff, js)
    submit(staff, "form[action$='/announce']")
    assert "公告已发布" in staff.locator("main").inner_text()


def sign_up(page, cid: int, stance: str) -> None:
    page.goto(f"/consultations/{cid}")
    page.check(f"form[action$='/signup'] input[name=stance][value={stance}]")
    submit(page, "form[action$='/signup']")
    assert "报名成功" in page.locator("main").inner_text()


def open_meeting(staff, cid: int) -> str:
    manage(staff, cid)
    staff.fill("#f-early_reason", "经全体参加人员同意提前召开")
    submit(staff, "form[action$='/open']")
    assert staff.locator("#checkin-code").count() == 1, staff.locator("main").inner_text()[:1500]
    return staff.locator("#checkin-code").inner_text().strip()


def check_in(page, cid: int, code: str) -> None:
    page.goto(f"/consultations/{cid}")
    page.fill("#f-code", code)
    submit(page, "form[action$='/checkin']")
    assert "签到成功" in page.locator("main").inner_text()


def staff_checks_in(staff, cid: int, how_many: int) -> None:
    for _ in range(how_many):
        manage(staff, cid)
        staff.locator("#meeting form[action$='/checkin'] button").first.click()
        staff.wait_for_load_state()
        staff.wait_for_timeout(300)


def conclude(staff, cid: int, js: bool, hearing: bool) -> None:
    manage(staff, cid)
    submit(staff, "form[action$='/close']")
    assert "会议已结束" in staff.locator("main").inner_text()
    staff.fill("#f-minutes", "会议由居委会主任主持，参加人员充分发表了意见，形成协商意见。")
    if hearing:
        staff.fill("#f-record", "主持人：现在开始听证。代表甲：……")
        staff.fill("#f-signatories", "主持人陈晓红及全体听证代表")
    submit(staff, "form[action$='/minutes']")
    for form in staff.locator("form[action$='/answer']").all():
        form.locator("select[name=disposition]").select_option("partly")
        form.locator("textarea[name=answer]").fill("部分采纳：先在一个单元试点，其余单元视效果推进。")
        form.locator("button[type=submit]").click()
        staff.wait_for_load_state()
    check_a11y(staff, js)
    staff.fill("#f-outcome", "同意先在一个单元试点，由居委会和物业公司负责，三个月内完成。")
    submit(staff, "form[action$='/outcome']")
    staff.fill("#f-progress_progress", "50")
    staff.fill("#f-progress_note", "试点单元已完成施工。")
    submit(staff, "form[action$='/progress']")
    staff.fill("#f-progress_progress", "100")
    staff.fill("#f-progress_note", "全部完成，已通过验收。")
    submit(staff, "form[action$='/progress']")
    assert "已落实" in staff.locator("main .meta").first.inner_text()


def test_a_resident_proposes_a_hearing_that_runs_to_an_implemented_outcome(new_page, js, sign_in):
    base = 110 if js else 117
    proposer, fan, critic, reporter = (new_page() for _ in range(4))
    for page, n in ((proposer, base), (fan, base + 1), (critic, base + 2), (reporter, base + 3)):
        sign_in(page, resident_phone(n))
    title = f"单元门禁改造听证（{'js' if js else 'nojs'}）"
    cid = propose(proposer, title, js)

    staff = new_page()
    sign_in(staff, STAFF)
    accept_and_announce(staff, cid, "hearing", js)
    if js:
        screenshot(staff, "consultations-manage")

    for page, stance in ((proposer, "for"), (fan, "for"), (critic, "against"), (reporter, "neutral")):
        sign_up(page, cid, stance)
    check_a11y(critic, js)

    # Comments, a reply and a report.
    critic.goto(f"/consultations/{cid}")
    critic.fill("#f-comment_body", "门禁改造费用太高，**反对**。")
    critic.check("form.comment-form input[name=stance][value=against]")
    submit(critic, "form.comment-form")
    comment_id = int(critic.url.split("#comment-")[1])
    assert critic.locator(f"#comment-{comment_id} strong").inner_text() == "反对"
    fan.goto(f"/consultations/{cid}")
    fan.locator(f"#comment-{comment_id} .comment-actions a", has_text="回复").click()
    fan.wait_for_selector(f"#reply-body-{comment_id}")
    check_a11y(fan, js)
    fan.fill(f"#reply-body-{comment_id}", "费用可以申请补贴，@" + critic.locator("header .tools a[href='/me']").inner_text())
    submit(fan, f"form:has(#reply-body-{comment_id})")
    assert "评论已发表" in fan.locator("main").inner_text() and fan.locator(f"#comment-{comment_id} .replies .comment").count() == 1
    reporter.goto(f"/consultations/comments/{comment_id}/report")
    check_a11y(reporter, js)
    reporter.check("input[name=reason][value=offensive]")
    submit(reporter, "main form")
    assert "管理员将审核" in reporter.locator("main").inner_text()
    staff.goto("/consultations/manage/moderation?community=anhe")
    check_a11y(staff, js)
    staff.fill(f"#reason-{comment_id}", "内容属正常意见表达，予以保留")
    staff.locator(f"#comment-{comment_id} button[value=restore]").click()
    staff.wait_for_load_state()
    assert "审核结果已记入审计日志" in staff.locator("main").inner_text()

    # Representatives drawn by lot; the meeting; an opinion.
    manage(staff, cid)
    submit(staff, "form[action$='/select']")
    assert "听证代表已遴选产生" in staff.locator("main").inner_text()
    code = open_meeting(staff, cid)
    check_in(proposer, cid, code)
    proposer.fill("#f-opinion_body", "建议门禁同时支持刷卡和人脸识别，照顾老年人。")
    submit(proposer, "form[action$='/opinions']")
    assert "意见已提交" in proposer.locator("main").inner_text()
    staff_checks_in(staff, cid, 2)
    conclude(staff, cid, js, hearing=True)

    # The resident sees the answer to their opinion, and the notification about it.
    proposer.goto("/me/notifications")
    assert "部分采纳" in proposer.locator("main").inner_text()
    proposer.goto(f"/consultations/{cid}")
    text = proposer.locator("#opinions").inner_text()
    assert "先在一个单元试点" in text and "部分采纳" in text
    assert "已落实" in proposer.locator("main .meta").first.inner_text()
    assert "种子" in proposer.locator("main").inner_text()  # the draw can be checked
    check_a11y(proposer, js)
    if js:
        screenshot(proposer, "consultations-hearing-done")


def test_a_deliberation_council_with_speakers_and_opinions_recorded_by_staff(new_page, js, sign_in):
    base = 104 if js else 107
    proposer, speaker = new_page(), new_page()
    sign_in(proposer, resident_phone(base))
    sign_in(speaker, resident_phone(base + 1))
    cid = propose(proposer, f"楼顶晾晒区协商（{'js' if js else 'nojs'}）", js)
    staff = new_page()
    sign_in(staff, STAFF)
    accept_and_announce(staff, cid, "council", js)
    sign_up(proposer, cid, "for")
    sign_up(speaker, cid, "against")
    code = open_meeting(staff, cid)
    check_in(speaker, cid, code)
    submit(speaker, "form[action$='/speak']")
    assert "您已进入发言名单" in speaker.locator("main").inner_text()
    manage(staff, cid)
    staff.locator("#meeting button[value=start]").first.click()
    staff.wait_for_load_state()
    staff.wait_for_selector("#meeting li.speaking")
    staff.locator("#meeting button[value=done]").first.click()
    staff.wait_for_load_state()
    staff.fill("#f-opinion_author_name", "王阿姨（现场口述）")
    staff.fill("#f-opinion_body", "希望晾晒区加装遮雨棚。")
    submit(staff, "form[action$='/opinion']")
    assert "意见已登记" in staff.locator("main").inner_text()
    check_a11y(staff, js)
    conclude(staff, cid, js, hearing=False)
    proposer.goto(f"/consultations/{cid}")
    assert "王阿姨（现场口述）" in proposer.locator("#opinions").inner_text()
    assert proposer.locator("#progress progress").get_attribute("value") == "100"
    check_a11y(proposer, js)


def test_the_thread_sorts_and_loads_more_comments(new_page, js, sign_in):
    page = new_page()
    page.goto("/consultations/?community=anhe&stage=proposed")
    page.click("text=为老旧楼栋加装电梯征集意见")
    page.wait_for_load_state()
    check_a11y(page, js)
    if js:
        screenshot(page, "consultations-thread")
    first_page = page.locator("#thread > ol.comments > li.comment").count()
    assert first_page == 20
    page.click("#thread .sorts button:has-text('最新')")
    page.wait_for_load_state()
    page.wait_for_selector("#thread .sorts button[aria-pressed=true]:has-text('最新')")  # (no wait_for_function: the CSP forbids eval)
    newest = page.locator("#thread > ol.comments > li.comment").first.inner_text()
    assert "第18条" in newest
    more = page.locator("#thread li.more a")
    more.click()
    if js:  # htmx appends the next page in place
        page.wait_for_selector("#thread > ol.comments > li.comment:nth-child(21)")  # page 2 appended after the 20 of page 1
        assert page.locator("#thread > ol.comments > li.comment").count() > 20
        assert "第18条" in page.locator("#thread > ol.comments > li.comment").first.inner_text()
    else:  # the plain link opens the next page
        page.wait_for_load_state()
        assert "page=2" in page.url and page.locator("#thread > ol.comments > li.comment").count() >= 1
    check_a11y(page, js)
    # Replies past three levels start collapsed.
    page.goto("/consultations/?community=anhe&stage=proposed")
    page.click("text=为老旧楼栋加装电梯征集意见")
    deep = page.locator("details.deep").first
    expect(deep).to_have_count(1)  # waits for the page the click opens
    assert deep.get_attribute("open") is None


def test_an_xss_payload_in_a_comment_never_runs(new_page, js, sign_in):
    if not js:
        pytest.skip("without JavaScript nothing can run; the JS run is the test")
    page = new_page()
    sign_in(page, resident_phone(124))
    page.goto("/consultations/?community=anhe&stage=running")
    page.click("text=物业服务费调整听证会")
    page.wait_for_load_state()
    for payload in ("<img src=x onerror=window.__xss=1>", "<script>window.__xss=1</script>", "[点我](javascript:window.__xss=1)"):
        page.fill("#f-comment_body", payload)
        submit(page, "form.comment-form")
    page.goto(page.url.split("?")[0] + "?sort=newest")
    page.wait_for_load_state()
    assert "onerror" in page.locator("#thread").inner_text()  # shown as text
    for link in page.locator("#thread a").all():
        assert not (link.get_attribute("href") or "").lower().startswith("javascript")
    assert page.evaluate("typeof window.__xss") == "undefined"
    check_a11y(page, js)


def test_staff_call_a_representatives_meeting_and_see_the_quorum(new_page, js, sign_in):
    staff = new_page()
    sign_in(staff, STAFF)
    staff.goto("/consultations/manage/formal/new?community=anhe")
    check_a11y(staff, js)
    staff.select_option("#f-kind", "representatives")
    staff.fill("#f-title", f"居民代表会议（{'js' if js else 'nojs'}）")
    staff.fill("#f-meeting_date", (TODAY + dt.timedelta(days=3)).isoformat())
    staff.fill("#f-place", "安和社区议事厅")
    submit(staff, "main form")
    assert staff.locator(".notice-error").count() >= 1 and staff.locator("#e-meeting_date").is_visible()  # too short notice
    staff.fill("#f-meeting_date", (TODAY + dt.timedelta(days=10)).isoformat())
    submit(staff, "main form")
    assert "会议已召集" in staff.locator("main").inner_text()
    assert "三分之二以上" in staff.locator("main").inner_text()
    check_a11y(staff, js)
