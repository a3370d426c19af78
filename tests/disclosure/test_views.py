"""Disclosure pages through the real ASGI stack: route × role matrix, CSRF, bad input (never a 500),
masking on every public output, uploads, htmx fragments, open data, and a whole notice's life over HTTP."""
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from civic.audit import AuditEntry
from civic.db import make_sessionmaker
from civic.disclosure import queries, rules, services
from civic.registry.models import Community, StreetOffice
from civic.registry.rules import make_id_number
from civic.security import load_actor
from tests.helpers import Client, make_community, make_resident, make_user

ID_NUMBER = make_id_number("330102", dt.date(1960, 5, 1), 41, "F")
PHONE = "13912345678"
PDF = b"%PDF-1.4 test"


@pytest.fixture
def world(app):
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        street = db.get(StreetOffice, home.street_id)
        other = make_community(db, code="other", name="康宁社区", street=street)
        resident = make_resident(db, home, name="王芳", gender="F", phone="13700000001")
        users = {
            "anonymous": None,
            "resident": make_user(db, resident=resident),
            "other_resident": make_user(db, resident=make_resident(db, other, name="赵六", phone="13700000003")),
            "staff": make_user(db, roles=[("staff", home)]),
            "other_staff": make_user(db, roles=[("staff", other)]),
            "supervision": make_user(db, roles=[("supervision_committee", home)]),
            "street": make_user(db, roles=[("street_supervisor", None)], street=street),
            "admin": make_user(db, roles=[("admin", None)]),
        }
        staff = load_actor(db, users["staff"].id)
        table = rules.Table(["姓名", "身份证号", "联系电话", "健康状况", "金额"], [["王芳", ID_NUMBER, PHONE, "高血压", "820"]])
        published = services.create_item(db, staff, home, services.ItemValues("dibao", "低保名单公示", "电话 13812345678", table, 7, None, False))
        services.add_attachment(db, staff, published.id, app.state.settings.data_dir, "名单.pdf", PDF, "低保名单原件", True)
        services.add_attachment(db, staff, published.id, app.state.settings.data_dir, "底稿.pdf", PDF, "内部底稿", False)
        services.publish(db, staff, published.id, None)
        services.review(db, load_actor(db, users["supervision"].id), published.id, True, "")
        draft = services.create_item(db, staff, home, services.ItemValues("decisions", "秘密草稿标题", "草稿", None, None, None, False))
        scheduled = services.create_item(db, staff, home, services.ItemValues("decisions", "下周的通知", "x", None, None, None, False))
        services.publish(db, staff, scheduled.id, queries.local_today() + dt.timedelta(days=5))
        services.save_obligation(db, load_actor(db, users["street"].id), home, "finance", 1, 10, dt.date(2020, 1, 1), True)
        ids = {"published": published.id, "draft": draft.id, "scheduled": scheduled.id}
        versions = queries.load_item(db, published.id)
        files = {a.title: a.id for a in queries.current_version(versions).attachments}
        ids.update(public_file=files["低保名单原件"], internal_file=files["内部底稿"])
    return users, ids, sessions


def as_role(app, users, role) -> Client:
    client = Client(app)
    if users[role] is not None:
        client.login_as(users[role])
    return client


def audit_count(sessions) -> int:
    with sessions() as db:
        return db.scalar(select(func.count()).select_from(AuditEntry))


