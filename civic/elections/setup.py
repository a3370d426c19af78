"""Setting an election up: offices and seats, mode, schedule (checked against the legal periods), rules."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civic import audit
from civic.elections import messages, rules
from civic.elections.models import MODES, PURPOSES, Election, Section
from civic.errors import Conflict, Invalid
from civic.i18n import _
from civic.registry.models import Community
from civic.rulesconfig.services import current_rules
from civic.security import Actor, ensure_permission

SECTION_TITLES = {"chair": "主任", "vice": "副主任", "member": "委员"}
SCHEDULE_FIELDS = ("roll_published_on", "objections_close_on", "nominations_open_on", "nominations_close_on",
                   "candidates_published_on", "proxy_deadline_on", "polling_day")
# Our column name -> the step name rules.check_schedule knows.
STEP_OF = {"roll_published_on": "roll_published", "objections_close_on": "objections_close",
           "nominations_open_on": "nominations_open", "nominations_close_on": "nominations_close",
           "candidates_published_on": "candidates_published", "proxy_deadline_on": "proxy_deadline",
           "polling_day": "polling_day"}


@dataclass
class ElectionInput:
    title: str
    purpose: str
    mode: str
    polling_day: dt.date
    seats: dict[str, int]  # chair / vice / member
    online_enabled: bool = True
    schedule: dict[str, dt.date | None] | None = None
    online_opens_at: dt.datetime | None = None
    online_closes_at: dt.datetime | None = None


def turnout_mode(mode: str) -> str:
    """The 2018 regime's group representatives vote as representatives do (2/3 turnout)."""
    return "representatives" if mode == "group-reps" else mode


def default_schedule(polling_day: dt.date, config: dict) -> dict[str, dt.date]:
    """The latest legal dates, counted back from polling day; the committee may choose earlier ones."""
    limits = rules.deadlines(polling_day, config)
    roll = limits["roll_published"]
    return {
        "roll_published_on": roll,
        "objections_close_on": rules.period_end(roll, int(config["elections.objection_days"]), config),
        "nominations_open_on": roll + dt.timedelta(days=1),
        "nominations_close_on": limits["candidates_published"] - dt.timedelta(days=2),
        "candidates_published_on": limits["candidates_published"],
        "proxy_deadline_on": limits["proxy_deadline"],
        "polling_day": polling_day,
    }


def schedule_problems(schedule: dict, config: dict) -> list[str]:
    steps = {STEP_OF[k]: v for k, v in schedule.items() if k in STEP_OF and v}
    return [messages.violation(code, params) for code, params in rules.check_schedule(steps, config)]


def seat_problems(seats: dict[str, int], config: dict) -> list[str]:
    sections = [{"id": key, "office": key if key != "vice" else "vice-chair", "seats": n} for key, n in seats.items() if n]
    return [messages.violation(code, params) for code, params in rules.check_seats(sections, config)]


@dataclass
class LeavingAuditGate:
    """D8: the chair's leaving audit (离任审计) is not published yet. `block`: set-up is refused (else a warning)."""

    block: bool
    message: str
    url: str | None


def leaving_audit_gate(db: Session, community: Community, polling_day: dt.date | None, config: dict) -> LeavingAuditGate | None:
    """D8 [LAW, CONFIG: block scheduling]: a general election comes after the chair's leaving audit is published
    (published since the community's last closed general election). None when it is, when the profile does not ask
    for it, or when no installed module keeps the notice board (the check is asked through the module registry)."""
    from civic.modules import provided

    if not config.get("disclosure.audit_before_election", True):
        return None
    published = provided("leaving_audit_published")
    if published is None:
        return None
    query = select(func.max(Election.polling_day)).where(Election.community_id == community.id, Election.purpose == "general",
                                                         Election.status == "closed")
    if polling_day is not None:
        query = query.where(Election.polling_day < polling_day)
    since = db.scalar(query)
    if published(db, community.id, since=since):
        return None
    url_of = provided("leaving_audit_url")
    block = bool(config.get("elections.block_without_leaving_audit", True))
    if block:
        message = _("The chair's leaving audit (离任审计) has not been published on the notice board of %(community)s yet. "
                    "A general election can be set up only after it is published (D8, Art 38 of the law).", community=community.name)
    else:
        message = _("The chair's leaving audit (离任审计) has not been published on the notice board of %(community)s yet. "
                    "The law asks for it before the next election (D8, Art 38): publish it before polling day.", community=community.name)
    return LeavingAuditGate(block, message, url_of(community.code) if url_of else None)


def next_public_id(db: Session, community: Community, year: int) -> str:
    count = db.scalar(select(func.count()).select_from(Election).where(Election.community_id == community.id)) or 0
    return f"e-{year}-{community.code}-{count + 1:02d}"


