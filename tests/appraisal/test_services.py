"""Appraisal use cases against a real database (SQLite and PostgreSQL): set-up, reports, rating, count."""
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from civic.appraisal import queries, rules, services
from civic.appraisal.models import Cadre, Participation, Rater, RatingForm, Result
from civic.audit import AuditEntry, verify_audit_chain
from civic.errors import Conflict, Forbidden, Invalid
from civic.security import LoginRequired, load_actor
from tests.appraisal.factories import campaign_in_rating, campaign_values, make_world, sheet
from tests.helpers import make_user


@pytest.fixture
def world(db):
    return make_world(db)


def test_create_campaign_needs_the_supervision_committee_or_street(db, world, english):
    with pytest.raises(Forbidden):
        services.create_campaign(db, load_actor(db, world.staff.id), world.community, campaign_values())
    with pytest.raises(Forbidden):
        services.create_campaign(db, load_actor(db, world.other_staff.id), world.community, campaign_values())
    street = make_user(db, roles=[("street_supervisor", None)], street=world.street)
    campaign = services.create_campaign(db, load_actor(db, street.id), world.community, campaign_values())
    assert campaign.status == "draft" and [g.kind for g in services.groups_of(db, campaign)] == ["party_reps", "resident_reps"]
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "appraisal.campaign.create")) == 1


def test_defaults_come_from_the_rules_profile(db, world):
    defaults = services.defaults_from_rules(services.rules_for(db, world.community))
    assert defaults["groups"] == {"street": 30, "party_reps": 10, "resident_reps": 60}
    assert (defaults["unfit_num"], defaults["unfit_den"]) == (1, 3) and defaults["post_days"] == 5 and defaults["feedback_days"] == 10


def test_rating_needs_every_report_published(db, world, english):
    boss = load_actor(db, world.supervisor.id)
    campaign = services.create_campaign(db, boss, world.community, campaign_values())
    with pytest.raises(Invalid):
        services.open_reports(db, boss, campaign)  # no cadre yet
    cadre = services.add_cadre(db, boss, campaign, "李委员", "member", None)
    services.open_reports(db, boss, campaign)
    with pytest.raises(Invalid, match="李委员"):
        services.open_rating(db, boss, campaign)
    services.save_report(db, boss, cadre, "内容", [{"title": "t", "completion": 50, "statement": ""}], publish=True)
    counts = services.open_rating(db, boss, campaign)
    # A person qualifying for both groups is placed once, in the first.
    assert counts == {"party_reps": 3, "resident_reps": 4}


def test_roster_places_a_person_in_one_group_only(db, world):
    both = world.reps[0]
    both.is_party_rep = True
    db.commit()
    campaign, _cadres = campaign_in_rating(db, world)
    rows = db.execute(select(Rater).where(Rater.campaign_id == campaign.id, Rater.resident_id == both.id)).scalars().all()
    assert len(rows) == 1


def test_online_rating_writes_register_and_anonymous_forms_in_one_go(db, world, english):
    campaign, cadres = campaign_in_rating(db, world)
    rater_user = world.rep_users[0]
    actor = load_actor(db, rater_user.id)
    audit_before = db.scalar(select(func.count()).select_from(AuditEntry))
    assert services.submit_sheet(db, actor, campaign, sheet(cadres, ["excellent", "competent", None])) == 3
    assert db.scalar(select(func.count()).select_from(Participation).where(Participation.campaign_id == campaign.id)) == 3
    forms = db.execute(select(RatingForm).where(RatingForm.campaign_id == campaign.id)).scalars().all()
    assert sorted((f.grade or "") for f in forms) == ["", "competent", "excellent"]
    assert all(len(f.id) == 32 for f in forms)
    # Nothing is audited for a rating.
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    # A second submission is refused and changes nothing.
    with pytest.raises(Conflict):
        services.submit_sheet(db, actor, campaign, sheet(cadres, ["unfit", "unfit", "unfit"]))
    assert db.scalar(select(func.count()).select_from(RatingForm).where(RatingForm.campaign_id == campaign.id)) == 3


def test_register_refuses_a_double_rating_at_the_database_level(db, world):
    campaign, cadres = campaign_in_rating(db, world)
    rater = db.execute(select(Rater).where(Rater.campaign_id == campaign.id)).scalars().first()
    db.add(Participation(campaign_id=campaign.id, rater_id=rater.id, cadre_id=cadres[0].id, channel="online", day=services.today()))
    db.commit()
    db.add(Participation(campaign_id=campaign.id, rater_id=rater.id, cadre_id=cadres[0].id, channel="paper", day=services.today()))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_a_cadre_never_rates_themselves_and_conflicts_are_excluded(db, world, english):
    campaign, cadres = campaign_in_rating(db, world, groups=[("resident_reps", 50, 1), ("peers", 50, 1)])
    peer = load_actor(db, world.cadre_users[0].id)
    rater = services.rater_of(db, campaign, peer)
    on, off = services.sheet_cadres(db, campaign, rater)
    assert cadres[0] not in on and [c for c, _why in off] == [cadres[0]]
    services.declare_conflict(db, peer, campaign, cadres[1], "近亲属")
    on, off = services.sheet_cadres(db, campaign, rater)
    assert on == [cadres[2]]
    with pytest.raises(Invalid):
        services.submit_sheet(db, peer, campaign, sheet(cadres, ["excellent", "excellent", "excellent"]))  # rates self
    services.submit_sheet(db, peer, campaign, sheet([cadres[2]], ["competent"]))
    with pytest.raises(Conflict):
        services.declare_conflict(db, peer, campaign, cadres[2], "too late")


