"""Pages of recall requests (罢免, E39) and by-elections (补选, E41).

Public (/elections/…): a request with its reasons, the members' replies, the live signature count and the
sign button; starting a request; the member's reply. Staff (/elections/manage/…): a request's paper
signatures and the scheduling of its vote; an election's vacancies, resignations and by-election."""
from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.routing import Route

from civic import clock
from civic.elections import byelection, forms, queries, recall
from civic.elections.admin import CSS, MANAGE, VIEW, _refusal, base, load_election, manage_url
from civic.elections.models import Election, RecallRequest, RecallSignature
from civic.elections.roll import entry_for
from civic.errors import DomainError, Invalid, NotFound
from civic.i18n import N_, _
from civic.registry.models import Community
from civic.security import Actor, can, ensure_permission
from civic.templating import render
from civic.web import actor, db, form, redirect, view

DONE = {
    "requested": N_("Your recall request was filed and you signed it first. Other voters can now sign it."),
    "signed": N_("You signed the recall request."),
    "replied": N_("The reply was published next to the reasons."),
    "paper": N_("The paper signatures were recorded."),
    "recorded": N_("The paper recall request was recorded; now record its signatures."),
    "scheduled": N_("The recall vote was set up. Generate and publish its voter list, then publish the ballot."),
    "resigned": N_("The resignation was recorded; the seat is vacant."),
    "by-election": N_("The by-election was set up for the vacant seats."),
    "finished": N_("The election is complete; its empty seats are vacant."),
}
STATUS = {
    "collecting": N_("collecting signatures"),
    "submitted": N_("enough signatures: the vote is to be scheduled"),
    "scheduled": N_("vote scheduled"),
    "decided": N_("decided"),
}


def recall_url(request_: RecallRequest, *parts: str) -> str:
    return "/".join([f"/elections/recalls/{request_.id}", *parts])


def _done(request: Request) -> str:
    key = request.query_params.get("done", "")
    return _(DONE[key]) if key in DONE else ""


def _load(request: Request) -> tuple[RecallRequest, Community, Election]:
    session = db(request)
    recall_id = forms.to_int(request.path_params.get("rid"), None, low=1, high=2**31 - 1)
    if recall_id is None:
        raise NotFound(_("No such recall request."))
    request_, community = recall.get_request(session, recall_id)
    return request_, community, session.get(Election, request_.origin_election_id)


def _own_entry(request: Request, origin: Election, who: Actor):
    if who.resident is None or who.resident.community_id != origin.community_id:
        return None
    return entry_for(db(request), origin, who.resident.id)


