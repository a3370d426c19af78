"""Actor–verb–object flows of the notice board (居务公开), with and without JavaScript, axe on every page."""
import re

from e2e.conftest import check_a11y, login, screenshot

STAFF = "13800000010"  # 陈晓红, staff of 安和社区
SUPERVISION = "13800000012"  # 郑淑珍, supervision committee of 安和社区
STREET = "13800000001"  # 周督导, street office
RESIDENT = "13900000001"  # a resident of 安和社区
TABLE = "户主姓名\t身份证号\t家庭人口\t月保障金额（元）\n张建国\t330102195001011234\t2\t1640\n李秀英\t330102195203041246\t1\t820\n王志强\t330102196105061258\t3\t2460"


def _item_id(page) -> str:
    return re.search(r"/d/(\d+)", page.url).group(1)


def _approve(page, item_id: str, js: bool) -> None:
    page.goto(f"/disclosure/manage/d/{item_id}")
    check_a11y(page, js)
    page.check("input[name=decision][value=approve]")
    page.click("form[action$='/review'] button[type=submit]")
    page.wait_for_load_state()


def test_staff_publish_a_dibao_list_resident_objects_committee_answers_and_corrects(new_page, js, tmp_path):
    title = "E2E第四季度低保名单公示" + ("（JS）" if js else "（无JS）")
    staff = new_page()
    login(staff, STAFF)
    staff.goto("/disclosure/manage/c/anhe/new?category=dibao")
    check_a11y(staff, js)
    staff.fill("#f-title", title)
    staff.fill("#f-body", "现将拟享受最低生活保障家庭名单公示如下。")
    staff.fill("#f-table_text", TABLE)
    assert staff.input_value("#f-notice_days") == "7"  # from the rules profile (D6)
    staff.click("button:has-text('保存草稿')")
    staff.wait_for_url("**/disclosure/manage/d/*")
    item_id = _item_id(staff)
    check_a11y(staff, js)
    # A file of the wrong type is refused with a clear message; a PDF is accepted.
    (tmp_path / "evil.html").write_text("<script>alert(1)</script>")
    staff.set_input_files("#f-file", str(tmp_path / "evil.html"))
    staff.click("button:has-text('上传附件')")
    assert "不能" in staff.locator("#err-attachment").inner_text()
    check_a11y(staff, js)
    (tmp_path / "名单.pdf").write_bytes(b"%PDF-1.4 e2e")
    staff.set_input_files("#f-file", str(tmp_path / "名单.pdf"))
    staff.fill("#f-att-title", "低保审核材料扫描件")
    staff.click("button:has-text('上传附件')")
    staff.wait_for_load_state()
    assert staff.locator("text=低保审核材料扫描件").count() >= 1
    staff.click("button:has-text('提交审核')")
    staff.wait_for_load_state()
    assert "待审核" in staff.locator("main").inner_text()

    supervisor = new_page()
    login(supervisor, SUPERVISION)
    supervisor.goto("/disclosure/manage/")
    check_a11y(supervisor, js)
    assert supervisor.locator(f"text={title}").count() == 1
    _approve(supervisor, item_id, js)
    assert "公示中" in supervisor.locator("main").inner_text()

    resident = new_page()
    login(resident, RESIDENT)
    resident.goto(f"/disclosure/d/{item_id}")
    check_a11y(resident, js)
    text = resident.locator("main").inner_text()
    assert "330102195001011234" not in text and "3301**********1234" in text  # ID numbers masked
    assert "公示期" in text
    if js:
        screenshot(resident, "disclosure-item")
    resident.check("input[name=kind][value=objection]")
    resident.fill("#f-text", "短")
    resident.click("#feedback button[type=submit]")
    resident.wait_for_selector("#e-text")
    assert "至少" in resident.locator("#e-text").inner_text()
    resident.fill("#f-text", "王志强家已购买商品房，收入超过标准，请核实。")
    resident.click("#feedback button[type=submit]")
    resident.wait_for_selector("text=已收到")
    check_a11y(resident, js)

    staff.goto(f"/disclosure/manage/d/{item_id}")
    staff.check("#feedback input[name=outcome][value=upheld]")
    staff.fill("#feedback textarea[name=answer]", "经入户核查情况属实，取消王志强家保障资格，名单予以更正。")
    staff.click("#feedback button:has-text('发布答复')")
    staff.wait_for_selector("#feedback >> text=经入户核查情况属实")
    check_a11y(staff, js)

    resident.goto(f"/disclosure/d/{item_id}")
    answered = resident.locator("#feedback").inner_text()
    assert "经入户核查情况属实" in answered and "采纳" in answered

    # The correction: a new version with a reason, reviewed, and a diff in the history.
    staff.goto(f"/disclosure/manage/d/{item_id}")
    staff.fill("#f-reason", "根据居民异议核查，删除王志强家")
    staff.check("input[name=material]")
    staff.click("button:has-text('开始更正')")
    staff.wait_for_url("**/edit")
    check_a11y(staff, js)
    staff.fill("#f-title", title + "（更正）")
    staff.fill("#f-table_text", "\n".join(TABLE.split("\n")[:3]))
    staff.click("button:has-text('保存草稿')")
    staff.wait_for_url(f"**/disclosure/manage/d/{item_id}*")
    staff.click("button:has-text('提交审核')")
    staff.wait_for_load_state()
    _approve(supervisor, item_id, js)

    resident.goto(f"/disclosure/d/{item_id}")
    assert "已更正" in resident.locator("main").inner_text()
    resident.click("main >> text=历史版本与变更")
    resident.wait_for_url("**/history")
    check_a11y(resident, js)
    removed = resident.locator(".diff-removed").all_inner_texts()
    assert any("王志强" in line for line in removed)
    assert resident.locator("del").count() >= 1 and resident.locator("ins").count() >= 1
    assert "根据居民异议核查" in resident.locator("main").inner_text()
    if js:
        screenshot(resident, "disclosure-history")


