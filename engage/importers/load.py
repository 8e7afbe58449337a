"""Writing imported articles and comments: each once, whatever how often a file is imported.

A comment is known by (thread, source, source id): importing a file again creates nothing
twice, and importing it after the export grew adds only what is new. Replies find their
parent by its source id, in this run or an earlier one; a reply whose parent is missing or
was skipped becomes a top-level comment, counted. Counters move with what was added (and
each touched thread's cached answers with them: services.threads.bump).
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import insert, select

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
DELETED = "deleted"  # a status only readers of other systems give (Disqus's isDeleted)


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
                summary: Summary) -> tuple[Thread, bool]:
    """The article's thread, and whether it was created just now."""
    thread = threads.find_thread(site, article)
    if thread is None:
        thread = Thread(site_id=site.id, article=article, url=post.link.strip()[:2048],
                        title=post.title[:300], created_at=when or utcnow())
        db.session.add(thread)
        db.session.flush()
        summary.add("threads", "created")
        return thread, True
    if post.title and not thread.title:
        thread.title = post.title[:300]
        summary.add("threads", "updated", "title filled")
    else:
        summary.add("threads", "unchanged", "already there")
    return thread, False


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
    thread, created = _thread_for(site, post, article, post_time, summary)
    known = {} if created else _known_comments(thread, source)
    added_approved = 0
    parents_named = {c.parent_id for c in readers}
    # Inserted a generation at a time: a reply waits only until its parent has an id.
    unflushed: dict[str, dict[str, Any]] = {}
    for wp, parent_source in _parents_first(readers):
        if parent_source in unflushed:
            _flush(unflushed, known)
        if not wp.source_id:
            summary.add("comments", "skipped", "no comment id")
            continue
        if wp.source_id in known:
            summary.add("comments", "unchanged", "already imported")
            continue
        if wp.approved == DELETED and wp.source_id not in parents_named:
            summary.add("comments", "skipped", "deleted at the source, without replies")
            continue
        status = (CommentStatus.DELETED if wp.approved == DELETED
                  else WORDPRESS_STATUSES.get(wp.approved.lower(), CommentStatus.PENDING))
        when = parse_time(wp.date_gmt, wp.date_local, zone)
        if when is None:
            when = post_time or utcnow()
            summary.add("comments", "note", "no date: given its post's")
        parent = known.get(parent_source) if parent_source else None
        if parent_source and parent is None:
            summary.add("comments", "note", "parent missing or skipped: made top level")
        unflushed[wp.source_id] = dict(
            thread_id=thread.id,
            parent_id=parent[0] if parent else None,
            root_id=(parent[1] or parent[0]) if parent else None,
            depth=parent[2] + 1 if parent else 0,
            author=(wp.author.strip() or "Anonyme")[:64],
            email=wp.email.strip()[:254] if "@" in wp.email else None,
            # A deleted comment kept for its replies is a tombstone: its words are not.
            body_source="" if status == CommentStatus.DELETED else wp.content,
            body_html="" if status == CommentStatus.DELETED else (
                wp.html if wp.html is not None else render_imported_html(wp.content)),
            status=status,
            held_reason=None if status == CommentStatus.APPROVED else IMPORTED,
            created_at=when,
            ip_hash=keyed_hash("ip", network_of(wp.ip)) if wp.ip.strip() else None,
            source=source,
            source_id=wp.source_id[:64],
            featured=False, like_count=0, flag_count=0,
        )
        summary.add("comments", "created", status.value)
        added_approved += status == CommentStatus.APPROVED
    if unflushed:
        _flush(unflushed, known)
        threads.bump(thread, comment_count=added_approved)


def _flush(unflushed: dict[str, dict[str, Any]],
           known: dict[str, tuple[int, int | None, int]]) -> None:
    """INSERT the comments gathered so far in one statement, and learn their ids.

    Plain rows, not ORM objects: half the CPU. The cache hears of them through
    threads.bump, which every import of new comments calls.
    """
    table = Comment.__table__  # Core, not ORM: the ORM's bulk path was a third of an import
    ids = db.session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),  # type: ignore[arg-type]
        list(unflushed.values())).scalars().all()
    for (source_id, row), comment_id in zip(unflushed.items(), ids, strict=True):
        known[source_id] = (comment_id, row["root_id"], row["depth"])
    unflushed.clear()


def _render_ahead(chunk: list[WxrPost], pool: Any) -> tuple[list[WxrPost], Iterator[str]]:
    """Start rendering the chunk's comments in the worker processes (Executor.map submits
    them all at once); _attach waits for them."""
    contents = [c.content for post in chunk for c in post.comments]
    return chunk, pool.map(render_imported_html, contents, chunksize=64)


def _attach(ahead: tuple[list[WxrPost], Iterator[str]]) -> list[WxrPost]:
    chunk, rendered = ahead
    for c, html in zip((c for post in chunk for c in post.comments), rendered, strict=True):
        c.html = html
    return chunk


def _chunks(posts: Iterable[WxrPost], comments: int) -> Iterator[list[WxrPost]]:
    chunk: list[WxrPost] = []
    held = 0
    for post in posts:
        chunk.append(post)
        held += len(post.comments)
        if held >= comments:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def import_posts(site: Site, posts: Iterable[WxrPost], *, zone: dt.tzinfo, dry_run: bool,
                 progress: Any = None, batch: int = 2000, workers: int | None = None,
                 source: str = "wordpress") -> Summary:
    """Import posts, committing about every `batch` comments (none on a dry run).

    The sanitizer is most of an import's CPU: with workers (default: one per core, when
    there are several), it renders the next chunk's comments in other processes while this
    one writes the current chunk.
    """
    summary = Summary()
    workers = (os.cpu_count() or 1) if workers is None else workers
    with contextlib.ExitStack() as stack:
        pool = (stack.enter_context(concurrent.futures.ProcessPoolExecutor(workers))
                if workers > 1 else None)
        ahead = None
        for chunk in _chunks(posts, batch):
            if pool is None:
                _write(site, chunk, summary, zone, progress, source)
            else:
                following = _render_ahead(chunk, pool)
                if ahead is not None:
                    _write(site, _attach(ahead), summary, zone, progress, source)
                ahead = following
            if not dry_run:
                db.session.commit()
        if ahead is not None:
            _write(site, _attach(ahead), summary, zone, progress, source)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return summary


def _write(site: Site, chunk: list[WxrPost], summary: Summary, zone: dt.tzinfo,
           progress: Any, source: str) -> None:
    for post in chunk:
        import_post(site, post, summary, zone=zone, source=source)
        if progress is not None:
            progress(summary)
