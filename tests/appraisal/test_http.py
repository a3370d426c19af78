"""Appraisal pages through the real ASGI stack: route × role matrix, CSRF, bad input, no partial results."""
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from civic.appraisal import services
from civic.appraisal.models import Participation, RatingForm
from civic.db import make_sessionmaker
from civic.security import load_actor
from tests.appraisal.factories import campaign_in_rating, campaign_values, make_world, sheet
from tests.helpers import Client, make_user

ROLES = ["anonymous", "resident", "rater", "staff", "cadre", "other_staff", "supervision_committee", "street_supervisor", "admin"]


@pytest.fixture
def site(app):
    """Campaigns at every stage in one community; a user for every role."""
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        world = make_world(db)
        boss = load_actor(db, world.supervisor.id)
        from tests.helpers import make_resident

        plain = make_resident(db, world.community, name="普通居民")
        draft = services.create_campaign(db, boss, world.community, campaign_values(title="草稿考评"))
        services.add_cadre(db, boss, draft, "", "member", world.cadre_users[0].id)
        reports = services.create_campaign(db, boss, world.community, campaign_values(title="述职考评"))
        own = services.add_cadre(db, boss, reports, "", "member", world.cadre_users[0].id)
        services.open_reports(db, boss, reports)
        services.save_report(db, load_actor(db, world.cadre_users[0].id), own, "我的述职", [{"title": "目标", "completion": 70, "statement": ""}], True)
        rating, rating_cadres = campaign_in_rating(db, world, title="测评中")
        closed, closed_cadres = campaign_in_rating(db, world, title="已计票")
        published, pub_cadres = campaign_in_rating(db, world, title="已公布")
        for campaign, cadres in ((closed, closed_cadres), (published, pub_cadres)):
            for user in world.party_users + world.rep_users:
                services.submit_sheet(db, load_actor(db, user.id), campaign, sheet(cadres, ["excellent", "competent", "basic"]))
            services.close_campaign(db, boss, campaign)
        services.publish_results(db, boss, published)
        users = {
            "anonymous": None, "resident": make_user(db, resident=plain), "rater": world.rep_users[0], "staff": world.staff,
            "cadre": world.cadre_users[0], "other_staff": world.other_staff, "supervision_committee": world.supervisor,
            "street_supervisor": make_user(db, roles=[("street_supervisor", None)], street=world.street),
            "admin": make_user(db, roles=[("admin", None)]),
        }
        ids = {"draft": draft.id, "reports": reports.id, "own": own.id, "rating": rating.id, "rk": rating_cadres[0].id,
               "closed": closed.id, "ck": closed_cadres[0].id, "ck2": closed_cadres[1].id, "published": published.id,
               "pk": pub_cadres[2].id, "code": world.community.code}
    return users, ids


def as_role(app, users, role) -> Client:
    client = Client(app)
    if users[role] is not None:
        client.login_as(users[role])
    return client


EVERYONE = set(ROLES)
VIEWERS = {"staff", "supervision_committee", "street_supervisor", "admin"}
MANAGERS = {"supervision_committee", "street_supervisor", "admin"}
MATRIX = [
    ("/appraisal/", EVERYONE),
    ("/appraisal/?community={code}", EVERYONE),
    ("/appraisal/{rating}", EVERYONE),
    ("/appraisal/{rating}/turnout", EVERYONE),
    ("/appraisal/{reports}/cadres/{own}", EVERYONE),
    ("/appraisal/{published}/results", EVERYONE),
    ("/appraisal/{published}/results/{pk}", EVERYONE),
    ("/appraisal/{published}/results/{pk}/print", EVERYONE),
    ("/appraisal/{published}/print", EVERYONE),
    ("/appraisal/{published}/results.csv", EVERYONE),
    ("/appraisal/{published}/results.json", EVERYONE),
    ("/appraisal/{published}/results.xlsx", EVERYONE),
    ("/appraisal/{rating}/rate", {"rater", "cadre"} | set()),  # the roster decides (cadres are not on it here)
    ("/appraisal/{closed}/results", VIEWERS - {"cadre"}),
    ("/appraisal/{closed}/results/{ck}", VIEWERS | {"cadre"}),  # the cadre sees their own result
    ("/appraisal/{closed}/results/{ck2}", VIEWERS),  # but not a colleague's before publication
    ("/appraisal/{reports}/cadres/{own}/edit", {"cadre", "staff", "supervision_committee", "street_supervisor", "admin"}),
    ("/appraisal/manage/new?community={code}", MANAGERS),
    ("/appraisal/manage/{rating}", VIEWERS | {"cadre"}),
    ("/appraisal/manage/{draft}/settings", MANAGERS),
    ("/appraisal/manage/{rating}/paper", {"staff", "supervision_committee", "admin"}),
]


