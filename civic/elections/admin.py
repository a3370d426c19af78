"""Staff pages of the elections module (mounted at /elections/manage): set-up, the dashboard with the
procedure step by step, roll and objections, nominations, proxies, polling stations, the count."""
from __future__ import annotations

import json

from sqlalchemy import select
from starlette.requests import Request
from starlette.routing import Route

from civic.elections import byelection, forms, messages, nominations as nominations_service, polling, queries, recall, relatives, roll, setup
from civic.elections.models import MODES, PURPOSES, Election, Round, Signature
from civic.errors import DomainError, NotFound
from civic.i18n import N_, _
from civic.registry import queries as registry_queries
from civic.registry.models import Community
from civic.registry.rules import normalise_id
from civic.rulesconfig.services import current_rules
from civic.security import can, ensure_permission
from civic.templating import render
from civic.web import actor, db, form, redirect, view

CSS = "/static/css/elections.css"
VIEW = "elections:election:view_admin"
MANAGE = "elections:election:manage"
PASS_THROUGH = (401, 403, 404)  # refusals the error handler shows (login, forbidden, unknown) rather than the form

DONE = {
    "created": N_("The election was set up."),
    "generate-roll": N_("The voter list was generated from the registry."),
    "publish-roll": N_("The voter list was published."),
    "open-nominations": N_("Nominations are open."),
    "build-candidates": N_("The preliminary candidate list was built."),
    "publish-candidates": N_("The candidate list was published."),
    "polling": N_("Polling is open."),
    "close-polling": N_("Polling is closed; the count can begin."),
    "close": N_("The round is closed and its board published."),
    "publish": N_("The results were published."),
    "runoff": N_("The new round is open."),
    "absence": N_("The notice of absence was recorded."),
    "decided": N_("The objection was decided."),
    "party": N_("The party organisation's nomination was recorded."),
    "paper": N_("The paper signatures were recorded."),
    "reviewed": N_("The review was recorded."),
    "answered": N_("The nominee's answer was recorded."),
    "proxy": N_("The proxy was registered."),
    "issued": N_("The ballot was issued."),
    "entered": N_("The ballot was entered; a second official confirms it."),
    "tally": N_("The box tally was entered; a second official confirms it."),
    "confirmed": N_("The entry was confirmed and is on the board."),
    "rejected": N_("The entry was rejected; enter the ballot again."),
    "publish-recall-ballot": N_("The recall ballot was published."),
}


# --------------------------------------------------------------------------------------------------
# helpers (also used by views.py)
# --------------------------------------------------------------------------------------------------


def load_election(request: Request) -> tuple[Election, Community]:
    return queries.election_by_public_id(db(request), request.path_params["eid"])


def load_round(request: Request, election: Election) -> Round:
    number = forms.to_int(request.path_params.get("n"), None, low=1, high=1000)
    if number is None:
        raise NotFound(_("No such round."))
    return polling.get_round(db(request), election, number)


def election_url(election: Election, *parts: str) -> str:
    return "/".join([f"/elections/{election.public_id}", *parts])


def manage_url(election: Election, *parts: str) -> str:
    return "/".join([f"/elections/manage/{election.public_id}", *parts])


def base(election: Election, community: Community, **extra) -> dict:
    return {"election": election, "community": community, "status_label": messages.status_label(election.status),
            "mode_label": messages.mode_label(election.mode), "css": CSS, **extra}


def done_message(request: Request, table: dict = DONE) -> str:
    key = request.query_params.get("done", "")
    return _(table[key]) if key in table else ""


def _refusal(session, error: DomainError) -> None:
    """Refusals that are not about this form go to the error handler; the rest are shown on the page."""
    if error.status in PASS_THROUGH:
        raise error
    session.rollback()


def _community_from_query(request: Request) -> Community:
    who = actor(request)
    code = request.query_params.get("community", "")
    session = db(request)
    community = registry_queries.community_by_code(session, code) if code else (
        registry_queries.community_by_id(session, who.community_id) if who.community_id else None)
    if community is None:
        if not who.authenticated:
            ensure_permission(who, VIEW)
        raise NotFound(_("No such community."))
    return community