def test_supervisor_sees_overdue_finance_across_communities(new_page, js):
    page = new_page()
    login(page, STREET)
    page.goto("/disclosure/manage/overdue")
    check_a11y(page, js)
    rows = page.locator("tr.overdue-row").all_inner_texts()
    assert any("和平社区" in r and "财务收支" in r for r in rows)
    assert any("安和社区" in r and "财务收支" in r for r in rows)
    assert "公示期满，异议未答复" in page.locator("main").inner_text()
    if js:
        screenshot(page, "disclosure-overdue")
    page.goto("/me/notifications")
    check_a11y(page, js)
    assert "逾期" in page.locator("main").inner_text()
    page.goto("/disclosure/calendar?community=heping")
    check_a11y(page, js)
    assert page.locator(".sched-overdue").count() >= 2


def test_resident_reads_searches_and_prints_the_board(new_page, js):
    page = new_page()
    page.goto("/disclosure/")
    check_a11y(page, js)
    page.click("main >> text=安和社区")
    page.wait_for_url("**community=anhe*")
    check_a11y(page, js)
    if js:
        screenshot(page, "disclosure-board")
    page.fill("#f-q", "低保")  # two characters: the LIKE fallback
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector("#result-count:has-text('低保')")
    titles = page.locator("#results .notice-title").all_inner_texts()
    assert titles and all("低保" in t or "最低生活保障" in t for t in titles)
    page.fill("#f-q", "预算明细")  # words of an attachment's title only
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector("#result-count:has-text('预算明细')")
    assert page.locator("#results .notice-title").all_inner_texts() == ["安和社区老旧小区加装电梯工程公示"]
    check_a11y(page, js)
    page.click("#results >> text=老旧小区加装电梯工程公示")
    page.wait_for_url("**/disclosure/d/*")
    check_a11y(page, js)
    page.click("text=打印版公告（A4）")
    page.wait_for_url("**/print")
    check_a11y(page, js)
    assert page.locator(".a4-notice h1").inner_text() == "安和社区老旧小区加装电梯工程公示"
    if js:
        screenshot(page, "disclosure-print")
        page.emulate_media(media="print")
        assert not page.locator(".site-header").is_visible()
        page.emulate_media(media="screen")
    page.goto("/disclosure/calendar?community=anhe")
    check_a11y(page, js)
    assert page.locator(".sched-done").count() >= 5 and page.locator(".sched-overdue").count() >= 1
    if js:
        screenshot(page, "disclosure-calendar")


def test_staff_cannot_take_down_a_notice_too_early(new_page, js):
    page = new_page()
    login(page, STAFF)
    page.goto("/disclosure/manage/c/anhe")
    check_a11y(page, js)
    page.click("main table >> text=关于开展垃圾分类督导志愿服务的决定")
    page.wait_for_url("**/disclosure/manage/d/*")
    page.fill("#f-wd-reason", "活动已结束")
    page.click("button:has-text('撤下')")
    assert "至少须公开" in page.locator("#err-withdraw").inner_text()
    check_a11y(page, js)
    if js:
        screenshot(page, "disclosure-manage-item")
