"""The consultation procedure as pure functions: no I/O, integers only (Civil Code Art 1259).

Stages, who may join and speak, the reproducible draw of hearing representatives, deadlines,
moderation thresholds, and the arithmetic of formal meetings (C5, C6).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from civic.i18n import N_

# -- vocabularies (msgids; translated where shown) ------------------------------------------------
STAGES = {
    "proposed": N_("Proposed"),
    "declined": N_("Declined"),
    "accepted": N_("Accepted, in preparation"),
    "announced": N_("Announced, sign-up open"),
    "held": N_("Meeting held"),
    "minuted": N_("Minutes published"),
    "decided": N_("Outcome published"),
    "implementing": N_("Being implemented"),
    "done": N_("Implemented"),
}
# The order residents see on the timeline of an accepted topic.
TIMELINE = ["proposed", "accepted", "announced", "held", "minuted", "decided", "implementing", "done"]
FORMS = {
    "council": N_("Deliberation council (议事会)"),
    "hearing": N_("Hearing (听证会)"),
    "consultation": N_("Consultation meeting (协商会)"),
    "forum": N_("Forum (座谈会)"),
    "online": N_("Online consultation"),
}
SOURCES = {
    "online": N_("Proposed online"),
    "mailbox": N_("Residents' mailbox (民情信箱)"),
    "grid": N_("Grid leader"),
    "phone": N_("Phone call"),
    "visit": N_("Visit to the office"),
}
SCOPES = {
    "all": N_("All residents"),
    "groups": N_("Residents of chosen residents' groups"),
    "buildings": N_("Residents of chosen buildings"),
    "representatives": N_("Resident and party-member representatives"),
    "stakeholders": N_("Invited stakeholders only"),
}
MODES = {"in_person": N_("In person"), "online": N_("Online"), "both": N_("In person and online")}
PARTICIPANT_KINDS = {
    "resident": N_("Resident"),
    "stakeholder": N_("Stakeholder"),
    "expert": N_("Expert"),
    "official": N_("Invited official"),
    "observer": N_("Observer"),
}
SIGNUP_STATUSES = {
    "registered": N_("Registered"),
    "waitlisted": N_("On the waiting list"),
    "applied": N_("Applied to be a hearing representative"),
    "selected": N_("Hearing representative"),
    "reserve": N_("Not selected (observer)"),
    "withdrawn": N_("Withdrawn"),
}
STANCES = {"for": N_("For"), "against": N_("Against"), "neutral": N_("Neutral")}
DISPOSITIONS = {
    "adopted": N_("Adopted"),
    "partly": N_("Partly adopted"),
    "not_adopted": N_("Not adopted"),
    "referred": N_("Referred to another body"),
}
REPORT_REASONS = {
    "offensive": N_("Offensive or abusive"),
    "spam": N_("Spam or advertising"),
    "personal_data": N_("Reveals personal data"),
    "false": N_("False or misleading"),
    "off_topic": N_("Off topic"),
    "other": N_("Something else"),
}
SORTS = {"best": N_("Best"), "newest": N_("Newest"), "oldest": N_("Oldest"), "discussed": N_("Most discussed")}
FORMAL_KINDS = {"residents": N_("Residents' meeting (居民会议)"), "representatives": N_("Residents' representatives' meeting (居民代表会议)")}
COMPOSITIONS = {
    "adults": N_("All adult residents"),
    "households": N_("One representative per household"),
    "group_reps": N_("Two or three representatives per residents' group"),
}
REQUEST_BASES = {"adults": N_("adult residents"), "households": N_("household representatives"), "representatives": N_("resident representatives")}

COLLAPSE_DEPTH = 3  # replies deeper than three levels are shown collapsed
MAX_DEPTH = 12  # deeper replies attach to the deepest allowed ancestor (keeps paths bounded)
REPRESENTATIVES_MEETING_MONTHS = 6  # C6: at least every six months

# -- stages ------------------------------------------------------------------------------------------
NEXT = {
    "proposed": {"accepted", "declined"},
    "accepted": {"announced"},
    "announced": {"held"},
    "held": {"minuted"},
    "minuted": {"decided"},
    "decided": {"implementing", "done"},
    "implementing": {"done"},
}


def can_move(current: str, target: str) -> bool:
    return target in NEXT.get(current, set())


def is_open_for_comments(status: str) -> bool:
    """Threads stay open from proposal until the outcome is published; afterwards they are a record."""
    return status in ("proposed", "accepted", "announced", "held", "minuted")


def is_open_for_opinions(status: str) -> bool:
    """From the notice until the meeting (or online consultation) closes."""
    return status == "announced"


def has_meeting(form: str) -> bool:
    return form != "online"


# -- participants ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResidentFacts:
    """What eligibility needs to know about one resident (from the registry)."""

    community_id: int
    group_number: int | None
    building: str
    representative: bool  # resident or party-member representative


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，、;；\s]+", text or "") if part.strip()]


def join_refusal(scope: str, community_id: int, groups: str, buildings: str, facts: ResidentFacts | None) -> str | None:
    """None when the resident may sign up; otherwise a msgid saying why not."""
    if facts is None:
        return N_("Only residents registered in the community can sign up.")
    if facts.community_id != community_id:
        return N_("This consultation is for residents of another community.")
    if scope == "all":
        return None
    if scope == "groups":
        wanted = {int(g) for g in split_list(groups) if g.isdecimal()}
        return None if facts.group_number in wanted else N_("This consultation is for residents of other residents' groups.")
    if scope == "buildings":
        return None if facts.building and facts.building in set(split_list(buildings)) else N_("This consultation is for residents of other buildings.")
    if scope == "representatives":
        return None if facts.representative else N_("This consultation is for resident and party-member representatives.")
    return N_("Participants of this consultation are invited by the committee.")


def signup_status_for(form: str, capacity: int, taken: int) -> str:
    """Hearing sign-ups are applications (a draw follows); others take a slot or wait for one."""
    if form == "hearing":
        return "applied"
    if capacity and taken >= capacity:
        return "waitlisted"
    return "registered"


def may_speak(form: str, kind: str, status: str, checked_in: bool) -> bool:
    """At a hearing only hearing representatives and invited parties speak (C8); elsewhere everyone
    present may (C4). Everyone must have checked in at the meeting."""
    if not checked_in or status in ("withdrawn", "waitlisted"):
        return False
    if form == "hearing":
        return status == "selected" or kind in ("stakeholder", "expert", "official")
    return kind != "observer"


SPEAKING_ORDER = ["proposer", "stakeholder", "resident", "expert"]  # C8 default: proposer → stakeholders → others → experts


def speaking_rank(kind: str, is_proposer: bool) -> int:
    if is_proposer:
        return 0
    return {"stakeholder": 1, "official": 1, "resident": 2, "expert": 3}.get(kind, 2)


# -- selection of hearing representatives by lot (C8) -------------------------------------------------
def lot_key(seed: str, signup_id: int) -> str:
    """Anyone can recompute the draw: sort applicants by SHA-256("seed:id")."""
    return hashlib.sha256(f"{seed}:{signup_id}".encode()).hexdigest()


def stance_seats(counts: dict[str, int], seats: int) -> dict[str, int]:
    """Seats per stance in proportion to the applicants, each stance that applied getting at least one
    seat while seats last (opposing views are heard); largest remainders, ties by stance name."""
    present = sorted(s for s, n in counts.items() if n > 0)
    total = sum(counts[s] for s in present)
    if not present or seats <= 0:
        return {s: 0 for s in counts}
    if seats >= total:
        return {s: counts.get(s, 0) for s in counts}
    share = {s: 0 for s in counts}
    remaining = seats
    for s in present:  # a guaranteed seat for every view, as far as seats go
        if remaining == 0:
            break
        share[s] = 1
        remaining -= 1
    if remaining:
        rest = {s: counts[s] - share[s] for s in present}
        rest_total = sum(rest.values())
        quotas = {s: rest[s] * remaining // rest_total for s in present}
        for s in present:
            share[s] += quotas[s]
        left = remaining - sum(quotas.values())
        order = sorted(present, key=lambda s: (-(rest[s] * remaining % rest_total), s))
        for s in order:
            if left == 0:
                break
            if share[s] < counts[s]:
                share[s] += 1
                left -= 1
    return share


def draw(applicants: list[tuple[int, str]], seats: int, seed: str) -> list[int]:
    """Ids of the selected applicants ((signup id, stance) pairs), reproducible from the seed."""
    counts: dict[str, int] = {}
    for _id, stance in applicants:
        counts[stance] = counts.get(stance, 0) + 1
    shares = stance_seats(counts, seats)
    chosen: list[int] = []
    for stance in sorted(shares):
        pool = sorted((lot_key(seed, i), i) for i, s in applicants if s == stance)
        chosen += [i for _key, i in pool[: shares[stance]]]
    return sorted(chosen, key=lambda i: lot_key(seed, i))


# -- deadlines (Civil Code Art 201: the first day is not counted) -------------------------------------
def latest_notice_date(meeting_date: dt.date, days: int) -> dt.date:
    return meeting_date - dt.timedelta(days=days)


def notice_is_long_enough(announced_on: dt.date, meeting_date: dt.date, days: int) -> bool:
    return (meeting_date - announced_on).days >= days


def answer_due(held_on: dt.date, days: int) -> dt.date:
    return held_on + dt.timedelta(days=days)


def signup_is_open(today: dt.date, closes: dt.date | None, status: str) -> bool:
    return status == "announced" and (closes is None or today <= closes)


def overdue(today: dt.date, held_on: dt.date | None, days: int, answered: bool) -> bool:
    return held_on is not None and not answered and today > answer_due(held_on, days)


# -- comments ----------------------------------------------------------------------------------------
def state_after_report(state: str, open_reports: int, threshold: int) -> str:
    """A visible comment is hidden pending moderation once enough residents report it (O4)."""
    if state == "visible" and open_reports >= threshold:
        return "pending"
    return state


def path_for(parent_path: str, comment_id: int) -> str:
    segment = f"{comment_id:010d}"
    return f"{parent_path}.{segment}" if parent_path else segment


MENTION = re.compile(r"(?<![\w@])@([\w\u3400-\u9fff·]{2,20})")


def mentions(text: str) -> list[str]:
    """Names mentioned as @name, in order, once each."""
    seen: list[str] = []
    for name in MENTION.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen[:10]


ALIAS = re.compile(r"[\w\u3400-\u9fff·\-]{2,20}")


def alias_problem(alias: str, taken_names: set[str]) -> str | None:
    if not ALIAS.fullmatch(alias or ""):
        return N_("A pseudonym has 2 to 20 letters, digits, Chinese characters, · or -.")
    if alias in taken_names:
        return N_("This pseudonym is taken or is someone's real name; choose another.")
    return None


# -- formal meetings (C5, C6), integer arithmetic --------------------------------------------------
def request_is_enough(kind: str, basis: str, requesters: int, base: int) -> bool:
    """C5: ≥ 1/10 of adults or household representatives, or ≥ 1/3 of representatives;
    C6: ≥ 1/5 of the representatives. 以上 includes the number."""
    if base <= 0 or requesters <= 0 or requesters > base:
        return False
    if kind == "residents":
        if basis in ("adults", "households"):
            return 10 * requesters >= base
        if basis == "representatives":
            return 3 * requesters >= base
        return False
    return basis == "representatives" and 5 * requesters >= base


def formal_notice_ok(called_on: dt.date, meeting_date: dt.date, days: int, urgent: bool) -> bool:
    """C5: at least ten days' notice unless urgent (days configurable)."""
    if meeting_date < called_on:
        return False
    return urgent or (meeting_date - called_on).days >= days


