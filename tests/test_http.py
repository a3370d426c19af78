"""Through the real ASGI stack: routes × roles, CSRF, bad input, language, headers."""
import pytest
from sqlalchemy.orm import Session

from civic.db import make_sessionmaker
from civic.registry.models import Resident
from tests.helpers import PASSWORD, Client, counted, make_community, make_resident, make_user


@pytest.fixture
def world(app):
    """Two communities of one street office; a user for every role."""
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        from civic.registry.models import StreetOffice

        street = db.get(StreetOffice, home.street_id)
        other = make_community(db, code="other", name="康宁社区", street=street)
        far = make_community(db, code="far", name="远方社区")
        resident = make_resident(db, home, name="王芳", gender="F", phone="13700000001")
        rep = make_resident(db, home, name="李强", is_resident_rep=True, phone="13700000002")
        other_resident = make_resident(db, other, name="赵六", phone="13700000003")
        users = {
            "anonymous": None,
            "resident": make_user(db, resident=resident),
            "resident_rep": make_user(db, resident=rep),
            "staff": make_user(db, roles=[("staff", home)]),
            "other_staff": make_user(db, roles=[("staff", other)]),
            "election_committee": make_user(db, roles=[("election_committee", home)]),
            "supervision_committee": make_user(db, roles=[("supervision_committee", home)]),
            "street_supervisor": make_user(db, roles=[("street_supervisor", None)], street=street),
            "admin": make_user(db, roles=[("admin", None)]),
        }
        ids = {"home": home.id, "resident": resident.id, "other_resident": other_resident.id, "far": far.id}
    return users, ids


def as_role(app, users, role) -> Client:
    client = Client(app)
    if users[role] is not None:
        client.login_as(users[role])
    return client


PUBLIC = ["/", "/health", "/elections/", "/consultations/", "/disclosure/", "/appraisal/", "/registry/", "/registry/c/home", "/rules/", "/login", "/activate", "/reset"]
# (path, roles allowed); everyone else gets 403, or a login redirect when anonymous.
PROTECTED = [
    ("/me", {"resident", "resident_rep", "staff", "other_staff", "election_committee", "supervision_committee", "street_supervisor", "admin"}),
    ("/registry/manage/c/home/residents", {"staff", "election_committee", "street_supervisor", "admin"}),
    ("/registry/manage/c/home/import", {"staff", "admin"}),
    ("/registry/manage/residents/{resident}", {"staff", "election_committee", "street_supervisor", "admin"}),
    ("/registry/manage/residents/{other_resident}", {"other_staff", "street_supervisor", "admin"}),
    ("/assist/{resident}", {"staff", "admin"}),
    ("/rules/manage/", {"admin"}),
]
ROLES = ["anonymous", "resident", "resident_rep", "staff", "other_staff", "election_committee", "supervision_committee", "street_supervisor", "admin"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_answer_everyone(app, world, path):
    users, _ids = world
    for role in ("anonymous", "resident", "staff"):
        response = as_role(app, users, role).get(path)
        assert response.status_code == 200, (path, role, response.status_code)


@pytest.mark.parametrize("path,allowed", PROTECTED)
def test_route_role_matrix(app, world, path, allowed):
    users, ids = world
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
            assert "王芳" not in main and "赵六" not in main


def test_staff_never_sees_another_communitys_residents(app, world):
    users, ids = world
    page = as_role(app, users, "other_staff").get("/registry/manage/c/home/residents")
    assert page.status_code == 403 and "王芳" not in page.text


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, world):
    users, ids = world
    client = as_role(app, users, "staff")
    client.get("/me")
    response = client.post(f"/registry/manage/residents/{ids['resident']}/letter/activate", data={})
    assert response.status_code == 403
    assert "表单" in response.text  # explained in Chinese, the default language
    response = client.post(f"/registry/manage/residents/{ids['resident']}/letter/activate", data={"csrftoken": "forged"})
    assert response.status_code == 403


def test_login_without_cookie_or_token_is_refused(app):
    response = Client(app).post("/login", data={"identifier": "x", "password": "y"})
    assert response.status_code == 403


