"""Public and staff pages of the appraisal module: parse → one service → render or redirect (303)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from civic import paging
from civic.appraisal import charts, exports, forms, queries, rules, services
from civic.appraisal.models import Cadre, Campaign, Comment, Evidence, Rater, WorkReport
from civic.errors import DomainError, Invalid, NotFound
from civic.i18n import _
from civic.registry import queries as registry
from civic.security import can, ensure_permission
from civic.templating import Lazy, render
from civic.uploads import download_headers, path_of
from civic.web import actor, db, form, redirect, view


def _int_param(request: Request, name: str) -> int:
    return int(request.path_params[name])


def _campaign(request: Request) -> tuple[Campaign, object]:
    campaign = queries.campaign_or_404(db(request), _int_param(request, "cid"))
    return campaign, services.community_of(db(request), campaign)


def _cadre(request: Request, campaign: Campaign) -> Cadre:
    return queries.cadre_or_404(db(request), campaign, _int_param(request, "kid"))


def _base(campaign: Campaign, community) -> dict:
    return {"campaign": campaign, "community": community, "rules": rules}


# ---- public ----------------------------------------------------------------------------------------

@view
def index(request: Request):
    session = db(request)
    who = actor(request)  # the page offers "set up" to those who may
    code = request.query_params.get("community", "")
    chosen = registry.community_by_code(session, code) if code else None
    if code and chosen is None:
        raise NotFound(_("No such community."))
    rows = [row for row in registry.communities_overview(session) if chosen is None or row["community"].id == chosen.id]
    # The list is a fragment shared by every reader who may set up in the same communities (residents: none);
    # the campaigns are read only when it is rendered (a district's hundred communities took 10 ms a request).
    managed = tuple(row["community"].id for row in rows if can(who, "appraisal:campaign:manage", row["community"]))
    return render(request, "appraisal/index.html", {"rows": rows, "by_community": Lazy(lambda: _campaigns_by_community(session, chosen)),
                                                    "managed": managed, "chosen": chosen, "rules": rules})


def _campaigns_by_community(session, chosen) -> dict[int, list[Campaign]]:
    by_community: dict[int, list[Campaign]] = {}
    for campaign in queries.campaigns(session, chosen):
        by_community.setdefault(campaign.community_id, []).append(campaign)
    return by_community


def _campaign_context(request: Request) -> dict:
    campaign, community = _campaign(request)
    session = db(request)
    cadres = services.cadres_of(session, campaign)
    reports = queries.reports_by_cadre(session, [c.id for c in cadres])
    comments = queries.comment_counts(session, [r.id for r in reports.values()])
    who = actor(request)
    rater = services.rater_of(session, campaign, who) if campaign.status == "rating" else None
    return {
        **_base(campaign, community), "cadres": cadres, "reports": reports, "comments": comments,
        "groups": services.groups_of(session, campaign), "turnout": queries.turnout(session, campaign),
        "rater": rater, "rated": services.has_rated(session, rater) if rater else False,
        "results_visible": queries.results_visible(db(request), who, campaign, community),
        "feedback_due": rules.feedback_due(campaign.closed_on, campaign.feedback_days) if campaign.closed_on else None,
        "posted_until": rules.posted_until(campaign.published_on, campaign.post_days) if campaign.published_on else None,
    }


@view
def campaign_page(request: Request):
    return render(request, "appraisal/campaign.html", _campaign_context(request))


@view
def turnout(request: Request):
    """Live turnout (htmx polls it); without JavaScript the same URL is the whole page."""
    return render(request, "appraisal/campaign.html", _campaign_context(request), block="turnout")


def _cadre_page(request: Request, campaign: Campaign, community, cadre: Cadre, errors: dict | None = None, body: str = "", status: int = 200):
    session = db(request)
    report = services.report_of(session, cadre)
    who = actor(request)
    can_edit = campaign.status in ("draft", "reports") and (services.is_cadre(who, cadre) or _may_write_for(request, campaign, community, cadre))
    if not report.published and not can_edit:
        raise NotFound(_("This work report is not published yet."))
    from civic.markdown import render_markdown

    return render(request, "appraisal/cadre.html", {
        **_base(campaign, community), "cadre": cadre, "report": report, "summary_html": render_markdown(report.summary),
        **queries.report_detail(session, report), "can_edit": can_edit, "errors": errors or {}, "body": body,
        "comments_open": campaign.status == "reports" and report.published,
    }, status=status)


def _may_write_for(request: Request, campaign: Campaign, community, cadre: Cadre) -> bool:
    try:
        services.ensure_can_write_for(db(request), actor(request), cadre, campaign, community)
    except DomainError:
        return False
    return True


@view
def cadre_page(request: Request):
    campaign, community = _campaign(request)
    return _cadre_page(request, campaign, community, _cadre(request, campaign))


@view
def add_comment(request: Request):
    campaign, community = _campaign(request)
    cadre = _cadre(request, campaign)
    body = str(form(request).get("body", ""))
    try:
        services.add_comment(db(request), actor(request), cadre, body)
    except Invalid as error:
        db(request).rollback()
        return _cadre_page(request, campaign, community, cadre, {"body": error.message}, body, status=422)
    return redirect(f"/appraisal/{campaign.id}/cadres/{cadre.id}#comments")


@view
def hide_comment(request: Request):
    comment = db(request).get(Comment, _int_param(request, "comment_id"))
    if comment is None:
        raise NotFound(_("No such comment."))
    report = db(request).get(WorkReport, comment.report_id)
    cadre = db(request).get(Cadre, report.cadre_id)
    services.hide_comment(db(request), actor(request), comment, str(form(request).get("reason", "")))
    return redirect(f"/appraisal/{cadre.campaign_id}/cadres/{cadre.id}#comments")


def _edit_page(request: Request, campaign: Campaign, community, cadre: Cadre, values: dict | None = None, errors: dict | None = None, status: int = 200):
    session = db(request)
    report = services.report_of(session, cadre)
    detail = queries.report_detail(session, report)
    if values is None:
        values = {"summary": report.summary, "targets": [
            {"title": t.title, "completion": t.completion, "statement": t.statement} for t in detail["targets"]]}
    rows = list(values["targets"]) + [{"title": "", "completion": "", "statement": ""}] * 3
    return render(request, "appraisal/report_edit.html", {
        **_base(campaign, community), "cadre": cadre, "report": report, "values": values, "rows": rows[: forms.MAX_TARGETS],
        "evidence": detail["evidence"], "errors": errors or {},
    }, status=status)


@view
def edit_report(request: Request):
    campaign, community = _campaign(request)
    cadre = _cadre(request, campaign)
    session, who = db(request), actor(request)
    services.ensure_can_write_for(session, who, cadre, campaign, community)
    if request.method == "GET":
        return _edit_page(request, campaign, community, cadre)
    values, errors = forms.report_form(form(request))
    if errors:
        return _edit_page(request, campaign, community, cadre, values, errors, status=422)
    try:
        services.save_report(session, who, cadre, values["summary"], values["targets"], values["publish"])
    except Invalid as error:
        session.rollback()
        return _edit_page(request, campaign, community, cadre, values, {"summary": error.message}, status=422)
    return redirect(f"/appraisal/{campaign.id}/cadres/{cadre.id}")


@view
def add_evidence(request: Request):
    campaign, community = _campaign(request)
    cadre = _cadre(request, campaign)
    upload = form(request).get("file")
    filename = getattr(upload, "filename", "") or ""
    content = upload.file.read(21 * 1024 * 1024) if upload is not None and hasattr(upload, "file") else b""
    try:
        services.add_evidence(db(request), actor(request), cadre, request.app.state.settings.data_dir, filename, content)
    except Invalid as error:
        db(request).rollback()
        return _edit_page(request, campaign, community, cadre, errors={"file": error.message}, status=422)
    return redirect(f"/appraisal/{campaign.id}/cadres/{cadre.id}/edit#evidence")


def _evidence(request: Request) -> tuple[Evidence, Cadre, Campaign]:
    evidence = db(request).get(Evidence, _int_param(request, "evidence_id"))
    if evidence is None:
        raise NotFound(_("No such file."))
    report = db(request).get(WorkReport, evidence.report_id)
    cadre = db(request).get(Cadre, report.cadre_id)
    return evidence, cadre, db(request).get(Campaign, cadre.campaign_id)


@view
def remove_evidence(request: Request):
    evidence, cadre, campaign = _evidence(request)
    services.remove_evidence(db(request), actor(request), evidence)
    return redirect(f"/appraisal/{campaign.id}/cadres/{cadre.id}/edit#evidence")


@view
def download_evidence(request: Request):
    evidence, cadre, campaign = _evidence(request)
    report = db(request).get(WorkReport, evidence.report_id)
    community = services.community_of(db(request), campaign)
    if not report.published and not _may_write_for(request, campaign, community, cadre):
        raise NotFound(_("No such file."))
    path = path_of(request.app.state.settings.data_dir, evidence.storage_name)
    if not path.exists():
        raise NotFound(_("No such file."))
    return FileResponse(path, media_type=evidence.media_type, headers=download_headers(evidence.filename))


# ---- rating ----------------------------------------------------------------------------------------

def _sheet_page(request: Request, campaign: Campaign, community, rater: Rater, *, paper: bool, errors: dict | None = None,
                raw=None, status: int = 200, conflict_errors: dict | None = None):
    session = db(request)
    on, off = services.sheet_cadres(session, campaign, rater)
    return render(request, "appraisal/rate.html", {
        **_base(campaign, community), "rater": rater, "on": on, "off": off, "paper": paper, "errors": errors or {},
        "raw": raw or {}, "rated": services.has_rated(session, rater), "conflict_errors": conflict_errors or {},
        "action": f"/appraisal/manage/{campaign.id}/paper/{rater.id}" if paper else f"/appraisal/{campaign.id}/rate",
        "group_label": rules.GROUP_LABELS.get(session.get(services.RaterGroup, rater.group_id).kind, ""),
    }, status=status)


def _online_rater(request: Request, campaign: Campaign, community) -> Rater:
    who = actor(request)
    ensure_permission(who, "appraisal:rating:cast", community)
    if campaign.status != "rating":
        raise services.ConflictError(_("Rating is not open."))
    rater = services.rater_of(db(request), campaign, who)
    if rater is None:
        raise services.Forbidden(_("You are not on the roster of raters of this appraisal."))
    return rater


def _submit(request: Request, campaign: Campaign, community, rater: Rater, paper: bool):
    session = db(request)
    on, _off = services.sheet_cadres(session, campaign, rater)
    raw = form(request)
    marks, errors = forms.sheet_form(raw, [c.id for c in on], campaign.dimensions, campaign.scale_max)
    if not errors and str(raw.get("confirm", "")) != "yes":
        errors["confirm"] = _("Tick the box to confirm: once submitted, the form cannot be changed.")
    if errors:
        return _sheet_page(request, campaign, community, rater, paper=paper, errors=errors, raw=raw, status=422)
    try:
        services.submit_sheet(session, actor(request), campaign, marks, rater=rater if paper else None)
    except Invalid as error:
        session.rollback()
        return _sheet_page(request, campaign, community, rater, paper=paper, errors={"form": error.message}, raw=raw, status=422)
    if paper:
        return redirect(f"/appraisal/manage/{campaign.id}/paper?entered={rater.id}")
    return redirect(f"/appraisal/{campaign.id}/rate?done=1")


@view
def rate(request: Request):
    campaign, community = _campaign(request)
    rater = _online_rater(request, campaign, community)
    if request.method == "GET":
        return _sheet_page(request, campaign, community, rater, paper=False)
    return _submit(request, campaign, community, rater, paper=False)


def _declare(request: Request, campaign: Campaign, community, rater: Rater | None, paper_rater: Rater | None):
    raw = form(request)
    try:
        cadre = queries.cadre_or_404(db(request), campaign, int(str(raw.get("cadre_id", "0")) or 0))
    except ValueError:
        raise Invalid(_("Choose a cadre."))
    try:
        services.declare_conflict(db(request), actor(request), campaign, cadre, str(raw.get("reason", "")), rater=paper_rater)
    except Invalid as error:
        db(request).rollback()
        return _sheet_page(request, campaign, community, rater or paper_rater, paper=paper_rater is not None,
                           conflict_errors={"reason": error.message}, status=422)
    if paper_rater is not None:
        return redirect(f"/appraisal/manage/{campaign.id}/paper/{paper_rater.id}")
    return redirect(f"/appraisal/{campaign.id}/rate")


@view
def declare_conflict(request: Request):
    campaign, community = _campaign(request)
    rater = _online_rater(request, campaign, community)
    return _declare(request, campaign, community, rater, None)


# ---- results ---------------------------------------------------------------------------------------

def _results_context(request: Request, campaign: Campaign, community) -> dict:
    def load() -> SimpleNamespace:
        views = queries.results(db(request), campaign)
        return SimpleNamespace(results=views, chart=charts.score_bars([(v.cadre.name, v.score) for v in views]),
                               turnout=queries.turnout(db(request), campaign), groups=services.groups_of(db(request), campaign))

    # Loaded only if the cached results part of the page has to be rendered (templates/appraisal/results.html).
    return {**_base(campaign, community), "data": Lazy(load), "grade_bar": charts.grade_bar, "fills": charts.GRADE_FILLS,
            "posted_until": rules.posted_until(campaign.published_on, campaign.post_days) if campaign.published_on else None}


@view
def results(request: Request):
    campaign, community = _campaign(request)
    queries.ensure_results_visible(db(request), actor(request), campaign, community)
    return render(request, "appraisal/results.html", _results_context(request, campaign, community))


@view
def print_community(request: Request):
    campaign, community = _campaign(request)
    queries.ensure_results_visible(db(request), actor(request), campaign, community)
    context = _results_context(request, campaign, community)
    data = context["data"]
    context.update(results=data.results, chart=data.chart, turnout=data.turnout, groups=data.groups)  # not cached: printed whole
    context["years"] = queries.community_years(db(request), community, actor(request), campaign.year)
    context["year_chart"] = charts.score_bars([(str(y["campaign"].year), y["score"]) for y in context["years"]])
    return render(request, "appraisal/print_community.html", context)


def _cadre_result_context(request: Request, campaign: Campaign, community, cadre: Cadre) -> dict:
    session = db(request)
    queries.ensure_results_visible(db(request), actor(request), campaign, community, cadre)
    views = {v.cadre.id: v for v in queries.results(session, campaign)}
    result = views.get(cadre.id)
    if result is None:
        raise NotFound(_("No result for this cadre."))
    history = queries.history(session, campaign, cadre)
    who = actor(request)
    return {
        **_base(campaign, community), "cadre": cadre, "result": result, "segments": charts.grade_bar(result.shares) if result.shares else [],
        "fills": charts.GRADE_FILLS, "grade_bar": charts.grade_bar, "history": history,
        "history_chart": charts.score_bars([(str(h["campaign"].year), h["result"].score) for h in history]),
        "total": len(views), "is_cadre": services.is_cadre(who, cadre), "can_write": _may_write_for(request, campaign, community, cadre),
        "can_manage": services.can(who, services.MANAGE, community),
        "feedback_due": rules.feedback_due(campaign.closed_on, campaign.feedback_days) if campaign.closed_on else None,
    }


@view
def cadre_result(request: Request):
    campaign, community = _campaign(request)
    cadre = _cadre(request, campaign)
    return render(request, "appraisal/cadre_result.html", _cadre_result_context(request, campaign, community, cadre))


@view
def print_cadre(request: Request):
    campaign, community = _campaign(request)
    cadre = _cadre(request, campaign)
    context = _cadre_result_context(request, campaign, community, cadre)
    from civic.markdown import render_markdown

    report = services.report_of(db(request), cadre)
    context.update({"report": report, **queries.report_detail(db(request), report), "plan_html": render_markdown(cadre.improvement_plan)})
    return render(request, "appraisal/print_cadre.html", context)


@view
def save_plan(request: Request):
    campaign, community = _campaign(request)
    cadre = _cadre(request, campaign)
    try:
        services.save_plan(db(request), actor(request), cadre, str(form(request).get("plan", "")))
    except Invalid as error:
        db(request).rollback()
        context = _cadre_result_context(request, campaign, community, cadre)
        return render(request, "appraisal/cadre_result.html", {**context, "plan_error": error.message}, status=422)
    return redirect(f"/appraisal/{campaign.id}/results/{cadre.id}#plan")


@view(export=True)
def export(request: Request):
    campaign, community = _campaign(request)
    queries.ensure_results_visible(db(request), actor(request), campaign, community)
    views = queries.results(db(request), campaign)
    kind = request.path_params["fmt"]
    name = f"appraisal-{community.code}-{campaign.year}-{campaign.id}"
    if kind == "csv":
        body, media = exports.to_csv(views), "text/csv; charset=utf-8"
    elif kind == "json":
        body, media = exports.to_json(campaign, community, views), "application/json"
    elif kind == "xlsx":
        body, media = exports.to_xlsx(campaign, community, views), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise NotFound(_("No such format."))
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'})


# ---- staff -----------------------------------------------------------------------------------------

def _settings_values(campaign: Campaign | None, defaults: dict | None, groups) -> dict:
    """The settings form's values: a campaign's own, or the rules profile's defaults for a new one."""
    if campaign is not None:
        values = {k: getattr(campaign, k) for k in services.SETTING_FIELDS}
        values["unfit_share"] = f"{campaign.unfit_num}/{campaign.unfit_den}"
        values["groups"] = {g.kind: (g.weight, g.min_raters) for g in groups}
        return values
    today = services.today()
    minimum = min(defaults["min_raters"], 5)
    return {
        "title": _("Democratic appraisal of community cadres, %(year)s", year=today.year), "year": today.year,
        "dimensions": True, "scale_max": 10, "score_basis": "grades", "tie_break": "lower", "publish_scope": "public",
        "reports_due": today + dt.timedelta(days=7), "meeting_on": today + dt.timedelta(days=10), "meeting_place": "",
        "meeting_link": "", "rating_opens_on": today + dt.timedelta(days=10), "rating_closes_on": today + dt.timedelta(days=17),
        **{k: v for k, v in defaults.items() if k not in ("groups", "min_raters")},
        "unfit_share": f"{defaults['unfit_num']}/{defaults['unfit_den']}",
        "groups": {kind: (weight, defaults["min_raters"] if kind == "resident_reps" else minimum) for kind, weight in defaults["groups"].items()},
    }