def quorum_met(kind: str, attendees: int, members: int) -> bool:
    """Residents' meeting: more than half (过半数); representatives' meeting: two thirds or more."""
    if members <= 0 or attendees < 0 or attendees > members:
        return False
    if kind == "residents":
        return 2 * attendees > members
    return 3 * attendees >= 2 * members


def representatives_share_ok(representative_members: int, members: int) -> bool:
    """C6: resident representatives make up at least four fifths of the members."""
    return members > 0 and 0 <= representative_members <= members and 5 * representative_members >= 4 * members


def votes_problem(votes_for: int, against: int, abstentions: int, attendees: int) -> str | None:
    if min(votes_for, against, abstentions) < 0:
        return N_("Vote counts cannot be negative.")
    if votes_for + against + abstentions > attendees:
        return N_("More votes than attendees: check the counts.")
    return None


def adopted(votes_for: int, attendees: int) -> bool:
    """Decisions need more than half of the attendees (not of the votes cast)."""
    return attendees > 0 and 2 * votes_for > attendees


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return dt.date(year, month, min(day.day, last))


def next_representatives_meeting_due(last_held: dt.date | None, today: dt.date) -> dt.date:
    return add_months(last_held, REPRESENTATIVES_MEETING_MONTHS) if last_held else today


# -- answers and implementation ------------------------------------------------------------------
def answer_problem(disposition: str, answer: str, referred_to: str) -> tuple[str, str] | None:
    """(field, msgid) of the first problem with an answer to an opinion, or None."""
    if disposition not in DISPOSITIONS:
        return "disposition", N_("Choose how the opinion is handled.")
    if disposition in ("not_adopted", "partly") and len(answer.strip()) < 4:
        return "answer", N_("Give the reason, so the resident understands the decision.")
    if disposition == "referred" and not referred_to.strip():
        return "referred_to", N_("Name the body the opinion was referred to.")
    if not answer.strip():
        return "answer", N_("Write the answer the resident will read.")
    return None


def outcome_blockers(unanswered: int, needs_decision: bool, party_discussed: bool, formal_result: str) -> list[str]:
    """What stops the outcome from being published (C3, C9): every opinion answered, and a matter
    that needs a decision discussed by the party organisation and then decided by a formal meeting."""
    blockers = []
    if unanswered:
        blockers.append(N_("Every opinion must be answered first."))
    if needs_decision and not party_discussed:
        blockers.append(N_("A matter for the residents' meeting is first discussed by the community party organisation."))
    elif needs_decision and formal_result not in ("adopted", "rejected"):
        blockers.append(N_("This matter needs a decision of the residents' or representatives' meeting first."))
    return blockers


def hearing_quorum(present_representatives: int, selected: int) -> bool:
    """C8: two thirds of the hearing representatives present, or the hearing is postponed."""
    return selected > 0 and 3 * present_representatives >= 2 * selected