def test_login_flow_and_bad_password_message(app, world):
    client = Client(app)
    bad = client.post_form("/login", {"identifier": "13700000001", "password": "nope-nope"})
    assert bad.status_code == 422 and "不匹配" in bad.text
    empty = client.post_form("/login", {"identifier": "", "password": ""})
    assert empty.status_code == 422
    ok = client.post_form("/login", {"identifier": "13700000001", "password": PASSWORD, "next": "/registry/"})
    assert ok.status_code == 303 and ok.headers["location"] == "/registry/"
    assert client.get("/me").status_code == 200


def test_login_next_is_never_an_open_redirect(app, world):
    client = Client(app)
    ok = client.post_form("/login", {"identifier": "13700000001", "password": PASSWORD, "next": "https://evil.example/"})
    assert ok.headers["location"] == "/me"
    ok = client.post_form("/login", {"identifier": "13700000001", "password": PASSWORD, "next": "//evil.example/"})
    assert ok.headers["location"] == "/me"


def test_login_is_rate_limited_per_account(app, world):
    client = Client(app)
    statuses = [client.post_form("/login", {"identifier": "13700000002", "password": "wrong-wrong"}).status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429
    # Even the right password waits now.
    assert client.post_form("/login", {"identifier": "13700000002", "password": PASSWORD}).status_code == 429


def test_english_on_request(app):
    client = Client(app)
    switched = client.get("/set-locale?lang=en&next=/login")
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    page = client.get("/login")
    assert 'lang="en"' in page.text and "Log in" in page.text
    zh = Client(app).get("/login")
    assert 'lang="zh-CN"' in zh.text and "登录" in zh.text


def test_large_text_mode(app):
    client = Client(app)
    client.get("/text-size?size=large&next=/")
    assert 'class="large-text"' in client.get("/").text


def test_unknown_page_is_a_friendly_404(app):
    response = Client(app).get("/no/such/page")
    assert response.status_code == 404 and "<html" in response.text


def test_bad_ids_are_404_not_500(app, world):
    users, _ids = world
    client = as_role(app, users, "staff")
    assert client.get("/registry/manage/residents/999999").status_code == 404
    assert client.get("/registry/c/nope").status_code == 404
    assert client.get("/registry/manage/imports/999").status_code == 404


def test_security_headers(app):
    response = Client(app).get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_health(app):
    assert Client(app).get("/health").json() == {"status": "ok"}


def test_home_links_each_module_by_name(app):
    text = Client(app).get("/").text
    for name in ("/elections", "/consultations", "/disclosure", "/appraisal"):
        assert f'href="{name}/"' in text


def test_logout_everywhere_ends_old_cookies(app, world):
    users, _ids = world
    client = Client(app)
    client.post_form("/login", {"identifier": "13700000001", "password": PASSWORD})
    stolen = client.cookies.get("civic_session")
    assert client.post_form("/logout-everywhere").status_code == 303
    thief = Client(app)
    thief.cookies.set("civic_session", stolen)
    assert thief.get("/me").status_code == 303


def test_session_rotates_on_login(app, world):
    client = Client(app)
    client.post_form("/login", {"identifier": "13700000001", "password": PASSWORD})
    first = client.cookies.get("civic_session")
    client.post_form("/login", {"identifier": "13700000001", "password": PASSWORD})
    assert client.cookies.get("civic_session") != first


def test_assisted_mode_banner_and_audit(app, world):
    users, ids = world
    client = as_role(app, users, "staff")
    refused = client.post_form(f"/assist/{ids['resident']}", {"reason": ""})
    assert refused.status_code == 422
    started = client.post_form(f"/assist/{ids['resident']}", {"reason": "居民来办公室，没有手机"})
    assert started.status_code == 303
    me = client.get("/me")
    assert "代办模式" in me.text and "王芳" in me.text
    from sqlalchemy import select

    from civic.audit import AuditEntry

    with Session(app.state.engine) as db:
        actions = db.execute(select(AuditEntry.action, AuditEntry.actor_id)).all()
    assert ("accounts.assist.start", users["staff"].id) in actions
    ended = client.post_form("/assist/end")
    assert ended.status_code == 303
    assert "代办模式" not in client.get("/me").text


def test_rules_edit_validates_and_versions(app, world):
    users, _ids = world
    from civic.rulesconfig.services import ensure_profile

    with make_sessionmaker(app.state.engine, write=True)() as db:
        ensure_profile(db, "测试规则", "", None)
        db.commit()
    client = as_role(app, users, "admin")
    page = client.get("/rules/manage/")
    assert page.status_code == 200
    from civic.rulesconfig.defaults import defaults

    from civic.rulesconfig.defaults import SPEC
    from civic.rulesconfig.rules import show_value

    data = {k: (show_value(SPEC[k][1], v) if isinstance(v, list) else ("1" if v is True else "0" if v is False else str(v))) for k, v in defaults().items()}
    data.update({"legal_regime": "2025", "note": "test", "appraisal.weight_street": "50"})
    bad = client.post_form("/rules/manage/", data)
    assert bad.status_code == 422 and "100" in bad.text
    data["appraisal.weight_street"] = "30"
    data["elections.proxy_max"] = "2"
    assert client.post_form("/rules/manage/", data).status_code == 303
    text = client.get("/rules/").text
    assert "第 2 版" in text and "<td>2</td>" in text


def test_audit_log_is_for_supervisors_of_that_community(app, world):
    users, ids = world
    as_role(app, users, "staff").post_form(f"/registry/manage/residents/{ids['resident']}/letter/activate")
    for role, status in [("anonymous", 303), ("resident", 403), ("staff", 403), ("supervision_committee", 200), ("street_supervisor", 200), ("admin", 200)]:
        response = as_role(app, users, role).get("/audit/?community=home")
        assert response.status_code == status, (role, response.status_code)
    page = as_role(app, users, "supervision_committee").get("/audit/?community=home")
    assert "accounts.code.activate" in page.text
    assert as_role(app, users, "supervision_committee").get("/audit/?community=far").status_code == 403
    assert as_role(app, users, "admin").get("/audit/?verify=1").status_code == 200


def test_staff_correct_a_resident_and_it_is_audited(app, world):
    users, ids = world
    url = f"/registry/manage/residents/{ids['resident']}"
    bad = as_role(app, users, "staff").post_form(url, {"phone": "12345", "party_member": "1"})
    assert bad.status_code == 422 and "11" in bad.text
    with Session(app.state.engine) as db:
        assert db.get(Resident, ids["resident"]).party_member is False  # nothing changed
    assert as_role(app, users, "other_staff").post_form(url, {"phone": "13711110000"}).status_code == 403
    ok = as_role(app, users, "staff").post_form(url, {"phone": "13711110000", "party_member": "1", "is_resident_rep": "1"})
    assert ok.status_code == 303
    with Session(app.state.engine) as db:
        resident = db.get(Resident, ids["resident"])
        assert resident.phone == "13711110000" and resident.party_member and resident.is_resident_rep
        from sqlalchemy import select

        from civic.audit import AuditEntry

        assert db.execute(select(AuditEntry).where(AuditEntry.action == "registry.resident.update")).scalar_one()


def test_a_500_on_a_post_leaves_the_write_lock_free(app):
    """The error page of an unexpected failure is rendered after the request's session was closed; it must
    not take the write lock again and keep it (the next writer would wait for ever)."""
    import threading

    from sqlalchemy import text
    from starlette.routing import Route

    from civic.web import actor, db, view

    @view
    def broken(request):
        actor(request)  # the signed-in user: the error page's header will count their unread notifications
        db(request).execute(text("SELECT 1"))  # a write session: holds the write lock
        raise RuntimeError("a bug")

    @view
    def healthy(request):
        session = db(request)
        session.execute(text("SELECT 1"))
        session.commit()
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("ok")

    app.starlette.router.routes[:0] = [Route("/test-broken", broken, methods=["POST"]), Route("/test-healthy", healthy, methods=["POST"])]
    with make_sessionmaker(app.state.engine, write=True)() as session:
        user = make_user(session, roles=[("admin", None)])
    client = Client(app, raise_server_exceptions=False).login_as(user)  # signed in: the page header reads the database
    token = client.get("/").cookies.get("csrftoken") or client.cookies.get("csrftoken")
    answer = client.post("/test-broken", data={"csrftoken": token})
    assert answer.status_code == 500
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("status", client.post("/test-healthy", data={"csrftoken": token}).status_code))
    worker.start()
    worker.join(20)
    assert outcome.get("status") == 200, "the write lock was still held after the 500"