def _raw_values(raw) -> dict:
    """Re-show what was typed after an error (strings as sent)."""
    values = {k: raw.get(k, "") for k in services.SETTING_FIELDS}
    for key in ("dimensions", "trim_extremes", "satisfaction_includes_basic"):
        values[key] = forms._checked(raw.get(key))
    values["unfit_share"] = raw.get("unfit_share", "")
    values["groups"] = {k: (raw.get(f"weight_{k}", ""), raw.get(f"min_{k}", "")) for k in rules.GROUP_KINDS if forms._checked(raw.get(f"include_{k}"))}
    return values


@view
def new_campaign(request: Request):
    session, who = db(request), actor(request)
    code = request.query_params.get("community", "") or str(form(request).get("community", ""))
    community = registry.community_by_code(session, code)
    if community is None:
        raise NotFound(_("No such community."))
    ensure_permission(who, services.MANAGE, community)
    defaults = services.defaults_from_rules(services.rules_for(session, community))
    if request.method == "GET":
        return render(request, "appraisal/manage/settings.html", {
            "community": community, "campaign": None, "values": _settings_values(None, defaults, []), "errors": {}, "rules": rules})
    raw = form(request)
    values, errors = forms.campaign_form(raw, services.today().year)
    if errors:
        return render(request, "appraisal/manage/settings.html", {
            "community": community, "campaign": None, "values": _raw_values(raw), "errors": errors, "rules": rules}, status=422)
    campaign = services.create_campaign(session, who, community, values)
    return redirect(f"/appraisal/manage/{campaign.id}")


