"""Sentences for the codes rules.py returns, in the user's language."""
from __future__ import annotations

from civic.i18n import N_, _, format_date

STEP_LABELS = {
    "committee_formed": N_("election committee formed"),
    "roll_published": N_("voter list published"),
    "objections_close": N_("objections close"),
    "objections_decided": N_("objections decided"),
    "nominations_open": N_("nominations open"),
    "nominations_close": N_("nominations close"),
    "candidates_published": N_("candidate list published"),
    "candidates_final": N_("final candidate list"),
    "proxy_deadline": N_("proxy registration closes"),
    "online_opens": N_("online voting opens"),
    "online_closes": N_("online voting closes"),
    "polling_day": N_("polling day"),
    "handover_by": N_("handover complete"),
}
STATUS_LABELS = {
    "setup": N_("set-up"),
    "roll": N_("voter list published"),
    "nomination": N_("nomination"),
    "candidates": N_("candidates published"),
    "polling": N_("polling"),
    "counting": N_("counting"),
    "closed": N_("results published"),
}
MODE_LABELS = {
    "all-voters": N_("all voters"),
    "household": N_("one representative per household"),
    "representatives": N_("resident representatives"),
    "group-reps": N_("2–3 representatives per residents' group (2018 law)"),
}
BALLOT_ERRORS = {
    "overvote": N_("You marked more people than there are seats. Remove some marks or write-ins."),
    "approved-and-opposed": N_("You both approved and opposed the same person."),
    "unknown-candidate": N_("This ballot names someone who is not a candidate here."),
    "empty-write-in": N_("A write-in name is empty."),
    "malformed": N_("This part of the ballot could not be read."),
    "unknown-section": N_("This ballot has a part for an office that is not being elected."),
}
ELIGIBILITY = {
    "under-age": N_("under 18 on polling day"),
    "deprived-of-political-rights": N_("deprived of political rights"),
    "birth-date-unknown": N_("birth date unknown"),
}


def step(name: str) -> str:
    return _(STEP_LABELS.get(name, name))


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def mode_label(mode: str) -> str:
    return _(MODE_LABELS.get(mode, mode))


def ballot_error(code: str) -> str:
    return _(BALLOT_ERRORS.get(code, BALLOT_ERRORS["malformed"]))


def violation(code: str, params: dict) -> str:
    """One rules.py violation as a sentence that explains the legal rule."""
    p = {k: (format_date(v) if hasattr(v, "isoformat") else v) for k, v in params.items()}
    if code == "roll-published-late":
        return _("The voter list must be published at least 20 days before polling day (by %(latest)s), not on %(date)s (E15).", **p)
    if code == "candidate-list-late":
        return _("The candidate list must be published by %(latest)s, not on %(date)s (E21).", **p)
    if code == "candidate-list-final-late":
        return _("The final candidate list must be out by %(latest)s (E21).", **p)
    if code == "proxy-deadline-late":
        return _("Proxy registration must close by %(latest)s (E24).", **p)
    if code == "handover-late":
        return _("The handover must be complete by %(latest)s (E37).", **p)
    if code == "objection-window":
        return _("Objections to the voter list run for 5 days after publication: they close on %(expected)s, not %(date)s (E16).", **p)
    if code == "objection-decision-late":
        return _("Objections must be decided by %(latest)s (E16).", **p)
    if code == "online-opens-early":
        return _("Online voting cannot open before %(earliest)s.", **p)
    if code == "online-closes-late":
        return _("Online voting must close by %(latest)s.", **p)
    if code == "online-before-candidates":
        return _("Online voting can only open after the candidate list is published (%(candidates)s).", **p)
    if code == "order":
        return _("“%(before)s” must come before “%(after)s”.", before=step(params["before"]), after=step(params["after"]))
    if code == "after-polling-day":
        return _("“%(step)s” must be before polling day.", step=step(params["step"]))
    if code == "missing-date":
        return _("Choose a polling day.")
    if code == "total-seats":
        return _("A committee has 5 to 9 members in all, not %(seats)s (E1).", **p)
    if code == "chair-seats":
        return _("There is exactly one chair (E1).")
    if code == "vice-chair-seats":
        return _("There are %(min)s to %(max)s vice-chairs, not %(seats)s (E1).", **p)
    if code in ("no-margin", "margin-too-small", "margin-too-large"):
        if code == "margin-too-large":
            return _("%(candidates)s candidates for %(seats)s seats: at most %(max)s more candidates than seats (E19).", **p)
        return _("%(candidates)s candidates for %(seats)s seats: there must be at least %(min)s more candidates than seats (差额, E19).", **p)
    if code == "no-woman-elected":
        return _("No woman has been elected: the committee must have at least one woman member (E2).")
    if code == "near-relatives-elected":
        return _("Near relatives have been elected together; they cannot serve together (E3).")
    if code == "too-few-seated":
        return _("Only %(seated)s members are seated, fewer than %(minimum)s: hold a new election for the empty seats (E35).", **p)
    if code == "seats-unfilled":
        return _("Some seats are still empty: start a run-off (另行选举, E34).")
    if code == "tied":
        return _("Some persons are tied at the last seat: a tie-break vote decides (E33).")
    if code == "round-invalid":
        reason = params.get("reason")
        if reason == "over-issued":
            return _("More ballots were returned than issued: the vote is void (E29).")
        return _("Not enough voters took part: the vote is invalid (E31).")
    return _("The rules are not met (%(code)s).", code=code)