PUBLIC = ["/disclosure/", "/disclosure/?community=home", "/disclosure/?community=home&q=低保", "/disclosure/d/{published}",
          "/disclosure/d/{published}/history", "/disclosure/d/{published}/print", "/disclosure/d/{published}.json",
          "/disclosure/d/{published}/table.csv", "/disclosure/calendar?community=home", "/disclosure/feed.atom?community=home",
          "/disclosure/data.json?community=home", "/disclosure/data.csv?community=home", "/disclosure/files/{public_file}"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_answer_everyone_and_mask_personal_data(app, world, path):
    users, ids, _s = world
    for role in ("anonymous", "resident", "other_staff"):
        response = as_role(app, users, role).get(path.format(**ids))
        assert response.status_code == 200, (path, role, response.status_code)
        body = response.text if "files" not in path else ""
        assert ID_NUMBER not in body and PHONE not in body and "13812345678" not in body and "高血压" not in body, (path, role)
        assert "秘密草稿标题" not in body and "内部底稿" not in body


@pytest.mark.parametrize("path", ["/disclosure/d/{draft}", "/disclosure/d/{scheduled}", "/disclosure/d/{draft}/history",
                                  "/disclosure/d/{scheduled}/print", "/disclosure/d/{draft}.json", "/disclosure/files/{internal_file}",
                                  "/disclosure/d/999999", "/disclosure/files/999999", "/disclosure/?community=nope",
                                  "/disclosure/calendar", "/disclosure/feed.atom?community=nope"])
def test_unpublished_or_unknown_is_not_found(app, world, path):
    users, ids, _s = world
    for role in ("anonymous", "resident"):
        response = as_role(app, users, role).get(path.format(**ids))
        assert response.status_code == 404, (path, role)
        assert "秘密草稿标题" not in response.text and "下周的通知" not in response.text


def test_staff_download_internal_files_with_safe_headers(app, world):
    users, ids, _s = world
    response = as_role(app, users, "staff").get(f"/disclosure/files/{ids['internal_file']}")
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff" and "sandbox" in response.headers["content-security-policy"]
    assert as_role(app, users, "other_staff").get(f"/disclosure/files/{ids['internal_file']}").status_code == 404


STAFF_SIDE = {"staff", "supervision", "street", "admin"}
PROTECTED = [
    ("/disclosure/manage/", STAFF_SIDE | {"other_staff"}),
    ("/disclosure/manage/c/home", STAFF_SIDE),
    ("/disclosure/manage/c/home/new", {"staff", "admin"}),
    ("/disclosure/manage/c/home/schedule", STAFF_SIDE),
    ("/disclosure/manage/d/{published}", STAFF_SIDE),
    ("/disclosure/manage/d/{draft}", STAFF_SIDE),
    ("/disclosure/manage/d/{draft}/edit", {"staff", "admin"}),
    ("/disclosure/manage/overdue", {"supervision", "street", "admin"}),
    ("/disclosure/manage/categories", {"admin"}),
]
ROLES = ["anonymous", "resident", "other_resident", "staff", "other_staff", "supervision", "street", "admin"]


@pytest.mark.parametrize("path,allowed", PROTECTED)
def test_route_role_matrix(app, world, path, allowed):
    users, ids, _s = world
    url = path.format(**ids)
    for role in ROLES:
        response = as_role(app, users, role).get(url)
        if role in allowed:
            assert response.status_code == 200, (url, role, response.status_code)
        elif role == "anonymous":
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), (url, role)
        else:
            assert response.status_code == 403, (url, role, response.status_code)
            main = response.text.split("<main", 1)[-1].split("</main>", 1)[0]
            assert "秘密草稿标题" not in main and ID_NUMBER not in main


def test_staff_see_full_data_the_public_never_does(app, world):
    users, ids, _s = world
    page = as_role(app, users, "supervision").get(f"/disclosure/manage/d/{ids['published']}")
    assert ID_NUMBER in page.text and "高血压" in page.text
    public = as_role(app, users, "supervision").get(f"/disclosure/d/{ids['published']}")
    assert ID_NUMBER not in public.text and rules.mask_id(ID_NUMBER) in public.text and "139****5678" in public.text


POSTS = [
    "/disclosure/manage/c/home/new", "/disclosure/manage/c/home/schedule", "/disclosure/manage/categories",
    "/disclosure/manage/d/{draft}/edit", "/disclosure/manage/d/{draft}/attachments", "/disclosure/manage/d/{draft}/table",
    "/disclosure/manage/d/{draft}/publish", "/disclosure/manage/d/{draft}/review", "/disclosure/manage/d/{published}/correct",
    "/disclosure/manage/d/{draft}/discard", "/disclosure/manage/d/{published}/extend", "/disclosure/manage/d/{published}/withdraw",
    "/disclosure/manage/d/{published}/feedback",
]


