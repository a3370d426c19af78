"""The same-run baseline of the page benchmark: a bare Starlette endpoint rendering a 50-item Jinja2 list."""
from jinja2 import Environment
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

TEMPLATE = Environment(autoescape=True).from_string(
    "<!doctype html><html lang=zh-CN><head><meta charset=utf-8><title>{{ title }}</title></head><body><h1>{{ title }}</h1>"
    "<ul>{% for item in items %}<li><a href='/items/{{ item.id }}'>{{ item.name }}</a> {{ item.note }}</li>{% endfor %}</ul></body></html>"
)
ITEMS = [{"id": i, "name": f"第{i}项公开事项", "note": "社区居务公开示例文本" * 3} for i in range(50)]


async def page(request):
    return HTMLResponse(TEMPLATE.render(title="基线", items=ITEMS))


app = Starlette(routes=[Route("/", page)])
