"""Every [CONFIG] number of ../shared/DOMAIN.md with its documented default.

A key maps to (default, kind, rule) where kind drives validation and the rule names the DOMAIN.md item.
"""
from __future__ import annotations

from civic.i18n import N_

REGIMES = ("2025", "2018")

SPEC: dict[str, tuple[object, str, str, str]] = {
    # key: (default, kind, DOMAIN rule, msgid label)
    "elections.term_years": (5, "int:3:5", "E5", N_("Term of office (years)")),
    "elections.vice_chairs_min": (1, "int:0:2", "E1", N_("Vice-chairs, at least")),
    "elections.vice_chairs_max": (2, "int:1:2", "E1", N_("Vice-chairs, at most")),
    "elections.seats_min": (5, "int:5:9", "E1", N_("Committee members in all (chair and vice-chairs included), at least")),
    "elections.seats_max": (9, "int:5:9", "E1", N_("Committee members in all (chair and vice-chairs included), at most")),
    "elections.roll_publication_days": (20, "int:20:60", "E15", N_("Voter list published at least … days before polling day")),
    "elections.objection_days": (5, "int:1:10", "E16", N_("Objections to the voter list within … days")),
    "elections.objection_decision_days": (3, "int:1:10", "E16", N_("Objections decided within … days")),
    "elections.candidate_list_days": (5, "int:3:15", "E21", N_("Candidate list published at least … days before")),
    "elections.candidate_final_days": (3, "int:1:15", "E21", N_("List backfilled after withdrawals republished at least … days before")),
    "elections.proxy_deadline_days": (3, "int:0:10", "E24", N_("Proxy registration closes … days before")),
    "elections.proxy_max": (3, "int:1:3", "E24", N_("Authorisations one proxy may hold")),
    "elections.proxy_near_relatives_only": (False, "bool", "E24", N_("Proxies only between near relatives")),
    "elections.nomination_threshold": (10, "int:10:100", "E17", N_("Voters needed for a joint nomination")),
    "elections.self_nomination": (False, "bool", "E17", N_("Self-nomination allowed")),
    "elections.margin_chair": (1, "int:1:3", "E19", N_("Extra candidates for chair")),
    "elections.margin_vice": (1, "int:1:3", "E19", N_("Extra candidates for vice-chair")),
    "elections.margin_member_min": (1, "int:1:5", "E19", N_("Extra candidates for members, at least")),
    "elections.margin_member_max": (2, "int:1:5", "E19", N_("Extra candidates for members, at most")),
    "elections.quorum": ([1, 2], "fraction", "E31", N_("Turnout needed (more than)")),
    "elections.quorum_representatives": ([2, 3], "fraction", "E31", N_("Turnout needed in representative mode (more than)")),
    "elections.win": ([1, 2], "fraction", "E32", N_("Votes needed to win (more than)")),
    "elections.runoff_win": ([1, 3], "fraction", "E34", N_("Votes needed in a run-off (at least)")),
    "elections.runoff_extra": (1, "int:0:5", "E34", N_("Run-off candidates beyond the empty seats")),
    "elections.runoff_turnout": (True, "bool", "E34", N_("Run-offs need the turnout again")),
    "elections.residence_years": (1, "int:0:5", "E13", N_("Years living here to count as habitual resident")),
    "elections.worker_months": (6, "int:0:24", "E12", N_("Months working here for community workers")),
    "elections.absence_notice_days": (2, "int:0:10", "E14", N_("Days of notice to leave the turnout base")),
    "elections.online_voting": (True, "bool", "E26", N_("Online voting allowed")),
    "elections.online_days_before": (0, "int:0:7", "E26", N_("Online voting may open … days before polling day")),
    "elections.handover_days": (10, "int:1:10", "E37", N_("Handover complete within … days of polling day")),
    "elections.extend_on_holiday": (False, "bool", "Art 203", N_("An election period ending on a rest day ends on the next working day")),
    "elections.holidays": ([], "dates", "Art 203", N_("Public holidays (法定休假日), dates such as 2026-10-01")),
    "elections.working_weekend_days": ([], "dates", "Art 203", N_("Weekend days made working days (调休), dates")),
    "elections.block_without_leaving_audit": (True, "bool", "D8", N_("Refuse to set up a general election until the chair's leaving audit is published")),
    "elections.reserved_woman_seat": (False, "bool", "E2", N_("Reserve a seat for a woman")),
    "elections.min_seated": (5, "int:3:9", "E35", N_("Warn when fewer members are seated")),
    "elections.new_election_months": (6, "int:1:12", "E35", N_("New election for empty seats within … months")),
    "disclosure.min_display_days": (15, "int:15:90", "D3", N_("Days every item stays up, at least")),
    "disclosure.dibao_notice_days": (7, "int:3:30", "D6", N_("Days a 低保 list is in notice")),
    "disclosure.count_working_days": (False, "bool", "D6", N_("Notice periods count working days only")),
    "disclosure.extend_on_holiday": (False, "bool", "Art 201", N_("A period ending on a holiday ends on the next working day")),
    "disclosure.general_every_months": (3, "int:1:12", "D4", N_("General items at least every … months")),
    "disclosure.finance_every_months": (1, "int:1:12", "D4", N_("Finances at least every … months")),
    "disclosure.correction_restarts_clock": (True, "bool", "D10", N_("A material correction restarts the 15 days")),
    "disclosure.audit_before_election": (True, "bool", "D8", N_("Chair's leaving audit published before the next election")),
    "consultations.hearing_notice_days": (10, "int:1:30", "C8", N_("Hearing announced at least … days ahead")),
    "consultations.meeting_notice_days": (10, "int:1:30", "C5", N_("Residents' meeting notice (days)")),
    "consultations.hearing_min_representatives": (15, "int:3:100", "C8", N_("Hearing representatives, at least")),
    "consultations.reply_days": (15, "int:1:60", "C9", N_("Days to answer every opinion")),
    "consultations.reports_to_hide": (3, "int:1:50", "O4", N_("Reports that hide a comment pending moderation")),
    "consultations.speaking_minutes": (5, "int:1:30", "C8", N_("Minutes per speaker")),
    "appraisal.min_raters": (50, "int:1:1000", "A6", N_("Raters needed, at least")),
    "appraisal.ordinary_share": (70, "percent", "A6", N_("Share of ordinary representatives among raters, per cent")),
    "appraisal.satisfaction_includes_basic": (True, "bool", "A7", N_("Satisfaction counts 'basically satisfied'")),
    "appraisal.satisfaction_warning": (60, "percent", "A7", N_("Satisfaction below which the committee must act, per cent")),
    "appraisal.trim_extremes": (False, "bool", "A8", N_("Drop the highest and lowest scores")),
    "appraisal.trim_min_raters": (10, "int:3:1000", "A8", N_("Raters needed before trimming")),
    "appraisal.unfit_share": ([1, 3], "fraction", "A8", N_("不称职 share that triggers an admonition (more than)")),
    "appraisal.removal_score": (60, "percent", "A8", N_("Score below which removal is proposed")),
    "appraisal.group_breakdown_min": (5, "int:1:100", "A9", N_("Raters a group needs before its breakdown is shown")),
    "appraisal.post_days": (5, "int:5:30", "A4", N_("Days results stay posted")),
    "appraisal.feedback_days": (10, "int:1:30", "A4", N_("Days to give feedback to each cadre")),
    "appraisal.weight_street": (30, "percent", "A6", N_("Weight of the street office, per cent")),
    "appraisal.weight_party_reps": (10, "percent", "A6", N_("Weight of party-member representatives, per cent")),
    "appraisal.weight_resident_reps": (60, "percent", "A6", N_("Weight of resident representatives, per cent")),
}

# The 2018 text: 3-year terms and a third election mode of 2–3 representatives per residents' group.
REGIME_OVERRIDES = {"2018": {"elections.term_years": 3}}


def defaults(regime: str = "2025") -> dict:
    values = {key: (list(spec[0]) if isinstance(spec[0], list) else spec[0]) for key, spec in SPEC.items()}
    values.update(REGIME_OVERRIDES.get(regime, {}))
    return values