@pytest.mark.parametrize("path,allowed", MATRIX)
def test_route_role_matrix(app, site, path, allowed):
    users, ids = site
    url = path.format(**ids)
    if url.endswith("/rate"):
        allowed = {"rater"}
    for role in ROLES:
        response = as_role(app, users, role).get(url)
        if role in allowed:
            assert response.status_code == 200, (url, role, response.status_code)
        elif role == "anonymous":
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), (url, role)
        else:
            assert response.status_code == 403, (url, role, response.status_code)
            assert "Excellent" not in response.text and "优秀" not in response.text.split("<main", 1)[-1]


def test_no_partial_results_while_rating(app, site):
    users, ids = site
    for role in ROLES:
        for suffix in ("results", "results.csv", "results.json", "print", f"results/{ids['rk']}"):
            response = as_role(app, users, role).get(f"/appraisal/{ids['rating']}/{suffix}")
            assert response.status_code == 404, (role, suffix, response.status_code)


def test_post_routes_refuse_the_wrong_roles(app, site):
    users, ids = site
    posts = [
        (f"/appraisal/manage/{ids['draft']}/step", {"action": "reports"}, MANAGERS),
        (f"/appraisal/manage/{ids['draft']}/cadres", {"name": "新人", "position": "member"}, MANAGERS),
        (f"/appraisal/manage/{ids['closed']}/cadres/{ids['ck']}/feedback", {"feedback": "好"}, MANAGERS),
    ]
    for url, data, allowed in posts:
        for role in ("resident", "rater", "staff", "cadre", "other_staff"):
            assert role not in allowed
            response = as_role(app, users, role).post_form(url, data)
            assert response.status_code == 403, (url, role, response.status_code)
        response = as_role(app, users, "anonymous").post_form(url, data)
        assert response.status_code == 303


def test_csrf_is_required(app, site):
    users, ids = site
    client = as_role(app, users, "rater")
    client.get("/appraisal/")
    response = client.post(f"/appraisal/{ids['rating']}/rate", data={"confirm": "yes"})
    assert response.status_code == 403


def test_a_rater_rates_once_through_the_pages(app, site):
    users, ids = site
    client = as_role(app, users, "rater")
    page = client.get(f"/appraisal/{ids['rating']}/rate")
    assert "匿名" in page.text or "anonymous" in page.text
    cadre_ids = [int(x.split('"')[0]) for x in page.text.split('name="grade_')[1:]]
    cadre_ids = sorted(set(cadre_ids))
    data = {f"grade_{c}": "competent" for c in cadre_ids}
    for c in cadre_ids:
        data.update({f"{d}_{c}": "8" for d in ("morality", "ability", "diligence", "achievement", "integrity")})
    # Without the confirmation box: 422, a message, nothing stored.
    refused = client.post_form(f"/appraisal/{ids['rating']}/rate", data)
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    # A missing grade: 422 with the field marked.
    partial = dict(data, confirm="yes")
    partial.pop(f"grade_{cadre_ids[0]}")
    refused = client.post_form(f"/appraisal/{ids['rating']}/rate", partial)
    assert refused.status_code == 422 and f'id="e-grade_{cadre_ids[0]}"' in refused.text
    # Scores out of range.
    bad = dict(data, confirm="yes", **{f"morality_{cadre_ids[0]}": "99"})
    assert client.post_form(f"/appraisal/{ids['rating']}/rate", bad).status_code == 422
    with make_sessionmaker(app.state.engine)() as db:
        assert db.scalar(select(func.count()).select_from(Participation).where(Participation.campaign_id == ids["rating"])) == 0
    ok = client.post_form(f"/appraisal/{ids['rating']}/rate", dict(data, confirm="yes"))
    assert ok.status_code == 303
    again = client.post_form(f"/appraisal/{ids['rating']}/rate", dict(data, confirm="yes"))
    assert again.status_code == 409
    with make_sessionmaker(app.state.engine)() as db:
        assert db.scalar(select(func.count()).select_from(RatingForm).where(RatingForm.campaign_id == ids["rating"])) == len(cadre_ids)