@view
def edit_settings(request: Request):
    campaign, community = _campaign(request)
    session, who = db(request), actor(request)
    ensure_permission(who, services.MANAGE, community)
    if request.method == "GET":
        return render(request, "appraisal/manage/settings.html", {
            "community": community, "campaign": campaign, "errors": {}, "rules": rules,
            "values": _settings_values(campaign, None, services.groups_of(session, campaign))})
    raw = form(request)
    values, errors = forms.campaign_form(raw, services.today().year)
    if errors:
        return render(request, "appraisal/manage/settings.html", {
            "community": community, "campaign": campaign, "values": _raw_values(raw), "errors": errors, "rules": rules}, status=422)
    services.update_campaign(session, who, campaign, values)
    return redirect(f"/appraisal/manage/{campaign.id}")


def _dashboard(request: Request, campaign: Campaign, community, errors: dict | None = None, status: int = 200, cadre_values: dict | None = None):
    session = db(request)
    cadres = services.cadres_of(session, campaign)
    turnout = queries.turnout(session, campaign)
    roster_total = sum(t.roster for t in turnout)
    representatives = sum(t.roster for t in turnout if t.quorum_applies)
    roster, page, pages = queries.roster_page(session, campaign, paging.requested(request))
    return render(request, "appraisal/manage/campaign.html", {
        **_base(campaign, community), "cadres": cadres, "reports": queries.reports_by_cadre(session, [c.id for c in cadres]),
        "groups": services.groups_of(session, campaign), "turnout": turnout, "roster": roster, "page": page, "pages": pages,
        "candidates": services.cadre_candidates(session, community) if campaign.status in ("draft", "reports") else [],
        "errors": errors or {}, "cadre_values": cadre_values or {},
        "quota_ok": rules.representatives_share_ok(representatives, roster_total, campaign.ordinary_share),
        "feedback_due": rules.feedback_due(campaign.closed_on, campaign.feedback_days) if campaign.closed_on else None,
        "today": services.today(),
        "posted_until": rules.posted_until(campaign.published_on, campaign.post_days) if campaign.published_on else None,
    }, status=status)


