"""Server-rendered SVG bar charts for results: no JavaScript, a text alternative in the SVG itself
(title and description) and the same numbers in a table beside it."""
from __future__ import annotations

from markupsafe import Markup, escape

BAR_HEIGHT = 26
GAP = 10
LABEL_WIDTH = 130
CHART_WIDTH = 560


def bar_chart(chart_id: str, title: str, description: str, rows: list[dict], total: int,
              threshold: int | None = None, threshold_label: str = "") -> Markup:
    """Horizontal bars, one per row {"label", "value", "state"} (state "elected" / "tied" / ""), scaled to
    `total` (the ballots returned), with an optional dashed line at the votes needed to win."""
    total = max(total, max((r["value"] for r in rows), default=0), 1)
    plot = CHART_WIDTH - LABEL_WIDTH - 70
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP + (22 if threshold is not None else 0)
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {CHART_WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(description)}</desc>',
    ]
    for index, row in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        width = round(plot * row["value"] / total)
        state = row.get("state") or "other"
        label = row["label"] if len(row["label"]) <= 8 else row["label"][:7] + "…"
        parts.append(f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.0f}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect class="bar bar-{escape(state)}" x="{LABEL_WIDTH}" y="{y}" width="{max(width, 1)}" height="{BAR_HEIGHT}"></rect>')
        parts.append(f'<text class="chart-value" x="{LABEL_WIDTH + max(width, 1) + 6}" y="{y + BAR_HEIGHT * 0.7:.0f}">{row["value"]}</text>')
    if threshold is not None:
        x = LABEL_WIDTH + round(plot * min(threshold, total) / total)
        bottom = height - 22
        parts.append(f'<line class="chart-threshold" x1="{x}" y1="4" x2="{x}" y2="{bottom}"></line>')
        parts.append(f'<text class="chart-note" x="{x}" y="{height - 6}" text-anchor="middle">{escape(threshold_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def votes_needed(returned: int, frac: list[int], strictly_more: bool) -> int:
    """The smallest number of votes that wins: more than (or at least) `frac` of `returned`."""
    num, den = frac
    if strictly_more:
        return returned * num // den + 1
    return max(1, -(-returned * num // den))