def test_bad_settings_are_explained_and_change_nothing(app, site):
    users, ids = site
    client = as_role(app, users, "supervision_committee")
    form = {"title": "新考评", "year": "2026", "rating_opens_on": "2026-12-10", "rating_closes_on": "2026-12-01",
            "include_party_reps": "1", "weight_party_reps": "40", "min_party_reps": "1",
            "include_resident_reps": "1", "weight_resident_reps": "50", "min_resident_reps": "1",
            "trim_min_raters": "10", "satisfaction_warning": "60", "unfit_share": "1/3", "removal_score": "60",
            "breakdown_min": "5", "ordinary_share": "70", "post_days": "5", "feedback_days": "10"}
    response = client.post_form(f"/appraisal/manage/new?community={ids['code']}", form)
    assert response.status_code == 422
    assert 'id="e-rating_closes_on"' in response.text and "100" in response.text
    for junk in ({"year": "abc"}, {"unfit_share": "3/1"}, {"post_days": "2"}, {"weight_party_reps": "-5"}, {"rating_opens_on": "2026-13-45"}):
        assert client.post_form(f"/appraisal/manage/new?community={ids['code']}", dict(form, **junk)).status_code == 422
    fixed = dict(form, rating_closes_on="2026-12-17", weight_resident_reps="60")
    created = client.post_form(f"/appraisal/manage/new?community={ids['code']}", fixed)
    assert created.status_code == 303 and created.headers["location"].startswith("/appraisal/manage/")


def test_bad_ids_and_formats_are_404_not_500(app, site):
    users, ids = site
    client = as_role(app, users, "admin")
    for url in ("/appraisal/99999", f"/appraisal/{ids['rating']}/cadres/99999", "/appraisal/manage/99999", "/appraisal/evidence/99999",
                f"/appraisal/{ids['published']}/results.pdf", f"/appraisal/{ids['published']}/results/99999", "/appraisal/?community=nope",
                f"/appraisal/{ids['draft']}/cadres/{ids['own']}", "/appraisal/manage/new?community=nope"):
        assert client.get(url).status_code == 404, url
    assert client.post_form(f"/appraisal/manage/{ids['draft']}/step", {"action": "explode"}).status_code == 422
    assert client.post_form(f"/appraisal/{ids['rating']}/conflicts", {"cadre_id": "x", "reason": "r"}).status_code in (403, 422)


