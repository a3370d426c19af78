"""Public pages of the elections module: elections per community, an election's page, objections,
nominations, the online ballot with its confirmation step and receipt, results, the printable
announcement and ballot, and the public board (board.json, head, tracking-code lookup)."""
from __future__ import annotations

import logging
import re
from types import SimpleNamespace

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from civic import loopdb
from civic.elections import castqueue, charts, forms, messages, nominations as nominations_service, polling, queries, roll
from civic.elections.models import Candidate, Election, Round
from civic.elections.setup import board_rules
from civic.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from civic.i18n import N_, _
from civic.markdown import render_markdown
from civic.registry import queries as registry_queries
from civic.registry.models import Community
from civic.security import Actor, actor_on_loop, can, ensure_permission
from civic.templating import Lazy, Variant, render
from civic.web import actor, db, form, form_data, redirect, run_view, view

from civic.elections.admin import CSS, admin_routes, base, done_message, election_url, load_election, load_round  # noqa: F401 (admin_routes: the manifest)

TRACKING = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
DONE = {
    "objection": N_("Your objection was filed. The election committee decides within 3 days and gives its reason."),
    "nominated": N_("Your nomination was started and you signed it first. Ask other voters to sign it."),
    "signed": N_("You signed the nomination."),
    "accepted": N_("You accepted the nomination."),
    "declined": N_("You declined the nomination."),
    "statement": N_("The statement was saved."),
}


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


logger = logging.getLogger("civic.elections")

def _entry_of(request: Request, election: Election, who: Actor):
    if who.resident is None or who.resident.community_id != election.community_id:
        return None
    return roll.entry_for(db(request), election, who.resident.id)


# --------------------------------------------------------------------------------------------------
# index and election page
# --------------------------------------------------------------------------------------------------


@view
def index(request: Request):
    session = db(request)
    code = request.query_params.get("community", "")
    community = registry_queries.community_by_code(session, code) if code else None
    if code and community is None:
        raise NotFound(_("No such community."))
    who = actor(request)
    if community is None and who.community_id and not code:
        community = registry_queries.community_by_id(session, who.community_id)
    elections = queries.elections_of(session, community) if community else []
    return render(request, "elections/index.html", {
        "communities": registry_queries.communities_overview(session), "community": community, "elections": elections,
        "status_label": messages.status_label, "css": CSS,
    })


@view
def election_page(request: Request):
    """The shared parts of the page are cached fragments (see templates/elections/election.html): their data
    is loaded lazily, on a miss only; what differs per reader comes from `Reader`, rendered per request."""
    from civic import clock
    from civic.security import can

    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    me = Reader(session, election, who)
    published = election.status != "setup"

    def top() -> SimpleNamespace:
        rounds = queries.rounds(session, election)
        return SimpleNamespace(rounds=rounds, open_round=next((r for r in rounds if r.status == "open"), None),
                               sections=queries.sections(session, election),
                               roll_summary=queries.roll_summary(session, election) if published else None,
                               **_recall_context(session, election))

    def lists() -> SimpleNamespace:
        noms = queries.nominations(session, election) if published else []
        by_section = queries.candidates_by_section(session, election)
        return SimpleNamespace(nominations=noms, threshold=noms[0]["threshold"] if noms else None, by_section=by_section,
                               candidates_listed=any(c for _s, cs in by_section for c in cs),
                               proxies=queries.proxies(session, election) if published else [])

    return render(request, "elections/election.html", base(
        election, community, schedule=queries.schedule(election), today=clock.today(), published=published,
        who=who, me=me, entry=me.entry, top=Lazy(top), lists=Lazy(lists), markdown=render_markdown,
        online_open=polling.online_window_open(election), can_manage=can(who, "elections:election:view_admin", community),
        done=done_message(request, DONE), personalize=_personalize(election, me),
    ))


