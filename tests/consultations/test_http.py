"""Through the real ASGI stack: every route × role, CSRF, bad input never 500, XSS never rendered,
open data formats and htmx fragments."""
import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from civic.consultations import comments, formal, services
from civic.consultations.models import Comment, Consultation, Opinion, Signup
from civic.db import make_sessionmaker
from tests.consultations.conftest import build_world
from tests.helpers import Client

TODAY = services.local_today()


@pytest.fixture
def site(app):
    """Consultations at several steps in community "home", made through the services."""
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        world = build_world(db, residents=8)
        u = world.users
        author, rep = world.residents[5], world.residents[0]
        proposed = services.propose_topic(db, author, world.home, title="加装电梯", body="五幢老人多，建议加装电梯。")
        council = services.propose_topic(db, rep, world.home, title="停车位划线", body="消防通道常被占用，建议重新划线。")
        services.decide_topic(db, world.staff, council, verdict="accept", form="council")
        services.plan(db, world.staff, council, {
            "scope": "all", "scope_groups": "", "scope_buildings": "", "stakeholders_note": "", "seats": 0, "selection_method": "lot",
            "meeting_mode": "in_person", "meeting_date": TODAY + dt.timedelta(days=12), "meeting_time": "19:00", "place": "议事厅",
            "online_url": "", "capacity": 0, "signup_closes": None})
        item = services.add_agenda_item(db, world.staff, council, title="划线方案", minutes=20, description="两个方案")
        services.announce(db, world.staff, council)
        services.sign_up(db, author, council)
        opinion = services.submit_opinion(db, author, council, body="建议保留两个访客车位。")
        comment = comments.post_comment(db, author, proposed, body="我支持加装电梯")
        reply = comments.post_comment(db, rep, proposed, body="我也支持", parent_id=comment.id)
        meeting = formal.call_meeting(db, world.staff, world.home, {
            "kind": "representatives", "title": "居民代表会议", "composition": "", "meeting_date": TODAY + dt.timedelta(days=12),
            "place": "议事厅", "urgent": False, "urgent_reason": "", "requested": False, "requesters": 0, "request_basis": "",
            "members": 5, "representative_members": 4})
        users = {"anonymous": None, "resident": u.people[5], "resident_rep": u.people[0], "staff": u.staff, "other_staff": u.other_staff,
                 "street_supervisor": u.supervisor, "admin": u.admin, "stranger": u.stranger}
        ids = {"proposed": proposed.id, "council": council.id, "item": item.id, "opinion": opinion.id, "comment": comment.id,
               "reply": reply.id, "meeting": meeting.id, "author_name": author.resident.name}
    return users, ids, sessions


def as_role(app, users, role) -> Client:
    client = Client(app)
    if users[role] is not None:
        client.login_as(users[role])
    return client


ROLES = ["anonymous", "resident", "resident_rep", "staff", "other_staff", "street_supervisor", "admin", "stranger"]
PUBLIC = ["/consultations/", "/consultations/?community=home", "/consultations/?community=home&stage=running&page=2",
          "/consultations/{proposed}", "/consultations/{council}", "/consultations/{council}/items/{item}", "/consultations/{proposed}/comments",
          "/consultations/{proposed}/comments?sort=discussed&page=9", "/consultations/comments/{comment}", "/consultations/comments/{reply}",
          "/consultations/formal/{meeting}", "/consultations/{council}.json", "/consultations/{council}.csv", "/consultations/feed/home.atom"]
PROTECTED = [
    ("/consultations/manage/?community=home", {"staff", "admin"}),
    ("/consultations/manage/record?community=home", {"staff", "admin"}),
    ("/consultations/manage/moderation?community=home", {"staff", "street_supervisor", "admin"}),
    ("/consultations/manage/formal/new?community=home", {"staff", "admin"}),
    ("/consultations/manage/{council}", {"staff", "admin"}),
    ("/consultations/manage/{proposed}", {"staff", "admin"}),
    ("/consultations/manage/formal/{meeting}", {"staff", "admin"}),
    ("/consultations/propose?community=home", {"resident", "resident_rep", "admin"}),
    ("/consultations/alias", {"resident", "resident_rep", "stranger", "admin"}),
    ("/consultations/comments/{comment}/edit", {"resident"}),
    ("/consultations/comments/{comment}/report", {"resident", "resident_rep", "staff", "admin"}),
]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_answer_everyone(app, site, path):
    users, ids, _s = site
    for role in ROLES:
        response = as_role(app, users, role).get(path.format(**ids))
        assert response.status_code == 200, (path, role, response.status_code)


