"""Discovers the pages and forms a role can reach, by following same-site links from its start pages."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlparse

SKIP_PREFIXES = ("/static/", "/logout", "/set-locale", "/text-size", "/assist/end")


@dataclass
class Form:
    page: str
    action: str
    method: str
    enctype: str
    fields: list[dict] = field(default_factory=list)  # {"name", "type", "value", "options"}

    @property
    def key(self) -> tuple:
        return (self.method, _template(self.action), tuple(sorted(f["name"] for f in self.fields)))


def _template(path: str) -> str:
    """/elections/e-2026-anhe-01/rounds/2 → /elections/*/rounds/* — one form per shape, not per object."""
    parts = []
    for part in path.split("?")[0].split("/"):
        parts.append("*" if any(ch.isdigit() for ch in part) else part)
    return "/".join(parts)


class _Parser(HTMLParser):
    def __init__(self, page: str):
        super().__init__()
        self.page, self.links, self.forms, self.form, self.select = page, [], [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.form = Form(self.page, urljoin(self.page, a.get("action") or self.page), (a.get("method") or "get").lower(),
                             a.get("enctype") or "application/x-www-form-urlencoded")
        elif self.form is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            if tag == "button":
                if a.get("value") is not None:
                    self.form.fields.append({"name": a["name"], "type": "button", "value": a.get("value"), "options": []})
                return
            entry = {"name": a["name"], "type": a.get("type", "text" if tag != "textarea" else "textarea"), "value": a.get("value", ""), "options": []}
            self.form.fields.append(entry)
            if tag == "select":
                self.select = entry
        elif tag == "option" and self.select is not None:
            self.select["options"].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None
        elif tag == "select":
            self.select = None


def crawl(client, starts: list[str], limit: int = 150) -> tuple[list[str], list[Form]]:
    seen, queue, forms, pages = set(), list(starts), {}, []
    while queue and len(pages) < limit:
        url = queue.pop(0)
        path = urldefrag(url)[0]
        if path in seen or path.startswith(SKIP_PREFIXES) or path.endswith((".json", ".csv", ".xlsx", ".atom", ".pdf")):
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        pages.append(path)
        parser = _Parser(path)
        parser.feed(response.text)
        for form in parser.forms:
            if form.method == "post":
                forms.setdefault(form.key, form)
        for href in parser.links:
            target = urlparse(urljoin(path, href))
            if target.netloc in ("", "testserver") and target.path.startswith("/"):
                candidate = target.path + (("?" + target.query) if target.query else "")
                if urldefrag(candidate)[0] not in seen and len(queue) < 2000:
                    queue.append(candidate)
    return pages, list(forms.values())
