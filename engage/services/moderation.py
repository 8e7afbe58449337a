"""Moderation: queues, actions on comments, bans, closing threads, and the audit log."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select, true, update
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..models import (
    AuditEvent,
    Comment,
    CommentStatus,
    Flag,
    FlagReason,
    Moderator,
    Site,
    Thread,
    utcnow,
)
from . import events, threads
from .queue_context import AuthorHistory, search_filter
from .sites import SiteSettings, get_site, set_options, settings_of


class Queue(StrEnum):
    PENDING = "pending"
    REPORTED = "reported"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    DELETE = "delete"
    FEATURE = "feature"
    UNFEATURE = "unfeature"


# Where each action moves a comment; feature/unfeature leave its status alone.
STATUS_AFTER = {
    Action.APPROVE: CommentStatus.APPROVED,
    Action.REJECT: CommentStatus.REJECTED,
    Action.SPAM: CommentStatus.SPAM,
    Action.DELETE: CommentStatus.DELETED,
}
SECRET_OPTIONS = frozenset({"akismet_key"})
MAX_BULK = 200
MODERATABLE = frozenset(
    {CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.REJECTED, CommentStatus.SPAM}
)
PAGE_SIZE = 50


def authorize(moderator: Moderator, site: Site) -> None:
    """Refuse a moderator outside their sites; forbidden."""
    if not moderator.can_moderate(site):
        raise Forbidden()


def authorize_admin(moderator: Moderator) -> None:
    """Refuse anyone but an admin (site settings are theirs alone); forbidden."""
    if moderator.role != "admin":
        raise Forbidden("Only an admin may change a site's settings.")


def site_for(moderator: Moderator, key: str | None) -> Site:
    """Return the site with this key if the moderator works on it; unknown_site, forbidden."""
    site = get_site(key)
    authorize(moderator, site)
    return site


def sites_of(moderator: Moderator) -> list[Site]:
    """Return the sites a moderator works on (every site for an admin), by key."""
    if moderator.role == "admin":
        return list(db.session.scalars(select(Site).order_by(Site.key)))
    return sorted(moderator.sites, key=lambda s: s.key)


# --- the audit log ------------------------------------------------------------------------


def record(
    moderator: Moderator | None,
    action: str,
    site_id: int | None,
    *,
    comment: Comment | None = None,
    thread_id: int | None = None,
    actor: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Write one audit entry: who did what, when, on which comment or thread."""
    event = AuditEvent(
        site_id=site_id,
        moderator_id=moderator.id if moderator else None,
        actor=actor or (moderator.email if moderator else "system"),
        action=action,
        comment_id=comment.id if comment else None,
        thread_id=thread_id or (comment.thread_id if comment else None),
        details={k: v for k, v in details.items() if v not in (None, "")},
    )
    db.session.add(event)
    return event


def audit_log(
    site: Site, cursor: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[AuditEvent], int | None]:
    """Return a page of the site's audit entries, newest first, and the next cursor."""
    query = select(AuditEvent).where(AuditEvent.site_id == site.id).order_by(AuditEvent.id.desc())
    if cursor:
        query = query.where(AuditEvent.id < cursor)
    events = list(db.session.scalars(query.limit(limit + 1)))
    next_cursor = events[limit - 1].id if len(events) > limit else None
    return events[:limit], next_cursor


def queue_of(comment: Comment) -> Queue | None:
    """The queue a comment is found in now (None: deleted by its author or erased)."""
    try:
        return Queue(comment.status.value)
    except ValueError:
        return None


# --- queues -------------------------------------------------------------------------------


@dataclasses.dataclass
class QueuePage:
    site: Site
    queue: Queue
    comments: list[Comment]
    flags: dict[int, list[Flag]]
    next_cursor: str | None
    # Filled by queue_context.add_context: what a moderator reads besides the comment.
    parents: dict[int, Comment] = dataclasses.field(default_factory=dict)  # by parent id
    histories: dict[int, AuthorHistory] = dataclasses.field(default_factory=dict)  # by comment


def _illegal_report() -> ColumnElement[bool]:
    return exists().where(
        Flag.comment_id == Comment.id, Flag.reason == FlagReason.ILLEGAL, Flag.resolved_at.is_(None)
    )


def _queue_filter(site: Site, queue: Queue) -> ColumnElement[bool]:
    if queue == Queue.REPORTED:
        threshold = settings_of(site).report_queue_threshold
        return and_(
            Comment.flag_count >= threshold,
            Comment.status.in_([CommentStatus.APPROVED, CommentStatus.PENDING]),
        )
    return Comment.status == CommentStatus(queue.value)


