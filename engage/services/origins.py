"""Every site's registered origins, as this process last read them.

CORS must answer before a site is known (preflights, unknown sites) and while the database
is failing (so that the widget can read its 503): both read this snapshot instead of the
database. It is read again after REFRESH_SECONDS, and at once after this process changes
origins; other processes see a change within REFRESH_SECONDS.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import SiteOrigin

REFRESH_SECONDS = 10.0

log = logging.getLogger(__name__)


class OriginSnapshot:
    """The set of registered origins and when it was read."""

    def __init__(self) -> None:
        self.origins: frozenset[str] | None = None  # None: never read (the database was down)
        self.read_at = float("-inf")
        # Origins of the sites this process loaded: still known when the database is not.
        self.seen: set[str] = set()
        self.lock = threading.Lock()


def _snapshot() -> OriginSnapshot:
    snapshot = current_app.extensions.get("engage.origins")
    if snapshot is None:
        snapshot = current_app.extensions.setdefault("engage.origins", OriginSnapshot())
    return snapshot  # type: ignore[no-any-return]


def is_registered(origin: str) -> bool | None:
    """Tell whether any site registered this normalised origin; None when it cannot be known.

    Never raises: a database fault keeps the last snapshot, and costs no second wait when
    this request already met one.
    """
    snapshot = _snapshot()
    if time.monotonic() - snapshot.read_at > REFRESH_SECONDS and not g.get("database_fault"):
        _refresh(snapshot)
    if snapshot.origins is not None and origin in snapshot.origins:
        return True
    if time.monotonic() - snapshot.read_at <= REFRESH_SECONDS:
        return False  # a fresh, complete answer
    if origin in snapshot.seen:
        return True
    return None if snapshot.origins is None else False


def remember(site_origins: frozenset[str]) -> None:
    """Note the origins of a site this process loaded (kept for when the database fails)."""
    seen = _snapshot().seen
    if not site_origins <= seen:
        seen.update(site_origins)


def _refresh(snapshot: OriginSnapshot) -> None:
    from ..database import breaker_is_open

    if breaker_is_open():
        return
    with snapshot.lock:
        try:
            # Its own connection, so that reading it never touches the request's transaction.
            with db.engine.connect() as connection:
                rows = connection.execute(select(SiteOrigin.origin)).scalars()
                snapshot.origins = frozenset(rows)
            snapshot.read_at = time.monotonic()
        except SQLAlchemyError as exc:
            g.database_fault = True
            log.warning("registered origins not refreshed (database fault): %s", exc)


def forget() -> None:
    """Make the next check read the origins again (after this process changed them)."""
    _snapshot().read_at = float("-inf")
