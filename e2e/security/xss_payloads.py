"""A corpus of XSS payloads; each would set window.__xss or leave a marked element if it ever executed."""
from __future__ import annotations

CORE = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=\"window.__xss=1\">",
    "<svg onload=window.__xss=1>",
    "<svg><script>window.__xss=1</script></svg>",
    "\"><script>window.__xss=1</script>",
    "'><img src=x onerror=window.__xss=1>",
    "<iframe src=\"javascript:window.__xss=1\"></iframe>",
    "<body onload=window.__xss=1>",
    "<input autofocus onfocus=window.__xss=1>",
    "<details open ontoggle=window.__xss=1>",
    "<a href=\"javascript:window.__xss=1\" data-xss=1>x</a>",
    "[click](javascript:window.__xss=1)",
    "[click](JaVaScRiPt:window.__xss=1)",
    "![img](x\" onerror=\"window.__xss=1)",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    "<object data=\"javascript:window.__xss=1\"></object>",
    "<embed src=\"javascript:window.__xss=1\">",
    "<link rel=stylesheet href=\"javascript:window.__xss=1\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__xss=1\">",
    "<form action=\"javascript:window.__xss=1\"><button data-xss=1>x</button></form>",
    "<div style=\"background:url(javascript:window.__xss=1)\" data-xss=1>x</div>",
    "{{constructor.constructor('window.__xss=1')()}}",
    "${window.__xss=1}",
    "<template><img src=x onerror=window.__xss=1></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__xss=1>\">",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    "%3Cscript%3Ewindow.__xss=1%3C/script%3E",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "<img src=x onerror=&#119;indow.__xss=1>",
    "<svg><a xlink:href=\"javascript:window.__xss=1\"><text x=0 y=20 data-xss=1>x</text></a></svg>",
    "<base href=\"javascript:window.__xss=1//\">",
    "<button formaction=\"javascript:window.__xss=1\" data-xss=1>x</button>",
    "<video><source onerror=\"window.__xss=1\"></video>",
    "<audio src=x onerror=window.__xss=1>",
    "<marquee onstart=window.__xss=1>x</marquee>",
    "<select autofocus onfocus=window.__xss=1>",
    "<textarea autofocus onfocus=window.__xss=1>",
    "<keygen autofocus onfocus=window.__xss=1>",
    "javascript:window.__xss=1",
    "data:text/html,<script>window.__xss=1</script>",
    "\u003cscript\u003ewindow.__xss=1\u003c/script\u003e",
    "<ScRiPt>window.__xss=1</sCrIpT>",
    "<script src=data:,window.__xss=1></script>",
    "<img src=\"x` `<script>window.__xss=1</script>\"` `>",
    "</textarea><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    "<!--<img src=\"--><img src=x onerror=window.__xss=1//\">",
    "<style>@import 'javascript:window.__xss=1';</style>",
    "<img src=x:alert(1) onerror=eval('window.__xss=1')>",
    "<div data-xss=1 onmouseover=window.__xss=1>hover</div>",
]
WRAPPERS = ["{}", "王芳{}", "{} 加装电梯", "**{}**", "> {}", "`{}`", "| a | {} |\n|---|---|\n| 1 | 2 |", "  {}  "]


def corpus() -> list[str]:
    """At least 100 payloads: the core ones, and each wrapped in Chinese text and markdown."""
    out = []
    for index, payload in enumerate(CORE):
        out.append(payload)
        out.append(WRAPPERS[1 + index % (len(WRAPPERS) - 1)].format(payload))
    return out
