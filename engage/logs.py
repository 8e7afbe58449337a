"""Logging: every 500 (with its traceback), every 503's cause and every fallback, with the
request's id, in gunicorn's error log when gunicorn runs us, on stderr otherwise."""

from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
# A proxy's own id is kept when it looks like one (nginx's $request_id, a UUID): nothing that
# could forge a log line (no spaces, no line breaks).
_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: [%(request_id)s] %(message)s"
# Our own loggers, and those of the libraries whose fallbacks must be heard of.
LOGGERS = ("engage", "flask-limiter", "sqlalchemy.pool")


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def printable(text: str) -> str:
    """Return text with its control characters escaped: a path can forge no log line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def valid_request_id(value: str) -> bool:
    """Tell whether an incoming X-Request-Id may be kept (and logged) as it is."""
    return bool(_INCOMING_ID.fullmatch(value))


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request it was logged in ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class ToServerLog(logging.Handler):
    """Hand records to gunicorn's error log, whose files follow its USR1 reopening."""

    def emit(self, record: logging.LogRecord) -> None:
        copy = logging.makeLogRecord(record.__dict__)
        copy.msg = f"{record.name}: [{getattr(record, 'request_id', '-')}] {record.getMessage()}"
        copy.args = ()
        logging.getLogger("gunicorn.error").handle(copy)


def _handler() -> logging.Handler:
    if logging.getLogger("gunicorn.error").handlers:
        # Under gunicorn (daemonised too), its error log is where operators look.
        return ToServerLog()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


def configure_logging(app: Flask) -> None:
    """Route engage's and its libraries' warnings and errors to the server's error log."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if getattr(logger, "_engage_configured", False):
            continue  # once per process: tests and `flask` commands build many apps
        handler = _handler()
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO if name == "engage" else logging.WARNING)
        logger.propagate = False
        logger._engage_configured = True  # type: ignore[attr-defined]

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if valid_request_id(incoming) else uuid.uuid4().hex

    @app.after_request
    def send_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id") or uuid.uuid4().hex
        return response