@pytest.mark.parametrize("path,allowed", PROTECTED)
def test_route_role_matrix(app, site, path, allowed):
    users, ids, _s = site
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
            assert ids["author_name"] not in main and "停车位划线" not in main


def state(sessions, cid):
    with sessions() as db:
        c = db.get(Consultation, cid)
        return (c.status, c.form, c.supporters, db.scalar(select(func.count()).select_from(Comment)),
                db.scalar(select(func.count()).select_from(Signup)), db.scalar(select(func.count()).select_from(Opinion)))


STAFF_POSTS = [
    ("/consultations/manage/{proposed}/decide", {"verdict": "accept", "form": "hearing", "reason": "同意"}),
    ("/consultations/manage/{council}/agenda", {"title": "新议程", "minutes": "10"}),
    ("/consultations/manage/{council}/participant", {"name": "物业", "kind": "stakeholder", "stance": "for"}),
    ("/consultations/manage/{council}/open", {"early_reason": "提前开会"}),
    ("/consultations/manage/{council}/opinion", {"author_name": "王阿姨", "body": "代为登记的意见", "stance": "for"}),
    ("/consultations/manage/comments/{comment}/moderate", {"action": "hide", "reason": "测试"}),
    ("/consultations/manage/formal/{meeting}/item", {"title": "新议题"}),
]
RESIDENT_POSTS = [
    ("/consultations/{proposed}/support", {}),
    ("/consultations/{council}/signup", {"stance": "for"}),
    ("/consultations/{council}/opinions", {"body": "我的意见很重要", "stance": "for"}),
    ("/consultations/{proposed}/comments", {"body": "我来评论"}),
]


@pytest.mark.parametrize("path,data", STAFF_POSTS)
def test_staff_actions_refused_to_everyone_else_and_change_nothing(app, site, path, data):
    users, ids, sessions = site
    before = [state(sessions, ids["proposed"]), state(sessions, ids["council"])]
    for role in ("resident", "resident_rep", "other_staff", "stranger"):
        response = as_role(app, users, role).post_form(path.format(**ids), data)
        assert response.status_code == 403, (path, role, response.status_code)
    assert as_role(app, users, "anonymous").post_form(path.format(**ids), data).status_code == 303
    assert [state(sessions, ids["proposed"]), state(sessions, ids["council"])] == before
    assert as_role(app, users, "staff").post_form(path.format(**ids), data).status_code == 303


@pytest.mark.parametrize("path,data", RESIDENT_POSTS)
def test_resident_actions_need_a_resident_of_the_community(app, site, path, data):
    users, ids, sessions = site
    before = [state(sessions, ids["proposed"]), state(sessions, ids["council"])]
    for role in ("staff", "other_staff", "stranger"):
        response = as_role(app, users, role).post_form(path.format(**ids), data)
        assert response.status_code == 403, (path, role, response.status_code)
    assert [state(sessions, ids["proposed"]), state(sessions, ids["council"])] == before
    assert as_role(app, users, "resident_rep").post_form(path.format(**ids), data).status_code == 303


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, site):
    users, ids, sessions = site
    client = as_role(app, users, "staff")
    client.get("/consultations/")
    before = state(sessions, ids["proposed"])
    response = client.post(f"/consultations/manage/{ids['proposed']}/decide", data={"verdict": "decline", "reason": "不属于协商事项"})
    assert response.status_code == 403 and "表单" in response.text
    resident = as_role(app, users, "resident_rep")
    resident.get("/consultations/")
    assert resident.post(f"/consultations/{ids['proposed']}/comments", data={"body": "x", "csrftoken": "forged"}).status_code == 403
    assert state(sessions, ids["proposed"]) == before


