"""Community pages (public) and the resident registry (staff)."""
from __future__ import annotations

import base64
import io
import json

import qrcode
import qrcode.image.svg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from civic import paging
from civic.errors import Invalid, NotFound
from civic.i18n import _, get_locale
from civic.registry import queries, services
from civic.registry.models import Resident
from civic.security import ensure_permission
from civic.templating import render
from civic.web import actor, db, form, redirect, view


def _community(request: Request):
    community = queries.community_by_code(db(request), request.path_params["code"])
    if community is None:
        raise NotFound(_("No such community."))
    return community


@view
def index(request: Request):
    return render(request, "registry/index.html", {"communities": queries.communities_overview(db(request), residents=True)})


@view
def community_page(request: Request):
    community = _community(request)
    return render(request, "registry/community.html", {
        "community": community, "stats": queries.community_stats(db(request), community),
        "groups": queries.groups(db(request), community),
    })


@view
def residents(request: Request):
    community = _community(request)
    ensure_permission(actor(request), "registry:residents:view", community)
    q = request.query_params.get("q", "")
    rows, total, page, pages = queries.residents_page(db(request), community, q, paging.requested(request))
    return render(request, "registry/residents.html", {
        "community": community, "rows": rows, "total": total, "q": q, "page": page, "pages": pages,
    }, block="results")


def _resident(request: Request) -> Resident:
    resident = db(request).get(Resident, int(request.path_params["resident_id"]))
    if resident is None:
        raise NotFound(_("No such resident."))
    return resident


@view
def resident_detail(request: Request):
    resident = _resident(request)
    community = queries.community_by_id(db(request), resident.community_id)
    ensure_permission(actor(request), "registry:residents:view", community)
    error = None
    if request.method == "POST":
        data = form(request)
        try:
            services.update_resident(db(request), actor(request), resident, phone=str(data.get("phone", "")),
                                     flags={flag: data.get(flag) == "1" for flag in services.RESIDENT_FLAGS})
            return redirect(request.url_for("registry:manage:resident", resident_id=resident.id))
        except Invalid as invalid:
            db(request).rollback()
            error = invalid.message
    from civic.accounts.models import User
    from sqlalchemy import select

    user = db(request).execute(select(User).where(User.resident_id == resident.id)).scalar_one_or_none()
    return render(request, "registry/resident.html", {"resident": resident, "community": community, "account": user, "error": error,
                                                      "flags": services.RESIDENT_FLAGS}, status=422 if error else 200)


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


@view
def issue_code(request: Request):
    resident = _resident(request)
    purpose = request.path_params["purpose"]
    if purpose not in ("activate", "reset"):
        raise NotFound(_("No such letter."))
    code = services_accounts().issue_code(db(request), actor(request), resident, purpose)
    community = queries.community_by_id(db(request), resident.community_id)
    url = str(request.base_url).rstrip("/") + ("/activate" if purpose == "activate" else "/reset") + "?code=" + code
    return render(request, "registry/letter.html", {
        "resident": resident, "community": community, "code": code, "url": url, "qr": _qr_data_uri(url), "purpose": purpose,
    })


def services_accounts():
    from civic.accounts import services as accounts_services

    return accounts_services


@view
def import_form(request: Request):
    community = _community(request)
    who = actor(request)
    ensure_permission(who, "registry:residents:import", community)
    if request.method == "GET":
        return render(request, "registry/import.html", {"community": community, "error": None})
    upload = form(request).get("file")
    filename = getattr(upload, "filename", "") or ""
    try:
        content = upload.file.read(services.MAX_UPLOAD + 1) if upload is not None and hasattr(upload, "file") else b""
        job = services.start_import(db(request), who, community, filename, content)
    except Invalid as error:
        db(request).rollback()
        return render(request, "registry/import.html", {"community": community, "error": error.message}, status=422)
    services.import_in_background(request.app.state.write_sessions, job, who, get_locale())
    return redirect(request.url_for("registry:manage:import_job", job_id=job.id))


@view
def import_job(request: Request):
    job = services.get_job(db(request), actor(request), int(request.path_params["job_id"]))
    community = queries.community_by_id(db(request), job.community_id)
    done, total = services.PROGRESS.get(job.id, (job.imported, job.total))
    return render(request, "registry/import_job.html", {
        "job": job, "community": community, "report": json.loads(job.report), "done": done, "total": total,
        "running": job.status in ("checking", "importing"),
    }, block="progress")


@view(export=True)
def export(request: Request):
    community = _community(request)
    content = services.export_rows(db(request), actor(request), community)
    return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
        "Content-Disposition": f'attachment; filename="residents-{community.code}.xlsx"',
    })


routes = [
    Route("/", index, name="index"),
    Route("/c/{code}", community_page, name="community"),
]
admin_routes = [
    Route("/c/{code}/residents", residents, name="residents"),
    Route("/c/{code}/import", import_form, methods=["GET", "POST"], name="import"),
    Route("/c/{code}/export", export, methods=["POST"], name="export"),
    Route("/residents/{resident_id:int}", resident_detail, methods=["GET", "POST"], name="resident"),
    Route("/residents/{resident_id:int}/letter/{purpose}", issue_code, methods=["POST"], name="letter"),
    Route("/imports/{job_id:int}", import_job, name="import_job"),
]
