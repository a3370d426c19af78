"""A year's appraisal in the browser, with and without JavaScript: the street office opens a campaign,
cadres publish their work reports, a resident comments, party-member and resident representatives rate
(one form on paper via the supervision committee), the count, published results and a printable report."""
import re

from e2e.conftest import check_a11y, login, screenshot

STREET = "13800000001"  # 周督导, street office
CHEN = "13800000010"  # 陈晓红, staff of 安和 — appraised
LIN = "13800000011"  # 林国强, staff of 安和 — appraised
ZHENG = "13800000012"  # 郑淑珍, supervision committee — enters paper forms
RESIDENT = "13900000001"
RESIDENT_REP = "13900000002"
PARTY_REP = "13900000003"


def _fill_sheet(page) -> None:
    """Grade every cadre on the form and give each dimension a score, then confirm."""
    for sheet in page.locator("fieldset.cadre-sheet").all():
        sheet.locator("input[value=competent]").check()
        for box in sheet.locator("input[type=number]").all():
            box.fill("8")
    page.locator("input[name=confirm]").check()


def _click(page, text: str) -> None:
    page.locator("main").get_by_role("button", name=text).first.click()
    page.wait_for_load_state()


def _write_report(new_page, phone: str, campaign_url: str, js: bool) -> None:
    page = new_page()
    login(page, phone)
    page.goto(campaign_url)
    page.click("text=撰写我的述职报告")
    page.wait_for_load_state()
    check_a11y(page, js)
    page.fill("#f-summary", "## 年度述职\n\n- 推进加装电梯\n- 做好居务公开")
    page.fill("#f-target_title_0", "老旧小区加装电梯")
    page.fill("#f-target_completion_0", "80")
    page.fill("#f-target_statement_0", "两幢已开工")
    _click(page, "发布述职报告")
    assert "老旧小区加装电梯" in page.locator("main").inner_text()
    check_a11y(page, js)


def _rate_online(new_page, phone: str, campaign_url: str, js: bool, shot: str | None = None) -> None:
    page = new_page()
    login(page, phone)
    page.goto(campaign_url)
    page.click("text=填写测评表")
    page.wait_for_load_state()
    assert "不记名" in page.locator("main").inner_text()
    check_a11y(page, js)
    if shot:
        screenshot(page, shot)
    # Submitting without the confirmation is refused with a message, and nothing is stored.
    for sheet in page.locator("fieldset.cadre-sheet").all():
        sheet.locator("input[value=competent]").check()
    _click(page, "提交测评表")
    assert page.locator(".notice-error, .error").first.is_visible()
    check_a11y(page, js)
    _fill_sheet(page)
    _click(page, "提交测评表")
    assert "已收到您的测评表" in page.locator("main").inner_text()
    check_a11y(page, js)