JUNK = [{}, {"title": "x" * 300_000}, {"meeting_date": "2026-02-30", "seats": "-1", "capacity": "abc", "scope": "<b>"},
        {"parent_id": "9" * 30, "agenda_item_id": "abc", "opinion_id": "-5", "item_id": "0", "signup_id": "x", "speaker_id": "1e9"},
        {"verdict": "accept", "form": "nonsense"}, {"action": "explode", "reason": ""}, {"votes_for": "-3", "votes_against": "1.5", "attendees": "二十"},
        {"disposition": "maybe", "answer": "", "referred_to": ""}, {"body": "\x00\x01", "stance": "sideways", "progress": "200", "note": ""},
        {"method": "decision", "chosen": ["a", "-1"], "note": ""}, {"meeting_id": "123456", "party_discussed_on": "yesterday"}]
STAFF_ACTIONS = ["decide", "plan", "agenda", "agenda_remove", "attachment", "announce", "remind", "participant", "select", "open", "checkin",
                 "speaker", "opinion", "close", "minutes", "answer", "party", "refer", "outcome", "progress", "no-such-action"]


def test_bad_input_gets_a_message_and_never_a_500(app, site):
    users, ids, _s = site
    staff, resident = as_role(app, users, "staff"), as_role(app, users, "resident")
    for junk in JUNK:
        for cid in (ids["proposed"], ids["council"]):
            for action in STAFF_ACTIONS:
                response = staff.post_form(f"/consultations/manage/{cid}/{action}", junk)
                assert response.status_code < 500, (action, junk, response.text[-500:])
                if response.status_code == 422:
                    assert 'role="alert"' in response.text
            for path in ("support", "signup", "withdraw", "checkin", "speak", "opinions", "comments"):
                assert resident.post_form(f"/consultations/{cid}/{path}", junk).status_code < 500, (path, junk)
        for path in ("/consultations/manage/record?community=home", "/consultations/manage/formal/new?community=home",
                     f"/consultations/manage/formal/{ids['meeting']}/item", f"/consultations/manage/formal/{ids['meeting']}/attendance",
                     f"/consultations/manage/formal/{ids['meeting']}/votes", f"/consultations/manage/comments/{ids['comment']}/moderate"):
            assert staff.post_form(path, junk).status_code < 500, (path, junk)
        for path in ("/consultations/propose?community=home", "/consultations/alias", f"/consultations/comments/{ids['reply']}/report",
                     f"/consultations/comments/{ids['reply']}/vote", f"/consultations/comments/{ids['comment']}/edit"):
            assert resident.post_form(path, junk).status_code < 500, (path, junk)


def test_missing_things_are_404(app, site):
    users, _ids, _s = site
    client = as_role(app, users, "staff")
    for url in ("/consultations/999999", "/consultations/999999.json", "/consultations/comments/999999", "/consultations/formal/999999",
                "/consultations/attachments/999999", "/consultations/feed/nowhere.atom", "/consultations/?community=nowhere",
                "/consultations/manage/999999", "/consultations/1/items/999999"):
        assert client.get(url).status_code == 404, url


def test_propose_validates_and_creates(app, site):
    users, _ids, sessions = site
    client = as_role(app, users, "resident")
    assert 'href="/consultations/propose?community=home"' in client.get("/consultations/?community=home").text
    assert 'href="/consultations/propose?community=home"' not in Client(app).get("/consultations/?community=home").text
    bad = client.post_form("/consultations/propose?community=home", {"title": "", "body": "短"})
    assert bad.status_code == 422 and "请填写议题标题" in bad.text and 'aria-invalid="true"' in bad.text
    ok = client.post_form("/consultations/propose?community=home", {"title": "小区绿化补种", "body": "中心花园很多树死了，建议补种。"})
    assert ok.status_code == 303 and "done=proposed" in ok.headers["location"]
    page = client.get(ok.headers["location"])
    assert "小区绿化补种" in page.text and "议题已提交" in page.text


XSS = ['<img src=x onerror=window.__xss=1>', '<script>window.__xss=1</script>', '[click](javascript:window.__xss=1)',
       '<a href="javascript:alert(1)">x</a>', '"><svg onload=alert(1)>']


