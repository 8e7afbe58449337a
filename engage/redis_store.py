"""The shared Redis, when one is configured: a client with short timeouts and its health.

A Redis fault never fails a request: the rate limits fall back to per-process memory
(Flask-Limiter's own fallback, set up in config.py), and /healthz reports "redis": "down".
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)

_SCHEMES = ("redis://", "rediss://", "unix://")


def configured_url() -> str | None:
    """Return the Redis URL in use: ENGAGE_REDIS_URL, else the rate limits' Redis storage."""
    config = current_app.config
    for url in (config.get("ENGAGE_REDIS_URL"), config.get("RATELIMIT_STORAGE_URI")):
        if url and str(url).startswith(_SCHEMES):
            return str(url)
    return None


def client() -> Any | None:
    """Return this app's Redis client (None without Redis); calls fail within the timeout."""
    url = configured_url()
    return None if url is None else client_for(url)


def client_for(url: str) -> Any:
    """Return this app's client of the Redis at url, made once."""
    clients = current_app.extensions.setdefault("engage.redis", {})
    if url not in clients:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        timeout = float(current_app.config["ENGAGE_REDIS_TIMEOUT"])
        clients[url] = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # one short try: a frozen Redis must cost little
            health_check_interval=0,
        )
    return clients[url]


def health() -> str | None:
    """Return "ok" or "down" for the configured Redis, None when there is none."""
    redis_client = client()
    if redis_client is None:
        return None
    import redis

    try:
        redis_client.ping()
        state = "ok"
    except (redis.RedisError, OSError) as exc:
        state = "down"
        reason = str(exc)
    previous = current_app.extensions.get("engage.redis_state")
    if state != previous:
        current_app.extensions["engage.redis_state"] = state
        if state == "down":
            log.warning("Redis is down (%s): limits count per process until it is back", reason)
        elif previous == "down":
            log.warning("Redis is back")
    return state