def test_exports_hold_aggregates_only(app, site):
    users, ids = site
    client = as_role(app, users, "anonymous")
    data = json.loads(client.get(f"/appraisal/{ids['published']}/results.json").content)
    assert data["campaign"]["status"] == "published" and {r["group"] for r in data["rows"]} >= {"all"}
    total = [r for r in data["rows"] if r["group"] == "all"]
    assert len(total) == 3 and all(r["valid"] == 7 for r in total)
    csv_text = client.get(f"/appraisal/{ids['published']}/results.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("cadre,position,group,weight")
    import io

    book = load_workbook(io.BytesIO(client.get(f"/appraisal/{ids['published']}/results.xlsx").content))
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert len(sheet_rows) == 2 + len(data["rows"])
    # No form id or rater appears anywhere.
    with make_sessionmaker(app.state.engine)() as db:
        form_ids = {f.id for f in db.execute(select(RatingForm)).scalars()}
    assert not any(fid in csv_text for fid in form_ids)


def test_turnout_fragment_for_htmx(app, site):
    users, ids = site
    response = as_role(app, users, "anonymous").get(f"/appraisal/{ids['rating']}/turnout", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text and "<table" in response.text


def test_cadre_publishes_and_residents_comment(app, site):
    users, ids = site
    cadre = as_role(app, users, "cadre")
    page = cadre.get(f"/appraisal/{ids['reports']}/cadres/{ids['own']}/edit")
    assert page.status_code == 200
    saved = cadre.post_form(f"/appraisal/{ids['reports']}/cadres/{ids['own']}/edit", {
        "summary": "更新后的述职", "target_title_0": "电梯", "target_completion_0": "80", "target_statement_0": "两幢", "action": "publish"})
    assert saved.status_code == 303
    bad = cadre.post_form(f"/appraisal/{ids['reports']}/cadres/{ids['own']}/edit", {
        "summary": "x", "target_title_0": "", "target_completion_0": "150", "action": "publish"})
    assert bad.status_code == 422
    resident = as_role(app, users, "resident")
    empty = resident.post_form(f"/appraisal/{ids['reports']}/cadres/{ids['own']}/comments", {"body": " "})
    assert empty.status_code == 422
    posted = resident.post_form(f"/appraisal/{ids['reports']}/cadres/{ids['own']}/comments", {"body": "请问电梯何时完工？"})
    assert posted.status_code == 303
    page = as_role(app, users, "anonymous").get(f"/appraisal/{ids['reports']}/cadres/{ids['own']}")
    assert "请问电梯何时完工" in page.text and "更新后的述职" in page.text
    outsider = as_role(app, users, "other_staff").post_form(f"/appraisal/{ids['reports']}/cadres/{ids['own']}/comments", {"body": "x"})
    assert outsider.status_code == 403
    upload = cadre.post_form(f"/appraisal/{ids['reports']}/cadres/{ids['own']}/evidence", files={"file": ("evil.html", b"<script>", "text/html")})
    assert upload.status_code == 422
    upload = cadre.post_form(f"/appraisal/{ids['reports']}/cadres/{ids['own']}/evidence", files={"file": ("台账.pdf", b"%PDF-1.4 x", "application/pdf")})
    assert upload.status_code == 303
    page = as_role(app, users, "anonymous").get(f"/appraisal/{ids['reports']}/cadres/{ids['own']}")
    link = page.text.split('href="/appraisal/evidence/')[1].split('"')[0]
    download = as_role(app, users, "anonymous").get(f"/appraisal/evidence/{link}")
    assert download.status_code == 200 and download.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in download.headers["content-disposition"]


def test_the_roster_is_paged_and_shows_every_rater_once(app, site, monkeypatch):
    """A district community's roster holds hundreds of representatives: the dashboard shows it a page at a time."""
    import re

    from civic.appraisal import queries

    users, ids = site
    monkeypatch.setattr(queries, "ROSTER_PAGE", 3)
    staff = as_role(app, users, "staff")
    first = staff.get(f"/appraisal/manage/{ids['closed']}")
    pages = int(re.search(r"第 1 页，共 (\d+) 页", first.text).group(1))
    assert pages > 1 and 'rel="next"' in first.text and 'rel="prev"' not in first.text

    def names(page: str) -> list[str]:
        roster = page.split("<tbody>")[-1].split("</tbody>")[0]
        return re.findall(r"<tr><td>([^<]+)</td>", roster)

    seen = [name for number in range(1, pages + 1) for name in names(staff.get(f"/appraisal/manage/{ids['closed']}?page={number}").text)]
    with make_sessionmaker(app.state.engine)() as db:
        from civic.appraisal.models import Rater

        expected = db.scalars(select(Rater.name).where(Rater.campaign_id == ids["closed"]).order_by(Rater.group_id, Rater.id)).all()
    assert seen == expected and len(seen) > 3
    for bad in ("0", "999", "x", "-1", "9" * 20, "²"):  # out of range or nonsense: a page within range, never an error
        assert staff.get(f"/appraisal/manage/{ids['closed']}?page={bad}").status_code == 200
