"""Blueprint "api" at /api/v1: the public JSON API, CORS answered per site."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from ..extensions import begin_write
from ..models import Site
from ..services import sites

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ALLOWED_HEADERS = "Content-Type, X-Engage-Reader, X-Engage-Edit-Token"
EXPOSED_HEADERS = "ETag, Retry-After"


def use_site(key: str | None) -> Site:
    """Resolve the request's site (unknown_site) and remember it for the CORS answer."""
    site = sites.get_site(key)
    g.site = site
    return site


def origin_header() -> str | None:
    return request.headers.get("Origin")


@bp.before_request
def start_write_transaction() -> None:
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        begin_write()


@bp.after_app_request
def answer_cors(response: Response) -> Response:
    # Only the public API is cross-origin; moderation answers no one else.
    if not request.path.startswith("/api/v1/") or request.path.startswith("/api/v1/mod/"):
        return response
    response.vary.add("Origin")
    origin = origin_header()
    if not origin:
        return response
    normalized = sites.normalize_origin(origin)
    site: Site | None = g.get("site")
    if normalized is None:
        return response
    # Before the site is known (a preflight, an unknown site), any registered origin may read
    # the answer: it reveals nothing, and lets the widget show the error.
    allowed = normalized in site.origin_set if site else sites.origin_is_registered(normalized)
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


from . import comments, engagement, mod, openapi, threads  # noqa: E402,F401  (routes register on bp)