def test_only_rostered_raters_rate_and_never_in_assisted_mode(db, world, english):
    campaign, cadres = campaign_in_rating(db, world)
    with pytest.raises(Forbidden):
        services.submit_sheet(db, load_actor(db, world.staff.id), campaign, sheet(cadres, ["excellent"] * 3))
    helped = load_actor(db, world.rep_users[1].id)
    helped.assisted_by = world.staff
    with pytest.raises(Forbidden):
        services.submit_sheet(db, helped, campaign, sheet(cadres, ["excellent"] * 3))
    from civic.security import ANONYMOUS

    with pytest.raises(LoginRequired):
        services.submit_sheet(db, ANONYMOUS, campaign, sheet(cadres, ["excellent"] * 3))


def test_paper_forms_are_entered_by_staff_who_are_not_cadres(db, world, english):
    campaign, cadres = campaign_in_rating(db, world)
    rater = db.execute(select(Rater).where(Rater.campaign_id == campaign.id, Rater.resident_id == world.party[0].id)).scalar_one()
    with pytest.raises(Forbidden):
        services.submit_sheet(db, load_actor(db, world.cadre_users[0].id), campaign, sheet(cadres, ["excellent"] * 3), rater=rater)
    services.submit_sheet(db, load_actor(db, world.staff.id), campaign, sheet(cadres, ["competent"] * 3), rater=rater)
    marks = db.execute(select(Participation).where(Participation.rater_id == rater.id)).scalars().all()
    assert {m.channel for m in marks} == {"paper"} and {m.entered_by for m in marks} == {world.staff.id}
    # The rater, logging in afterwards, finds the form already in.
    with pytest.raises(Conflict):
        services.submit_sheet(db, load_actor(db, world.party_users[0].id), campaign, sheet(cadres, ["excellent"] * 3))


def test_bad_marks_change_nothing(db, world, english):
    campaign, cadres = campaign_in_rating(db, world)
    actor = load_actor(db, world.rep_users[0].id)
    bad = sheet(cadres, ["excellent", "competent", "basic"])
    bad[cadres[0].id] = rules.Form("excellent", (11, 1, 1, 1, 1))
    with pytest.raises(Invalid):
        services.submit_sheet(db, actor, campaign, bad)
    with pytest.raises(Invalid):
        services.submit_sheet(db, actor, campaign, sheet(cadres[:2], ["excellent", "competent"]))  # one cadre missing
    assert db.scalar(select(func.count()).select_from(RatingForm)) == 0
    assert db.scalar(select(func.count()).select_from(Participation)) == 0


def test_no_results_before_closing_then_the_count(db, world, english):
    campaign, cadres = campaign_in_rating(db, world)
    community = world.community
    boss = load_actor(db, world.supervisor.id)
    grades = {  # rater -> grades for cadres 0, 1, 2
        "party": [["excellent", "competent", "unfit"], ["excellent", "basic", "unfit"], ["competent", "basic", "basic"]],
        "reps": [["excellent", "competent", "unfit"], ["competent", "competent", "unfit"], ["excellent", "basic", None], ["competent", "unfit", "competent"]],
    }
    for user, marks in zip(world.party_users, grades["party"]):
        services.submit_sheet(db, load_actor(db, user.id), campaign, sheet(cadres, marks))
    for user, marks in zip(world.rep_users, grades["reps"]):
        services.submit_sheet(db, load_actor(db, user.id), campaign, sheet(cadres, marks))
    assert not queries.results_visible(db, boss, campaign, community)
    from civic.errors import NotFound

    with pytest.raises(NotFound):
        queries.ensure_results_visible(db, boss, campaign, community)
    assert db.scalar(select(func.count()).select_from(Result)) == 0
    turnout = queries.turnout(db, campaign)
    assert [(t.roster, t.participants) for t in turnout] == [(3, 3), (4, 4)]

    services.close_campaign(db, boss, campaign)
    views = {v.cadre.id: v for v in queries.results(db, campaign)}
    # Cadre 0 — party: E E C → 280/3, satisfaction 1; reps: E C E C → 90, satisfaction 1
    # score = (40·280/3 + 60·90)/100 = (11200/3 + 5400)/100 = 27400/300 = 274/3
    first = views[cadres[0].id]
    assert first.score == Fraction(274, 3) and first.satisfaction == 1 and first.grade == "excellent" and first.rank == 1
    # Cadre 2 — party: U U B → 20, reps: U U C (one abstained) → 80/3; 不称职 share = (40·2/3 + 60·2/3)/100 = 2/3
    third = views[cadres[2].id]
    assert third.unfit_share == Fraction(2, 3) and third.grade == "unfit"
    assert {"unfit_share", "low_score", "unfit_grade"} <= set(third.flags)
    assert third.groups[1].forms == 4 and third.groups[1].valid == 3
    assert queries.results_visible(db, boss, campaign, community)
    # Residents see results only once published.
    resident = load_actor(db, world.rep_users[0].id)
    assert not queries.results_visible(db, resident, campaign, community)
    cadre_self = load_actor(db, world.cadre_users[0].id)
    assert queries.results_visible(db, cadre_self, campaign, community, cadres[0])
    assert not queries.results_visible(db, cadre_self, campaign, community, cadres[1])
    services.publish_results(db, boss, campaign)
    assert queries.results_visible(db, resident, campaign, community)
    assert not verify_audit_chain(db)


