"""Every text field that is shown somewhere receives XSS payloads (through the real forms, as each role);
then every page each role can reach is opened in Chromium: nothing may execute, and no injected element,
event handler, javascript: URL or inline script may exist in the DOM."""
from __future__ import annotations

import itertools

import httpx

from e2e.conftest import login
from e2e.security.xss_payloads import corpus
from tests.security.crawl import crawl

ROLES = {"resident": "13900000001", "resident_rep": "13900000002", "staff": "13800000010", "election_committee": "13800000011",
         "supervision_committee": "13800000012"}
STARTS = ["/", "/me", "/elections/?community=anhe", "/consultations/?community=anhe", "/disclosure/?community=anhe",
          "/appraisal/?community=anhe", "/registry/manage/c/anhe/residents"]
SKIP_ACTIONS = ("/logout", "/assist/", "/login", "/activate", "/reset", "/set-locale")
DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) bad.push(el.tagName + '[' + attr.name + ']');
      if (attr.name === 'data-xss') bad.push(el.tagName + '[data-xss]');
      if (['href', 'src', 'action', 'formaction', 'data'].includes(attr.name) && /^\\s*javascript:/i.test(attr.value)) bad.push(el.tagName + ' javascript: URL');
    }
    if (el.tagName === 'SCRIPT' && !el.src && el.textContent.includes('__xss')) bad.push('inline script');
  }
  return {bad, xss: window.__xss || 0, csp: window.__csp || 0};
}"""


class _Http:
    """Adapts httpx to the crawler (which expects a TestClient-like get())."""

    def __init__(self, base: str, phone: str):
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
        self.client.get("/login")
        token = self.client.cookies.get("csrftoken")
        self.client.post("/login", data={"csrftoken": token, "identifier": phone, "password": "civic-demo-2026"})

    def get(self, path):
        return self.client.get(path)

    def post(self, path, data):
        return self.client.post(path, data={"csrftoken": self.client.cookies.get("csrftoken"), **data})


def _inject(server) -> int:
    payloads = itertools.cycle(corpus())
    sent = 0
    for phone in ROLES.values():
        http = _Http(server["base"], phone)
        _pages, forms = crawl(http, STARTS, limit=80)
        for form in forms:
            if form.action.startswith(SKIP_ACTIONS) or form.action.endswith("/export"):
                continue
            texts = [f for f in form.fields if f["type"] in ("text", "textarea", "search", "")]
            if not texts:
                continue
            for _round in range(3):
                data = {}
                for field in form.fields:
                    if field["name"] == "csrftoken" or field["type"] == "file":
                        continue
                    if field in texts:
                        data[field["name"]] = next(payloads)
                    elif field["options"]:
                        data[field["name"]] = next((o for o in field["options"] if o), field["options"][0])
                    else:
                        data[field["name"]] = field["value"]
                http.post(form.action, data)
                sent += 1
    return sent


def test_no_payload_ever_executes(browser, server):
    assert len(corpus()) >= 100
    sent = _inject(server)
    assert sent >= 20, "too few forms took payloads to make this test meaningful"
    problems = []
    for role, phone in ROLES.items():
        context = browser.new_context(base_url=server["base"], locale="zh-CN")
        context.add_init_script("document.addEventListener('securitypolicyviolation', () => { window.__csp = (window.__csp || 0) + 1; });")
        page = context.new_page()
        page.on("dialog", lambda dialog: (problems.append(("dialog", dialog.message)), dialog.dismiss()))
        login(page, phone)
        pages, _forms = crawl(_Http(server["base"], phone), STARTS, limit=80)
        for path in pages:
            page.goto(path)
            result = page.evaluate(DOM_CHECK)
            if result["bad"] or result["xss"] or result["csp"]:
                problems.append((role, path, result))
        context.close()
    assert not problems, problems[:10]
