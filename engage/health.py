"""GET /healthz: 200 when the database answers, 503 otherwise; and whether Redis answers."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from . import redis_store
from .errors import safe_rollback
from .extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Answer whether this worker can reach its database (and its Redis, when it has one).

    A Redis that is down leaves the answer 200: the service still works without it (limits
    count per process meanwhile), and monitoring still sees it.
    """
    answer: dict[str, str] = {"status": "ok"}
    status = 200
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("503 on /healthz: database unavailable: %s", str(exc).splitlines()[0])
        g.database_fault = True
        safe_rollback()
        answer, status = {"status": "unavailable"}, 503
    redis_state = redis_store.health()
    if redis_state is not None:
        answer["redis"] = redis_state
    response = jsonify(answer)
    response.cache_control.no_store = True
    return response, status
