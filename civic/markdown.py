"""User-written rich text: CommonMark rendered by markdown-it, then sanitised by nh3 (ammonia).

Raw HTML in the source is escaped by markdown-it (html=False); nh3 is the second wall, so no
script, event handler, style or javascript: URL ever reaches a page.
"""
from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table").enable("strikethrough")
TAGS = {"p", "br", "strong", "em", "del", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "h5", "table", "thead",
        "tbody", "tr", "th", "td", "a", "hr"}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(source: str) -> Markup:
    return Markup(_rendered(source or ""))


@lru_cache(maxsize=4096)
def _rendered(source: str) -> str:
    """Parsing and sanitising cost more than the rest of a page; the same text always gives the same HTML."""
    html = _md.render(source)
    # Headings inside user content start at h3 so the page outline stays intact.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer")
    return clean


def plain_text(source: str, limit: int = 200) -> str:
    text = nh3.clean(_md.render(source or ""), tags=set())
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
