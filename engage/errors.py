"""One error shape for the API (CONTRACT §2) and the handlers that enforce it."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from .database import is_database_fault, is_sqlite_busy
from .extensions import db
from .logs import printable

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer in the contract's error shape; raise a subclass."""

    code = "internal_error"
    status = 500
    default_message = "Internal error."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.fields = fields or {}
        self.retry_after = retry_after

    def describe(self) -> str:
        """The message and the fields' complaints on one line, for the command line."""
        details = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        return f"{self.message} {details}".strip()

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "fields": self.fields}
        if self.retry_after is not None:
            error["retry_after"] = self.retry_after
        return {"error": error}


class ValidationError(ApiError):
    code, status, default_message = "validation_error", 400, "The request is not valid."


class UnknownSite(ApiError):
    code, status, default_message = "unknown_site", 404, "No site has this key."


class NotFound(ApiError):
    code, status, default_message = "not_found", 404, "Not found."


class ForbiddenOrigin(ApiError):
    code, status, default_message = (
        "forbidden_origin",
        403,
        "This origin is not registered for the site.",
    )


class ThreadClosed(ApiError):
    code, status, default_message = "thread_closed", 403, "Comments are closed on this article."


class Banned(ApiError):
    code, status, default_message = "banned", 403, "You can no longer comment on this site."


class BadToken(ApiError):
    code, status, default_message = "bad_token", 403, "The edit token is invalid or has expired."


class BadSignIn(ApiError):
    """A single sign-on token (X-Engage-SSO) that cannot be trusted: 401, as the contract says,
    where an edit token's bad_token is 403."""

    code, status, default_message = "bad_token", 401, "The sign-in token is invalid or has expired."


class LoginRequired(ApiError):
    """A guest's comment on a site whose policy is comments=accounts."""

    code, status = "login_required", 401
    default_message = "Sign in on the site to comment: it takes comments from accounts only."


class Unauthorized(ApiError):
    code, status, default_message = "unauthorized", 401, "A valid API token is required."


class Forbidden(ApiError):
    code, status, default_message = "forbidden", 403, "You may not act on this site."


class MethodNotAllowed(ApiError):
    # Not in the contract's list: a client error the contract's codes do not name.
    code, status, default_message = "method_not_allowed", 405, "Method not allowed here."


class Conflict(ApiError):
    # Not in the contract's list: a valid request that the resource's present state refuses.
    code, status, default_message = "conflict", 409, "The comment's present state refuses this."


class PayloadTooLarge(ApiError):
    code, status, default_message = "payload_too_large", 413, "The request body is too large."


class RateLimited(ApiError):
    code, status, default_message = "rate_limited", 429, "Too many requests; try again later."


class Unavailable(ApiError):
    code, status, default_message = "unavailable", 503, "The database cannot be reached."


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    # We parse bodies as JSON whatever their Content-Type; a 415 can only be a bad body.
    415: ValidationError,
    429: RateLimited,
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error_response(error: ApiError) -> Response:
    response = jsonify(error.to_dict())
    response.status_code = error.status
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _from_http_exception(exc: HTTPException) -> ApiError:
    error_class = _BY_STATUS.get(exc.code or 500, ApiError)
    # Werkzeug's own descriptions are written for HTML pages; ours are short and plain.
    error = error_class()
    if exc.code == 429:
        error.retry_after = _seconds_until_reset()
    return error


def _seconds_until_reset() -> int:
    from .extensions import limiter

    current = limiter.current_limit
    return max(1, int(current.reset_at - time.time())) if current else 60


def register_error_handlers(app: Flask) -> None:
    """Answer every error under /api in the contract's JSON shape, and with pages elsewhere."""

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError) -> Response:
        safe_rollback()
        return api_error_response(error)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException) -> Any:
        # Flask hands an error raised in an after-request hook over as a 500 wrapping it.
        original = getattr(exc, "original_exception", None)
        if original is not None and is_database_fault(original):
            return database_fault_response(original)
        if is_api_request() or request.path == "/healthz":
            response = api_error_response(_from_http_exception(exc))
            if exc.code == 405 and exc.response is None:
                allowed = exc.get_headers()
                for name, value in allowed:
                    if name == "Allow":
                        response.headers["Allow"] = value
            return response
        return exc

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):  # pragma: no cover - routed above
            return exc
        safe_rollback()
        if is_database_fault(exc):
            return database_fault_response(exc)
        log.exception("500 on %s %s", request.method, printable(request.path))
        if is_api_request():
            return api_error_response(ApiError())
        return error_page(500)


def database_fault_response(exc: BaseException) -> Response:
    """Answer a database fault with a 503: JSON under /api and /healthz, a page elsewhere."""
    busy = is_sqlite_busy(exc)
    g.database_fault = True  # later hooks (CORS) must not wait on the database a second time
    log.error(
        "503 on %s %s: database %s: %s",
        request.method,
        printable(request.path),
        "busy" if busy else "unavailable",
        str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
    )
    if is_api_request() or request.path == "/healthz":
        message = "The database is busy; try again in a moment." if busy else None
        return api_error_response(Unavailable(message, retry_after=_retry_after()))
    response = error_page(503, busy=busy)
    response.headers["Retry-After"] = str(_retry_after())
    return response


def _retry_after() -> int:
    return max(1, math.ceil(float(current_app.config.get("ENGAGE_DB_RETRY_AFTER", 1))))


def safe_rollback() -> None:
    """Roll the session back, even when its connection is gone (the answer must not fail)."""
    try:
        db.session.rollback()
    except Exception:
        log.debug("rollback failed after an error", exc_info=True)


_BARE_PAGE = "<!doctype html><title>{0} \u00b7 engage</title><h1>{0}</h1>"


def error_page(status: int, *, busy: bool = False) -> Response:
    """Render engage's error page with no database, session or catalog behind it.

    Templates rendered through render_template run the context processors, which load the
    signed-in moderator from the database: the very thing that may be down.
    """
    lang = request.accept_languages.best_match(["fr", "en"]) or "fr"
    try:
        template = current_app.jinja_env.get_template("errors/error.html")
        html = template.render(status=status, busy=busy, lang=lang, request_id=g.get("request_id"))
    except Exception:
        log.exception("the error page itself failed; answering a bare one")
        html = _BARE_PAGE.format(status)
    return Response(html, status, mimetype="text/html")