def test_two_unfit_years_flag_the_end_of_office(db, world):
    boss = load_actor(db, world.supervisor.id)
    outcomes = []
    for year in (2024, 2025):
        campaign, cadres = campaign_in_rating(db, world, year=year, title=f"{year}")
        for user in world.party_users + world.rep_users:
            services.submit_sheet(db, load_actor(db, user.id), campaign, sheet(cadres, ["competent", "competent", "unfit"]))
        services.close_campaign(db, boss, campaign)
        outcomes.append({v.cadre.name: v for v in queries.results(db, campaign)})
    assert "end_of_office" not in outcomes[0]["王主任"].flags
    assert "end_of_office" in outcomes[1]["王主任"].flags and outcomes[1]["王主任"].previous_grade == "unfit"
    # The year-over-year history follows the person across campaigns.
    last = outcomes[1]["王主任"].cadre
    campaign = queries.campaign_or_404(db, last.campaign_id)
    assert [h["campaign"].year for h in queries.history(db, campaign, last)] == [2024, 2025]


def test_reports_comments_feedback_and_plan(db, world, english, tmp_path):
    boss = load_actor(db, world.supervisor.id)
    campaign = services.create_campaign(db, boss, world.community, campaign_values())
    cadre = services.add_cadre(db, boss, campaign, "", "member", world.cadre_users[0].id)
    other = services.add_cadre(db, boss, campaign, "", "member", world.cadre_users[1].id)
    own = load_actor(db, world.cadre_users[0].id)
    with pytest.raises(Conflict):
        services.save_report(db, own, cadre, "草稿", [], publish=True)  # not in the reports phase yet
    services.save_report(db, own, cadre, "草稿", [], publish=False)
    with pytest.raises(Forbidden):  # a cadre never writes a colleague's report
        services.save_report(db, own, other, "x", [], publish=False)
    services.open_reports(db, boss, campaign)
    resident = load_actor(db, world.rep_users[0].id)
    with pytest.raises(Conflict):
        services.add_comment(db, resident, cadre, "unpublished report")
    services.save_report(db, own, cadre, "全年工作", [{"title": "加装电梯", "completion": 80, "statement": "两幢"}], publish=True)
    pdf = b"%PDF-1.4 test"
    evidence = services.add_evidence(db, own, cadre, tmp_path, "台账.pdf", pdf)
    assert evidence.filename == "台账.pdf"
    with pytest.raises(Invalid):
        services.add_evidence(db, own, cadre, tmp_path, "x.exe", b"MZ")
    comment = services.add_comment(db, resident, cadre, "电梯什么时候完工？")
    with pytest.raises(Invalid):
        services.add_comment(db, resident, cadre, "   ")
    with pytest.raises(Forbidden):
        services.add_comment(db, load_actor(db, world.other_staff.id), cadre, "outsider")
    services.hide_comment(db, load_actor(db, world.staff.id), comment, "与考评无关")
    assert comment.hidden
    with pytest.raises(Conflict):  # feedback comes after the count
        services.give_feedback(db, boss, cadre, "早")


def test_weights_are_frozen_after_rating_opens(db, world, english):
    campaign, _cadres = campaign_in_rating(db, world)
    with pytest.raises(Conflict):
        services.update_campaign(db, load_actor(db, world.supervisor.id), campaign, campaign_values())


def test_closing_rewrites_the_form_rows(db, world):
    """The count rewrites every form in one statement (new row versions; on SQLite order stays random)."""
    campaign, cadres = campaign_in_rating(db, world)
    for user in world.rep_users[:2]:
        services.submit_sheet(db, load_actor(db, user.id), campaign, sheet(cadres, ["competent", "basic", "excellent"]))
    before = sorted((f.id, f.grade) for f in db.execute(select(RatingForm)).scalars())
    services.close_campaign(db, load_actor(db, world.supervisor.id), campaign)
    db.expire_all()
    after = sorted((f.id, f.grade) for f in db.execute(select(RatingForm)).scalars())
    assert before == after
    with pytest.raises(Conflict):
        services.submit_sheet(db, load_actor(db, world.rep_users[3].id), campaign, sheet(cadres, ["competent"] * 3))
