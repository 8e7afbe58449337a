"""The last resort around Flask: whatever escapes it still gets an answer in our shape."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from ..database import is_database_fault
from ..logs import printable
from ..services.sites import normalize_origin

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LastResort:
    """Turn an exception that escaped Flask into a 503 or 500 in the contract's shape.

    Flask's handlers catch what views and before-request hooks raise; this catches what
    they cannot: a failure while finalising an error answer, or in a teardown. It should
    never fire, and logs loudly when it does.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            return self.app(environ, start_response)
        except Exception as exc:
            path = environ.get("PATH_INFO", "")
            log.exception("escaped Flask's handlers on %s %s", environ.get("REQUEST_METHOD"),
                          printable(path))
            fault = is_database_fault(exc)
            status = "503 Service Unavailable" if fault else "500 Internal Server Error"
            headers = [("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")]
            if path.startswith("/api/") or path == "/healthz":
                code, message = (
                    ("unavailable", "The database cannot be reached.")
                    if fault else ("internal_error", "Internal error.")
                )
                body = json.dumps({"error": {"code": code, "message": message, "fields": {}}})
                headers += [("Content-Type", "application/json"),
                            ("Content-Security-Policy", "default-src 'none'")]
                origin = environ.get("HTTP_ORIGIN") or ""
                public = path.startswith("/api/v1/") and not path.startswith("/api/v1/mod/")
                if public and normalize_origin(origin) is not None:
                    # An error in the contract's shape reveals nothing: let the widget read it.
                    headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
            else:
                body = f"<!doctype html><title>{status}</title><h1>{status}</h1>"
                headers.append(("Content-Type", "text/html; charset=utf-8"))
            if fault:
                headers.append(("Retry-After", "1"))
            data = body.encode()
            headers.append(("Content-Length", str(len(data))))
            start_response(status, headers, sys.exc_info())
            return [data]