@pytest.mark.parametrize("path", POSTS)
def test_writes_refused_to_wrong_roles_and_change_nothing(app, world, path):
    users, ids, sessions = world
    url = path.format(**ids)
    before = audit_count(sessions)
    data = {"title": "改", "category": "decisions", "reason": "试图更正", "extra_days": "3", "decision": "approve", "kind": "question",
            "text": "试图提交内容", "channel": "phone", "code": "dibao", "names": "full", "every_months": "1", "grace_days": "1", "starts_on": "2026-01-01"}
    for role in ("anonymous", "resident", "other_staff", "other_resident"):
        response = as_role(app, users, role).post_form(url, data)
        if role == "anonymous":
            assert response.status_code == 303 and "/login" in response.headers["location"], (url, role)
        else:
            assert response.status_code in (403, 404) if "categories" not in url else response.status_code == 403, (url, role, response.status_code)
    assert audit_count(sessions) == before


def test_post_without_csrf_token_is_refused(app, world):
    users, ids, sessions = world
    client = as_role(app, users, "resident")
    client.get("/disclosure/")
    before = audit_count(sessions)
    response = client.post(f"/disclosure/d/{ids['published']}/feedback", data={"kind": "objection", "text": "没有令牌的异议"})
    assert response.status_code == 403 and audit_count(sessions) == before


@pytest.mark.parametrize("path", ["/disclosure/?community=home&page=abc&year=abc&category=nope", "/disclosure/?community=home&page=99999", "/disclosure/?community=home&page=²&year=²",
                                  "/disclosure/?community=home&q=%25%22%27%3Cscript%3E", "/disclosure/calendar?community=home&year=abc",
                                  "/disclosure/calendar?community=home&year=99999", "/disclosure/data.json?community=home&year=x",
                                  "/disclosure/?community=" + "x" * 500])
def test_odd_query_strings_never_fail(app, world, path):
    response = Client(app).get(path)
    assert response.status_code in (200, 404)
    assert "<script>" not in response.text.split("<main", 1)[-1]


def test_resident_objection_with_bad_then_good_input(app, world):
    users, ids, sessions = world
    client = as_role(app, users, "resident")
    empty = client.post_form(f"/disclosure/d/{ids['published']}/feedback", {"kind": "objection", "text": ""})
    assert empty.status_code == 422 and "至少" in empty.text
    odd = client.post_form(f"/disclosure/d/{ids['published']}/feedback", {"kind": "praise", "text": "这是一条正常的内容"})
    assert odd.status_code == 422
    ok = client.post_form(f"/disclosure/d/{ids['published']}/feedback", {"kind": "objection", "text": "名单中王芳家有车，请核实。"})
    assert ok.status_code == 303
    page = client.get(ok.headers["location"])
    assert "已收到" in page.text or "Received" in page.text
    other = as_role(app, users, "other_resident").post_form(f"/disclosure/d/{ids['published']}/feedback", {"kind": "objection", "text": "外社区的异议"})
    assert other.status_code == 403


