"""SVG charts drawn on the server (no JavaScript): the geometry is computed here, templates draw it.

Each chart comes with a text alternative (title and description) and the same figures in a table.
"""
from __future__ import annotations

from fractions import Fraction

from civic.appraisal import rules

# Dark fills so that white labels keep a 4.5:1 contrast; the label, not the colour, carries the meaning.
GRADE_FILLS = {"excellent": "#1b5e20", "competent": "#0d47a1", "basic": "#6d4c00", "unfit": "#b71c1c"}
BAR_FILL = "#0d47a1"


def grade_bar(shares: dict[str, Fraction], width: int = 480) -> list[dict]:
    """One stacked bar of the grade shares: segments with x, width and a label when there is room."""
    segments, x = [], Fraction(0)
    for grade in rules.GRADES:
        share = shares.get(grade) or Fraction(0)
        w = share * width
        if w > 0:
            segments.append({"grade": grade, "x": round(float(x), 1), "w": round(float(w), 1), "fill": GRADE_FILLS[grade],
                             "pct": rules.percent(share),
                             "label": rules.percent(share, 0) + "%" if w >= 36 else "", "cx": round(float(x + w / 2), 1)})
        x += w
    return segments


def score_bars(items: list[tuple[str, Fraction | None]], width: int = 360, row: int = 30) -> dict:
    """Horizontal bars of scores out of 100: one row per label."""
    bars = []
    for index, (label, score) in enumerate(items):
        w = float(score * width / 100) if score is not None else 0.0
        bars.append({"label": label, "y": index * row, "w": round(w, 1), "value": rules.decimal(score, 1),
                     "text_x": round(w + 6, 1)})
    return {"bars": bars, "height": max(1, len(items)) * row + 24, "width": width, "row": row,
            "ticks": [{"x": round(width * t / 100, 1), "label": str(t)} for t in (0, 20, 40, 60, 80, 100)]}