def test_a_street_supervisors_audit_log_merges_its_communities_newest_first(app, world, monkeypatch):
    """Without a community chosen, a street supervisor reads the entries of every community of the street (not
    another street's, nor system-wide ones), newest first across them, paged; an action narrows them; past
    MAX_COUNTED the page says "more than" and offers no page beyond it."""
    import re

    from civic import auditlog
    from civic.audit import record

    users, ids = world
    with make_sessionmaker(app.state.engine, write=True)() as db:
        for n in range(7):
            for place in ("home", "other", "far"):
                community_id = ids["far"] if place == "far" else ids["home"] if place == "home" else None
                if place == "other":
                    from civic.registry import queries

                    community_id = queries.community_by_code(db, "other").id
                record(db, f"test.{place}.{n % 2}", target=f"{place}-{n}", community_id=community_id)
        record(db, "test.system", target="system-wide")
        db.commit()
    monkeypatch.setattr(auditlog, "PAGE", 5)
    supervisor = as_role(app, users, "street_supervisor")

    def targets(path):
        return re.findall(r"\b((?:home|other|far|system)-(?:\d|wide))\b", supervisor.get(path).text)

    first, second, third = targets("/audit/?action=test."), targets("/audit/?action=test.&page=2"), targets("/audit/?action=test.&page=3")
    expected = [f"{place}-{n}" for n in reversed(range(7)) for place in ("other", "home")]
    assert first + second + third == expected  # 14 entries, newest first, pages of 5
    assert targets("/audit/?action=test.home.1") == ["home-5", "home-3", "home-1"]
    monkeypatch.setattr(auditlog, "MAX_COUNTED", 10)
    page = supervisor.get("/audit/?action=test.&page=9").text
    assert "超过 10 条记录" in page and targets("/audit/?action=test.&page=9") == expected[5:10]  # page 2 is the last