def test_staff_form_errors_are_explained(app, world):
    users, ids, sessions = world
    client = as_role(app, users, "staff")
    before = audit_count(sessions)
    missing = client.post_form("/disclosure/manage/c/home/new", {"category": "nope", "title": "", "notice_days": "abc", "table_text": "a\t\tc\n1"})
    assert missing.status_code == 422
    for message in ("标题", "类别", "公示期", "第 2 列"):
        assert message in missing.text, message
    bad_date = client.post_form(f"/disclosure/manage/d/{ids['draft']}/publish", {"publish_on": "2026-13-45"})
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.text
    past = client.post_form(f"/disclosure/manage/d/{ids['draft']}/publish", {"publish_on": "2020-01-01"})
    assert past.status_code == 422 and "过去" in past.text
    days = client.post_form(f"/disclosure/manage/d/{ids['published']}/extend", {"extra_days": "abc", "reason": "需要核实"})
    assert days.status_code == 422
    early = client.post_form(f"/disclosure/manage/d/{ids['published']}/withdraw", {"reason": "提前撤下"})
    assert early.status_code == 422 and "15" in early.text
    schedule = client.post_form("/disclosure/manage/c/home/schedule", {"category": "finance", "every_months": "5", "grace_days": "x", "starts_on": "bad"})
    assert schedule.status_code in (403, 422)
    assert audit_count(sessions) == before


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_uploads_refused_with_a_clear_message(app, world):
    users, ids, sessions = world
    client = as_role(app, users, "staff")
    url = f"/disclosure/manage/d/{ids['draft']}/attachments"
    wrong = client.post_form(url, {"title": "x"}, files={"file": ("evil.html", b"<script>alert(1)</script>", "text/html")})
    assert wrong.status_code == 422 and "不能" in wrong.text
    fake = client.post_form(url, {}, files={"file": ("report.pdf", b"MZ\x90\x00", "application/pdf")})
    assert fake.status_code == 422
    big = client.post_form(url, {}, files={"file": ("big.pdf", b"%PDF-" + b"0" * services.ATTACHMENT_MAX, "application/pdf")})
    assert big.status_code == 422 and "10 MB" in big.text
    hostile = client.post_form(url, {}, files={"file": ("..\\..\\etc/<名单>.pdf", PDF, "application/pdf")})
    assert hostile.status_code == 303
    with sessions() as db:
        names = [a.original_name for a in queries.working_copy(queries.load_item(db, ids["draft"])).attachments]
    assert names == ["名单_.pdf"]
    assert "名单_.pdf" in client.get(f"/disclosure/manage/d/{ids['draft']}").text
    table = client.post_form(f"/disclosure/manage/d/{ids['draft']}/table", {}, files={"table_file": ("t.xlsx", _xlsx([["项目", "金额"], ["水费", 120]]), "application/octet-stream")})
    assert table.status_code == 303
    assert "水费" in client.get(f"/disclosure/manage/d/{ids['draft']}").text
    broken = client.post_form(f"/disclosure/manage/d/{ids['draft']}/table", {}, files={"table_file": ("t.xlsx", b"PK\x03\x04rubbish", "application/octet-stream")})
    assert broken.status_code == 422


