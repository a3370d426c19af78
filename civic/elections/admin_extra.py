"""Staff pages of elections kept apart from admin.py: near-relative declarations (E3/E8/E9) and the online
voting window (E26). Mounted with the other staff routes (manifest)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from civic.elections import forms, queries, relatives, window
from civic.elections.admin import MANAGE, VIEW, _refusal, base, done_message, load_election, manage_url
from civic.errors import DomainError, NotFound
from civic.i18n import N_, _
from civic.security import can, ensure_permission
from civic.templating import render
from civic.web import actor, db, form, redirect, view

DONE = {
    "declared": N_("The near-relative relation was declared."),
    "removed": N_("The declaration was removed."),
    "window": N_("The online voting window was saved."),
    "relative": N_("Your near relative was declared to the election committee."),
}


# --------------------------------------------------------------------------------------------------
# near relatives
# --------------------------------------------------------------------------------------------------


def relatives_context(request: Request, election, community, **extra) -> dict:
    session = db(request)
    qa, qb = (request.query_params.get("qa") or "")[:50], (request.query_params.get("qb") or "")[:50]
    rounds = [r for r in queries.rounds(session, election) if r.status == "published"]
    context = base(
        election, community, relations=relatives.relations(session, election), kinds=[(k, _(v)) for k, v in relatives.KINDS.items()],
        qa=qa, qb=qb, results_a=queries.search_residents(session, community, qa), results_b=queries.search_residents(session, community, qb),
        e8=relatives.e8_warnings(session, election, community), e9=relatives.e9_warnings(session, election, rounds),
        barred=relatives.barred_from_counting(session, election), declare=can(actor(request), relatives.DECLARE, community),
        values={"a": "", "b": "", "kind": "", "source": ""}, errors={}, done=done_message(request, DONE),
    )
    context.update(extra)
    return context


def _resident(session, community, raw):
    resident_id = forms.to_int(raw, None, low=1)
    if resident_id is None:
        return None
    try:
        return queries.resident_in(session, community, resident_id)
    except NotFound:
        return None


@view
def relatives_page(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, VIEW, community)
    if request.method == "GET":
        return render(request, "elections/relatives.html", relatives_context(request, election, community))
    ensure_permission(who, relatives.DECLARE, community)
    data = form(request)
    values = {"a": (data.get("a") or "")[:20], "b": (data.get("b") or "")[:20], "kind": (data.get("kind") or "")[:30],
              "source": (data.get("source") or "")[:400]}
    errors: dict[str, str] = {}
    a, b = _resident(session, community, values["a"]), _resident(session, community, values["b"])
    if a is None:
        errors["a"] = _("Search the residents and choose the first person.")
    if b is None:
        errors["b"] = _("Search the residents and choose the second person.")
    if values["kind"] not in relatives.KINDS:
        errors["kind"] = _("Choose how the two are related.")
    if not errors:
        try:
            relatives.declare(session, who, election, community, a, b, values["kind"], values["source"])
            return redirect(manage_url(election, "relatives") + "?done=declared")
        except DomainError as error:
            _refusal(session, error)
            errors[error.field if error.field in values else "form"] = error.message
    # keep the chosen persons on the page even when the search boxes are empty
    context = relatives_context(request, election, community, values=values, errors=errors)
    for key, person in (("results_a", a), ("results_b", b)):
        if person is not None and person not in context[key]:
            context[key] = [person, *context[key]]
    return render(request, "elections/relatives.html", context, status=422)


@view
def remove_relation(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, relatives.DECLARE, community)
    relation = relatives.get_relation(session, election, forms.to_int(request.path_params["rid"], 0))
    relatives.remove(session, who, election, community, relation)
    return redirect(manage_url(election, "relatives") + "?done=removed")


# --------------------------------------------------------------------------------------------------
# a candidate declares their own near relatives (statement page)
# --------------------------------------------------------------------------------------------------


def own_relatives_context(request: Request, election, community, candidate, values=None, errors=None) -> dict:
    """What the statement page shows about the candidate's near relatives (used by views.statement_form too)."""
    session = db(request)
    q = (request.query_params.get("rq") or "")[:50]
    return {"own_relations": relatives.of_person(session, election, candidate.resident_id) if candidate.resident_id else [],
            "rq": q, "relative_results": [r for r in queries.search_residents(session, community, q) if r.id != candidate.resident_id],
            "kinds": [(k, _(v)) for k, v in relatives.KINDS.items()], "relative_values": values or {"relative": "", "kind": "", "source": ""},
            "relative_errors": errors or {}, "can_declare_relatives": bool(candidate.resident_id) and election.status != "closed"}


