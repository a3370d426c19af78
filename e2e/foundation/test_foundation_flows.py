"""Actor–verb–object flows of the foundation, with and without JavaScript."""
import io
import re

from openpyxl import Workbook

from e2e.conftest import check_a11y, login, screenshot
from civic.registry.rules import make_id_number

STAFF = "13800000010"  # 陈晓红, staff of 安和社区 (README)


def _resident_links(page):
    return page.locator("main table a[href^='/registry/manage/residents/']")


def _staff_prints_letter(page, index: int) -> tuple[str, str]:
    """Staff open the registry, pick a resident without an account, print the activation letter."""
    page.goto("/registry/manage/c/anhe/residents?page=2")
    link = _resident_links(page).nth(index)
    name = link.inner_text()
    link.click()
    page.wait_for_load_state()
    page.click("text=打印激活通知书")
    page.wait_for_load_state()
    code = page.locator("#access-code").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    return name, code


def test_resident_activates_and_logs_in(new_page, js):
    staff = new_page()
    login(staff, STAFF)
    name, code = _staff_prints_letter(staff, 3 if js else 4)
    check_a11y(staff, js)
    resident = new_page()
    resident.goto("/activate")
    check_a11y(resident, js)
    resident.fill("#f-code", code)
    resident.fill("#f-password", "short")
    resident.fill("#f-confirm", "short")
    resident.click("main button[type=submit]")
    assert resident.locator(".error").first.is_visible()  # refused, in Chinese
    assert "至少" in resident.locator(".error").first.inner_text()
    resident.fill("#f-password", "my-own-pass-1")
    resident.fill("#f-confirm", "my-own-pass-1")
    resident.click("main button[type=submit]")
    resident.wait_for_url("**/me")
    assert name in resident.locator("h1").inner_text()
    check_a11y(resident, js)
    if js:
        screenshot(resident, "resident-me")
    # Logged out, the same code no longer works; the password does.
    resident.click("header button:has-text('退出登录')")
    resident.goto("/activate")
    resident.fill("#f-code", code)
    resident.fill("#f-password", "my-own-pass-2")
    resident.fill("#f-confirm", "my-own-pass-2")
    resident.click("main button[type=submit]")
    assert resident.locator("#e-code").is_visible()


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "手机", "居民小组", "户号"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_staff_import_rejects_a_bad_row_then_takes_a_clean_file(new_page, js, tmp_path):
    import datetime as dt

    base = 900 if js else 950
    good = [[f"测试{i}号", make_id_number("330102", dt.date(1970, 1, 1) + dt.timedelta(days=base + i), base + i, "F"), "", "1", f"E2E-{base + i}"] for i in range(3)]
    bad = good + [["坏行", "110105194912310021", "", "1", "E2E-X"]]
    page = new_page()
    login(page, STAFF)
    page.goto("/registry/manage/c/anhe/import")
    check_a11y(page, js)
    (tmp_path / "bad.xlsx").write_bytes(_xlsx(bad))
    page.set_input_files("#f-file", str(tmp_path / "bad.xlsx"))
    page.click("main button[type=submit]")
    page.wait_for_selector("#progress[data-status=rejected]", timeout=15000)
    assert "校验" in page.locator("#progress").inner_text() or "5" in page.locator("#progress table").inner_text()
    assert "5" == page.locator("#progress tbody td").first.inner_text()  # the bad row is line 5
    check_a11y(page, js)
    page.goto("/registry/manage/c/anhe/import")
    (tmp_path / "good.xlsx").write_bytes(_xlsx(good))
    page.set_input_files("#f-file", str(tmp_path / "good.xlsx"))
    page.click("main button[type=submit]")
    if js:
        page.wait_for_selector("#progress[data-status=done]", timeout=15000)
    else:
        for _ in range(30):  # without JS the page refreshes itself (meta refresh); reload to be quick
            if page.locator("#progress[data-status=done]").count():
                break
            page.wait_for_timeout(500)
            page.reload()
    assert page.locator("#progress[data-status=done]").count() == 1
    page.goto("/registry/manage/c/anhe/residents?q=测试1号")
    assert page.locator("main table tbody tr").count() >= 1


def test_staff_acts_for_a_resident_in_assisted_mode(new_page, js):
    page = new_page()
    login(page, STAFF)
    page.goto("/registry/manage/c/anhe/residents")
    _resident_links(page).nth(6 if js else 7).click()
    page.wait_for_load_state()
    page.click("text=代该居民办理")
    page.wait_for_load_state()
    check_a11y(page, js)
    # The browser's "required" check stops an empty form; a too-short reason reaches the server and is refused.
    page.fill("#f-reason", "no")
    page.click("main button[type=submit]")
    assert page.locator(".notice-error").is_visible()
    page.fill("#f-reason", "居民到社区办公室现场办理，本人无智能手机")
    page.click("main button[type=submit]")
    page.wait_for_url("**/me")
    banner = page.locator(".assist-banner")
    assert banner.is_visible() and "陈晓红" in banner.inner_text()
    check_a11y(page, js)
    if js:
        screenshot(page, "assisted-mode")
    page.click(".assist-banner button")
    page.wait_for_load_state()
    assert page.locator(".assist-banner").count() == 0


def test_language_switch_and_large_text(new_page, js):
    page = new_page()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    check_a11y(page, js)
    if js:
        screenshot(page, "home-zh")
    page.click("text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("text=Run your community together").is_visible()
    check_a11y(page, js)
    page.click("text=Large text")
    assert "large-text" in (page.locator("body").get_attribute("class") or "")
    check_a11y(page, js)
    page.click("text=中文")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.goto("/registry/c/anhe")
    check_a11y(page, js)
    page.goto("/rules/")
    check_a11y(page, js)


def test_htmx_loads_with_its_integrity_hash(new_page, js):
    if not js:
        return
    page = new_page()
    page.goto("/")
    assert page.evaluate("typeof window.htmx") == "object"


WIDE_PAGES = {  # pages with wide tables, a file input, a fieldset of a table, a list of details (small demo)
    "13800000000": ["/appraisal/manage/2", "/appraisal/manage/new?community=anhe", "/consultations/manage/8",
                    "/registry/manage/c/anhe/import", "/registry/manage/residents/1", "/elections/e-2026-anhe-02"],
    "13900000001": ["/appraisal/1/results", "/disclosure/calendar?community=anhe"],
}


def test_a_phone_in_large_english_text_never_scrolls_the_page_sideways(new_page, js):
    """WCAG 1.4.10: at 360 px, in English (longer words) and large text, the page fits the screen; a table
    wider than that scrolls inside its own box, which takes the keyboard's focus."""
    for phone, urls in WIDE_PAGES.items():
        page = new_page()
        login(page, phone)
        page.goto("/set-locale?lang=en&next=/")
        page.goto("/text-size?size=large&next=/")
        page.set_viewport_size({"width": 360, "height": 740})
        scrolled = 0
        for url in urls:
            page.goto(url)
            width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert width[0] <= width[1], f"{url} is {width[0]} px wide on a {width[1]} px screen"
            boxes = page.locator(".table-scroll")
            for i in range(boxes.count()):
                box = boxes.nth(i)
                assert box.get_attribute("tabindex") == "0" and box.get_attribute("aria-label")
                scrolled += box.evaluate("b => b.scrollWidth > b.clientWidth")
            check_a11y(page, js)
        assert scrolled, "no table here is wider than the phone: the check above proves nothing"
        if js:
            screenshot(page, f"phone-wide-table-{phone}")