def test_a_notice_from_draft_to_correction_over_http(app, world):
    users, ids, sessions = world
    staff, supervisor, resident = (as_role(app, users, r) for r in ("staff", "supervision", "resident"))
    created = staff.post_form("/disclosure/manage/c/home/new", {
        "category": "dibao", "title": "第四季度低保名单", "body": "公示如下。", "notice_days": "7",
        "table_text": "户主姓名\t家庭人口\t金额\n张三\t2\t1640\n李四\t1\t820"})
    assert created.status_code == 303
    item_url = created.headers["location"]
    item_id = int(item_url.rsplit("/", 1)[1])
    sent = staff.post_form(f"{item_url}/publish", {"publish_on": queries.local_today().isoformat()})
    assert sent.status_code == 303
    assert "第四季度低保名单" in supervisor.get("/disclosure/manage/").text  # waiting for review
    assert Client(app).get(f"/disclosure/d/{item_id}").status_code == 404  # not public yet
    approved = supervisor.post_form(f"{item_url}/review", {"decision": "approve", "comment": "同意"})
    assert approved.status_code == 303
    public = Client(app).get(f"/disclosure/d/{item_id}")
    assert public.status_code == 200 and "公示期" in public.text and "李四" in public.text
    assert resident.post_form(f"/disclosure/d/{item_id}/feedback", {"kind": "objection", "text": "李四家有两套房，请核实。"}).status_code == 303
    with sessions() as db:
        feedback_id = queries.feedback_of(db, item_id)[0].id
    # The committee answers through htmx: the answer comes back as the fragment of the same page.
    answered = staff.post_form(f"/disclosure/manage/feedback/{feedback_id}/answer", {"answer": "经核实情况属实，予以更正。", "outcome": "upheld"},
                               headers={"HX-Request": "true"}, follow_redirects=True)
    assert answered.status_code == 200 and "<html" not in answered.text and "经核实情况属实" in answered.text
    public = Client(app).get(f"/disclosure/d/{item_id}")
    assert "经核实情况属实" in public.text and "王芳" not in public.text.split('id="feedback"', 1)[1]  # the objector stays anonymous
    assert staff.post_form(f"{item_url}/correct", {"reason": "删除李四", "material": "1"}).headers["location"].endswith("/edit")
    assert staff.post_form(f"{item_url}/edit", {"title": "第四季度低保名单（更正）", "body": "公示如下。",
                                               "table_text": "户主姓名\t家庭人口\t金额\n张三\t2\t1640"}).status_code == 303
    staff.post_form(f"{item_url}/publish", {})
    supervisor.post_form(f"{item_url}/review", {"decision": "approve"})
    history = Client(app).get(f"/disclosure/d/{item_id}/history")
    assert history.status_code == 200 and "<del>" in history.text and "<ins>" in history.text and "删除李四" in history.text
    assert "李四 | 1 | 820" in history.text.split("<del>", 2)[-1] or "李四" in history.text
    with sessions() as db:
        from civic.audit import verify_all

        assert verify_all(db)["disclosure"] == []


