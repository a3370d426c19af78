"""Jinja2 with Babel, and render(): one template per page, htmx fragments are its named blocks."""
from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from civic import i18n
from civic.registry.rules import mask_id, mask_phone


def make_environment(settings) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(settings.templates_dir)),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(
        lambda s: i18n.current().gettext(s),
        lambda s, p, n: i18n.current().ngettext(s, p, n),
        newstyle=True,
    )
    env.filters.update(
        datetime=i18n.format_datetime,
        date=i18n.format_date,
        number=i18n.format_number,
        # Translates a msgid held in data (labels, titles) without %-formatting it.
        t=lambda msgid: i18n.current().gettext(msgid),
        mask_id=mask_id,
        mask_phone=mask_phone,
    )
    env.globals.update(settings=settings, htmx_url=settings.htmx_url, htmx_sri=settings.htmx_sri)
    return env


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render(
    request: Request,
    name: str,
    context: dict | None = None,
    *,
    block: str | None = None,
    status: int = 200,
    headers: dict | None = None,
) -> HTMLResponse:
    """Render a page; for an htmx request with `block`, only that block of the same template."""
    env: Environment = request.app.state.templates
    ctx = base_context(request)
    ctx.update(context or {})
    if block and is_htmx(request):
        body = render_block(env, name, block, **ctx)
    else:
        body = env.get_template(name).render(**ctx)
    response = HTMLResponse(body, status_code=status, headers=headers)
    response.headers["Vary"] = "HX-Request, Cookie"
    return response


def base_context(request: Request) -> dict:
    from civic.security import can

    actor = getattr(request.state, "actor", None)
    token_fn = request.scope.get("csrftoken")
    locale = i18n.get_locale()

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrftoken" value="%s">') % (token_fn() if token_fn else "")

    unread = 0
    if actor is not None and actor.authenticated and getattr(request.state, "db", None) is not None:
        from civic.notify import unread_count

        unread = unread_count(request.state.db, actor.user.id)
    return {
        "unread_notifications": unread,
        "request": request,
        "actor": actor,
        "can": lambda permission, community=None: bool(actor) and can(actor, permission, community),
        "csrf_field": csrf_field,
        "csrf_token": lambda: token_fn() if token_fn else "",
        "locale": locale,
        "lang_tag": i18n.lang_tag(locale),
        "large_text": request.cookies.get(i18n.TEXT_SIZE_COOKIE) == "large",
        "nav_modules": request.app.state.nav_modules,
        "url_for": request.url_for,
        "path_with_query": request.url.path + (("?" + request.url.query) if request.url.query else ""),
    }
