"""Form validation only: (clean values, {field: message}); nothing here writes."""
from __future__ import annotations

import datetime as dt
import re

from civic.appraisal import rules
from civic.i18n import _

SCALES = (5, 10, 100)
MAX_TARGETS = 20


def _int(raw, low: int, high: int, name: str, errors: dict, default: int | None = None) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text and default is not None:
        return default
    if not re.fullmatch(r"-?\d{1,6}", text):
        errors[name] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
        return None
    value = int(text)
    if not low <= value <= high:
        errors[name] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return value


def _date(raw, name: str, errors: dict, required: bool) -> dt.date | None:
    text = str(raw or "").strip()
    if not text:
        if required:
            errors[name] = _("Enter a date.")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Enter the date as YYYY-MM-DD.")
        return None


def _checked(raw) -> bool:
    return str(raw or "") in ("1", "on", "true", "yes")


def campaign_form(raw, this_year: int) -> tuple[dict, dict]:
    """The campaign's settings; groups come as include_<kind>, weight_<kind>, min_<kind>."""
    errors: dict[str, str] = {}
    values: dict = {}
    values["title"] = str(raw.get("title", "")).strip()[:200]
    if not values["title"]:
        errors["title"] = _("Give the campaign a title.")
    values["year"] = _int(raw.get("year"), 2000, this_year + 1, "year", errors)
    values["rating_opens_on"] = _date(raw.get("rating_opens_on"), "rating_opens_on", errors, True)
    values["rating_closes_on"] = _date(raw.get("rating_closes_on"), "rating_closes_on", errors, True)
    values["reports_due"] = _date(raw.get("reports_due"), "reports_due", errors, False)
    values["meeting_on"] = _date(raw.get("meeting_on"), "meeting_on", errors, False)
    values["meeting_place"] = str(raw.get("meeting_place", "")).strip()[:200]
    link = str(raw.get("meeting_link", "")).strip()
    if link and not (link.startswith("/") and not link.startswith("//")):
        errors["meeting_link"] = _("Give the address of a page on this site, starting with /.")
    values["meeting_link"] = link[:300]
    if not errors.keys() & {"rating_opens_on", "rating_closes_on", "reports_due", "meeting_on"}:
        problem = rules.schedule_problem(values["reports_due"], values["meeting_on"], values["rating_opens_on"], values["rating_closes_on"])
        messages = {
            "closes_before_opens": ("rating_closes_on", _("Rating cannot close before it opens.")),
            "reports_after_rating": ("reports_due", _("Work reports are due before rating opens.")),
            "meeting_out_of_order": ("meeting_on", _("The reporting meeting falls between the reports and the close of rating.")),
        }
        if problem:
            errors[messages[problem][0]] = messages[problem][1]
    values["dimensions"] = _checked(raw.get("dimensions"))
    values["scale_max"] = _int(raw.get("scale_max"), 5, 100, "scale_max", errors, default=10)
    if values["scale_max"] is not None and values["scale_max"] not in SCALES:
        errors["scale_max"] = _("Choose one of the scales offered.")
    values["score_basis"] = str(raw.get("score_basis", "grades"))
    if values["score_basis"] not in ("grades", "dimensions"):
        errors["score_basis"] = _("Choose how the score is computed.")
    elif values["score_basis"] == "dimensions" and not values["dimensions"]:
        errors["score_basis"] = _("A score from the dimensions needs the dimension scores on the form.")
    values["trim_extremes"] = _checked(raw.get("trim_extremes"))
    values["trim_min_raters"] = _int(raw.get("trim_min_raters"), 3, 1000, "trim_min_raters", errors)
    values["satisfaction_includes_basic"] = _checked(raw.get("satisfaction_includes_basic"))
    values["satisfaction_warning"] = _int(raw.get("satisfaction_warning"), 0, 100, "satisfaction_warning", errors)
    unfit = str(raw.get("unfit_share", "")).strip()
    match = re.fullmatch(r"(\d{1,3})\s*/\s*(\d{1,3})", unfit)
    if not match or not 0 < int(match.group(1)) < int(match.group(2)):
        errors["unfit_share"] = _("Enter a fraction such as 1/3.")
        values["unfit_num"], values["unfit_den"] = None, None
    else:
        values["unfit_num"], values["unfit_den"] = int(match.group(1)), int(match.group(2))
    values["removal_score"] = _int(raw.get("removal_score"), 0, 100, "removal_score", errors)
    values["breakdown_min"] = _int(raw.get("breakdown_min"), 1, 100, "breakdown_min", errors)
    values["tie_break"] = str(raw.get("tie_break", "lower"))
    if values["tie_break"] not in ("lower", "higher"):
        errors["tie_break"] = _("Choose how a tie is broken.")
    values["ordinary_share"] = _int(raw.get("ordinary_share"), 0, 100, "ordinary_share", errors)
    values["post_days"] = _int(raw.get("post_days"), 5, 30, "post_days", errors)
    values["feedback_days"] = _int(raw.get("feedback_days"), 1, 10, "feedback_days", errors)
    values["publish_scope"] = str(raw.get("publish_scope", "public"))
    if values["publish_scope"] not in ("public", "residents"):
        errors["publish_scope"] = _("Choose who sees the published results.")
    groups = []
    for kind in rules.GROUP_KINDS:
        if not _checked(raw.get(f"include_{kind}")):
            continue
        weight = _int(raw.get(f"weight_{kind}"), 1, 100, f"weight_{kind}", errors)
        minimum = _int(raw.get(f"min_{kind}"), 1, 1000, f"min_{kind}", errors)
        groups.append((kind, weight, minimum))
    values["groups"] = groups
    if not any(k.startswith("weight_") for k in errors):
        problem = rules.weight_problem([w for _k, w, _m in groups])
        if problem == "no_groups":
            errors["groups"] = _("Choose at least one rater group.")
        elif problem == "sum":
            errors["groups"] = _("The weights must add up to 100 %% (now %(sum)s %%).", sum=sum(w for _k, w, _m in groups))
    return values, errors


