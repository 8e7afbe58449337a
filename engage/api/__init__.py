"""Blueprint "api" at /api/v1: the public JSON API, CORS answered per site."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from ..extensions import begin_read, begin_write, end_read
from ..identity import reader_hash
from ..models import Site
from ..services import origins, sites, sso

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ALLOWED_HEADERS = "Content-Type, X-Engage-Reader, X-Engage-Edit-Token, X-Engage-SSO"
SSO_HEADER = "X-Engage-SSO"
EXPOSED_HEADERS = "ETag, Retry-After"


def use_site(key: str | None) -> Site:
    """Resolve the request's site and check the page's origin; unknown_site, forbidden_origin.

    Reads are checked too: a page served from an origin the site did not register (localhost
    instead of 127.0.0.1, www., http instead of https, a staging host) then learns why, with
    CORS headers on the refusal, instead of an answer its browser hides as an outage.
    """
    site = sites.get_site(key)
    remember_site(site)
    sites.check_origin(site, origin_header())
    return site


def signed_in(site: Site) -> sso.Account | None:
    """The reader the site signed in (X-Engage-SSO), None for a guest; bad_token (401)."""
    token = request.headers.get(SSO_HEADER, "")
    return sso.verify(site, token) if token.strip() else None


def acting_reader(site: Site) -> str:
    """Who likes, reacts, shares or reports: a signed-in reader's account, so that it counts
    once on every device; else the browser's X-Engage-Reader (validation_error without)."""
    account = signed_in(site)
    return account.key if account else reader_hash()


def remember_site(site: Site) -> None:
    """Remember the request's site, and its origins for the CORS answer."""
    g.site = site
    # Copied now: after the write's commit, or a fault's rollback, the site's attributes expire
    # and reading them again would be a query, in a hook that must not fail.
    g.site_origins = frozenset(site.origin_set)
    origins.remember(g.site_origins)


def origin_header() -> str | None:
    return request.headers.get("Origin")


# The public reads: the same for every reader, cached in front of Flask (serving/cache.py).
PUBLIC_READS = {"api.get_thread", "api.get_replies", "api.get_counts"}


@bp.before_request
def start_transaction() -> None:
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        begin_write()
    elif request.endpoint in PUBLIC_READS:
        g.autocommit_read = begin_read()


@bp.teardown_request
def finish_read(exc: BaseException | None) -> None:
    # Per request, not per app context: a context that outlives the request (a command, a
    # test) must not go on in autocommit.
    if g.pop("autocommit_read", False):
        end_read()


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
    if normalized is not None and _may_read(normalized, response):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _may_read(origin: str, response: Response) -> bool:
    if request.method == "OPTIONS":
        # Any origin may send its request: no credentials ride on the public API and every
        # request is checked against the site's origins, so an unregistered page reads its
        # 403 forbidden_origin (and the widget says what to fix) rather than a network error.
        return True
    site_origins: frozenset[str] | None = g.get("site_origins")
    if site_origins is not None:
        # Off the site's origins, only the refusal itself is readable: it reveals nothing.
        return origin in site_origins or response.status_code == 403
    # Before the site is known (a preflight, an unknown site, a database fault), any registered
    # origin may read the answer: it reveals nothing, and lets the widget show the error. When
    # not even that can be known, an error in the contract's shape still reveals nothing.
    if response.status_code >= 500:
        g.database_fault = True  # a failing request must not also wait to refresh the origins
    registered = origins.is_registered(origin)
    return registered if registered is not None else response.status_code >= 400


def cached_answer_reader(origin: str | None, site_origins: frozenset[str]) -> str | None:
    """For the read cache: the Origin to allow on a cached answer of this site, or None."""
    normalized = sites.normalize_origin(origin) if origin else None
    return origin if normalized is not None and normalized in site_origins else None


from . import comments, engagement, mod, mod_webhooks, openapi, threads  # noqa: E402,F401  (routes register on bp)