def test_board_search_htmx_fragment_and_filters(app, world):
    client = Client(app)
    full = client.get("/disclosure/?community=home&q=低保")
    assert "<html" in full.text and "低保名单公示" in full.text
    fragment = client.get("/disclosure/?community=home&q=低保名单", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "低保名单公示" in fragment.text
    assert "低保名单公示" not in client.get("/disclosure/?community=home&q=电梯").text.split('id="results"', 1)[1]
    assert "低保名单公示" not in client.get("/disclosure/?community=home&category=fees").text.split('id="results"', 1)[1]


def test_open_data_and_feed(app, world):
    users, ids, _s = world
    client = Client(app)
    data = client.get("/disclosure/data.json?community=home").json()
    assert [row["title"] for row in data["items"]] == ["低保名单公示"] and data["items"][0]["status"] == "in_notice"
    item = client.get(f"/disclosure/d/{ids['published']}.json").json()
    assert item["table"]["columns"] == ["姓名", "身份证号", "联系电话", "金额"] and item["table"]["rows"][0][1] == rules.mask_id(ID_NUMBER)
    csv_text = client.get("/disclosure/data.csv?community=home").text
    assert csv_text.startswith("\ufeffid,") and "低保名单公示" in csv_text
    table_csv = client.get(f"/disclosure/d/{ids['published']}/table.csv").text
    assert rules.mask_id(ID_NUMBER) in table_csv and ID_NUMBER not in table_csv
    feed = client.get("/disclosure/feed.atom?community=home")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert [e.find("{http://www.w3.org/2005/Atom}title").text for e in entries] == ["低保名单公示"]


def test_read_count_grows_with_readers(app, world):
    """Each reader counts once (fragments are not readers); the process writes its readings together, when due
    or at the latest when it exits (here: flushed as exiting would)."""
    users, ids, sessions = world
    for _ in range(3):
        Client(app).get(f"/disclosure/d/{ids['published']}")
    Client(app).get(f"/disclosure/d/{ids['published']}", headers={"HX-Request": "true"})  # fragments are not readers
    services.read_counts(app.state.write_sessions).flush()
    with sessions() as db:
        assert queries.load_item(db, ids["published"]).read_count == 3


def test_calendar_and_oversight_show_overdue_finance(app, world):
    users, ids, _s = world
    calendar = Client(app).get("/disclosure/calendar?community=home")
    assert "逾期" in calendar.text
    oversight = as_role(app, users, "street").get("/disclosure/manage/overdue")
    assert "安和社区" in oversight.text and "财务收支" in oversight.text


def test_oversight_kept_between_pages_shows_a_changed_schedule_at_once(app, world):
    """A GET page keeps the overdue periods while nothing in the core or the notices is written (civic.snapshots):
    a schedule switched off must leave the oversight page on the very next request."""
    users, _ids, sessions = world
    street = as_role(app, users, "street")
    assert street.get("/disclosure/manage/overdue").text.count('class="overdue-row"') > 0
    assert street.get("/disclosure/manage/overdue").text.count('class="overdue-row"') > 0  # kept now
    with sessions() as db:
        home = db.execute(select(Community).where(Community.code == "home")).scalar_one()
        services.save_obligation(db, load_actor(db, users["street"].id), home, "finance", 1, 10, dt.date(2020, 1, 1), False)
    assert street.get("/disclosure/manage/overdue").text.count('class="overdue-row"') == 0


def test_english_pages(app, world):
    users, ids, _s = world
    client = Client(app)
    client.get("/set-locale?lang=en&next=/")
    page = client.get(f"/disclosure/d/{ids['published']}")
    assert 'lang="en"' in page.text and "Notice period" in page.text and "Objections and questions" in page.text


def test_printable_notice_has_a4_layout_and_qr(app, world):
    users, ids, _s = world
    page = Client(app).get(f"/disclosure/d/{ids['published']}/print")
    assert 'class="a4-notice"' in page.text and "data:image/svg+xml;base64," in page.text and "disclosure.css" in page.text
    css = Client(app).get("/static/css/disclosure.css").text
    assert "size: A4" in css and "@media print" in css


def test_a_category_setting_shows_on_the_next_page_though_pages_keep_the_categories(app, world):
    """Every page of the module reads the categories; a GET page keeps them (civic.snapshots) while nothing in
    disclosure is written, so a saved setting must show on the very next request."""
    import re

    users, _ids, _sessions = world
    with as_role(app, users, "admin") as admin:
        def fees_form() -> str:
            page = admin.get("/disclosure/manage/categories").text
            return re.search(r'name="code" value="fees">.*?</form>', page, re.S).group(0)

        assert 'name="requires_review" value="1" checked' not in fees_form()
        assert 'name="requires_review" value="1" checked' not in fees_form()  # kept now
        saved = admin.post_form("/disclosure/manage/categories", {"code": "fees", "requires_review": "1", "names": "masked", "active": "1"})
        assert saved.status_code == 303
        assert 'name="requires_review" value="1" checked' in fees_form()
    with make_sessionmaker(app.state.engine)() as db:
        assert queries.categories(db)["fees"].requires_review is True
        with pytest.raises(TypeError):
            queries.categories(db)["fees"] = None  # shared by readers: read-only


def test_the_staffs_list_of_published_notices_is_paged(app, world, monkeypatch):
    """Ten years of a community's notices are listed a page at a time, newest first; a page past the end shows
    the last one."""
    from civic.disclosure.models import Disclosure

    users, ids, sessions = world
    with sessions() as db:
        titles = list(db.scalars(select(Disclosure.title).where(Disclosure.published_on.is_not(None))
                                 .order_by(Disclosure.published_on.desc(), Disclosure.id.desc())))
    assert len(titles) >= 2
    monkeypatch.setattr(queries, "STAFF_PAGE", 1)
    staff = as_role(app, users, "staff")
    first, second = staff.get("/disclosure/manage/c/home").text, staff.get("/disclosure/manage/c/home?page=2").text
    assert titles[0] in first and titles[1] not in first.split("已发布公告")[-1]
    assert titles[1] in second.split("已发布公告")[-1]
    assert f"第 1 页，共 {len(titles)} 页" in first and 'rel="next"' in first
    assert f"第 {len(titles)} 页，共 {len(titles)} 页" in staff.get("/disclosure/manage/c/home?page=999").text