def test_xss_in_comments_titles_and_feeds_is_never_rendered(app, site):
    users, ids, sessions = site
    client = as_role(app, users, "resident")
    for payload in XSS:
        assert client.post_form(f"/consultations/{ids['proposed']}/comments", {"body": payload}).status_code == 303
    created = client.post_form("/consultations/propose?community=home", {"title": "<script>alert(1)</script>标题", "body": XSS[0] + " 说明文字足够长"})
    assert created.status_code == 303
    pages = [client.get(f"/consultations/{ids['proposed']}").text, client.get(f"/consultations/{ids['proposed']}/comments?sort=newest").text,
             client.get("/consultations/?community=home").text, client.get(created.headers["location"]).text,
             as_role(app, users, "staff").get("/consultations/manage/moderation?community=home").text]
    for text in pages:
        lowered = text.lower()
        assert not re.search(r"<img\b", lowered) and not re.search(r"<svg\b", lowered)
        assert not re.search(r"<script(?![^>]*\bsrc=)", lowered)  # the only script is htmx, by src
        assert not re.search(r"""<[a-z][^>]*\s(href|src)\s*=\s*["']?\s*javascript:""", lowered)
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", lowered)  # no event handler attribute on any real tag
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in pages[0]
    feed = client.get("/consultations/feed/home.atom")
    ET.fromstring(feed.content)  # still well-formed XML
    assert b"<script>" not in feed.content


