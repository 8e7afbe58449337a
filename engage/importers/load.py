"""Writing imported articles and comments: each once, whatever how often a file is imported.

A comment is known by (thread, source, source id): importing a file again creates nothing
twice, and importing it after the export grew adds only what is new. Replies find their
parent by its source id, in this run or an earlier one; a reply whose parent is missing or
was skipped becomes a top-level comment, counted. Counters move with what was added (and
each touched thread's cached answers with them: services.threads.bump).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..identity import keyed_hash, network_of
from ..models import Comment, CommentStatus, Site, Thread, utcnow
from ..sanitize import render_imported_html
from ..services import threads
from .wxr import WxrComment, WxrPost, parse_time

IMPORTED = "imported"  # the held reason moderators see on imported pending, spam, rejected

WORDPRESS_STATUSES = {
    "1": CommentStatus.APPROVED, "approve": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING, "hold": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.REJECTED, "post-trashed": CommentStatus.REJECTED,
}
READER_COMMENT_TYPES = {"", "comment"}  # not pingback, trackback, WooCommerce notes…
IMPORTED_POST_TYPES = {"post", "page"}


@dataclasses.dataclass
class Summary:
    """What an import did: counts by (kind, outcome, reason)."""

    counts: collections.Counter[tuple[str, str, str]] = dataclasses.field(
        default_factory=collections.Counter)
    comments_read: int = 0

    def add(self, kind: str, outcome: str, reason: str = "", n: int = 1) -> None:
        if n:
            self.counts[(kind, outcome, reason)] += n

    def total(self, kind: str, outcome: str) -> int:
        return sum(n for (k, o, _), n in self.counts.items() if k == kind and o == outcome)

    def rows(self) -> list[tuple[str, str, str, int]]:
        order = {"created": 0, "updated": 1, "unchanged": 2, "skipped": 3, "note": 4}
        return sorted(((k, o, r, n) for (k, o, r), n in self.counts.items()),
                      key=lambda row: (row[0] != "threads", order.get(row[1], 9), row[2]))


def _thread_for(site: Site, post: WxrPost, article: str, when: dt.datetime | None,
                summary: Summary) -> Thread:
    thread = threads.find_thread(site, article)
    if thread is None:
        thread = Thread(site_id=site.id, article=article, url=post.link.strip()[:2048],
                        title=post.title[:300], created_at=when or utcnow())
        db.session.add(thread)
        db.session.flush()
        summary.add("threads", "created")
    elif post.title and not thread.title:
        thread.title = post.title[:300]
        summary.add("threads", "updated", "title filled")
    else:
        summary.add("threads", "unchanged", "already there")
    return thread


def _known_comments(thread: Thread, source: str) -> dict[str, tuple[int, int | None, int]]:
    """source id -> (id, root id, depth) of the thread's comments from this source."""
    rows = db.session.execute(
        select(Comment.source_id, Comment.id, Comment.root_id, Comment.depth)
        .where(Comment.thread_id == thread.id, Comment.source == source))
    return {source_id: (id_, root, depth) for source_id, id_, root, depth in rows if source_id}


def _parents_first(comments: list[WxrComment]) -> Iterable[tuple[WxrComment, str | None]]:
    """Yield each comment after its parent, with its parent's source id (None: top level).

    A parent the file does not hold is still named: an earlier import may have brought it.
    """
    by_id = {c.source_id: c for c in comments}
    children: dict[str, list[WxrComment]] = collections.defaultdict(list)
    queue: collections.deque[tuple[WxrComment, str | None]] = collections.deque()
    for c in comments:
        parent = c.parent_id if c.parent_id not in ("", "0", c.source_id) else None
        if parent is not None and parent in by_id:
            children[parent].append(c)
        else:
            queue.append((c, parent))
    seen: set[str] = set()
    while queue:
        comment, parent = queue.popleft()
        if comment.source_id in seen:
            continue
        seen.add(comment.source_id)
        yield comment, parent
        queue.extend((child, comment.source_id) for child in children.pop(comment.source_id, []))
    # A cycle in the file (a comment its own ancestor): what is left becomes top level.
    for c in comments:
        if c.source_id not in seen:
            seen.add(c.source_id)
            yield c, None