@view
def dashboard(request: Request):
    campaign, community = _campaign(request)
    ensure_permission(actor(request), "appraisal:campaign:view", community)
    return _dashboard(request, campaign, community)


@view
def add_cadre(request: Request):
    campaign, community = _campaign(request)
    session, who = db(request), actor(request)
    ensure_permission(who, services.MANAGE, community)
    values, errors = forms.cadre_form(form(request))
    if not errors:
        try:
            services.add_cadre(session, who, campaign, values["name"], values["position"], values["user_id"])
        except Invalid as error:
            session.rollback()
            errors = {error.field or "name": error.message}
    if errors:
        return _dashboard(request, campaign, community, errors, 422, values)
    return redirect(f"/appraisal/manage/{campaign.id}#cadres")


@view
def remove_cadre(request: Request):
    campaign, community = _campaign(request)
    services.remove_cadre(db(request), actor(request), _cadre(request, campaign))
    return redirect(f"/appraisal/manage/{campaign.id}#cadres")


STEPS = {"reports": services.open_reports, "rating": services.open_rating, "close": services.close_campaign,
         "publish": services.publish_results}


@view
def step(request: Request):
    campaign, community = _campaign(request)
    action = STEPS.get(str(form(request).get("action", "")))
    if action is None:
        raise Invalid(_("Unknown step."))
    try:
        action(db(request), actor(request), campaign)
    except Invalid as error:
        db(request).rollback()
        return _dashboard(request, campaign, community, {"step": error.message}, 422)
    return redirect(f"/appraisal/manage/{campaign.id}")