# --------------------------------------------------------------------------------------------------
# set-up
# --------------------------------------------------------------------------------------------------


@view
def manage_index(request: Request):
    community = _community_from_query(request)
    ensure_permission(actor(request), VIEW, community)
    return render(request, "elections/manage_index.html", {"community": community, "css": CSS,
                                                           "elections": queries.elections_of(db(request), community),
                                                           "status_label": messages.status_label})


@view
def create(request: Request):
    session = db(request)
    community = _community_from_query(request)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    config = dict(current_rules(session).values)
    values = {"title": "", "purpose": "general", "mode": "all-voters", "polling_day": "", "seat_chair": "1", "seat_vice": "1",
              "seat_member": "3", "online_enabled": True}
    errors: dict[str, str] = {}
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        data, values, errors = forms.election_form(form(request), config)
        if data is not None:
            try:
                election = setup.create_election(session, who, community, data)
                return redirect(manage_url(election) + "?done=created")
            except setup.ScheduleInvalid as error:
                session.rollback()
                problems = error.problems
            except DomainError as error:
                _refusal(session, error)
                errors[error.field or "form"] = error.message
        status = 422
    defaults = {}
    day = forms.to_date(values.get("polling_day"))
    if day:
        defaults = setup.default_schedule(day, config)
    gate = setup.leaving_audit_gate(session, community, day, config) if values.get("purpose", "general") == "general" else None
    return render(request, "elections/create.html", {
        "community": community, "values": values, "errors": errors, "problems": problems, "css": CSS, "defaults": defaults, "gate": gate,
        "modes": [(m, messages.mode_label(m)) for m in MODES], "purposes": PURPOSES, "fields": setup.SCHEDULE_FIELDS,
        "step_label": lambda f: messages.step(setup.STEP_OF[f]),
    }, status=status)


# --------------------------------------------------------------------------------------------------
# dashboard and the procedure's steps
# --------------------------------------------------------------------------------------------------

STEPS = ("setup", "roll", "nomination", "candidates", "polling", "counting", "closed")


def dashboard_context(request: Request, election: Election, community: Community, **extra) -> dict:
    session = db(request)
    rounds = queries.rounds(session, election)
    round_info = []
    for round_ in rounds:
        round_info.append({"round": round_, "boxes": queries.boxes(session, round_), "turnout": queries.turnout_so_far(session, round_),
                           "pending": queries.pending_count(session, round_),
                           "sections": polling.sections_of(round_), "result": json.loads(round_.result) if round_.result else None,
                           "last": round_ is rounds[-1]})
    candidates = queries.candidates_by_section(session, election)
    built = any(cs for _s, cs in candidates)
    noms = queries.nominations(session, election)
    step_index = STEPS.index(election.status)
    if election.status == "polling" and rounds and rounds[-1].status != "open":
        step_index = STEPS.index("counting")  # polling closed: the count is under way
    context = base(
        election, community, steps=[(s, messages.status_label(s)) for s in STEPS], step_index=step_index,
        schedule=queries.schedule(election), sections=queries.sections(session, election), roll_count=roll.roll_count(session, election),
        roll_summary=queries.roll_summary(session, election), nominations=noms, candidates=candidates, built=built,
        margin=nominations_service.margin_problems(session, election) if built and election.status == "nomination" else [],
        rounds=round_info, problems=[], values={}, errors={}, done=done_message(request),
        pending_objections=sum(1 for o in queries.objections(session, election) if o["objection"].status == "pending"),
        signatory_roles=forms.SIGNATORY_ROLES, manage=can(actor(request), MANAGE, community),
        recall_request=recall.request_for_vote(session, election) if election.purpose == "recall" else None,
        can_finish=byelection.can_finish(session, election), parent=session.get(Election, election.parent_id) if election.parent_id else None,
    )
    context.update(extra)
    return context


@view
def dashboard(request: Request):
    election, community = load_election(request)
    ensure_permission(actor(request), VIEW, community)
    return render(request, "elections/dashboard.html", dashboard_context(request, election, community))


