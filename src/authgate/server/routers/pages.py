"""The built-in sign-in UI: plain HTML pages and two ES modules, no build step.

Pages carry a strict Content-Security-Policy with no inline script or style:
everything they run comes from ``/ui/static/`` on this origin.  The client
(`authgate.js`) is also served at ``/authgate.js`` for applications.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from authgate.server.problems import problem

__all__ = ["PAGE_CSP", "router"]

router = APIRouter(include_in_schema=False)

PAGE_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_PAGES: Final = {
    "sign-in": "Sign in",
    "sign-up": "Create account",
    "account": "Your account",
    "sessions": "Your sessions",
    "sign-out": "Sign out",
}
_STATIC_TYPES: Final = {
    "authgate.js": "text/javascript; charset=utf-8",
    "pages.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


def _read(*parts: str) -> bytes:
    return resources.files("authgate.server").joinpath("static", *parts).read_bytes()


def _render(page: str) -> bytes:
    """``layout.html`` around ``pages/<page>.html``: one header and nav for all."""
    main = _read("pages", f"{page}.html").decode()
    indented = "".join(f"    {line}" if line.strip() else line for line in main.splitlines(True))
    html = _read("layout.html").decode()
    for name, value in (("{title}", _PAGES[page]), ("{page}", page), ("{main}", indented)):
        html = html.replace(name, value)
    return html.encode()


_FILES: Final = {name: _read(name) for name in _STATIC_TYPES}
_HTML: Final = {page: _render(page) for page in _PAGES}


@router.get("/ui")
@router.get("/ui/")
async def ui_root() -> Response:
    return RedirectResponse("/ui/account", status_code=303)


@router.get("/ui/static/{name}")
async def static_file(name: str) -> Response:
    media_type = _STATIC_TYPES.get(name)
    if media_type is None:
        return problem(404, "not_found", "no such file")
    return Response(_FILES[name], media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/authgate.js")
async def client_library() -> Response:
    return await static_file("authgate.js")


@router.get("/ui/{page}")
async def page(page: str) -> Response:
    if page not in _PAGES:
        return problem(404, "not_found", "no such page")
    return Response(
        _HTML[page],
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"},
    )