@view
def feedback(request: Request):
    campaign, community = _campaign(request)
    cadre = _cadre(request, campaign)
    try:
        services.give_feedback(db(request), actor(request), cadre, str(form(request).get("feedback", "")))
    except Invalid as error:
        db(request).rollback()
        context = _cadre_result_context(request, campaign, community, cadre)
        return render(request, "appraisal/cadre_result.html", {**context, "feedback_error": error.message}, status=422)
    return redirect(f"/appraisal/{campaign.id}/results/{cadre.id}#feedback")


@view
def paper_roster(request: Request):
    campaign, community = _campaign(request)
    session, who = db(request), actor(request)
    services.ensure_paper_clerk(session, who, campaign, community)
    q = request.query_params.get("q", "").strip()
    roster = [r for r in queries.roster(session, campaign) if not q or q in r["rater"].name]
    entered = request.query_params.get("entered", "")
    entered_rater = session.get(Rater, int(entered)) if entered.isdecimal() and len(entered) <= 12 else None
    return render(request, "appraisal/manage/paper.html", {
        **_base(campaign, community), "roster": roster, "q": q,
        "entered": entered_rater if entered_rater and entered_rater.campaign_id == campaign.id else None,
    })


def _paper_rater(request: Request, campaign: Campaign, community) -> Rater:
    services.ensure_paper_clerk(db(request), actor(request), campaign, community)
    rater = db(request).get(Rater, _int_param(request, "rid"))
    if rater is None or rater.campaign_id != campaign.id:
        raise NotFound(_("No such rater."))
    return rater