def test_the_community_page_shows_a_registry_change_on_the_next_request(app, world):
    """Its counts and groups are kept per process while the core holds (civic.snapshots): a new resident
    representative and a new residents' group show at once, signed in (no page cache) as well as anonymous."""
    import re

    from civic.registry.models import ResidentGroup

    users, ids = world
    reader = as_role(app, users, "resident")

    def figures(client) -> dict:
        page = client.get("/registry/c/home").text
        found = dict(re.findall(r"<dt>([^<]+)</dt><dd>([\d,]+)</dd>", page))
        return {"residents": found["居民"], "reps": found["居民代表"], "groups": found["居民小组"], "new group": "第99居民小组" in page}

    before = figures(reader)
    with counted(app.state.engine) as statements:
        assert figures(reader) == before and before["new group"] is False
    assert not [s for s in statements if "count(" in s.lower()], statements  # kept: nothing counted again
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        from civic.registry.models import Community

        make_resident(db, db.get(Community, ids["home"]), name="周新", is_resident_rep=True)
        db.add(ResidentGroup(community_id=ids["home"], number=99, name="第99居民小组"))
        db.commit()
    after = figures(reader)
    assert int(after["residents"]) == int(before["residents"]) + 1 and int(after["reps"]) == int(before["reps"]) + 1
    assert int(after["groups"]) == int(before["groups"]) + 1 and after["new group"] is True
    assert figures(Client(app)) == after


@pytest.mark.parametrize("page", ["999", "²", "-1", "abc"])
def test_the_resident_registry_shows_a_page_within_the_list_for_any_page_asked(app, world, page):
    users, _ids = world
    response = as_role(app, users, "staff").get(f"/registry/manage/c/home/residents?page={page}")
    assert response.status_code == 200 and "王芳" in response.text and "李强" in response.text


def test_the_resident_registry_search_answers_htmx_with_its_results_alone(app, world):
    """The results block is rendered on its own for htmx: it imports what it uses (the table box, the pager)."""
    users, _ids = world
    response = as_role(app, users, "staff").get("/registry/manage/c/home/residents?q=王芳", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "王芳" in response.text and "<html" not in response.text
    assert 'class="table-scroll"' in response.text

