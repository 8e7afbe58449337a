"""Load configuration once: defaults, then ENGAGE_* environment variables, then the caller's
dict."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from .database import DB_DEFAULTS


class ConfigError(SystemExit):
    """A configuration that cannot start; exits with a one-line message, not a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"engage: configuration error: {message}")


def _as_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _as_nonnegative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"expected 0 or more, got {number}")
    return number


def _as_nonnegative_number(value: str) -> float:
    number = float(value)
    if not number >= 0 or number == float("inf"):
        raise ValueError(f"expected a number, 0 or more, got {value!r}")
    return number


def _as_cache_mode(value: str) -> str:
    if value not in {"auto", "off"}:
        raise ValueError(f"expected auto or off, got {value!r}")
    return value


# The documented environment (CONTRACT §5) and the config key each variable sets.
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "ENGAGE_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "ENGAGE_SECRET_KEY": ("SECRET_KEY", str),
    "ENGAGE_RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "ENGAGE_RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _as_bool),
    "ENGAGE_REDIS_URL": ("ENGAGE_REDIS_URL", str),
    "ENGAGE_TRUSTED_PROXIES": ("ENGAGE_TRUSTED_PROXIES", _as_nonnegative_int),
    # Extensions of the contract: rate limits, e-mail digests, links in them.
    "ENGAGE_LIMIT_COMMENTS": ("ENGAGE_LIMIT_COMMENTS", str),
    "ENGAGE_LIMIT_ENGAGEMENT": ("ENGAGE_LIMIT_ENGAGEMENT", str),
    "ENGAGE_LIMIT_REPORTS": ("ENGAGE_LIMIT_REPORTS", str),
    "ENGAGE_LIMIT_EDITS": ("ENGAGE_LIMIT_EDITS", str),
    "ENGAGE_LIMIT_LOGIN": ("ENGAGE_LIMIT_LOGIN", str),
    "ENGAGE_SMTP_URL": ("ENGAGE_SMTP_URL", str),
    "ENGAGE_MAIL_FROM": ("ENGAGE_MAIL_FROM", str),
    "ENGAGE_BASE_URL": ("ENGAGE_BASE_URL", str),
    "ENGAGE_WEBHOOKS_ALLOW_PRIVATE": ("ENGAGE_WEBHOOKS_ALLOW_PRIVATE", _as_bool),
    "ENGAGE_WORKER_INTERVAL": ("ENGAGE_WORKER_INTERVAL", _as_nonnegative_number),
    # Database timeouts and pool (engage/database.py); URL parameters win over them.
    "ENGAGE_DB_CONNECT_TIMEOUT": ("ENGAGE_DB_CONNECT_TIMEOUT", _as_nonnegative_int),
    "ENGAGE_DB_STATEMENT_TIMEOUT": ("ENGAGE_DB_STATEMENT_TIMEOUT", _as_nonnegative_int),
    "ENGAGE_DB_POOL_SIZE": ("ENGAGE_DB_POOL_SIZE", _as_nonnegative_int),
    "ENGAGE_DB_MAX_OVERFLOW": ("ENGAGE_DB_MAX_OVERFLOW", _as_nonnegative_int),
    "ENGAGE_DB_POOL_TIMEOUT": ("ENGAGE_DB_POOL_TIMEOUT", _as_nonnegative_number),
    "ENGAGE_DB_POOL_RECYCLE": ("ENGAGE_DB_POOL_RECYCLE", _as_nonnegative_int),
    "ENGAGE_DB_RETRY_AFTER": ("ENGAGE_DB_RETRY_AFTER", _as_nonnegative_number),
    # The read cache (engage/serving/cache.py) and what CDNs may keep.
    "ENGAGE_CACHE": ("ENGAGE_CACHE", _as_cache_mode),
    "ENGAGE_CACHE_TTL": ("ENGAGE_CACHE_TTL", _as_nonnegative_number),
    "ENGAGE_CACHE_MB": ("ENGAGE_CACHE_MB", _as_nonnegative_int),
    "ENGAGE_CDN_MAX_AGE": ("ENGAGE_CDN_MAX_AGE", _as_nonnegative_int),
    "ENGAGE_CDN_STALE": ("ENGAGE_CDN_STALE", _as_nonnegative_int),
    # Redis (rate limits, /healthz): how long one call may take before it counts as down.
    "ENGAGE_REDIS_TIMEOUT": ("ENGAGE_REDIS_TIMEOUT", _as_nonnegative_number),
}

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,  # filled from the instance folder when unset
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    **DB_DEFAULTS,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    # A Redis fault never fails a request: the limits count in this process's memory while the
    # storage is away (Flask-Limiter logs the switch once, and the recovery).
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "ENGAGE_REDIS_URL": None,
    "ENGAGE_REDIS_TIMEOUT": 0.25,
    "ENGAGE_CACHE": "auto",  # cached reads: Redis when set, else a file on SQLite; "off"
    "ENGAGE_CACHE_TTL": 60,  # s: the longest a cached answer lives, whatever happens
    "ENGAGE_CACHE_MB": 64,  # per process: cached answers beyond this are evicted, oldest first
    "ENGAGE_CDN_MAX_AGE": 5,  # s: s-maxage of thread and counts answers (0: CDNs keep nothing)
    "ENGAGE_CDN_STALE": 30,  # s: stale-while-revalidate for CDNs
    "ENGAGE_TRUSTED_PROXIES": 0,
    "ENGAGE_SMTP_URL": None,  # smtp://, smtp+starttls:// or smtps://user:password@host:port
    "ENGAGE_MAIL_FROM": "engage <engage@localhost>",
    "ENGAGE_BASE_URL": None,  # this service's public URL, for links in e-mails
    # Webhooks go to https:// on public addresses only; true also allows http:// and private
    # or loopback addresses (tests, intranets).
    "ENGAGE_WEBHOOKS_ALLOW_PRIVATE": False,
    "ENGAGE_WORKER_INTERVAL": 2,  # s: how often `engage worker` looks for due messages
    "ENGAGE_DEMO": False,  # set by `engage demo` only
    "ENGAGE_DEMO_SITE": "demo",
    # Comment bodies are at most 5000 characters; 64 KB leaves room for JSON escaping.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Moderators' sessions travel only over HTTPS; the demo and the tests run on plain HTTP.
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Flask-Login drops a session used from another IP or browser.
    "SESSION_PROTECTION": "strong",
    # The moderation pages speak French unless the moderator or the browser asks for English.
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
}