def test_open_data_json_csv_and_atom(app, site):
    users, ids, _s = site
    client = Client(app)
    record = client.get(f"/consultations/{ids['council']}.json")
    assert record.headers["content-type"].startswith("application/json")
    data = record.json()
    assert data["title"] == "停车位划线" and data["participants"]["signed_up"] == 1 and data["opinions"][0]["text"] == "建议保留两个访客车位。"
    assert data["agenda"][0]["title"] == "划线方案" and "author" not in json.dumps(data["opinions"])
    table = client.get(f"/consultations/{ids['council']}.csv")
    assert table.headers["content-type"].startswith("text/csv") and table.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert rows[0][0] == "consultation_id" and rows[1][12] == "建议保留两个访客车位。"
    feed = client.get("/consultations/feed/home.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert set(titles) == {"加装电梯", "停车位划线"} and root.findtext("a:updated", namespaces=ns)


def test_htmx_gets_fragments_of_the_same_templates(app, site):
    users, ids, _s = site
    client = as_role(app, users, "resident_rep")
    hx = {"HX-Request": "true"}
    thread = client.get(f"/consultations/{ids['proposed']}?fragment=thread&sort=newest", headers=hx)
    assert thread.status_code == 200 and thread.text.lstrip().startswith("<") and "<html" not in thread.text and 'id="thread"' in thread.text
    assert "Vary" in thread.headers and "HX-Request" in thread.headers["Vary"]
    full = client.get(f"/consultations/{ids['proposed']}?fragment=thread")
    assert "<html" in full.text  # without htmx the same URL is the whole page
    more = client.get(f"/consultations/{ids['proposed']}/comments?sort=best&page=1&fragment=more", headers=hx)
    assert "<html" not in more.text and f"comment-{ids['comment']}" in more.text
    reply_form = client.get(f"/consultations/comments/{ids['comment']}?fragment=reply", headers=hx)
    assert "<form" in reply_form.text and 'name="parent_id"' in reply_form.text and "<html" not in reply_form.text
    vote = client.post_form(f"/consultations/comments/{ids['comment']}/vote", {}, headers=hx)
    assert vote.status_code == 200 and "<html" not in vote.text and "▲ 1" in vote.text
    own = as_role(app, users, "resident").post_form(f"/consultations/comments/{ids['comment']}/vote", {}, headers=hx)
    assert own.status_code == 422 and "不能给自己的评论点赞" in own.text


def test_reply_report_and_the_moderation_queue(app, site):
    users, ids, sessions = site
    rep = as_role(app, users, "resident_rep")
    reply = rep.post_form(f"/consultations/{ids['proposed']}/comments", {"body": "同意楼上", "parent_id": str(ids["comment"])})
    assert reply.status_code == 303 and f"/consultations/comments/{ids['comment']}" in reply.headers["location"]
    empty = rep.post_form(f"/consultations/{ids['proposed']}/comments", {"body": "  ", "parent_id": str(ids["comment"])})
    assert empty.status_code == 422 and "请先填写评论内容" in empty.text
    bad = rep.post_form(f"/consultations/comments/{ids['comment']}/report", {"reason": "other", "details": ""})
    assert bad.status_code == 422
    assert rep.post_form(f"/consultations/comments/{ids['comment']}/report", {"reason": "offensive"}).status_code == 303
    queue = as_role(app, users, "staff").get("/consultations/manage/moderation?community=home")
    assert "我支持加装电梯" in queue.text and "冒犯或辱骂" in queue.text
    refused = as_role(app, users, "staff").post_form(f"/consultations/manage/comments/{ids['comment']}/moderate", {"action": "hide", "reason": ""})
    assert refused.status_code == 422
    hidden = as_role(app, users, "street_supervisor").post_form(f"/consultations/manage/comments/{ids['comment']}/moderate",
                                                                 {"action": "hide", "reason": "人身攻击"})
    assert hidden.status_code == 303
    page = Client(app).get(f"/consultations/{ids['proposed']}").text
    assert "这条评论已被管理员隐藏" in page and "我支持加装电梯" not in page and "我也支持" in page


def test_the_resident_sees_the_answer_to_their_opinion(app, site):
    users, ids, sessions = site
    staff = as_role(app, users, "staff")
    assert staff.post_form(f"/consultations/manage/{ids['council']}/open", {"early_reason": "居民要求提前"}).status_code == 303
    running = staff.get(f"/consultations/manage/{ids['council']}")
    assert running.status_code == 200 and 'id="checkin-code"' in running.text
    assert as_role(app, users, "resident").get(f"/consultations/{ids['council']}").status_code == 200
    assert staff.post_form(f"/consultations/manage/{ids['council']}/close", {"attendance": ""}).status_code == 303
    missing = staff.post_form(f"/consultations/manage/{ids['council']}/answer", {"opinion_id": str(ids["opinion"]), "disposition": "not_adopted", "answer": ""})
    assert missing.status_code == 422 and "请说明理由" in missing.text
    ok = staff.post_form(f"/consultations/manage/{ids['council']}/answer",
                         {"opinion_id": str(ids["opinion"]), "disposition": "partly", "answer": "保留一个访客车位，另一个改为充电车位。"})
    assert ok.status_code == 303
    resident = as_role(app, users, "resident")
    notifications = resident.get("/me/notifications").text
    assert "停车位划线" in notifications and "部分采纳" in notifications
    page = resident.get(f"/consultations/{ids['council']}").text
    assert "保留一个访客车位" in page and f'id="opinion-{ids["opinion"]}"' in page


def test_staff_attach_background_material_and_remind_participants(app, site):
    users, ids, sessions = site
    staff = as_role(app, users, "staff")
    url = f"/consultations/manage/{ids['council']}/attachment"
    refused = staff.post_form(url, {"title": "程序"}, files={"file": ("setup.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert refused.status_code == 422 and 'role="alert"' in refused.text and "pdf" in refused.text
    fake = staff.post_form(url, {"title": "假PDF"}, files={"file": ("plan.pdf", b"<html>not a pdf</html>", "application/pdf")})
    assert fake.status_code == 422
    ok = staff.post_form(url, {"title": "划线方案图"}, files={"file": ("方案.pdf", b"%PDF-1.4\n% demo\n", "application/pdf")})
    assert ok.status_code == 303
    page = Client(app).get(f"/consultations/{ids['council']}").text
    link = re.search(r'href="(/consultations/attachments/\d+)">划线方案图', page)
    assert link
    download = Client(app).get(link.group(1))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download.headers["x-content-type-options"] == "nosniff" and "attachment" in download.headers["content-disposition"]
    reminded = staff.post_form(f"/consultations/manage/{ids['council']}/remind", {})
    assert reminded.status_code == 303
    notes = as_role(app, users, "resident").get("/me/notifications").text
    assert "提醒" in notes and "停车位划线" in notes


def test_the_meeting_form_counts_a_new_representative_at_once(app, site):
    """The registry's bases on the meeting form are kept per process while the registry holds (civic.snapshots):
    a resident made a representative shows on the very next request."""
    from civic.registry.models import Resident

    users, _ids, sessions = site
    staff = as_role(app, users, "staff")

    def representatives() -> int:
        page = staff.get("/consultations/manage/formal/new?community=home").text
        return int(re.search(r"居民代表 ([\d,]+) 人", page).group(1).replace(",", ""))

    before = representatives()
    assert representatives() == before  # kept now
    with sessions() as db:
        resident = db.execute(select(Resident).where(Resident.is_resident_rep.is_(False)).limit(1)).scalar_one()
        resident.is_resident_rep = True
        db.commit()
    assert representatives() == before + 1