@view
def candidate_relatives(request: Request):
    from civic.elections.views import own_candidacy
    from civic.markdown import render_markdown

    session = db(request)
    election, community, candidate, who = own_candidacy(request, relatives.DECLARE)
    data = form(request)
    values = {"relative": (data.get("relative") or "")[:20], "kind": (data.get("kind") or "")[:30], "source": (data.get("source") or "")[:400]}
    errors: dict[str, str] = {}
    relative = _resident(session, community, values["relative"])
    if relative is None:
        errors["relative"] = _("Search the residents and choose your relative.")
    if values["kind"] not in relatives.KINDS:
        errors["rkind"] = _("Choose how the two are related.")
    if not errors:
        try:
            relatives.declare_own(session, who, election, community, candidate, relative, values["kind"], values["source"])
            return redirect(f"/elections/{election.public_id}/candidates/{candidate.public_id}/statement?done=relative#relatives")
        except DomainError as error:
            _refusal(session, error)
            errors["relative" if error.field in ("a", "b") else ("rsource" if error.field == "source" else "rform")] = error.message
    context = base(election, community, candidate=candidate, value=candidate.statement, errors={}, preview=render_markdown(candidate.statement),
                   done="", **own_relatives_context(request, election, community, candidate, values, errors))
    if relative is not None and relative not in context["relative_results"]:
        context["relative_results"] = [relative, *context["relative_results"]]
    return render(request, "elections/statement.html", context, status=422)


# --------------------------------------------------------------------------------------------------
# the online voting window
# --------------------------------------------------------------------------------------------------


def window_context(request: Request, election, community, **extra) -> dict:
    context = base(election, community, values={"enabled": election.online_enabled, "opens": window.local_value(election.online_opens_at),
                                                "closes": window.local_value(election.online_closes_at)},
                   errors={}, done=done_message(request, DONE), manage=can(actor(request), MANAGE, community),
                   editable=election.status in window.BEFORE_POLLING,
                   rules_allow=bool(queries.config_of(election).get("elections.online_voting", True)),
                   days_before=int(queries.config_of(election).get("elections.online_days_before", 0)))
    context.update(extra)
    return context


@view
def online_window(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, VIEW, community)
    if request.method == "GET":
        return render(request, "elections/online_window.html", window_context(request, election, community))
    ensure_permission(who, MANAGE, community)
    data = form(request)
    values = {"enabled": data.get("enabled") == "1", "opens": (data.get("opens") or "")[:30], "closes": (data.get("closes") or "")[:30]}
    errors: dict[str, str] = {}
    moments = {}
    for key in ("opens", "closes"):
        try:
            moments[key] = window.parse_local(values[key])
        except ValueError:
            errors[key] = _("Enter a date and time, such as 2026-06-13 07:00.")
    status = 422
    if not errors:
        try:
            window.set_online_window(session, who, election, community, values["enabled"], moments["opens"], moments["closes"])
            return redirect(manage_url(election, "online") + "?done=window")
        except window.WindowInvalid as error:
            session.rollback()
            errors = error.errors
        except DomainError as error:
            _refusal(session, error)
            errors["form"] = error.message
            status = error.status
    session.refresh(election)
    return render(request, "elections/online_window.html", window_context(request, election, community, values=values, errors=errors),
                  status=status)


routes = [
    Route("/{eid}/relatives", relatives_page, methods=["GET", "POST"], name="relatives"),
    Route("/{eid}/relatives/{rid:int}/remove", remove_relation, methods=["POST"], name="remove_relation"),
    Route("/{eid}/online", online_window, methods=["GET", "POST"], name="online_window"),
]

public_routes = [
    Route("/{eid}/candidates/{cid}/relatives", candidate_relatives, methods=["POST"], name="candidate_relatives"),
]
