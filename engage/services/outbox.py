"""The outbox: every e-mail and webhook as a row written with the change that causes it.

A rolled-back write leaves no row, so nothing is sent for it; a committed one keeps its row
until a worker (engage/worker.py) delivered it, so nothing is lost when a process dies
after the commit. Workers claim rows with a lease: `FOR UPDATE SKIP LOCKED` on PostgreSQL
lets several claim side by side, and the claiming UPDATE re-checks the row's state, so on
SQLite (which has no row locks) the second claimant of a row gets nothing. A worker that
dies holding a lease only delays its rows until the lease ends.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_, select, update

from ..extensions import begin_write, db
from ..models import DeliveryAttempt, OutboxKind, OutboxMessage, OutboxState, utcnow

LEASE = dt.timedelta(minutes=2)  # a delivery gives up long before (SMTP and HTTP timeouts)
MAX_ATTEMPTS = 10  # 30 s, 1 min, 2 min… about eight hours of tries in all
FIRST_RETRY = 30.0  # seconds
LONGEST_RETRY = 4 * 3600.0


def enqueue(
    site_id: int,
    kind: OutboxKind,
    payload: dict[str, Any],
    *,
    group_key: str | None = None,
    due_at: dt.datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction."""
    message = OutboxMessage(
        site_id=site_id,
        kind=kind,
        state=OutboxState.PENDING,
        payload=payload,
        group_key=group_key,
        due_at=due_at or utcnow(),
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def _claimable(now: dt.datetime) -> Any:
    return or_(
        and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.due_at <= now),
        # A worker died holding it (or overran its lease): someone else's turn.
        and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_until < now),
    )


def claim(worker: str, limit: int = 20, kinds: Sequence[OutboxKind] | None = None) -> list[int]:
    """Claim up to `limit` due messages (of these kinds) for this worker, commit, and return
    their ids."""
    begin_write()  # SQLite: one claimant at a time, waiting its turn rather than failing
    now = utcnow()
    query = select(OutboxMessage.id).where(_claimable(now))
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(list(kinds)))
    ids = list(
        db.session.scalars(
            query
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite ignores it (see above)
        )
    )
    claimed: list[int] = []
    if ids:
        claimed = list(
            db.session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), _claimable(now))
                .values(state=OutboxState.SENDING, claimed_by=worker,
                        claimed_until=now + LEASE)
                .returning(OutboxMessage.id),
                execution_options={"synchronize_session": False},
            )
        )
    db.session.commit()
    return sorted(claimed)


def held_by(message_id: int, worker: str) -> OutboxMessage | None:
    """Return the message if this worker's claim on it still holds."""
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if (message is None or message.state != OutboxState.SENDING
            or message.claimed_by != worker):
        return None
    return message


def log_attempt(message: OutboxMessage, *, ok: bool, detail: str = "",
                status_code: int | None = None, duration_ms: int = 0,
                endpoint_id: int | None = None) -> None:
    """Record one delivery attempt of a message."""
    db.session.add(DeliveryAttempt(
        message_id=message.id, endpoint_id=endpoint_id, at=utcnow(), ok=ok,
        status_code=status_code, detail=detail[:500], duration_ms=duration_ms,
    ))


def mark_sent(message: OutboxMessage) -> None:
    """The message left: never again."""
    message.state = OutboxState.SENT
    message.sent_at = utcnow()
    message.attempts += 1
    message.claimed_until = None
    message.last_error = None


def mark_dropped(message: OutboxMessage, why: str) -> None:
    """Nothing to send any more (its subject was removed, its endpoint disabled)."""
    message.state = OutboxState.DROPPED
    message.claimed_until = None
    message.last_error = why[:500]


def postpone(message: OutboxMessage, until: dt.datetime) -> None:
    """Give the message back, due later, without counting an attempt (batching windows)."""
    message.state = OutboxState.PENDING
    message.due_at = until
    message.claimed_until = None


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling, with jitter."""
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
    return base * random.uniform(0.8, 1.2)  # workers retrying in step would hammer together


def mark_failed(message: OutboxMessage, error: str) -> bool:
    """Count a failed attempt; schedule the next one, or give up. Return whether it gave up."""
    message.attempts += 1
    message.last_error = error[:500]
    message.claimed_until = None
    if message.attempts >= MAX_ATTEMPTS:
        message.state = OutboxState.DEAD
        return True
    message.state = OutboxState.PENDING
    message.due_at = utcnow() + dt.timedelta(seconds=retry_delay(message.attempts))
    return False


def last_sent_at(group_key: str) -> dt.datetime | None:
    """When a message of this batch last left, or None."""
    return db.session.scalar(
        select(OutboxMessage.sent_at)
        .where(OutboxMessage.group_key == group_key, OutboxMessage.state == OutboxState.SENT)
        .order_by(OutboxMessage.sent_at.desc())
        .limit(1)
    )


def pending_in_group(group_key: str) -> OutboxMessage | None:
    """The batch's message that still waits for its turn, if any."""
    return db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.group_key == group_key, OutboxMessage.state == OutboxState.PENDING)
        .limit(1)
    )


def counts(site_ids: Sequence[int] | None = None) -> dict[str, int]:
    """How many messages are in each state (for the worker's log and the tests)."""
    from sqlalchemy import func

    query = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    if site_ids is not None:
        query = query.where(OutboxMessage.site_id.in_(site_ids))
    return {state.value: count for state, count in db.session.execute(query)}
