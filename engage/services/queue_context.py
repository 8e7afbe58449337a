"""What a moderator reads besides the comment: the parent a reply answers, the author's
history on the site, excerpts for the audit log, and the queues' search."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..models import AuditEvent, Comment, Flag, Site, Thread
from ..textsearch import fold_words, folded, like_pattern

if TYPE_CHECKING:
    from .moderation import QueuePage


@dataclasses.dataclass
class AuthorHistory:
    """What the author of a comment has done on this site, matched by reader token and
    e-mail: what a moderator weighs before deciding."""

    approved: int = 0
    pending: int = 0
    rejected: int = 0
    spam: int = 0
    reports: int = 0  # reports their comments received, settled or not
    first_seen: dt.datetime | None = None

    @property
    def comments(self) -> int:
        return self.approved + self.pending + self.rejected + self.spam


EXCERPT = 200


def excerpt(comment: Comment | None, length: int = EXCERPT) -> str:
    """The start of a comment's words, on one line."""
    if comment is None:
        return ""
    text = " ".join(comment.body_source.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def search_filter(query: str) -> ColumnElement[bool] | None:
    """Every word of the search in the text, author, e-mail or article (title or id),
    ignoring case and accents; "#123" finds comment 123."""
    stripped = query.strip()
    if stripped.startswith("#") and stripped[1:].isdigit() and int(stripped[1:]) < 2**31:
        return Comment.id == int(stripped[1:])
    words = fold_words(stripped)
    if not words:
        return None
    fields = [Comment.body_source, Comment.author, Comment.email, Thread.title, Thread.article]
    return and_(*(or_(*(folded(f).like(like_pattern(w), escape="\\") for f in fields))
                  for w in words))


def _history(site: Site, comment: Comment) -> AuthorHistory:
    same = []
    if comment.reader_hash:
        same.append(Comment.reader_hash == comment.reader_hash)
    if comment.email:
        same.append(func.lower(Comment.email) == comment.email.lower())
    history = AuthorHistory()
    if not same:
        return history
    of_site = (select(Comment.id).join(Thread, Comment.thread_id == Thread.id)
               .where(Thread.site_id == site.id, or_(*same)))
    for status, count, first in db.session.execute(
            select(Comment.status, func.count(), func.min(Comment.created_at))
            .where(Comment.id.in_(of_site)).group_by(Comment.status)):
        if status.value in ("approved", "pending", "rejected", "spam"):
            setattr(history, status.value, int(count))
        if first is not None and (history.first_seen is None or first < history.first_seen):
            history.first_seen = first
    history.reports = int(db.session.scalar(
        select(func.count()).select_from(Flag).where(Flag.comment_id.in_(of_site))) or 0)
    return history


def add_context(page: QueuePage) -> QueuePage:
    """Give each comment of the page its parent (for replies) and its author's history."""
    parent_ids = {c.parent_id for c in page.comments if c.parent_id}
    if parent_ids:
        page.parents = {p.id: p for p in db.session.scalars(
            select(Comment).where(Comment.id.in_(parent_ids)))}
    by_author: dict[tuple[str | None, str | None], AuthorHistory] = {}
    for comment in page.comments:
        author = (comment.reader_hash, (comment.email or "").lower() or None)
        if author not in by_author:
            by_author[author] = _history(page.site, comment)
        page.histories[comment.id] = by_author[author]
    return page


def comments_of(events: Sequence[AuditEvent]) -> dict[int, Comment]:
    """The comments the entries are about, in one query (for their excerpts and links)."""
    wanted = {e.comment_id for e in events if e.comment_id}
    if not wanted:
        return {}
    return {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(wanted)))}