@view
def paper_sheet(request: Request):
    campaign, community = _campaign(request)
    rater = _paper_rater(request, campaign, community)
    if request.method == "GET":
        return _sheet_page(request, campaign, community, rater, paper=True)
    return _submit(request, campaign, community, rater, paper=True)


@view
def paper_conflict(request: Request):
    campaign, community = _campaign(request)
    rater = _paper_rater(request, campaign, community)
    return _declare(request, campaign, community, None, rater)


routes = [
    Route("/", index, name="index"),
    Route("/{cid:int}", campaign_page, name="campaign"),
    Route("/{cid:int}/turnout", turnout, name="turnout"),
    Route("/{cid:int}/cadres/{kid:int}", cadre_page, name="cadre"),
    Route("/{cid:int}/cadres/{kid:int}/comments", add_comment, methods=["POST"], name="comment"),
    Route("/{cid:int}/cadres/{kid:int}/edit", edit_report, methods=["GET", "POST"], name="edit_report"),
    Route("/{cid:int}/cadres/{kid:int}/evidence", add_evidence, methods=["POST"], name="add_evidence"),
    Route("/comments/{comment_id:int}/hide", hide_comment, methods=["POST"], name="hide_comment"),
    Route("/evidence/{evidence_id:int}", download_evidence, name="evidence"),
    Route("/evidence/{evidence_id:int}/remove", remove_evidence, methods=["POST"], name="remove_evidence"),
    Route("/{cid:int}/rate", rate, methods=["GET", "POST"], name="rate"),
    Route("/{cid:int}/conflicts", declare_conflict, methods=["POST"], name="conflict"),
    Route("/{cid:int}/results", results, name="results"),
    Route("/{cid:int}/results.{fmt}", export, name="export"),
    Route("/{cid:int}/print", print_community, name="print"),
    Route("/{cid:int}/results/{kid:int}", cadre_result, name="cadre_result"),
    Route("/{cid:int}/results/{kid:int}/print", print_cadre, name="print_cadre"),
    Route("/{cid:int}/results/{kid:int}/plan", save_plan, methods=["POST"], name="plan"),
]
admin_routes = [
    Route("/new", new_campaign, methods=["GET", "POST"], name="new"),
    Route("/{cid:int}", dashboard, name="campaign"),
    Route("/{cid:int}/settings", edit_settings, methods=["GET", "POST"], name="settings"),
    Route("/{cid:int}/cadres", add_cadre, methods=["POST"], name="add_cadre"),
    Route("/{cid:int}/cadres/{kid:int}/remove", remove_cadre, methods=["POST"], name="remove_cadre"),
    Route("/{cid:int}/cadres/{kid:int}/feedback", feedback, methods=["POST"], name="feedback"),
    Route("/{cid:int}/step", step, methods=["POST"], name="step"),
    Route("/{cid:int}/paper", paper_roster, name="paper"),
    Route("/{cid:int}/paper/{rid:int}", paper_sheet, methods=["GET", "POST"], name="paper_sheet"),
    Route("/{cid:int}/paper/{rid:int}/conflict", paper_conflict, methods=["POST"], name="paper_conflict"),
]