def test_street_office_runs_a_years_appraisal_end_to_end(new_page, js):
    title = f"E2E 年度考评（{'有脚本' if js else '无脚本'}）"
    office = new_page()
    login(office, STREET)
    office.goto("/appraisal/?community=anhe")
    check_a11y(office, js)
    office.locator("main").get_by_role("link", name="发起考评").first.click()
    office.wait_for_load_state()
    check_a11y(office, js)
    office.fill("#f-title", title)
    # A weight sum that is not 100 is refused and explained.
    office.fill("#f-weight_resident_reps", "50")
    for kind in ("party_reps", "resident_reps", "street"):
        office.fill(f"#f-min_{kind}", "1")
    _click(office, "创建考评")
    assert "100" in office.locator("main .error").first.inner_text()
    check_a11y(office, js)
    office.fill("#f-title", title)
    office.fill("#f-weight_resident_reps", "60")
    _click(office, "创建考评")
    assert re.search(r"/appraisal/manage/\d+$", office.url), office.url
    campaign_id = office.url.rsplit("/", 1)[1]
    campaign_url = f"/appraisal/{campaign_id}"
    for name in ("陈晓红（安和社工）", "林国强（安和选委会）"):
        office.select_option("#f-user_id", label=name)
        office.select_option("#f-position", "member")
        _click(office, "添加")
    check_a11y(office, js)
    _click(office, "开始述职公示")
    assert "述职公示中" in office.locator("main").inner_text()

    # Cadres publish their work reports; a resident asks a question.
    _write_report(new_page, CHEN, campaign_url, js)
    _write_report(new_page, LIN, campaign_url, js)
    resident = new_page()
    login(resident, RESIDENT)
    resident.goto(campaign_url)
    resident.locator("main").get_by_role("link", name=re.compile("阅读述职报告")).first.click()
    resident.wait_for_load_state()
    resident.fill("#f-body", "电梯什么时候能全部完工？")
    _click(resident, "发表评论")
    assert "电梯什么时候能全部完工" in resident.locator("#comments ~ ol").inner_text()
    check_a11y(resident, js)

    # Rating opens; the roster is frozen; representatives rate online.
    office.reload()
    _click(office, "开始测评")
    assert "测评中" in office.locator("main").inner_text()
    _rate_online(new_page, RESIDENT_REP, campaign_url, js, shot="appraisal-rating-form" if js else None)
    _rate_online(new_page, PARTY_REP, campaign_url, js)
    _rate_online(new_page, STREET, campaign_url, js)

    # One paper form, entered by the supervision committee.
    clerk = new_page()
    login(clerk, ZHENG)
    clerk.goto(f"/appraisal/manage/{campaign_id}/paper")
    check_a11y(clerk, js)
    clerk.locator("main table").get_by_role("link", name=re.compile("录入纸质测评表")).first.click()
    clerk.wait_for_load_state()
    _fill_sheet(clerk)
    _click(clerk, "提交测评表")
    assert "已录入" in clerk.locator("main").inner_text()
    check_a11y(clerk, js)

    # No partial results while rating: the public page shows turnout only.
    visitor = new_page()
    assert visitor.goto(f"{campaign_url}/results").status == 404
    visitor.goto(campaign_url)
    assert "参加情况" in visitor.locator("main").inner_text()
    check_a11y(visitor, js)

    # The count and the publication.
    office.goto(f"/appraisal/manage/{campaign_id}")
    _click(office, "结束测评并计票")
    assert "已计票" in office.locator("main").inner_text()
    _click(office, "公布结果")
    check_a11y(office, js)
    if js:
        screenshot(office, "appraisal-dashboard")

    visitor.goto(f"{campaign_url}/results")
    text = visitor.locator("main").inner_text()
    assert "陈晓红" in text and "林国强" in text and "称职" in text
    assert visitor.locator("svg[role=img]").count() >= 2
    check_a11y(visitor, js)
    if js:
        screenshot(visitor, "appraisal-results")
    visitor.locator("main table.results").get_by_role("link", name="陈晓红").click()
    visitor.wait_for_load_state()
    check_a11y(visitor, js)
    visitor.click("text=打印考评报告")
    visitor.wait_for_load_state()
    printable = visitor.locator("main").inner_text()
    assert "陈晓红" in printable and "老旧小区加装电梯" in printable and "居务监督委员会" in printable
    check_a11y(visitor, js)
    if js:
        screenshot(visitor, "appraisal-print-cadre")
    # Open data: aggregated results as JSON.
    data = visitor.request.get(f"{campaign_url}/results.json").json()
    assert {row["cadre"].split("（")[0] for row in data["rows"]} == {"陈晓红", "林国强"}


def test_resident_reads_the_demo_years_results_and_history(new_page, js):
    import datetime as dt

    page = new_page()
    page.goto("/appraisal/?community=anhe")
    last_year = page.locator("main li", has_text=f"{dt.date.today().year - 1}年度社区干部双向考评")
    last_year.get_by_role("link", name="考评结果").click()  # the demo's latest published year
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "连续两年不称职" in text  # the demo's vice-chair, 不称职 two years running (A2)
    check_a11y(page, js)
    page.click("text=打印社区考评报告")
    page.wait_for_load_state()
    assert "历年对比" in page.locator("main").inner_text()
    check_a11y(page, js)
    if js:
        screenshot(page, "appraisal-print-community")