def import_post(site: Site, post: WxrPost, summary: Summary, *, zone: dt.tzinfo,
                source: str = "wordpress") -> None:
    """Write one post's thread and its new comments (no commit)."""
    readers = [c for c in post.comments if c.type in READER_COMMENT_TYPES]
    summary.comments_read += len(post.comments)
    for c in post.comments:
        if c.type not in READER_COMMENT_TYPES:
            summary.add("comments", "skipped", f"{c.type or 'no type'} (not a reader's comment)")
    if post.post_type not in IMPORTED_POST_TYPES or post.status != "publish":
        reason = (f"a {post.post_type}" if post.post_type not in IMPORTED_POST_TYPES
                  else f"not published ({post.status})")
        summary.add("threads", "skipped", reason)
        summary.add("comments", "skipped", f"their post is {reason}", len(readers))
        return
    article = post.article
    if article is None:
        summary.add("threads", "skipped", "no permalink")
        summary.add("comments", "skipped", "their post has no permalink", len(readers))
        return
    post_time = parse_time(post.date_gmt, post.date_local, zone)
    thread = _thread_for(site, post, article, post_time, summary)
    known = _known_comments(thread, source)
    added_approved = 0
    new: list[tuple[Comment, WxrComment, str | None]] = []
    for wp, parent_source in _parents_first(readers):
        if not wp.source_id:
            summary.add("comments", "skipped", "no comment id")
            continue
        if wp.source_id in known:
            summary.add("comments", "unchanged", "already imported")
            continue
        status = WORDPRESS_STATUSES.get(wp.approved.lower(), CommentStatus.PENDING)
        when = parse_time(wp.date_gmt, wp.date_local, zone)
        if when is None:
            when = post_time or utcnow()
            summary.add("comments", "note", "no date: given its post's")
        parent = known.get(parent_source) if parent_source else None
        if parent_source and parent is None:
            summary.add("comments", "note", "parent missing or skipped: made top level")
        comment = Comment(
            thread_id=thread.id,
            parent_id=parent[0] if parent else None,
            root_id=(parent[1] or parent[0]) if parent else None,
            depth=parent[2] + 1 if parent else 0,
            author=(wp.author.strip() or "Anonyme")[:64],
            email=wp.email.strip()[:254] if "@" in wp.email else None,
            body_source=wp.content,
            body_html=render_imported_html(wp.content),
            status=status,
            held_reason=None if status == CommentStatus.APPROVED else IMPORTED,
            created_at=when,
            ip_hash=keyed_hash("ip", network_of(wp.ip)) if wp.ip.strip() else None,
            source=source,
            source_id=wp.source_id[:64],
        )
        db.session.add(comment)
        db.session.flush()  # its id is needed by its replies, which follow it
        new.append((comment, wp, parent_source))
        known[wp.source_id] = (comment.id, comment.root_id, comment.depth)
        summary.add("comments", "created", status.value)
        added_approved += status == CommentStatus.APPROVED
    if new:
        threads.bump(thread, comment_count=added_approved)


def import_posts(site: Site, posts: Iterable[WxrPost], *, zone: dt.tzinfo, dry_run: bool,
                 progress: Any = None, batch: int = 200) -> Summary:
    """Import posts, committing every `batch` posts (none on a dry run); return the summary."""
    summary = Summary()
    pending = 0
    for post in posts:
        import_post(site, post, summary, zone=zone)
        pending += 1
        if progress is not None:
            progress(summary)
        if pending >= batch and not dry_run:
            db.session.commit()
            pending = 0
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return summary
