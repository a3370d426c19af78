"""The request's cookies, parsed once per request for the ASGI layers that each need one of them.

SimpleCookie parsing the whole header in every layer showed in the casting profile; Starlette's parser
is the one `Request.cookies` uses, so every layer reads the same values."""
from __future__ import annotations

from starlette.requests import cookie_parser

_KEY = "civic.cookies"


def cookies_of(scope) -> dict[str, str]:
    cookies = scope.get(_KEY)
    if cookies is None:
        header = b"; ".join(value for name, value in scope.get("headers") or () if name == b"cookie")
        cookies = scope[_KEY] = cookie_parser(header.decode("latin-1"))
    return cookies
