"""What `engage serve` (and the shipped gunicorn.conf.py) picks for this configuration.

On SQLite: one process with threads. Its rate limits in memory are then exact, and a
single writer process meets no lock contention from others. On PostgreSQL: a process
per core, each with threads. Threads rather than more processes: a slow client (a phone on a
bad line sending its body byte by byte) then holds one thread, not a whole worker.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

THREADS = 8
DEFAULT_BIND = "127.0.0.1:8000"


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    """The server's shape for one configuration."""

    backend: str  # "sqlite" or "postgresql" (or another SQLAlchemy backend name)
    workers: int
    threads: int
    storage_uri: str  # where rate limits count
    limits_enabled: bool
    forwarded_allow_ips: str  # whom gunicorn believes about X-Forwarded-Proto


def read_config() -> dict[str, Any]:
    """Return engage's configuration as create_app would load it (ConfigError if unusable)."""
    from ..config import instance_path, load_config

    app = Flask("engage", instance_path=instance_path(), instance_relative_config=True)
    load_config(app, None)
    return dict(app.config)


def pick(config: Mapping[str, Any], cores: int | None = None) -> ServeSettings:
    """Choose processes and threads for this configuration."""
    from sqlalchemy.engine import make_url

    backend = make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    cores = cores or os.cpu_count() or 1
    workers = 1 if backend == "sqlite" else max(2, cores)
    trusted = int(config.get("ENGAGE_TRUSTED_PROXIES") or 0)
    return ServeSettings(
        backend=backend,
        workers=workers,
        threads=THREADS,
        storage_uri=str(config["RATELIMIT_STORAGE_URI"]),
        limits_enabled=bool(config.get("RATELIMIT_ENABLED", True)),
        # Behind trusted proxies, ProxyFix in the app reads the hops; with none, nobody is
        # believed (gunicorn's own default trusts any local process).
        forwarded_allow_ips="*" if trusted else "",
    )


def refusal(settings: ServeSettings, workers: int, allow_per_process_limits: bool) -> str | None:
    """Say why this many processes must not start with these limits, or None when they may."""
    if workers <= 1 or allow_per_process_limits or not settings.limits_enabled:
        return None
    if not settings.storage_uri.startswith("memory://"):
        return None
    return (
        f"{workers} processes would each count the rate limits in their own memory "
        f"(RATELIMIT storage memory://), so every limit would be {workers} times too loose and "
        "forgotten at each restart. Set ENGAGE_REDIS_URL (or ENGAGE_RATELIMIT_STORAGE_URI="
        "redis://…) so that all processes count together, run with --workers 1, or pass "
        "--allow-per-process-limits if you accept it."
    )