def create_election(db: Session, actor: Actor, community: Community, data: ElectionInput, *,
                    check_leaving_audit: bool = True) -> Election:
    """The election committee sets up an election; the schedule must respect the legal minimum periods, and a
    general election waits for the chair's leaving audit (D8) when the rules say so.

    `check_leaving_audit=False` is for synthetic communities only (the simulator), which have no notice board."""
    ensure_permission(actor, "elections:election:manage", community)
    if data.purpose != "general":
        raise Invalid(_("A by-election is set up from the vacancies of a completed election, a recall vote from its recall request."),
                      field="purpose")
    election = build_election(db, actor, community, data, check_leaving_audit=check_leaving_audit)
    db.commit()
    return election


def term_end(polling_day: dt.date, years: int) -> dt.date:
    """The day the term of an election held on `polling_day` ends (never raises: the last date for absurd years)."""
    try:
        return rules.anniversary(polling_day, polling_day.year + years)
    except (ValueError, OverflowError):
        return dt.date.max


def build_election(db: Session, actor: Actor, community: Community, data: ElectionInput, *,
                   check_leaving_audit: bool = True) -> Election:
    """Checks and writes a new election with its sections (the caller checked the permission and commits)."""
    if data.purpose not in PURPOSES or data.mode not in MODES:
        raise Invalid(_("Choose a purpose and an election mode from the list."))
    profile = current_rules(db)
    config = dict(profile.values)
    if data.mode == "group-reps" and profile.legal_regime != "2018":
        raise Invalid(_("Two or three representatives per residents' group is a mode of the 2018 law only."), field="mode")
    problems = seat_problems(data.seats, config) if data.purpose == "general" else []
    schedule = data.schedule or default_schedule(data.polling_day, config)
    schedule["polling_day"] = data.polling_day
    problems += schedule_problems(schedule, config)
    if not data.title.strip():
        problems.insert(0, _("Give the election a title."))
    gate = leaving_audit_gate(db, community, data.polling_day, config) if data.purpose == "general" and check_leaving_audit else None
    if gate is not None and gate.block:
        problems.append(gate.message)
    if problems:
        raise ScheduleInvalid(problems, url=gate.url if gate is not None and gate.block else None)
    election = Election(
        public_id=next_public_id(db, community, data.polling_day.year), community_id=community.id, title=data.title.strip()[:200],
        purpose=data.purpose, mode=data.mode, online_enabled=data.online_enabled and bool(config["elections.online_voting"]),
        rules_version_id=profile.version_id, legal_regime=profile.legal_regime,
        rules=json.dumps({k: v for k, v in config.items() if k.startswith("elections.")}),
        term_years=int(config["elections.term_years"]), created_by=actor.user_id, **schedule,
        term_ends_on=term_end(data.polling_day, int(config["elections.term_years"])),
        online_opens_at=data.online_opens_at, online_closes_at=data.online_closes_at,
    )
    db.add(election)
    db.flush()
    for position, key in enumerate(("chair", "vice", "member")):
        if data.seats.get(key):
            db.add(Section(election_id=election.id, key=key, title=SECTION_TITLES[key], seats=data.seats[key], position=position))
    audit.record(db, "elections.election.create", actor=actor, target=f"election:{election.public_id}", community_id=community.id,
                 data={"mode": data.mode, "purpose": data.purpose, "polling_day": data.polling_day.isoformat(), "seats": data.seats,
                       **({"leaving_audit_missing": True} if gate is not None else {})})
    return election


def config_of(election: Election) -> dict:
    """The numbers the election runs under (frozen at set-up)."""
    return json.loads(election.rules)


def board_rules(election: Election) -> dict:
    out = rules.election_rules(turnout_mode(election.mode), config_of(election))
    if election.purpose == "recall":
        out["win"] = [1, 2]  # E39 [LAW]: a recall passes with more than half of those voting, whatever the profile says
    return out


def require_status(election: Election, *allowed: str) -> None:
    if election.status not in allowed:
        raise Conflict(_("This cannot be done while the election is at the step “%(step)s”.", step=messages.status_label(election.status)))


def advance(db: Session, actor: Actor, election: Election, to: str, community: Community) -> None:
    """Move the election to its next step (each step's own checks are done by the service that calls this)."""
    ensure_permission(actor, "elections:election:manage", community)
    audit.record(db, "elections.election.step", actor=actor, target=f"election:{election.public_id}", community_id=community.id,
                 data={"from": election.status, "to": to})
    election.status = to


class ScheduleInvalid(Invalid):
    def __init__(self, problems: list[str], url: str | None = None):
        super().__init__(_("The election cannot be set up like this:") + " " + "；".join(problems))
        self.problems = problems
        self.url = url  # where the missing step is done (D8: the notice board), when it is elsewhere