def _encode(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[Any]:
    """Return [urgent, id] from a queue cursor; validation_error for anything else."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        key = None
    # Bounded like the id column: a bigger number must be a 400, not a database error.
    if not (isinstance(key, list) and len(key) == 2
            and all(type(v) is int and 0 <= v <= 2**31 - 1 for v in key)):
        raise ValidationError("cursor is not valid", fields={"cursor": "invalid"})
    return key


def read_queue(
    site: Site,
    queue: Queue,
    *,
    oldest_first: bool | None = None,
    article: str | None = None,
    search: str | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """Return one page of a queue with each comment's thread and reports, in three queries.

    Pending and reported are oldest first by default (the longest wait first), the others
    newest first; reports of illegal content come first in the reported queue. search
    keeps the comments whose text, author, e-mail or article holds every word of it.
    """
    if oldest_first is None:
        oldest_first = queue in (Queue.PENDING, Queue.REPORTED)
    urgent = _illegal_report() if queue == Queue.REPORTED else false()
    query = (
        select(Comment, urgent.label("urgent"))
        .join(Thread, Comment.thread_id == Thread.id)
        .where(Thread.site_id == site.id, _queue_filter(site, queue))
        .options(joinedload(Comment.thread))
    )
    if article:
        query = query.where(Thread.article == article)
    matching = search_filter(search) if search else None
    if matching is not None:
        query = query.where(matching)
    if cursor:
        was_urgent, last_id = _decode(cursor)
        after = Comment.id > last_id if oldest_first else Comment.id < last_id
        if queue == Queue.REPORTED:
            after = (
                or_(urgent == false(), and_(urgent == true(), after))
                if was_urgent
                else and_(urgent == false(), after)
            )
        query = query.where(after)
    order = Comment.id.asc() if oldest_first else Comment.id.desc()
    ordering = [urgent.desc(), order] if queue == Queue.REPORTED else [order]
    rows = db.session.execute(query.order_by(*ordering).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        last, last_urgent = rows[limit - 1]
        next_cursor = _encode([int(bool(last_urgent)), last.id])
    comments = [row[0] for row in rows[:limit]]
    flags: dict[int, list[Flag]] = {}
    if comments:
        found = db.session.scalars(
            select(Flag)
            .where(Flag.comment_id.in_([c.id for c in comments]))
            .order_by(Flag.reason == FlagReason.ILLEGAL, Flag.id)
        )
        for flag in found:
            flags.setdefault(flag.comment_id, []).append(flag)
    return QueuePage(site, queue, comments, flags, next_cursor)


def queue_counts(site: Site) -> dict[str, int]:
    """Return how many comments wait in each queue of the site, in two queries."""
    by_status = dict(
        db.session.execute(
            select(Comment.status, func.count())
            .join(Thread, Comment.thread_id == Thread.id)
            .where(Thread.site_id == site.id)
            .group_by(Comment.status)
        ).all()
    )
    reported = db.session.scalar(
        select(func.count())
        .select_from(Comment)
        .join(Thread, Comment.thread_id == Thread.id)
        .where(Thread.site_id == site.id, _queue_filter(site, Queue.REPORTED))
    )
    counts = {
        q.value: int(by_status.get(CommentStatus(q.value), 0)) for q in Queue if q != Queue.REPORTED
    }
    counts[Queue.REPORTED.value] = int(reported or 0)
    return counts


# --- actions ------------------------------------------------------------------------------


def comment_for(moderator: Moderator, comment_id: int) -> Comment:
    """Return a comment the moderator may act on; not_found, forbidden."""
    comment = threads.get_comment(comment_id)
    authorize(moderator, comment.thread.site)
    return comment


def set_status(
    comment: Comment,
    status: CommentStatus,
    *,
    only_from: frozenset[CommentStatus] | None = None,
    **values: Any,
) -> bool:
    """Move a comment to a status (with other column values), keeping the thread's visible
    count in step; return whether it moved.

    Compare-and-set: the UPDATE names the status it replaces, so two concurrent changes of
    one comment (a double-clicked delete, a delete racing a moderator) count it once.
    `only_from` limits the statuses it may move from.
    """
    if status != CommentStatus.APPROVED:
        values.setdefault("featured", False)  # a hidden comment keeps no pinned place
    else:
        values.setdefault("held_reason", None)
    for _attempt in range(5):
        before = comment.status
        if before == status or (only_from is not None and before not in only_from):
            return False
        moved = db.session.execute(
            update(Comment)
            .where(Comment.id == comment.id, Comment.status == before)
            .values(status=status, **values),
            execution_options={"synchronize_session": False},
        )
        if moved.rowcount:  # type: ignore[attr-defined]
            db.session.expire(comment, ["status", *values])
            delta = (status == CommentStatus.APPROVED) - (before == CommentStatus.APPROVED)
            threads.bump(comment.thread, comment_count=delta)
            events.status_changed(comment, status)
            return True
        db.session.refresh(comment, ["status"])  # changed under us: decide again
    raise RuntimeError(f"comment {comment.id} kept changing status")  # pragma: no cover


def act(moderator: Moderator, comment: Comment, action: Action, reason: str = "") -> Comment:
    """Apply a moderation action to a comment and log it; validation_error when it cannot apply.

    Acting on a reported comment settles its reports with this decision and reason.
    """
    if action in (Action.FEATURE, Action.UNFEATURE):
        if comment.status != CommentStatus.APPROVED:
            raise Conflict("Only a published comment can be featured.")
        featured = action == Action.FEATURE
        if comment.featured != featured:
            comment.featured = featured
            db.session.flush()
            threads.bump(comment.thread)
    else:
        if comment.status == CommentStatus.DELETED:
            # Deleted by its author (or erased): its words are gone, nothing to decide.
            raise Conflict("This comment was deleted by its author.")
        set_status(comment, STATUS_AFTER[action], only_from=MODERATABLE)
        settle_reports(moderator, comment, action, reason)
    record(moderator, action.value, comment.thread.site_id, comment=comment, reason=reason)
    return comment


def check_decision_reason(
    moderator: Moderator, comment_ids: Sequence[int], action: Action, reason: str
) -> None:
    """Refuse a decision without a reason on a report of illegal content; validation_error.

    The EU DSA asks for a statement of reasons on such decisions; featuring decides nothing,
    so it needs none. The API leaves this to its caller; the moderation pages ask for it.
    Comments outside the moderator's sites are left to `authorize`, and tell nothing here.
    """
    if action not in STATUS_AFTER or reason.strip() or not comment_ids:
        return
    query = (
        select(Flag.id)
        .join(Comment, Flag.comment_id == Comment.id)
        .join(Thread, Comment.thread_id == Thread.id)
        .where(
            Flag.comment_id.in_(list(comment_ids)),
            Flag.reason == FlagReason.ILLEGAL,
            Flag.resolved_at.is_(None),
        )
    )
    if moderator.role != "admin":
        query = query.where(Thread.site_id.in_([s.id for s in moderator.sites]))
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationError(
            "A decision on a report of illegal content needs a reason.",
            fields={"reason": "required for a report of illegal content"},
        )


def settle_reports(moderator: Moderator, comment: Comment, action: Action, reason: str) -> None:
    db.session.execute(
        update(Flag)
        .where(Flag.comment_id == comment.id, Flag.resolved_at.is_(None))
        .values(
            resolved_at=utcnow(),
            resolution=action.value,
            resolution_reason=reason or None,
            resolved_by_id=moderator.id,
        ),
        execution_options={"synchronize_session": False},
    )
    # Looked at: the comment leaves the reported queue until new reports come in.
    comment.flag_count = 0


def act_in_bulk(
    moderator: Moderator, ids: Sequence[int], action: Action, reason: str = ""
) -> list[Comment]:
    """Apply one action to many comments, all or none; not_found, forbidden, validation_error."""
    if not ids or len(ids) > MAX_BULK:
        raise ValidationError(f"Give 1 to {MAX_BULK} comment ids.", fields={"ids": "1 to 200 ids"})
    wanted = list(dict.fromkeys(ids))
    found = list(
        db.session.scalars(
            select(Comment)
            .where(Comment.id.in_(wanted))
            .options(joinedload(Comment.thread).joinedload(Thread.site))
        ).unique()
    )
    if len(found) != len(wanted):
        raise NotFound("Some comments do not exist.")
    for comment in found:
        authorize(moderator, comment.thread.site)
    return [act(moderator, comment, action, reason) for comment in found]


# --- threads ------------------------------------------------------------------------------


def set_thread_open(moderator: Moderator, site: Site, article: str, is_open: bool) -> Thread:
    """Close or reopen an article's comments; not_found, forbidden."""
    authorize(moderator, site)
    thread = threads.find_thread(site, article)
    if thread is None:
        raise NotFound("No thread for this article.")
    if thread.is_open != is_open:
        thread.is_open = is_open
        db.session.flush()
        threads.bump(thread)
    record(
        moderator,
        "open_thread" if is_open else "close_thread",
        site.id,
        thread_id=thread.id,
        article=article,
    )
    return thread


# --- site settings ------------------------------------------------------------------------


def update_settings(moderator: Moderator, site: Site, options: dict[str, str]) -> SiteSettings:
    """Store site options given as strings and log what changed; forbidden, validation_error."""
    authorize_admin(moderator)
    before = dataclasses.asdict(settings_of(site))
    after = set_options(site, options)
    changes = {
        # Secrets are said to have changed, never shown: every moderator reads the audit log.
        name: ["(secret)", "(changed)"] if name in SECRET_OPTIONS else [before[name], value]
        for name, value in dataclasses.asdict(after).items()
        if value != before[name]
    }
    if changes:
        record(moderator, "settings", site.id, changes=changes)
    return after
