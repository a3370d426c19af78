"""Public pages of the notice board: per-community board with search, a notice, its history, the printable
A4 notice, the schedule calendar, objections and questions, attachments, the Atom feed and open data."""
from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json

import qrcode
import qrcode.image.svg
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from civic.disclosure import queries, rules, services
from civic.disclosure.models import Disclosure
from civic.errors import DomainError, NotFound
from civic.i18n import _
from civic.registry import queries as registry
from civic.security import can
from civic.templating import Lazy, is_htmx, render
from civic.uploads import download_headers, path_of
from civic.web import actor, db, form, redirect, view


# --- parsing helpers ---------------------------------------------------------------------------------

def int_param(request: Request, name: str, default: int | None = None, low: int = 1, high: int = 10_000) -> int | None:
    raw = request.query_params.get(name, "")
    if not raw.isdecimal() or len(raw) > 6:
        return default
    value = int(raw)
    return value if low <= value <= high else default


def community_param(request: Request, required: bool = True):
    code = request.query_params.get("community", "").strip()
    if not code:
        if required:
            raise NotFound(_("Choose a community."))
        return None
    community = registry.community_by_code(db(request), code[:40])
    if community is None:
        raise NotFound(_("No such community."))
    return community


def public_item(request: Request) -> Disclosure:
    """A notice the public may see (published, its day reached), with community and versions loaded."""
    item = queries.load_item(db(request), request.path_params["item_id"])
    if item is None or item.published_on is None or item.published_on > queries.local_today():
        raise NotFound(_("No such notice."))
    return item


def qr_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=6, border=2)
    out = io.BytesIO()
    image.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


# --- the board -------------------------------------------------------------------------------------------

@view
def index(request: Request):
    actor(request)  # the header (name, notifications) and the staff link are the signed-in reader's
    community = community_param(request, required=False)
    today = queries.local_today()
    if community is None:
        return render(request, "disclosure/index.html", {  # the summaries read only if the cached list is rendered
            "communities": registry.communities_overview(db(request)), "today": today,
            "summaries": Lazy(lambda: queries.community_summaries(db(request), today)),
        })
    cats = queries.categories(db(request))
    category = request.query_params.get("category", "")
    category = category if category in cats else ""
    year = int_param(request, "year", None, 2000, 2100)
    q = request.query_params.get("q", "").strip()[:100]
    number = int_param(request, "page", 1) or 1
    # Loaded only if a cached part of the board has to be rendered (templates/disclosure/board.html).
    page = Lazy(lambda: queries.board(db(request), community, today=today, category=category, year=year, q=q, page=number))
    return render(request, "disclosure/board.html", {
        "community": community, "board": page, "categories": cats, "category": category, "year": year, "q": q, "today": today,
        "statuses": Lazy(lambda: {i.id: queries.status_of(i, today, page.pending.get(i.id, 0)) for i in page.items}),
    }, block="results")


# --- one notice -------------------------------------------------------------------------------------------

def item_context(request: Request, item: Disclosure, **extra) -> dict:
    session, who, today = db(request), actor(request), queries.local_today()
    cats = queries.categories(session)
    current = queries.current_version(item)
    feedback = queries.feedback_of(session, item.id)
    pending = sum(1 for f in feedback if f.kind == "objection" and f.answered_at is None)
    mine = [f for f in feedback if who.authenticated and f.author_id == who.user.id]
    r = services.rules_for(session, item.community, item)
    ctx = {
        "item": item, "community": item.community, "category": cats[item.category], "version": current,
        "shown": queries.render_version(current, cats[item.category].names),
        "status": queries.status_of(item, today, pending), "pending": pending, "today": today,
        "answered": [f for f in feedback if f.answered_at is not None],
        "waiting": sum(1 for f in feedback if f.answered_at is None), "mine": mine,
        "extensions": queries.extensions_of(session, item.id), "versions": queries.sealed_versions(item),
        "may_object": rules.may_object(published_on=item.published_on, today=today, notice_ends_on=item.notice_ends_on,
                                       withdrawn=item.withdrawn_on is not None),
        "can_file": can(who, services.FEEDBACK, item.community), "staff": can(who, services.FULL_DATA, item.community),
        "earliest_takedown": rules.earliest_takedown(item.display_from or item.published_on, int(r["disclosure.min_display_days"]), item.notice_ends_on),
        "errors": {}, "values": {"kind": "objection" if item.notice_ends_on and item.notice_ends_on >= today else "question", "text": ""},
    }
    ctx.update(extra)
    return ctx


