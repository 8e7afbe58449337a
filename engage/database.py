"""The database connection: timeouts, pool settings and a quick answer when the server fails.

A web request must never hang on its database. PostgreSQL gets a connect timeout, a
statement timeout and a bounded pool wait, and, because a frozen server (SIGSTOP, a hung host)
enforces no statement timeout of its own, every wait on its socket also has a client-side
deadline. When the server has just failed, a short circuit breaker answers the next requests
at once instead of letting each of them wait out its own timeout; it lets a new attempt
through after ENGAGE_DB_RETRY_AFTER seconds, so recovery needs no restart.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

log = logging.getLogger(__name__)

# Seconds (or milliseconds where named) and what each bounds; ENGAGE_DB_* variables override.
DB_DEFAULTS: dict[str, float] = {
    "ENGAGE_DB_CONNECT_TIMEOUT": 2,  # s: PostgreSQL connect_timeout (libpq's minimum is 2)
    "ENGAGE_DB_STATEMENT_TIMEOUT": 2000,  # ms: the longest one web statement or SQLite lock wait
    "ENGAGE_DB_POOL_SIZE": 10,  # connections kept open per process (>= the threads per worker)
    "ENGAGE_DB_MAX_OVERFLOW": 10,  # extra connections under a burst
    "ENGAGE_DB_POOL_TIMEOUT": 2,  # s: the longest a request waits for a free connection
    "ENGAGE_DB_POOL_RECYCLE": 1800,  # s: connections older than this are replaced
    "ENGAGE_DB_RETRY_AFTER": 1,  # s: after a failure, answer 503 at once for this long
}

# Past the statement timeout, the client stops waiting too: the server has not answered at
# all (it is frozen or unreachable), which its own timeout cannot catch.
_CLIENT_GRACE = 0.5


class CircuitBreaker:
    """Remember that the database just failed, so that requests fail fast for a moment."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        self._open_until = 0.0
        self._lock = threading.Lock()

    def trip(self, reason: str) -> None:
        with self._lock:
            was_closed = self._open_until <= time.monotonic()
            self._open_until = time.monotonic() + self.retry_after
        if was_closed:
            log.error("database unavailable (%s): answering 503 for %gs", reason, self.retry_after)

    def is_open(self) -> bool:
        return self._open_until > time.monotonic()


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """Return the SQLAlchemy engine options for the configured database and its timeouts."""
    # hide_parameters: tracebacks in the error log must not carry e-mails, bodies or hashes.
    options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True,
                               **config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    connect_args: dict[str, Any] = dict(options.get("connect_args", {}))
    statement_ms = int(config["ENGAGE_DB_STATEMENT_TIMEOUT"])
    if url.get_backend_name() == "postgresql":
        options.setdefault("pool_size", int(config["ENGAGE_DB_POOL_SIZE"]))
        options.setdefault("max_overflow", int(config["ENGAGE_DB_MAX_OVERFLOW"]))
        options.setdefault("pool_timeout", float(config["ENGAGE_DB_POOL_TIMEOUT"]))
        options.setdefault("pool_recycle", int(config["ENGAGE_DB_POOL_RECYCLE"]))
        # Parameters written in the URL (?connect_timeout=5&options=-c statement_timeout=…)
        # are the operator's word and win over ours.
        if "connect_timeout" not in url.query:
            connect_args.setdefault("connect_timeout", int(config["ENGAGE_DB_CONNECT_TIMEOUT"]))
        if "options" not in url.query and statement_ms:
            connect_args.setdefault(
                "options",
                f"-c statement_timeout={statement_ms} "
                # A transaction left open by a crashed worker must not hold its locks for ever.
                f"-c idle_in_transaction_session_timeout={max(statement_ms * 10, 10000)}",
            )
    elif url.get_backend_name() == "sqlite":
        # How long a writer waits for SQLite's lock before the request answers 503 (busy).
        connect_args.setdefault("timeout", statement_ms / 1000 if statement_ms else 5.0)
    options["connect_args"] = connect_args
    return options