class Reader:
    """Who reads the election page, as far as the page differs for them: their entry on the voter list
    (loaded at once: the page shows it), whether they voted in a round, the nominations they signed and their
    objections (each loaded on first use). Used by the template and by `_personalize`."""

    def __init__(self, session, election: Election, who: Actor):
        self.session, self.election = session, election
        self.authenticated = who.authenticated
        self.resident_id = who.resident.id if who.resident is not None else None
        self.user_id = who.user_id
        here = who.resident is not None and who.resident.community_id == election.community_id
        self.entry = roll.entry_for(session, election, who.resident.id) if here else None
        self.listed = bool(self.entry and self.entry.listed)
        self.can_sign = self.listed and election.status in ("roll", "nomination")
        self._voted: dict[int, bool] = {}
        self._signed: set[int] | None = None
        self._objections: list | None = None

    def voted(self, round_id: int) -> bool:
        if round_id not in self._voted:
            self._voted[round_id] = polling.has_voted(self.session, SimpleNamespace(id=round_id), self.entry) if self.entry else False
        return self._voted[round_id]

    def signed(self) -> set[int]:
        if self._signed is None:
            self._signed = queries.signed_by(self.session, self.election, self.entry)
        return self._signed

    def objections(self) -> list:
        if self._objections is None:
            self._objections = queries.my_objections(self.session, self.election, self.user_id)
        return self._objections


def _personalize(election: Election, me: Reader):
    """The holes of the cached parts (templates/elections/_reader.html) for this reader. A neutral reader's
    rendering is an anonymous reader's, so an anonymous page keeps it all; for the others each hole is a
    `Variant` keyed by what the macro reads of the reader (voted, listed, signed, is the nominee…), rendered
    once per cached part and state, not per page."""
    def personalize(holes: list, context) -> dict | None:
        if not me.authenticated:
            return None
        out = {}
        for number, (kind, args) in enumerate(holes):
            state = _reader_state(kind, args, me)
            if state is not None:
                out[number] = Variant(state, _hole_renderer(context, election, kind, args, me))
        return out

    return personalize


def _reader_state(kind: str, args: tuple, me: Reader) -> tuple | None:
    """What the hole's macro shows depends on, for this reader; None where they see the neutral rendering."""
    if kind == "vote":
        return (me.voted(args[0]), me.listed)
    if kind == "recall":
        return ("listed",) if me.listed else None
    if kind == "nominate":
        return (me.can_sign,) if me.listed else None
    if kind == "nomination":
        own = bool(me.resident_id) and args[3] == me.resident_id
        if not me.can_sign and not own:
            return None
        return (me.can_sign, me.can_sign and args[0] in me.signed(), own)
    if kind == "statement":
        return ("own",) if me.resident_id and args[0] == me.resident_id else None
    raise ValueError(f"unknown hole {kind!r}")


def _hole_renderer(context, election: Election, kind: str, args: tuple, me: Reader):
    def render():
        module = context.environment.get_template("elections/_reader.html").make_module(context.get_all())
        macro = {"vote": module.vote_notice, "recall": module.recall_button, "nominate": module.nominate_button,
                 "nomination": module.nomination_actions, "statement": module.statement_link}[kind]
        return macro(election, *args, me)

    return render


def _recall_context(session, election: Election) -> dict:
    """What the election page shows of recalls and by-elections: the members still seated, vacancies and
    by-elections of a completed election; the request behind a recall vote; the election a by-election completes."""
    from civic.elections import byelection, recall

    parent = session.get(Election, election.parent_id) if election.parent_id else None
    closed = election.status == "closed" and election.purpose != "recall"
    return {
        "parent": parent, "recall_request": recall.request_for_vote(session, election) if election.purpose == "recall" else None,
        "members": recall.sitting_members(session, election) if closed else [],
        "vacancies": byelection.vacancies_of(session, election) if closed else [],
        "by_elections": {e.id: e for e in byelection.by_elections_of(session, election)} if closed else {},
        "recalls": recall.requests_against(session, election) if closed else [],
    }


# --------------------------------------------------------------------------------------------------
# objections and nominations
# --------------------------------------------------------------------------------------------------