def _context(request: Request, request_: RecallRequest, community: Community, origin: Election, **extra) -> dict:
    session = db(request)
    who = actor(request)
    entry = _own_entry(request, origin, who)
    vote = session.get(Election, request_.vote_election_id) if request_.vote_election_id else None
    rounds = queries.rounds(session, vote) if vote else []
    count = recall.signature_count(session, request_)
    return {
        "recall": request_, "community": community, "origin": origin, "targets": recall.targets_of(session, request_), "count": count,
        "percent": min(100, count * 100 // request_.threshold) if request_.threshold else 100, "entry": entry,
        "signed": recall.signed(session, request_, entry), "who": who, "vote": vote, "rounds": rounds, "css": CSS,
        "can_sign": bool(entry and entry.listed and request_.status in ("collecting", "submitted")),
        "may_reply": lambda t: recall.may_reply(who, t, community) and request_.status in recall.OPEN,
        "status_text": _(STATUS.get(request_.status, request_.status)), "done": _done(request), "errors": {}, **extra,
    }


# --------------------------------------------------------------------------------------------------
# public
# --------------------------------------------------------------------------------------------------


@view
def recall_page(request: Request):
    request_, community, origin = _load(request)
    return render(request, "elections/recall_request.html", _context(request, request_, community, origin), block="count")


def _new_form(request: Request, *, paper: bool):
    session = db(request)
    origin, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:recall:record" if paper else "elections:recall:sign", community)
    values: dict = {"members": [], "reasons": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values, errors = forms.recall_form(form(request))
        if not errors:
            try:
                request_ = recall.start_request(session, who, origin, community, values["members"], values["reasons"], paper=paper)
                if paper:
                    return redirect(f"/elections/manage/recalls/{request_.id}?done=recorded")
                return redirect(recall_url(request_) + "?done=requested")
            except DomainError as error:
                _refusal(session, error)
                errors[error.field if error.field in ("members", "reasons") else "form"] = error.message
        status = 422
    busy = recall.member_under_recall(session, origin)
    return render(request, "elections/recall_new.html", base(
        origin, community, members=recall.sitting_members(session, origin), busy=busy, values=values, errors=errors, paper=paper,
        entry=None if paper else _own_entry(request, origin, who),
    ), status=status)


@view
def new_request(request: Request):
    return _new_form(request, paper=False)


@view
def sign(request: Request):
    session = db(request)
    request_, community, origin = _load(request)
    try:
        recall.sign(session, actor(request), request_, community)
    except DomainError as error:
        _refusal(session, error)
        session.refresh(request_)
        return render(request, "elections/recall_request.html", _context(request, request_, community, origin,
                                                                          errors={"sign": error.message}), status=error.status)
    return redirect(recall_url(request_) + "?done=signed")


@view
def reply(request: Request):
    session = db(request)
    request_, community, origin = _load(request)
    target = recall.get_target(session, request_, forms.to_int(request.path_params["tid"], 0, high=2**31 - 1) or 0)
    who = actor(request)
    if not recall.may_reply(who, target, community):
        ensure_permission(who, "elections:recall:record", community)
    value = target.reply
    errors: dict[str, str] = {}
    if request.method == "POST":
        value = (form(request).get("reply") or "")[:4000]
        try:
            recall.reply(session, who, request_, community, target, value)
            return redirect(recall_url(request_) + "?done=replied#member-" + str(target.id))
        except DomainError as error:
            _refusal(session, error)
            errors["reply"] = error.message
    return render(request, "elections/recall_reply.html", {"recall": request_, "community": community, "origin": origin, "target": target,
                                                            "value": value, "errors": errors, "css": CSS},
                  status=422 if errors else 200)


# --------------------------------------------------------------------------------------------------
# staff
# --------------------------------------------------------------------------------------------------


def _manage_context(request: Request, request_: RecallRequest, community: Community, origin: Election, **extra) -> dict:
    session = db(request)
    q = request.query_params.get("q", "")
    results, total = queries.search_roll(session, origin, q, limit=60) if q else ([], 0)
    already = set(session.execute(select(RecallSignature.roll_entry_id).where(RecallSignature.recall_id == request_.id)).scalars())
    context = _context(request, request_, community, origin, q=q, results=results, total=total, already=already,
                       values={"title": _("Recall vote"), "polling_day": "", "online_enabled": True},
                       schedule=can(actor(request), "elections:recall:schedule", community),
                       record=can(actor(request), "elections:recall:record", community))
    context.update(extra)
    return context


@view
def manage_recall(request: Request):
    request_, community, origin = _load(request)
    ensure_permission(actor(request), VIEW, community)
    return render(request, "elections/recall_manage.html", _manage_context(request, request_, community, origin), block="results")


@view
def new_paper_request(request: Request):
    return _new_form(request, paper=True)


@view
def paper_signatures(request: Request):
    session = db(request)
    request_, community, origin = _load(request)
    who = actor(request)
    ensure_permission(who, "elections:recall:record", community)
    ids = [i for i in (forms.to_int(raw, None, low=1, high=2**31 - 1) for raw in form(request).getlist("signer")) if i is not None]
    try:
        if not ids:
            raise Invalid(_("Tick the voters whose signatures are on the paper form."), field="signer")
        recall.record_paper_signatures(session, who, request_, community, ids)
    except DomainError as error:
        _refusal(session, error)
        session.refresh(request_)
        return render(request, "elections/recall_manage.html", _manage_context(request, request_, community, origin,
                                                                                errors={"signer": error.message}), status=422)
    return redirect(f"/elections/manage/recalls/{request_.id}?done=paper")


@view
def schedule_vote(request: Request):
    session = db(request)
    request_, community, origin = _load(request)
    who = actor(request)
    ensure_permission(who, "elections:recall:schedule", community)
    values, errors = forms.vote_form(form(request))
    if not errors:
        try:
            vote = recall.schedule_vote(session, who, request_, community, title=values["title"],
                                        polling_day=forms.to_date(values["polling_day"]), online_enabled=values["online_enabled"])
            return redirect(manage_url(vote) + "?done=created")
        except DomainError as error:
            _refusal(session, error)
            session.refresh(request_)
            errors["polling_day" if error.field is None else error.field] = error.message
    return render(request, "elections/recall_manage.html", _manage_context(request, request_, community, origin, values=values,
                                                                            errors=errors), status=422)


def _vacancies_context(request: Request, election: Election, community: Community, **extra) -> dict:
    session = db(request)
    who = actor(request)
    context = base(election, community, members=recall.sitting_members(session, election), vacancies=byelection.vacancies_of(session, election),
                   open_vacancies=byelection.open_vacancies(session, election), by_elections=byelection.by_elections_of(session, election),
                   elections_by_id={e.id: e for e in byelection.by_elections_of(session, election)},
                   recalls=recall.requests_against(session, election), term_ends_on=byelection.term_ends_on(election),
                   term_over=clock.today() >= byelection.term_ends_on(election),  # nobody sits: a recall is refused
                   can_finish=byelection.can_finish(session, election) and can(who, MANAGE, community),
                   record=can(who, "elections:vacancy:record", community), create=can(who, "elections:byelection:create", community),
                   values={"title": _("By-election"), "polling_day": "", "online_enabled": True, "member": "", "note": ""},
                   errors={}, done=_done(request))
    context.update(extra)
    return context


@view
def vacancies(request: Request):
    election, community = load_election(request)
    ensure_permission(actor(request), VIEW, community)
    return render(request, "elections/recall_vacancies.html", _vacancies_context(request, election, community))


@view
def resignation(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:vacancy:record", community)
    data = form(request)
    values = {"member": (data.get("member") or "")[:60], "note": (data.get("note") or "")[:300]}
    try:
        byelection.record_resignation(session, who, election, community, values["member"], values["note"])
    except DomainError as error:
        _refusal(session, error)
        context = _vacancies_context(request, election, community, errors={error.field or "member": error.message})
        context["values"].update(values)
        return render(request, "elections/recall_vacancies.html", context, status=422)
    return redirect(manage_url(election, "vacancies") + "?done=resigned")


@view
def create_by_election(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:byelection:create", community)
    values, errors = forms.vote_form(form(request))
    if not errors:
        try:
            by = byelection.create_by_election(session, who, election, community, title=values["title"],
                                               polling_day=forms.to_date(values["polling_day"]), online_enabled=values["online_enabled"])
            return redirect(manage_url(by) + "?done=created")
        except DomainError as error:
            _refusal(session, error)
            errors["polling_day" if error.field is None else error.field] = error.message
    context = _vacancies_context(request, election, community, errors=errors)
    context["values"].update(values)
    return render(request, "elections/recall_vacancies.html", context, status=422)


@view
def finish(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, MANAGE, community)
    try:
        byelection.finish_with_empty_seats(session, who, election, community)
    except DomainError as error:
        _refusal(session, error)
        session.refresh(election)
        return render(request, "elections/recall_vacancies.html", _vacancies_context(request, election, community,
                                                                                      errors={"finish": error.message}), status=error.status)
    return redirect(manage_url(election, "vacancies") + "?done=finished")


routes = [
    Route("/recalls/{rid:int}", recall_page, name="recall"),
    Route("/recalls/{rid:int}/sign", sign, methods=["POST"], name="recall_sign"),
    Route("/recalls/{rid:int}/members/{tid:int}/reply", reply, methods=["GET", "POST"], name="recall_reply"),
    Route("/{eid}/recall", new_request, methods=["GET", "POST"], name="recall_new"),
]
admin_routes = [
    Route("/recalls/{rid:int}", manage_recall, name="recall"),
    Route("/recalls/{rid:int}/paper", paper_signatures, methods=["POST"], name="recall_paper"),
    Route("/recalls/{rid:int}/schedule", schedule_vote, methods=["POST"], name="recall_schedule"),
    Route("/{eid}/recall", new_paper_request, methods=["GET", "POST"], name="recall_new"),
    Route("/{eid}/vacancies", vacancies, name="vacancies"),
    Route("/{eid}/vacancies/resignation", resignation, methods=["POST"], name="resignation"),
    Route("/{eid}/by-election", create_by_election, methods=["POST"], name="by_election"),
    Route("/{eid}/finish", finish, methods=["POST"], name="finish"),
]