_URL_STATEMENT_TIMEOUT = re.compile(r"statement_timeout\s*=\s*(\d+)\s*(ms|s|min)?")


def _client_deadline(config: dict[str, Any]) -> float | None:
    # The statement timeout in force: the operator's, when the URL sets one, else ours.
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    options = url.query.get("options")
    if options is not None:
        found = _URL_STATEMENT_TIMEOUT.search(" ".join(options) if isinstance(
            options, tuple) else options)
        if found is None:
            return None
        unit = {"ms": 0.001, "s": 1.0, "min": 60.0}[found.group(2) or "ms"]
        seconds = int(found.group(1)) * unit
    else:
        seconds = int(config["ENGAGE_DB_STATEMENT_TIMEOUT"]) / 1000
    return seconds + _CLIENT_GRACE if seconds else None


def install_fault_handling(app: Flask, engine: Engine) -> None:
    """Bound every wait on the engine's PostgreSQL connections and trip the breaker on faults."""
    breaker = CircuitBreaker(float(app.config["ENGAGE_DB_RETRY_AFTER"]))
    app.extensions["engage.db_breaker"] = breaker
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    deadline = _client_deadline(app.config)
    connection_class = _deadline_connection_class()

    @event.listens_for(engine, "do_connect")
    def connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        import psycopg

        if breaker.is_open():
            raise psycopg.OperationalError("the database failed a moment ago; not retrying yet")
        try:
            connection = connection_class.connect(*cargs, **cparams)
        except psycopg.OperationalError as exc:
            breaker.trip(f"cannot connect: {str(exc).strip()}")
            raise
        connection.read_deadline = deadline
        connection.breaker = breaker
        return connection


_CONNECTION_CLASS: Any = None


def _deadline_connection_class() -> Any:
    """Return a psycopg Connection whose every wait on the server ends at a deadline."""
    global _CONNECTION_CLASS
    if _CONNECTION_CLASS is not None:
        return _CONNECTION_CLASS
    import psycopg
    from psycopg import errors

    class DeadlineConnection(psycopg.Connection):  # type: ignore[type-arg]
        read_deadline: float | None = None
        breaker: CircuitBreaker | None = None

        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            if timeout is not None or self.read_deadline is None:
                return super().wait(gen, interval=interval, timeout=timeout)  # the caller's own
            try:
                return super().wait(gen, interval=interval, timeout=self.read_deadline)
            except errors._WaitTimeout:  # psycopg's own signal that `timeout` ran out
                # The protocol is cut mid-message: this connection cannot be used again.
                # Closed, it reads as a disconnect to SQLAlchemy, which renews the whole pool.
                self.pgconn.finish()
                if self.breaker is not None:
                    self.breaker.trip(f"no answer within {self.read_deadline}s")
                raise psycopg.OperationalError(
                    f"the database did not answer within {self.read_deadline}s"
                ) from None

    _CONNECTION_CLASS = DeadlineConnection
    return _CONNECTION_CLASS


def breaker_is_open() -> bool:
    """Tell whether this process saw the database fail a moment ago."""
    breaker = current_app.extensions.get("engage.db_breaker")
    return breaker is not None and breaker.is_open()


_SCHEMA_ERRORS = ("no such table", "no such column", "has no column")


def is_database_fault(exc: BaseException) -> bool:
    """Tell whether an exception means the database is down, frozen, busy or unreachable."""
    if isinstance(exc, OperationalError) and any(e in str(exc.orig) for e in _SCHEMA_ERRORS):
        return False  # SQLite's word for a schema not migrated (`engage init`): a bug to show
    if isinstance(exc, OperationalError | PoolTimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # psycopg's InterfaceError ("the connection is closed") after the server went away.
    return isinstance(exc, SQLAlchemyError) and "connection is closed" in str(exc)


def is_sqlite_busy(exc: BaseException) -> bool:
    """Tell whether an exception is SQLite's lock timeout (busy, not down)."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)