def cadre_form(raw) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    name = str(raw.get("name", "")).strip()[:50]
    position = str(raw.get("position", ""))
    user = str(raw.get("user_id", "")).strip()
    user_id = None
    if user:
        if not user.isdecimal() or len(user) > 12:
            errors["user_id"] = _("Choose an account of this community.")
        else:
            user_id = int(user)
    if position not in rules.POSITIONS:
        errors["position"] = _("Choose a position.")
    if not name and user_id is None and "user_id" not in errors:
        errors["name"] = _("Enter the cadre's name or choose an account.")
    return {"name": name, "position": position, "user_id": user_id}, errors


def report_form(raw) -> tuple[dict, dict]:
    """Summary plus target rows target_title_N / target_completion_N / target_statement_N."""
    errors: dict[str, str] = {}
    summary = str(raw.get("summary", "")).strip()
    if len(summary) > 20000:
        errors["summary"] = _("Keep the report under 20,000 characters.")
    targets = []
    for n in range(MAX_TARGETS):
        title = str(raw.get(f"target_title_{n}", "")).strip()
        statement = str(raw.get(f"target_statement_{n}", "")).strip()
        completion_raw = str(raw.get(f"target_completion_{n}", "")).strip()
        if not (title or statement or completion_raw):
            continue
        if not title:
            errors[f"target_title_{n}"] = _("Name the target.")
        completion = _int(completion_raw, 0, 100, f"target_completion_{n}", errors, default=0)
        targets.append({"title": title[:200], "completion": completion or 0, "statement": statement[:5000]})
    publish = str(raw.get("action", "")) == "publish"
    if publish and not summary:
        errors["summary"] = _("Write the report before publishing it.")
    if publish and not targets:
        errors["target_title_0"] = _("List at least one of the year's targets.")
    return {"summary": summary, "targets": targets, "publish": publish}, errors


def sheet_form(raw, cadre_ids: list[int], dimensions: bool, scale_max: int) -> tuple[dict[int, rules.Form], dict]:
    """One grade per cadre (or abstain) and, when asked, five dimension scores."""
    errors: dict[str, str] = {}
    marks: dict[int, rules.Form] = {}
    for cadre_id in cadre_ids:
        grade = str(raw.get(f"grade_{cadre_id}", ""))
        if grade == "abstain":
            marks[cadre_id] = rules.Form(None)
            continue
        if grade not in rules.GRADES:
            errors[f"grade_{cadre_id}"] = _("Choose a grade, or abstain.")
            continue
        scores = None
        if dimensions:
            values = []
            for dim in rules.DIMENSIONS:
                values.append(_int(raw.get(f"{dim}_{cadre_id}"), 0, scale_max, f"{dim}_{cadre_id}", errors))
            if None in values:
                continue
            scores = tuple(values)
        marks[cadre_id] = rules.Form(grade, scores)
    return marks, errors