STEP_ACTIONS = {
    "generate-roll": lambda s, a, e, c: roll.generate_roll(s, a, e, c),
    "publish-roll": lambda s, a, e, c: roll.publish_roll(s, a, e, c),
    "open-nominations": lambda s, a, e, c: nominations_service.open_nominations(s, a, e, c),
    "build-candidates": lambda s, a, e, c: nominations_service.build_candidate_list(s, a, e, c),
    "publish-candidates": lambda s, a, e, c: nominations_service.publish_candidates(s, a, e, c),
    "publish-recall-ballot": lambda s, a, e, c: recall.publish_ballot(s, a, e, c),
}


@view
def step(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    action = STEP_ACTIONS.get(request.path_params["action"])
    if action is None:
        raise NotFound(_("No such step."))
    try:
        action(session, who, election, community)
    except DomainError as error:
        _refusal(session, error)
        session.refresh(election)
        return render(request, "elections/dashboard.html", dashboard_context(request, election, community, problems=[error.message]),
                      status=error.status)
    return redirect(manage_url(election) + "?done=" + request.path_params["action"])


@view
def open_polling(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    boxes, values, errors = forms.boxes_form(form(request))
    if not errors:
        try:
            polling.open_polling(session, who, election, community, boxes)
            return redirect(manage_url(election) + "?done=polling")
        except DomainError as error:
            _refusal(session, error)
            session.refresh(election)
            errors["stations" if error.field != "mobile" else "mobile"] = error.message
    return render(request, "elections/dashboard.html", dashboard_context(request, election, community, values=values, errors=errors),
                  status=422)


@view
def close_polling(request: Request):
    session = db(request)
    election, community = load_election(request)
    round_ = load_round(request, election)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    data = form(request)
    returned, errors = {}, {}
    for box in queries.boxes(session, round_):
        number = forms.to_int(data.get(f"returned-{box.key}"), None, low=0, high=10**6)
        if number is None:
            errors[f"returned-{box.key}"] = _("Enter the number of ballots returned in %(box)s.", box=box.name)
        else:
            returned[box.key] = number
    if not errors:
        try:
            polling.close_polling(session, who, election, community, round_, returned)
            return redirect(manage_url(election) + "?done=close-polling")
        except DomainError as error:
            _refusal(session, error)
            errors["round"] = error.message
    values = {k: v for k, v in data.items() if k.startswith("returned-")}
    return render(request, "elections/dashboard.html", dashboard_context(request, election, community, values=values, errors=errors,
                                                                         problems=[m for m in errors.values()]), status=422)


@view
def close_round(request: Request):
    session = db(request)
    election, community = load_election(request)
    round_ = load_round(request, election)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    try:
        polling.close_round(session, who, election, community, round_)
    except DomainError as error:
        _refusal(session, error)
        return render(request, "elections/dashboard.html", dashboard_context(request, election, community, problems=[error.message]),
                      status=error.status)
    return redirect(manage_url(election) + "?done=close")


@view
def publish_round(request: Request):
    session = db(request)
    election, community = load_election(request)
    round_ = load_round(request, election)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    values, errors = forms.signatories_form(form(request))
    if not errors:
        try:
            polling.publish_round(session, who, election, community, round_, values)
            return redirect(manage_url(election) + "?done=publish")
        except DomainError as error:
            _refusal(session, error)
            session.refresh(election)
            errors[error.field or "presiding"] = error.message
    return render(request, "elections/dashboard.html", dashboard_context(
        request, election, community, values=values, errors=errors, problems=list(errors.values())), status=422)


@view
def start_runoff(request: Request):
    session = db(request)
    election, community = load_election(request)
    round_ = load_round(request, election)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    boxes, values, errors = forms.boxes_form(form(request))
    tiebreak = form(request).get("tiebreak") == "1"
    if not errors:
        try:
            polling.start_runoff(session, who, election, community, round_, boxes, tiebreak=tiebreak)
            return redirect(manage_url(election) + "?done=runoff")
        except DomainError as error:
            _refusal(session, error)
            session.refresh(election)
            errors["stations"] = error.message
    return render(request, "elections/dashboard.html", dashboard_context(
        request, election, community, values=values, errors=errors, problems=list(errors.values())), status=422)


# --------------------------------------------------------------------------------------------------
# roll and objections
# --------------------------------------------------------------------------------------------------


def roll_context(request: Request, election: Election, community: Community, **extra) -> dict:
    session = db(request)
    q = request.query_params.get("q", "")
    page = forms.to_int(request.query_params.get("page"), 1, low=1, high=10**5)
    rows, total = queries.search_roll(session, election, q, limit=queries.ROLL_PAGE, offset=(page - 1) * queries.ROLL_PAGE, listed_only=False)
    context = base(election, community, q=q, page=page, rows=rows, total=total, pages=max(1, -(-total // queries.ROLL_PAGE)),
                   objections=queries.objections(session, election), summary=queries.roll_summary(session, election),
                   kinds={"missing": _("missing from the list"), "wrong": _("wrong details"), "ineligible": _("not eligible")},
                   done=done_message(request), errors={}, values={}, manage=can(actor(request), MANAGE, community))
    context.update(extra)
    return context


@view
def roll_page(request: Request):
    election, community = load_election(request)
    ensure_permission(actor(request), "elections:roll:view", community)
    return render(request, "elections/roll.html", roll_context(request, election, community), block="results")


@view
def absence(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    entry = queries.roll_entry(session, election, forms.to_int(request.path_params["entry"], 0))
    try:
        roll.set_absence(session, who, election, community, entry, form(request).get("absent") == "1")
    except DomainError as error:
        _refusal(session, error)
        return render(request, "elections/roll.html", roll_context(request, election, community, problem=error.message), status=error.status)
    return redirect(manage_url(election, "roll") + "?done=absence")


@view
def decide(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:objection:decide", community)
    objection = roll.get_objection(session, election, forms.to_int(request.path_params["oid"], 0))
    data = form(request)
    upheld = data.get("upheld")
    errors = {}
    if upheld not in ("1", "0"):
        errors[f"upheld-{objection.id}"] = _("Uphold or reject the objection.")
    else:
        try:
            roll.decide_objection(session, who, election, community, objection, upheld=upheld == "1", decision=data.get("decision") or "")
            return redirect(manage_url(election, "roll") + "?done=decided#objections")
        except DomainError as error:
            _refusal(session, error)
            errors[f"decision-{objection.id}"] = error.message
    return render(request, "elections/roll.html", roll_context(request, election, community, errors=errors,
                                                               values={f"decision-{objection.id}": data.get("decision") or ""}), status=422)


# --------------------------------------------------------------------------------------------------
# nominations
# --------------------------------------------------------------------------------------------------


def nominations_context(request: Request, election: Election, community: Community, **extra) -> dict:
    session = db(request)
    q = request.query_params.get("q", "")
    searched = "q" in request.query_params
    results, total = queries.search_roll(session, election, q) if searched else ([], 0)
    context = base(election, community, nominations=queries.nominations(session, election), sections=queries.sections(session, election),
                   q=q, searched=searched, results=results, total=total, values={}, errors={}, done=done_message(request),
                   manage=can(actor(request), MANAGE, community), record=can(actor(request), "elections:nomination:record", community),
                   e8=relatives.e8_warnings(session, election, community))
    context.update(extra)
    return context


@view
def nominations_page(request: Request):
    election, community = load_election(request)
    ensure_permission(actor(request), VIEW, community)
    return render(request, "elections/nominations.html", nominations_context(request, election, community), block="results")


@view
def party_nomination(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:nomination:record", community)
    data = form(request)
    values, section, nominee, missing = queries.nomination_choice(session, election, community, data, queries.sections(session, election))
    errors = {}
    if "section" in missing:
        errors["section"] = _("Choose the office.")
    if "nominee" in missing:
        errors["nominee"] = _("Search the voter list and choose the person nominated.")
    if not errors:
        try:
            nominations_service.party_nomination(session, who, election, community, section, nominee, values["statement"])
            return redirect(manage_url(election, "nominations") + "?done=party")
        except DomainError as error:
            _refusal(session, error)
            errors["nominee" if error.field == "nominee" else "form"] = error.message
    return render(request, "elections/nominations.html", nominations_context(request, election, community, values=values, errors=errors),
                  status=422)


def _nomination(request: Request, election: Election):
    return nominations_service.get_nomination(db(request), election, forms.to_int(request.path_params["nid"], 0))


@view
def paper_signatures(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:nomination:record", community)
    nomination = _nomination(request, election)
    errors = {}
    status = 200
    if request.method == "POST":
        ids = []
        for raw in form(request).getlist("signer"):
            entry_id = forms.to_int(raw, None, low=1)
            if entry_id is None:
                continue
            try:
                ids.append(queries.roll_entry(session, election, entry_id).resident_id)
            except NotFound:
                continue
        if not ids:
            errors["signer"] = _("Tick the voters whose signatures are on the paper form.")
        else:
            try:
                nominations_service.record_paper_signatures(session, who, election, community, nomination, ids)
                return redirect(manage_url(election, "nominations") + "?done=paper")
            except DomainError as error:
                _refusal(session, error)
                errors["signer"] = error.message
        status = 422
    q = request.query_params.get("q", "")
    results, total = queries.search_roll(session, election, q, limit=60)
    already = set(session.execute(select(Signature.roll_entry_id).where(Signature.nomination_id == nomination.id)).scalars())
    info = next(n for n in queries.nominations(session, election) if n["nomination"].id == nomination.id)
    return render(request, "elections/paper_signatures.html", base(
        election, community, info=info, q=q, results=results, total=total, already=already, errors=errors), block="results", status=status)


@view
def review(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    nomination = _nomination(request, election)
    data = form(request)
    try:
        nominations_service.review_nomination(session, who, election, community, nomination, data.get("approve") == "1", data.get("reason") or "")
    except DomainError as error:
        _refusal(session, error)
        return render(request, "elections/nominations.html", nominations_context(
            request, election, community, errors={f"reason-{nomination.id}": error.message}), status=error.status)
    return redirect(manage_url(election, "nominations") + "?done=reviewed")


@view
def record_answer(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:nomination:record", community)
    nomination = _nomination(request, election)
    try:
        nominations_service.answer_nomination(session, who, election, community, nomination, form(request).get("accept") == "1")
    except DomainError as error:
        _refusal(session, error)
        return render(request, "elections/nominations.html", nominations_context(
            request, election, community, errors={f"answer-{nomination.id}": error.message}), status=error.status)
    return redirect(manage_url(election, "nominations") + "?done=answered")


# --------------------------------------------------------------------------------------------------
# proxies
# --------------------------------------------------------------------------------------------------


def _find_voter(session, election: Election, text: str) -> tuple[object | None, str]:
    """A voter by full ID number or exact name; (resident, "") or (None, why not)."""
    text = (text or "").strip()[:50]
    if not text:
        return None, _("Enter the name or ID number.")
    rows, _total = queries.search_roll(session, election, text, limit=20)
    exact = [(e, r) for e, r in rows if r.id_number == normalise_id(text)] or [(e, r) for e, r in rows if e.name == text]
    if len(exact) == 1:
        return exact[0][1], ""
    if not exact:
        return None, _("Nobody on the voter list is called “%(text)s”.", text=text)
    return None, _("Several voters are called “%(text)s”: enter the ID number instead.", text=text)


@view
def proxies(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, VIEW, community)
    values = {"principal": "", "holder": "", "reason": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        ensure_permission(who, "elections:proxy:register", community)
        data = form(request)
        values = {k: (data.get(k) or "").strip()[:300] for k in values}
        principal, why = _find_voter(session, election, values["principal"])
        if principal is None:
            errors["principal"] = why
        holder, why = _find_voter(session, election, values["holder"])
        if holder is None:
            errors["holder"] = why
        if not errors:
            try:
                nominations_service.register_proxy(session, who, election, community, principal, holder, values["reason"])
                return redirect(manage_url(election, "proxies") + "?done=proxy")
            except DomainError as error:
                _refusal(session, error)
                errors[error.field if error.field in ("principal", "holder", "reason") else ("holder" if error.field == "proxy" else "form")] = error.message
        status = 422
    return render(request, "elections/proxies.html", base(election, community, proxies=queries.proxies(session, election), values=values,
                                                          errors=errors, done=done_message(request),
                                                          register=can(who, "elections:proxy:register", community)), status=status)


# --------------------------------------------------------------------------------------------------
# polling stations and the count
# --------------------------------------------------------------------------------------------------


def _box(request: Request, round_: Round):
    return polling.get_box(db(request), round_, request.path_params["key"][:20])


def station_context(request: Request, election, community, round_, box, q: str | None = None, **extra) -> dict:
    session = db(request)
    q = request.query_params.get("q", "") if q is None else q
    rows, total = queries.search_roll(session, election, q, limit=queries.SEARCH_LIMIT) if q else ([], 0)
    ids = [e.id for e, _r in rows]
    context = base(election, community, round=round_, box=box, q=q, rows=rows, total=total, marks=queries.marked(session, round_, ids),
                   proxies=queries.proxies_for(session, election, ids), done=done_message(request), problem="",
                   turnout=queries.turnout_so_far(session, round_))
    context.update(extra)
    return context


@view
def station(request: Request):
    election, community = load_election(request)
    ensure_permission(actor(request), "elections:station:operate", community)
    round_ = load_round(request, election)
    box = _box(request, round_)
    return render(request, "elections/station.html", station_context(request, election, community, round_, box), block="results")


@view
def issue(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:station:operate", community)
    round_ = load_round(request, election)
    box = _box(request, round_)
    data = form(request)
    q = (data.get("q") or "")[:50]
    entry = queries.roll_entry(session, election, forms.to_int(data.get("voter"), 0))
    holder = None
    if data.get("proxy"):
        holder = queries.roll_entry(session, election, forms.to_int(data.get("proxy"), 0))
    try:
        polling.issue_paper_ballot(session, who, election, community, round_, box, entry, holder)
    except DomainError as error:
        _refusal(session, error)
        return render(request, "elections/station.html", station_context(request, election, community, round_, box, q=q,
                                                                         problem=error.message), status=error.status)
    from urllib.parse import quote

    return redirect(manage_url(election, "rounds", str(round_.number), "boxes", box.key) + "?done=issued&q=" + quote(q))


def count_context(request: Request, election, community, round_, box, **extra) -> dict:
    session = db(request)
    sections = polling.sections_of(round_)
    box_drafts = queries.drafts(session, round_, box_key=box.key)
    who = actor(request)
    tally = queries.running_tally(sections, box_drafts)
    names = {c["id"]: c["name"] for s in sections for c in s["candidates"]}
    tally_rows = {s["id"]: sorted(((queries.person_name(p, names), v) for p, v in tally["sections"][s["id"]]["votes"].items()),
                                  key=lambda pv: (-pv[1], pv[0])) for s in sections}
    pending = [d for d in box_drafts if d.status == "pending"]
    context = base(election, community, round=round_, box=box, sections=sections, tally=tally, tally_rows=tally_rows,
                   pending=[{"draft": d, "payload": json.loads(d.payload), "mine": d.entered_by == who.user_id} for d in pending],
                   names=names, values={}, errors={}, tally_values={}, tally_errors={}, done=done_message(request),
                   can_enter=can(who, "elections:count:enter", community), can_confirm=can(who, "elections:count:confirm", community),
                   problem="")
    context.update(extra)
    return context


def _count_permission(request: Request, community: Community) -> None:
    who = actor(request)
    if not (can(who, "elections:count:enter", community) or can(who, "elections:count:confirm", community)):
        ensure_permission(who, "elections:count:enter", community)


@view
def count(request: Request):
    session = db(request)
    election, community = load_election(request)
    _count_permission(request, community)
    round_ = load_round(request, election)
    box = _box(request, round_)
    if request.method == "GET":
        return render(request, "elections/count.html", count_context(request, election, community, round_, box), block="live")
    who = actor(request)
    ensure_permission(who, "elections:count:enter", community)
    ballot, values, errors = forms.count_entry(form(request), polling.sections_of(round_))
    if not errors:
        try:
            polling.enter_paper(session, who, community, round_, box, ballot)
            return redirect(manage_url(election, "rounds", str(round_.number), "boxes", box.key, "count") + "?done=entered")
        except polling.BallotInvalid as error:
            session.rollback()
            errors = {f"n-{sid}": message for sid, message in error.problems.items()}
        except DomainError as error:
            _refusal(session, error)
            errors = {"form": error.message}
    return render(request, "elections/count.html", count_context(request, election, community, round_, box, values=values, errors=errors),
                  block="live", status=422)


@view
def box_tally(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:count:enter", community)
    round_ = load_round(request, election)
    box = _box(request, round_)
    tally, values, errors = forms.tally_form(form(request), polling.sections_of(round_))
    if tally is not None:
        try:
            polling.enter_box_tally(session, who, community, round_, box, tally)
            return redirect(manage_url(election, "rounds", str(round_.number), "boxes", box.key, "count") + "?done=tally")
        except DomainError as error:
            _refusal(session, error)
            errors = {"tally": error.message}
    return render(request, "elections/count.html", count_context(request, election, community, round_, box, tally_values=values,
                                                                 tally_errors=errors), status=422)


@view
def confirm(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:count:confirm", community)
    round_ = load_round(request, election)
    row = queries.draft(session, round_, forms.to_int(request.path_params["did"], 0))
    box = polling.get_box(session, round_, row.box_key)
    accept = form(request).get("accept") == "1"
    try:
        polling.confirm_draft(session, who, community, round_, row, accept)
    except DomainError as error:
        if error.status in (401, 404):
            raise
        session.rollback()
        return render(request, "elections/count.html", count_context(request, election, community, round_, box, problem=error.message),
                      block="live", status=error.status)
    return redirect(manage_url(election, "rounds", str(round_.number), "boxes", box.key, "count") + ("?done=confirmed" if accept else "?done=rejected"))


admin_routes = [
    Route("/", manage_index, name="index"),
    Route("/new", create, methods=["GET", "POST"], name="create"),
    Route("/{eid}", dashboard, name="dashboard"),
    Route("/{eid}/step/{action}", step, methods=["POST"], name="step"),
    Route("/{eid}/polling/open", open_polling, methods=["POST"], name="open_polling"),
    Route("/{eid}/roll", roll_page, name="roll"),
    Route("/{eid}/roll/{entry:int}/absence", absence, methods=["POST"], name="absence"),
    Route("/{eid}/objections/{oid:int}/decide", decide, methods=["POST"], name="decide"),
    Route("/{eid}/nominations", nominations_page, name="nominations"),
    Route("/{eid}/nominations/party", party_nomination, methods=["POST"], name="party"),
    Route("/{eid}/nominations/{nid:int}/paper", paper_signatures, methods=["GET", "POST"], name="paper"),
    Route("/{eid}/nominations/{nid:int}/review", review, methods=["POST"], name="review"),
    Route("/{eid}/nominations/{nid:int}/answer", record_answer, methods=["POST"], name="record_answer"),
    Route("/{eid}/proxies", proxies, methods=["GET", "POST"], name="proxies"),
    Route("/{eid}/rounds/{n}/close-polling", close_polling, methods=["POST"], name="close_polling"),
    Route("/{eid}/rounds/{n}/close", close_round, methods=["POST"], name="close_round"),
    Route("/{eid}/rounds/{n}/publish", publish_round, methods=["POST"], name="publish_round"),
    Route("/{eid}/rounds/{n}/runoff", start_runoff, methods=["POST"], name="runoff"),
    Route("/{eid}/rounds/{n}/boxes/{key}", station, name="station"),
    Route("/{eid}/rounds/{n}/boxes/{key}/issue", issue, methods=["POST"], name="issue"),
    Route("/{eid}/rounds/{n}/boxes/{key}/count", count, methods=["GET", "POST"], name="count"),
    Route("/{eid}/rounds/{n}/boxes/{key}/tally", box_tally, methods=["POST"], name="tally"),
    Route("/{eid}/rounds/{n}/drafts/{did:int}", confirm, methods=["POST"], name="confirm"),
]
