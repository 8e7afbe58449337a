"""Rate limits: the named limits of each write and the keys they count by.

Each limit is read from the config at request time (ENGAGE_RATELIMIT_* variables), with the
defaults below, which a busy news site can live with. With several workers the counters must
be shared: RATELIMIT_STORAGE_URI=redis://… (memory:// counts per process).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request

from .identity import READER_HEADER, client_network, keyed_hash

DEFAULT_LIMITS = {
    "ENGAGE_LIMIT_COMMENTS": "5 per minute; 30 per hour",
    "ENGAGE_LIMIT_ENGAGEMENT": "30 per minute",  # reactions, likes, shares
    "ENGAGE_LIMIT_REPORTS": "10 per hour",
    "ENGAGE_LIMIT_EDITS": "30 per hour",
    "ENGAGE_LIMIT_LOGIN": "5 per minute",
}


def named(name: str) -> Callable[[], str]:
    """Return the limit string of this name, from the config or its default."""

    def limit() -> str:
        return str(current_app.config.get(name) or DEFAULT_LIMITS[name])

    return limit


def by_ip() -> str:
    """Count per client IP (after the trusted proxies; per /64 for IPv6)."""
    # Hashed: the limiter's storage (Redis) keys would otherwise hold readers' IPs in clear.
    return f"ip:{keyed_hash('limit', client_network())}"


def by_reader() -> str:
    """Count per reader token (use with exempt_when=without_reader)."""
    token = request.headers.get(READER_HEADER, "")
    # Hashed so that the limiter's storage (Redis) never holds a raw reader token either.
    return f"reader:{keyed_hash('limit', token)}"


def without_reader() -> bool:
    """A request without a reader token is counted by its IP alone."""
    return READER_HEADER not in request.headers
