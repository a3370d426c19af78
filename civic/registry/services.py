"""Registry use cases: import residents (checked first, all or nothing), export, edit flags."""
from __future__ import annotations

import json
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from civic import audit
from civic.db import utcnow
from civic.errors import Invalid, NotFound
from civic.i18n import _, set_locale
from civic.registry import importing
from civic.registry.models import Community, Household, ImportJob, Resident, ResidentGroup
from civic.security import Actor, ensure_permission

MAX_UPLOAD = 20 * 1024 * 1024
# Progress of imports under way in this process: {job id: (done, total)}. The job row keeps the outcome.
PROGRESS: dict[int, tuple[int, int]] = {}


def start_import(db: Session, actor: Actor, community: Community, filename: str, content: bytes) -> ImportJob:
    ensure_permission(actor, "registry:residents:import", community)
    if not content:
        raise Invalid(_("Choose a file to import."), field="file")
    if len(content) > MAX_UPLOAD:
        raise Invalid(_("The file is larger than 20 MB."), field="file")
    try:
        rows = importing.read_rows(filename, content)
    except importing.FileProblem as problem:
        raise Invalid(str(problem), field="file") from problem
    job = ImportJob(community_id=community.id, filename=filename[-200:], total=len(rows), created_by=actor.user_id)
    db.add(job)
    audit.record(db, "registry.import.start", actor=actor, target=f"import:{filename[-100:]}", community_id=community.id, data={"rows": len(rows)})
    db.commit()
    job.rows = rows  # handed to the worker, never stored
    return job


def run_import(sessions: sessionmaker, job_id: int, rows: list[dict], actor_user_id: int | None, locale: str) -> None:
    """Validate every row, then insert all of them in one transaction (or none)."""
    set_locale(locale)
    with sessions() as db:
        job = db.get(ImportJob, job_id)
        groups = {str(g.number): g.id for g in db.execute(select(ResidentGroup).where(ResidentGroup.community_id == job.community_id)).scalars()}
        groups.update({name: gid for name, gid in db.execute(select(ResidentGroup.name, ResidentGroup.id).where(ResidentGroup.community_id == job.community_id)).all()})
        numbers = [importing.normalise_id(r.get("id_number", "")) for r in rows]
        known = set()
        for start in range(0, len(numbers), 900):
            known.update(db.execute(select(Resident.id_number).where(Resident.id_number.in_(numbers[start:start + 900]))).scalars())
        reports = importing.validate_rows(rows, groups, known)
        bad = [{"line": r.line, "errors": r.errors} for r in reports if r.errors]
        if bad:
            job.status, job.report, job.finished_at = "rejected", json.dumps(bad[:1000], ensure_ascii=False), utcnow()
            job.message = _("%(bad)s of %(total)s rows have problems; nothing was imported.", bad=len(bad), total=len(rows))
            db.commit()
            return
        job.status = "importing"
        db.commit()
    PROGRESS[job_id] = (0, len(rows))
    try:
        with sessions() as db:
            households = {
                h.number: h.id for h in db.execute(select(Household).where(Household.community_id == job.community_id)).scalars()
            }
            for done, report in enumerate(reports, start=1):
                data = report.data
                household_id = households.get(data["household"])
                if household_id is None:
                    household = Household(
                        community_id=job.community_id, group_id=data["group_id"], number=data["household"],
                        building=data["building"], unit=data["unit"], room=data["room"],
                    )
                    db.add(household)
                    db.flush()
                    household_id = households[data["household"]] = household.id
                db.add(Resident(
                    community_id=job.community_id, household_id=household_id, name=data["name"], gender=data["gender"],
                    birth_date=data["birth_date"], id_number=data["id_number"], phone=data["phone"],
                    hukou_here=data["hukou_here"], lives_here=data["lives_here"], party_member=data["party_member"],
                    deprived_of_political_rights=data["deprived"], is_household_head=data["household_head"],
                ))
                if done % 500 == 0:
                    db.flush()
                    PROGRESS[job_id] = (done, len(rows))
            job = db.get(ImportJob, job_id)
            job.status, job.imported, job.finished_at = "done", len(reports), utcnow()
            job.message = _("%(n)s residents imported.", n=len(reports))
            audit.record(db, "registry.import.done", actor=Actor(), target=f"import:{job_id}", community_id=job.community_id,
                         data={"rows": len(reports), "by": actor_user_id})
            db.commit()
    except Exception as error:  # keep the job's outcome visible instead of a silent thread death
        with sessions() as db:
            job = db.get(ImportJob, job_id)
            job.status, job.finished_at = "failed", utcnow()
            job.message = _("The import failed and nothing was imported: %(error)s", error=str(error)[:200])
            db.commit()
    finally:
        PROGRESS.pop(job_id, None)


def import_in_background(sessions: sessionmaker, job: ImportJob, actor: Actor, locale: str) -> threading.Thread:
    thread = threading.Thread(target=run_import, args=(sessions, job.id, job.rows, actor.user_id, locale), daemon=True)
    thread.start()
    return thread


def get_job(db: Session, actor: Actor, job_id: int) -> ImportJob:
    job = db.get(ImportJob, job_id)
    if job is None:
        raise NotFound(_("No such import."))
    ensure_permission(actor, "registry:residents:import", db.get(Community, job.community_id))
    return job


def export_rows(db: Session, actor: Actor, community: Community) -> bytes:
    ensure_permission(actor, "registry:residents:export", community)
    groups = {g.id: g.number for g in db.execute(select(ResidentGroup).where(ResidentGroup.community_id == community.id)).scalars()}
    households = {h.id: h for h in db.execute(select(Household).where(Household.community_id == community.id)).scalars()}
    rows = []
    for r in db.execute(select(Resident).where(Resident.community_id == community.id).order_by(Resident.id)).scalars():
        h = households.get(r.household_id)
        yn = importing.yes_no
        rows.append([
            r.name, r.id_number, r.phone, groups.get(h.group_id, "") if h else "", h.number if h else "",
            h.building if h else "", h.unit if h else "", h.room if h else "",
            yn(r.hukou_here), yn(r.lives_here), yn(r.party_member), yn(r.deprived_of_political_rights), yn(r.is_household_head),
        ])
    audit.record(db, "registry.export", actor=actor, target=f"community:{community.id}", community_id=community.id, data={"rows": len(rows)})
    db.commit()
    return importing.workbook_bytes(rows)


RESIDENT_FLAGS = ("hukou_here", "lives_here", "party_member", "deprived_of_political_rights", "is_resident_rep",
                  "is_party_rep", "is_group_leader", "is_household_head")


def update_resident(db: Session, actor: Actor, resident: Resident, *, phone: str, flags: dict[str, bool]) -> list[str]:
    """Staff correct a resident's mobile number and the flags the rules read; every change is audited."""
    from civic.registry.rules import PHONE_RE

    community = db.get(Community, resident.community_id)
    ensure_permission(actor, "registry:residents:edit", community)
    phone = (phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise Invalid(_("the mobile number must have 11 digits starting with 1"), field="phone")
    changed = []
    if phone != resident.phone:
        resident.phone = phone
        changed.append("phone")
    for flag in RESIDENT_FLAGS:
        value = bool(flags.get(flag))
        if getattr(resident, flag) != value:
            setattr(resident, flag, value)
            changed.append(flag)
    if changed:
        audit.record(db, "registry.resident.update", actor=actor, target=f"resident:{resident.id}", community_id=community.id,
                     data={"changed": changed})
    db.commit()
    return changed
