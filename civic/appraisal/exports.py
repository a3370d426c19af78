"""Open data: aggregated results as CSV, JSON and .xlsx — per cadre and per rater group, never a single form.

Group rows appear only for groups with enough valid forms to be shown (A9), as on the results page.
"""
from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

from openpyxl import Workbook
from openpyxl.styles import Font

from civic.appraisal import rules
from civic.appraisal.models import Campaign
from civic.appraisal.queries import ResultView
from civic.i18n import _
from civic.registry.models import Community

FIELDS = ("cadre", "position", "group", "weight", "forms", "valid", "excellent", "competent", "basic", "unfit",
          "satisfaction_percent", "unfit_share_percent", "score", "morality", "ability", "diligence", "achievement", "integrity",
          "grade", "rank", "flags")


def rows(results: list[ResultView]) -> list[dict]:
    out = []
    for view in results:
        dims = view.dimensions or [None] * len(rules.DIMENSIONS)
        out.append({
            "cadre": view.cadre.name, "position": view.cadre.position, "group": "all", "weight": 100, "forms": view.forms,
            "valid": view.valid, **view.counts, "satisfaction_percent": rules.percent(view.satisfaction, 2),
            "unfit_share_percent": rules.percent(view.unfit_share, 2), "score": rules.decimal(view.score),
            **{d: rules.decimal(x) for d, x in zip(rules.DIMENSIONS, dims)},
            "grade": view.grade or "", "rank": view.rank or "", "flags": " ".join(view.flags),
        })
        for group in view.shown_groups:
            gdims = group.dimensions or [None] * len(rules.DIMENSIONS)
            unfit = None if not group.valid else Fraction(group.counts.get("unfit", 0), group.valid)
            out.append({
                "cadre": view.cadre.name, "position": view.cadre.position, "group": group.kind, "weight": group.weight,
                "forms": group.forms, "valid": group.valid, **{g: group.counts.get(g, 0) for g in rules.GRADES},
                "satisfaction_percent": rules.percent(group.satisfaction, 2), "unfit_share_percent": rules.percent(unfit, 2),
                "score": rules.decimal(group.score), **{d: rules.decimal(x) for d, x in zip(rules.DIMENSIONS, gdims)},
                "grade": "", "rank": "", "flags": "" if group.counted else "not_counted",
            })
    return out


def to_csv(results: list[ResultView]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows(results))
    # A byte-order mark so that Excel opens the Chinese names correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_json(campaign: Campaign, community: Community, results: list[ResultView]) -> bytes:
    document = {
        "campaign": {"id": campaign.id, "title": campaign.title, "year": campaign.year, "community": community.code,
                     "community_name": community.name, "status": campaign.status,
                     "closed_on": campaign.closed_on.isoformat() if campaign.closed_on else None,
                     "published_on": campaign.published_on.isoformat() if campaign.published_on else None},
        "fields": list(FIELDS),
        "rows": rows(results),
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def to_xlsx(campaign: Campaign, community: Community, results: list[ResultView]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = str(campaign.year)
    sheet.append([f"{community.name} · {campaign.title}"])
    sheet["A1"].font = Font(bold=True)
    headers = {
        "cadre": _("Cadre"), "position": _("Position"), "group": _("Rater group"), "weight": _("Weight, per cent"),
        "forms": _("Forms"), "valid": _("Valid forms"), "excellent": "优秀", "competent": "称职", "basic": "基本称职", "unfit": "不称职",
        "satisfaction_percent": _("Satisfaction rate, per cent"), "unfit_share_percent": _("不称职 share, per cent"), "score": _("Score"),
        "morality": "德", "ability": "能", "diligence": "勤", "achievement": "绩", "integrity": "廉",
        "grade": _("Result"), "rank": _("Rank"), "flags": _("Flags"),
    }
    sheet.append([headers[f] for f in FIELDS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows(results):
        sheet.append([_number(row[f]) for f in FIELDS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number(value):
    """Numbers as numbers in the workbook, so the street office can compute with them."""
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value