@view(waits=True)  # the reading that finds the process's counts due writes them (services.ReadCounts)
def item_page(request: Request):
    item = public_item(request)
    response = render(request, "disclosure/item.html", item_context(request, item), block="feedback")
    if not is_htmx(request):
        services.read_counts(request.app.state.write_sessions).add(item.id)
        response.headers["Cache-Control"] = "no-store"  # every reading counts: never answered from the page cache
    return response


@view
def file_feedback(request: Request):
    item_id = request.path_params["item_id"]
    data = form(request)
    kind, text = str(data.get("kind", "")), str(data.get("text", ""))
    try:
        feedback = services.file_feedback(db(request), actor(request), item_id, kind, text)
    except DomainError as error:
        if error.status in (401, 403, 404):
            raise
        db(request).rollback()
        item = public_item(request)
        ctx = item_context(request, item, errors={error.field or "text": error.message}, values={"kind": kind, "text": text})
        return render(request, "disclosure/item.html", ctx, block="feedback", status=422)
    return redirect(f"/disclosure/d/{item_id}?sent={feedback.kind}#my-feedback")


@view
def history(request: Request):
    item = public_item(request)
    cats = queries.categories(db(request))
    names = cats[item.category].names
    renditions = [queries.render_version(v, names) for v in queries.sealed_versions(item)]
    changes = []
    previous: list[str] = []
    for rendition in renditions:
        changes.append((rendition, rules.diff_lines(previous, rendition.lines)))
        previous = rendition.lines
    return render(request, "disclosure/history.html", {"item": item, "community": item.community, "changes": list(reversed(changes))})


@view
def print_view(request: Request):
    item = public_item(request)
    cats = queries.categories(db(request))
    url = str(request.base_url).rstrip("/") + f"/disclosure/d/{item.id}"
    return render(request, "disclosure/print.html", {
        "item": item, "community": item.community, "category": cats[item.category],
        "shown": queries.render_version(queries.current_version(item), cats[item.category].names),
        "url": url, "qr": qr_data_uri(url),
    })


@view
def item_json(request: Request):
    item = public_item(request)
    cats = queries.categories(db(request))
    shown = queries.render_version(queries.current_version(item), cats[item.category].names)
    today = queries.local_today()
    feedback = queries.feedback_of(db(request), item.id)
    pending = sum(1 for f in feedback if f.kind == "objection" and f.answered_at is None)
    return JSONResponse({
        "id": item.id, "community": item.community.code, "category": item.category, "number": item.number, "year": item.year,
        "title": shown.title, "body_markdown": rules.scrub_text(shown.version.body),
        "table": shown.table.to_json() if shown.table else None,
        "published_on": item.published_on.isoformat(), "notice_ends_on": item.notice_ends_on.isoformat() if item.notice_ends_on else None,
        "status": queries.status_of(item, today, pending), "version": shown.version.number, "version_hash": shown.version.hash,
        "attachments": [{"title": a.title, "name": a.original_name, "sha256": a.sha256, "url": f"/disclosure/files/{a.id}"} for a in shown.attachments],
        "answered": [{"kind": f.kind, "text": rules.scrub_text(f.text), "answer": f.answer, "outcome": f.outcome} for f in feedback if f.answered_at],
        "read_count": item.read_count,
    })