_INSECURE_HTTP_DEFAULTS = ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE")


def instance_path() -> str | None:
    """Return ENGAGE_INSTANCE_PATH made absolute, or None for Flask's default folder."""
    configured = os.environ.get("ENGAGE_INSTANCE_PATH")
    return os.path.abspath(configured) if configured else None


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Fill app.config from defaults, the environment and overrides; ConfigError if unusable."""
    app.config.from_mapping(DEFAULTS)
    for variable, (key, parse) in ENVIRONMENT.items():
        raw = os.environ.get(variable)
        if raw is None or raw == "":
            continue
        try:
            app.config[key] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{variable}: {exc}") from None
    app.config.from_mapping(overrides or {})

    # With a shared Redis and no storage named for the limits, the limits share it too:
    # memory:// would count per worker.
    storage_named = "ENGAGE_RATELIMIT_STORAGE_URI" in os.environ or "RATELIMIT_STORAGE_URI" in (
        overrides or {}
    )
    if app.config["ENGAGE_REDIS_URL"] and not storage_named:
        app.config["RATELIMIT_STORAGE_URI"] = app.config["ENGAGE_REDIS_URL"]

    if app.config.get("ENGAGE_CLI"):
        # Operators' commands (migrations, imports, purges) may rightly run for minutes; the
        # web's statement timeout (and its client-side deadline) is for requests only.
        app.config["ENGAGE_DB_STATEMENT_TIMEOUT"] = 0

    if app.config["ENGAGE_DEMO"]:
        _demo_defaults(app, overrides or {})
    _redis_storage_options(app)
    if app.config["ENGAGE_DEMO"] or app.config["TESTING"]:
        # Both serve http://127.0.0.1, where a Secure cookie would never come back.
        for key in _INSECURE_HTTP_DEFAULTS:
            if key not in (overrides or {}):
                app.config[key] = False

    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "engage.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"

    if not app.config["SECRET_KEY"]:
        if app.config["TESTING"]:
            app.config["SECRET_KEY"] = "test-secret-key-not-for-production"
        else:
            raise ConfigError(
                "ENGAGE_SECRET_KEY is not set. It signs sessions and edit tokens and keys the "
                "hashes of readers' identifiers; generate one with\n"
                "  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'\n"
                "(`engage demo` makes its own for a local try-out)."
            )


def _redis_storage_options(app: Flask) -> None:
    if not str(app.config["RATELIMIT_STORAGE_URI"]).startswith(("redis", "rediss", "valkey")):
        return
    # redis-py waits for ever and retries three times by default: a frozen Redis would hold
    # every write. One short try, then the in-memory fallback answers.
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    timeout = float(app.config["ENGAGE_REDIS_TIMEOUT"])
    options = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
        **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
    }
    app.config["RATELIMIT_STORAGE_OPTIONS"] = options


def _demo_defaults(app: Flask, overrides: Mapping[str, Any]) -> None:
    # The demo never touches the database of the environment: its own SQLite file and its own
    # secret, both kept in the instance folder so that a second run finds the same data. Only
    # the caller's explicit config (tests) may say otherwise.
    os.makedirs(app.instance_path, exist_ok=True)
    path = os.path.join(app.instance_path, "engage-demo.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = overrides.get(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{path}"
    )
    if overrides.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = overrides["SECRET_KEY"]
        return
    secret_file = os.path.join(app.instance_path, "demo-secret-key")
    if not os.path.exists(secret_file):
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    with open(secret_file) as handle:
        app.config["SECRET_KEY"] = handle.read().strip()
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