@view
def objection_form(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:objection:file", community)
    values = {"kind": "missing", "subject": "me" if who.resident else "", "reason": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = form(request)
        values = {"kind": data.get("kind", ""), "subject": data.get("subject", ""), "reason": (data.get("reason") or "")[:2000]}
        subject = None
        if values["subject"] == "me" and who.resident and who.resident.community_id == community.id:
            subject = who.resident
        else:
            resident_id = forms.to_int(values["subject"], None, low=1)
            if resident_id is not None:
                try:
                    subject = queries.resident_in(session, community, resident_id)
                except NotFound:
                    subject = None
        if subject is None:
            errors["subject"] = _("Choose whom the objection is about: yourself, or a resident found by the search.")
        else:
            try:
                roll.file_objection(session, who, election, community, kind=values["kind"], subject=subject, reason=values["reason"])
                return redirect(election_url(election) + "?done=objection#roll")
            except Invalid as error:
                session.rollback()
                errors[error.field or "form"] = error.message
        status = 422
    q = request.query_params.get("q", "")
    return render(request, "elections/objection.html", base(
        election, community, values=values, errors=errors, q=q, results=queries.search_residents(session, community, q), who=who,
    ), block="results", status=status)


@view
def nominate_form(request: Request):
    session = db(request)
    election, community = load_election(request)
    who = actor(request)
    ensure_permission(who, "elections:nomination:sign", community)
    sections = queries.sections(session, election)
    values = {"section": str(sections[0].id) if sections else "", "nominee": "", "statement": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = form(request)
        values, section, nominee, missing = queries.nomination_choice(session, election, community, data, sections)
        if "section" in missing:
            errors["section"] = _("Choose the office.")
        if "nominee" in missing:
            errors["nominee"] = _("Search the voter list and choose the person you nominate.")
        if not errors:
            try:
                nominations_service.start_joint_nomination(session, who, election, community, section, nominee, values["statement"])
                return redirect(election_url(election) + "?done=nominated#nominations")
            except Invalid as error:
                session.rollback()
                errors[error.field if error.field in ("nominee", "section", "statement") else "form"] = error.message
        status = 422
    q = request.query_params.get("q", "")
    results, total = queries.search_roll(session, election, q) if q else ([], 0)
    return render(request, "elections/nominate.html", base(
        election, community, sections=sections, values=values, errors=errors, q=q, results=results, total=total,
    ), block="results", status=status)


@view
def sign_nomination(request: Request):
    session = db(request)
    election, community = load_election(request)
    nomination = nominations_service.get_nomination(session, election, forms.to_int(request.path_params["nid"], 0))
    nominations_service.sign(session, actor(request), election, community, nomination)
    return redirect(election_url(election) + "?done=signed#nominations")


@view
def answer_nomination(request: Request):
    session = db(request)
    election, community = load_election(request)
    nomination = nominations_service.get_nomination(session, election, forms.to_int(request.path_params["nid"], 0))
    accept = form(request).get("accept") == "1"
    nominations_service.answer_nomination(session, actor(request), election, community, nomination, accept)
    return redirect(election_url(election) + ("?done=accepted" if accept else "?done=declined") + "#nominations")


def _candidate(request: Request, election: Election) -> Candidate:
    from sqlalchemy import select

    row = db(request).execute(select(Candidate).where(Candidate.election_id == election.id,
                                                      Candidate.public_id == request.path_params["cid"])).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such candidate."))
    return row


def own_candidacy(request: Request, staff_permission: str) -> tuple[Election, Community, Candidate, Actor]:
    """A candidate's own pages (statement, relatives): the candidate themself, or staff holding `staff_permission`."""
    election, community = load_election(request)
    candidate = _candidate(request, election)
    who = actor(request)
    if who.resident is None or who.resident.id != candidate.resident_id:
        ensure_permission(who, staff_permission, community)
    return election, community, candidate, who


@view
def statement_form(request: Request):
    session = db(request)
    election, community, candidate, who = own_candidacy(request, "elections:election:manage")
    errors: dict[str, str] = {}
    value = candidate.statement
    if request.method == "POST":
        value = (form(request).get("statement") or "")[:4000]
        try:
            nominations_service.update_statement(session, who, election, community, candidate, value)
            return redirect(election_url(election) + "?done=statement#candidates")
        except DomainError as error:
            session.rollback()
            errors["statement"] = error.message
    from civic.elections.admin_extra import DONE as EXTRA_DONE, own_relatives_context

    return render(request, "elections/statement.html", base(election, community, candidate=candidate, value=value, errors=errors,
                                                            preview=render_markdown(value), done=done_message(request, EXTRA_DONE),
                                                            **own_relatives_context(request, election, community, candidate)),
                  status=422 if errors else 200)


# --------------------------------------------------------------------------------------------------
# the online ballot
# --------------------------------------------------------------------------------------------------


def _ballot_barrier(request: Request, election: Election, community: Community, round_: Round, who: Actor) -> str | None:
    """Why this voter cannot vote online now, or None."""
    session = db(request)
    if not election.online_enabled:
        return _("Online voting is not used in this election; vote at your polling station.")
    if round_.status != "open":
        return _("Voting in this round is closed.")
    if not polling.online_window_open(election):
        return _("Online voting is not open now.")
    entry = _entry_of(request, election, who)
    if entry is None or not entry.listed:
        return _("You are not on the voter list of this election.")
    if polling.has_voted(session, round_, entry):
        return _("You have already voted in this round. Each voter has one ballot.")
    from sqlalchemy import func, select

    from civic.elections.models import Proxy

    if session.scalar(select(func.count()).select_from(Proxy).where(Proxy.election_id == election.id, Proxy.principal_roll_id == entry.id)):
        return _("You authorised a proxy for this election, so your proxy votes for you at the polling station.")
    return None


def _ballot_context(election, community, round_, **extra) -> dict:
    sections = polling.sections_of(round_)
    return base(election, community, round=round_, sections=sections, **extra)


async def ballot(request: Request):
    if request.method == "POST" and (await form_data(request)).get("action") == "confirm":
        return await _confirm_ballot(request)
    return await _ballot_form(request)


@view(writes=False)
def _ballot_form(request: Request):
    """The ballot, the review of a filled-in ballot, or the form again with its problems."""
    session = db(request)
    election, community = load_election(request)
    round_ = load_round(request, election)
    who = actor(request)
    ensure_permission(who, "elections:ballot:cast", community)
    data = form(request)
    action = data.get("action", "review") if request.method == "POST" else ""
    barrier = _ballot_barrier(request, election, community, round_, who)
    if barrier:
        return render(request, "elections/ballot_closed.html", base(election, community, round=round_, message=barrier),
                      status=200 if request.method == "GET" else 409)
    sections = polling.sections_of(round_)
    if request.method == "GET":
        return render(request, "elections/ballot.html", _ballot_context(election, community, round_, choices={}, problems={}))
    ballot_, choices = forms.ballot_from_form(data, sections)
    problems = polling.ballot_problems(polling.complete(ballot_, sections), sections)
    if problems or action == "change":
        return render(request, "elections/ballot.html", _ballot_context(election, community, round_, choices=choices, problems=problems),
                      status=422 if problems else 200)
    names = {c["id"]: c["name"] for s in sections for c in s["candidates"]}
    return render(request, "elections/ballot_review.html", _ballot_context(
        election, community, round_, ballot=ballot_, choices=choices, names=names))


async def _confirm_ballot(request: Request):
    """The confirmed ballot: polling day's hot path. A clean cast is checked with the loop's own reads
    (`_checked_cast_on_loop`: the voter, and the facts of one query, polling.cast_facts); anything else by
    `_checked_cast`, on the event loop too, which answers it. The cast then waits on the event loop for the
    group-commit writer (castqueue), so no thread is held while it is written; the pages are loaded only to
    show a problem."""
    request.state.read_only = True
    cast = await _checked_cast_on_loop(request) or await run_view(_checked_cast, request, on_loop=True)
    if not isinstance(cast, castqueue.Cast):
        return cast  # the page telling what is wrong with it
    outcome = await castqueue.for_sessions(request.app.state.write_sessions).wait(cast)
    if outcome == "ok":
        return redirect(f"/elections/{request.path_params['eid']}/rounds/{request.path_params['n']}/receipt?code={cast.tracking_code}")
    return await run_view(_cast_refused, request, outcome, page=True)


async def _checked_cast_on_loop(request: Request) -> castqueue.Cast | None:
    """A ballot that passes every check, checked with reads awaited on the event loop (civic.loopdb, opened by
    the app's lifespan: no session, no thread); None for anything else — a problem to show, assisted voting, no
    loop reads (no lifespan) — which `_checked_cast` then checks and answers as before."""
    reads = getattr(request.app.state, "loop_reads", None)
    number = forms.to_int(request.path_params.get("n"), None, low=1, high=1000)
    if reads is None or number is None:
        return None
    try:
        async with reads.connection() as connection:
            who, values = await actor_on_loop(request, connection, polling.cast_facts_along(),
                                              {"public_id": request.path_params["eid"], "number": number})
            facts = polling.cast_facts_from(values) if who is not None else None
    except loopdb.FAILURES:
        logger.warning("a ballot's checks on the event loop failed; checking it the usual way", exc_info=True)
        return None
    if facts is None:
        return None
    sections = polling.sections_of(facts.round)
    ballot_, _choices = forms.ballot_from_form(form(request), sections)
    try:
        return polling.prepare_cast(who, facts, ballot_, sections)  # the permission included
    except (polling.BallotInvalid, Conflict, Forbidden):
        return None


def _checked_cast(request: Request):
    """The cast of a confirmed ballot, checked and ready for the writer; or the page saying why it is not."""
    session = db(request)
    who = actor(request)
    number = forms.to_int(request.path_params.get("n"), None, low=1, high=1000)
    facts = polling.cast_facts(session, request.path_params["eid"], number, who) if number is not None else None
    if facts is None:
        load_round(request, load_election(request)[0])  # answers "no such election / round"
        raise NotFound(_("No such round."))
    ensure_permission(who, "elections:ballot:cast", facts.community)
    sections = polling.sections_of(facts.round)
    ballot_, choices = forms.ballot_from_form(form(request), sections)
    try:
        return polling.prepare_cast(who, facts, ballot_, sections)
    except polling.BallotInvalid as error:
        session.rollback()
        election, community = load_election(request)
        round_ = load_round(request, election)
        return render(request, "elections/ballot.html", _ballot_context(election, community, round_, choices=choices, problems=error.problems),
                      status=422)
    except (Conflict, Forbidden) as error:
        session.rollback()
        return _ballot_refused(request, error.message)


def _cast_refused(request: Request, outcome: str):
    """The page for a cast the writer did not store (a second ballot, a round closed meanwhile, a failure)."""
    return _ballot_refused(request, polling.refusal(outcome))


def _ballot_refused(request: Request, message: str):
    election, community = load_election(request)
    round_ = load_round(request, election)
    return render(request, "elections/ballot_closed.html", base(election, community, round=round_, message=message), status=409)


@view
def receipt(request: Request):
    session = db(request)
    election, community = load_election(request)
    round_ = load_round(request, election)
    code = (request.query_params.get("code") or "").strip().upper()
    if not TRACKING.match(code) or not queries.on_board(session, round_, code):
        raise NotFound(_("No ballot with this tracking code."))
    return render(request, "elections/receipt.html", base(election, community, round=round_, code=code))


@view
def track(request: Request):
    session = db(request)
    election, community = load_election(request)
    round_ = load_round(request, election)
    code = (request.query_params.get("code") or "").strip().upper()[:20]
    found = None
    if code:
        found = bool(TRACKING.match(code)) and queries.on_board(session, round_, code)
    return render(request, "elections/track.html", base(election, community, round=round_, code=code, found=found), block="answer")


@view
def head(request: Request):
    election, _community = load_election(request)
    round_ = load_round(request, election)
    return JSONResponse({"count": round_.entries, "head": round_.head}, headers={"Cache-Control": "no-store"})


@view(export=True)
def board_json(request: Request):
    election, _community = load_election(request)
    round_ = load_round(request, election)
    if not round_.board:
        raise NotFound(_("The board is published when the round is closed."))
    return Response(round_.board.encode("utf-8"), media_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{election.public_id}-round-{round_.number}.json"'})


# --------------------------------------------------------------------------------------------------
# results, announcement, printable ballot
# --------------------------------------------------------------------------------------------------


def results_context(request: Request, election: Election, community: Community, round_: Round) -> dict:
    view_ = queries.result_view(db(request), election, round_)
    charts_ = {}
    if view_:
        rules_ = board_rules(election)
        runoff = round_.number >= 2
        need = charts.votes_needed(view_["returned"], rules_["runoff_win" if runoff else "win"], strictly_more=not runoff)
        for section in view_["sections"]:
            rows = [{"label": r["name"], "value": r["votes"], "state": r["state"]} for r in section["rows"]]
            description = "；".join(f"{r['name']} {r['votes']}" for r in section["rows"])
            charts_[section["id"]] = charts.bar_chart(
                f"chart-{section['id']}", _("Votes for %(office)s", office=section["title"]), description, rows, view_["returned"],
                threshold=need if view_["valid"] else None, threshold_label=_("%(n)s votes needed", n=need))
        view_["need"] = need
    return base(election, community, round=round_, view=view_, charts=charts_, rounds=queries.rounds(db(request), election),
                turnout=queries.turnout_so_far(db(request), round_))


@view
def results(request: Request):
    election, community = load_election(request)
    round_ = load_round(request, election)
    return render(request, "elections/results.html", results_context(request, election, community, round_))


@view
def announcement(request: Request):
    election, community = load_election(request)
    round_ = load_round(request, election)
    if round_.status != "published":
        raise Conflict(_("The results announcement is printed once the count record is signed and the results published."))
    context = results_context(request, election, community, round_)
    return render(request, "elections/announcement.html", context)


@view
def paper_ballot(request: Request):
    election, community = load_election(request)
    round_ = load_round(request, election)
    return render(request, "elections/paper_ballot.html", _ballot_context(election, community, round_))


def seed(db, demo) -> None:
    """Demo data for this module (none yet)."""


routes = [
    Route("/", index, name="index"),
    Route("/{eid}", election_page, name="election"),
    Route("/{eid}/objection", objection_form, methods=["GET", "POST"], name="objection"),
    Route("/{eid}/nominate", nominate_form, methods=["GET", "POST"], name="nominate"),
    Route("/{eid}/nominations/{nid:int}/sign", sign_nomination, methods=["POST"], name="sign"),
    Route("/{eid}/nominations/{nid:int}/answer", answer_nomination, methods=["POST"], name="answer"),
    Route("/{eid}/candidates/{cid}/statement", statement_form, methods=["GET", "POST"], name="statement"),
    Route("/{eid}/rounds/{n}", results, name="results"),
    Route("/{eid}/rounds/{n}/ballot", ballot, methods=["GET", "POST"], name="ballot"),
    Route("/{eid}/rounds/{n}/receipt", receipt, name="receipt"),
    Route("/{eid}/rounds/{n}/track", track, name="track"),
    Route("/{eid}/rounds/{n}/head", head, name="head"),
    Route("/{eid}/rounds/{n}/board.json", board_json, name="board"),
    Route("/{eid}/rounds/{n}/announcement", announcement, name="announcement"),
    Route("/{eid}/rounds/{n}/paper-ballot", paper_ballot, name="paper_ballot"),
]

# Recall requests and by-elections (their own module); listed first so "/recalls/…" is not read as an election id.
from civic.elections import recall_views  # noqa: E402

routes = recall_views.routes + routes
admin_routes = recall_views.admin_routes + admin_routes