@view
def table_csv(request: Request):
    item = public_item(request)
    cats = queries.categories(db(request))
    shown = queries.render_version(queries.current_version(item), cats[item.category].names)
    if shown.table is None:
        raise NotFound(_("This notice has no table."))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(shown.table.columns)
    writer.writerows(shown.table.rows)
    # A byte-order mark so that Excel opens the Chinese text correctly.
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="disclosure-{item.id}.csv"'})


@view
def attachment(request: Request):
    found = queries.attachment_with_item(db(request), request.path_params["attachment_id"])
    if found is None:
        raise NotFound(_("No such file."))
    file, version, item = found
    community = registry.community_by_id(db(request), item.community_id)
    is_public = (file.public and version.state == "sealed" and item.published_on is not None and item.published_on <= queries.local_today())
    if not is_public:
        from civic.security import ensure_permission

        try:
            ensure_permission(actor(request), services.FULL_DATA, community)
        except DomainError:
            raise NotFound(_("No such file.")) from None  # do not reveal that an internal file exists
    path = path_of(request.app.state.settings.data_dir, file.storage_name)
    if not path.exists():
        raise NotFound(_("The file is missing from storage; tell the community office."))
    return FileResponse(path, media_type=file.media_type, headers=download_headers(file.original_name))


# --- calendar, feed, open data ------------------------------------------------------------------------------

@view
def calendar(request: Request):
    community = community_param(request)
    today = queries.local_today()
    year = int_param(request, "year", today.year, 2000, 2100)
    rows = queries.calendar(db(request), community, year, today)
    counts: dict[str, int] = {}
    for row in rows:
        for cell in row.cells:
            counts[cell.status] = counts.get(cell.status, 0) + 1
    return render(request, "disclosure/calendar.html", {
        "community": community, "year": year, "rows": rows, "counts": counts, "today": today,
        "categories": queries.categories(db(request)),
    })


@view
def feed(request: Request):
    community = community_param(request)
    today = queries.local_today()
    page = queries.board(db(request), community, today=today, page_size=50)
    base = str(request.base_url).rstrip("/")
    body = request.app.state.templates.get_template("disclosure/feed.xml").render(
        community=community, items=page.items, base=base, updated=max((i.published_on for i in page.items), default=today),
        categories=queries.categories(db(request)),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _open_rows(request: Request):
    community = community_param(request)
    year = int_param(request, "year", None, 2000, 2100)
    return community, queries.open_data_rows(db(request), community, queries.local_today(), year)


@view(export=True)
def data_json(request: Request):
    community, rows = _open_rows(request)
    for row in rows:
        row["url"] = f"/disclosure/d/{row['id']}"
    return JSONResponse({"community": community.code, "name": community.name, "items": rows,
                         "licence": "public notice of a residents' committee (居务公开)"})


@view(export=True)
def data_csv(request: Request):
    community, rows = _open_rows(request)
    out = io.StringIO()
    fields = ["id", "year", "number", "category", "title", "published_on", "notice_ends_on", "status", "withdrawn_on", "read_count"]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="disclosure-{community.code}.csv"'})


routes = [
    Route("/", index, name="index"),
    Route("/calendar", calendar, name="calendar"),
    Route("/feed.atom", feed, name="feed"),
    Route("/data.json", data_json, name="data_json"),
    Route("/data.csv", data_csv, name="data_csv"),
    Route("/d/{item_id:int}", item_page, name="item"),
    Route("/d/{item_id:int}.json", item_json, name="item_json"),
    Route("/d/{item_id:int}/table.csv", table_csv, name="table_csv"),
    Route("/d/{item_id:int}/history", history, name="history"),
    Route("/d/{item_id:int}/print", print_view, name="print"),
    Route("/d/{item_id:int}/feedback", file_feedback, methods=["POST"], name="feedback"),
    Route("/files/{attachment_id:int}", attachment, name="file"),
]
