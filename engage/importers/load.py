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
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from psycopg import sql as psycopg_sql
from sqlalchemy import Table, insert, select, text, update

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
MAX_POSTS = 500


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


@dataclasses.dataclass
class _Post:
    """A post of the chunk being written, with its thread."""

    post: WxrPost
    article: str
    time: dt.datetime | None
    readers: list[WxrComment]
    thread_id: int = 0


# thread id -> source id -> (id, root id, depth) of the comments imported into it
Known = dict[int, dict[str, tuple[int, int | None, int]]]


def _reader_comments(post: WxrPost, summary: Summary) -> list[WxrComment] | None:
    """The post's reader comments, or None when the post is not imported (counted)."""
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
        return None
    if post.article is None:
        summary.add("threads", "skipped", "no permalink")
        summary.add("comments", "skipped", "their post has no permalink", len(readers))
        return None
    return readers


def _threads_for(site: Site, posts: list[_Post], summary: Summary) -> set[int]:
    """Give each post its article's thread, creating the missing ones in one statement;
    return the ids of the threads that were there before (their comments may be known)."""
    table = cast(Table, Thread.__table__)
    found = {article: (id_, title) for id_, article, title in db.session.execute(
        select(Thread.id, Thread.article, Thread.title)
        .where(Thread.site_id == site.id, Thread.article.in_({p.article for p in posts})))}
    existing = {id_ for id_, _ in found.values()}
    missing: dict[str, dict[str, Any]] = {}
    for p in posts:
        if p.article in found:
            if p.post.title and not found[p.article][1]:
                db.session.execute(update(table).where(table.c.id == found[p.article][0])
                                   .values(title=p.post.title[:300]))
                summary.add("threads", "updated", "title filled")
            else:
                summary.add("threads", "unchanged", "already there")
            continue
        missing[p.article] = dict(
            site_id=site.id, article=p.article, url=p.post.link.strip()[:2048],
            title=p.post.title[:300], created_at=p.time or utcnow())
        summary.add("threads", "created")
    if missing:
        ids = db.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),  # type: ignore[arg-type]
            list(missing.values())).scalars().all()
        found.update((article, (id_, "")) for article, id_ in zip(missing, ids, strict=True))
    for p in posts:
        p.thread_id = found[p.article][0]
    return existing


def _known_comments(thread_ids: set[int], source: str) -> Known:
    """The comments already imported from this source into these threads."""
    known: Known = collections.defaultdict(dict)
    if thread_ids:
        rows = db.session.execute(
            select(Comment.thread_id, Comment.source_id, Comment.id, Comment.root_id,
                   Comment.depth)
            .where(Comment.thread_id.in_(thread_ids), Comment.source == source))
        for thread_id, source_id, id_, root, depth in rows:
            if source_id:
                known[thread_id][source_id] = (id_, root, depth)
    return known


def _generations(comments: list[WxrComment]) -> Iterable[tuple[WxrComment, str | None, int]]:
    """Yield each comment after its parent, with its parent's source id (None: top level)
    and its generation in the file (0: its parent is not in the file).

    A parent the file does not hold is still named: an earlier import may have brought it.
    """
    by_id = {c.source_id: c for c in comments}
    children: dict[str, list[WxrComment]] = collections.defaultdict(list)
    queue: collections.deque[tuple[WxrComment, str | None, int]] = collections.deque()
    for c in comments:
        parent = c.parent_id if c.parent_id not in ("", "0", c.source_id) else None
        if parent is not None and parent in by_id:
            children[parent].append(c)
        else:
            queue.append((c, parent, 0))
    seen: set[str] = set()
    while queue:
        comment, parent, generation = queue.popleft()
        if comment.source_id in seen:
            continue
        seen.add(comment.source_id)
        yield comment, parent, generation
        queue.extend((child, comment.source_id, generation + 1)
                     for child in children.pop(comment.source_id, []))
    # A cycle in the file (a comment its own ancestor): what is left becomes top level.
    for c in comments:
        if c.source_id not in seen:
            seen.add(c.source_id)
            yield c, None, 0


def _write(site: Site, chunk: list[WxrPost], summary: Summary, zone: dt.tzinfo,
           source: str) -> None:
    """Write a chunk of posts: their threads, then their new comments a generation at a time
    across the whole chunk (a reply waits only until its parent has an id), then the
    threads' counters. A handful of statements per chunk, whatever its number of posts."""
    by_article: dict[str, _Post] = {}
    for post in chunk:
        readers = _reader_comments(post, summary)
        if readers is None:
            continue
        # Posts of one article (a Disqus thread under several links) are written as one.
        p = by_article.setdefault(post.article or "", _Post(
            post, post.article or "", parse_time(post.date_gmt, post.date_local, zone), []))
        ids = {c.source_id for c in p.readers}
        for c in readers:
            if not c.source_id:
                summary.add("comments", "skipped", "no comment id")
            elif c.source_id in ids:
                summary.add("comments", "unchanged", "already imported")
            else:
                ids.add(c.source_id)
                p.readers.append(c)
    posts = list(by_article.values())
    if not posts:
        return
    known = _known_comments(_threads_for(site, posts, summary), source)
    by_generation: dict[int, list[tuple[_Post, WxrComment, str | None, set[str]]]] = (
        collections.defaultdict(list))
    for p in posts:
        parents_named = {c.parent_id for c in p.readers}
        for wp, parent_source, generation in _generations(p.readers):
            by_generation[generation].append((p, wp, parent_source, parents_named))
    approved_added: collections.Counter[int] = collections.Counter()
    created: set[int] = set()  # threads given comments
    for generation in sorted(by_generation):
        rows: dict[tuple[int, str], dict[str, Any]] = {}
        for p, wp, parent_source, parents_named in by_generation[generation]:
            row = _comment_row(p, wp, parent_source, parents_named, known[p.thread_id],
                               summary, zone, source)
            if row is not None:
                rows[(p.thread_id, wp.source_id)] = row
                created.add(p.thread_id)
                approved_added[p.thread_id] += row["status"] == CommentStatus.APPROVED
        if rows:
            _insert(rows, known)
    threads.bump_many(site, {p.thread_id: (p.article, approved_added[p.thread_id])
                             for p in posts if p.thread_id in created})


def _comment_row(p: _Post, wp: WxrComment, parent_source: str | None, parents_named: set[str],
                 known: dict[str, tuple[int, int | None, int]], summary: Summary,
                 zone: dt.tzinfo, source: str) -> dict[str, Any] | None:
    """The row to insert for a comment, or None when it is not to be (counted)."""
    if wp.source_id in known:
        summary.add("comments", "unchanged", "already imported")
        return None
    if wp.approved == DELETED and wp.source_id not in parents_named:
        summary.add("comments", "skipped", "deleted at the source, without replies")
        return None
    status = (CommentStatus.DELETED if wp.approved == DELETED
              else WORDPRESS_STATUSES.get(wp.approved.lower(), CommentStatus.PENDING))
    when = parse_time(wp.date_gmt, wp.date_local, zone)
    if when is None:
        when = p.time or utcnow()
        summary.add("comments", "note", "no date: given its post's")
    parent = known.get(parent_source) if parent_source else None
    if parent_source and parent is None:
        summary.add("comments", "note", "parent missing or skipped: made top level")
    summary.add("comments", "created", status.value)
    return dict(
        thread_id=p.thread_id,
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


def _insert(rows: dict[tuple[int, str], dict[str, Any]], known: Known) -> None:
    """INSERT a generation's comments, and learn their ids.

    Plain rows through Core, not ORM objects: the ORM's bulk path was a third of an import.
    The cache hears of them through threads.bump_many, which every import of new comments
    calls.
    """
    values = list(rows.values())
    ids: Sequence[int]
    if db.session.get_bind().dialect.name == "postgresql":
        ids = _copy_comments(values)
    else:
        table = Comment.__table__
        ids = db.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),  # type: ignore[arg-type]
            values).scalars().all()
    for ((thread_id, source_id), row), comment_id in zip(rows.items(), ids, strict=True):
        known[thread_id][source_id] = (comment_id, row["root_id"], row["depth"])


def _copy_comments(rows: list[dict[str, Any]]) -> list[int]:
    """PostgreSQL: the rows by COPY, their ids drawn from the table's sequence first.

    A many-row INSERT spent a third of the import in psycopg scanning its text for
    placeholders (py-spy); COPY sends the values as they are.
    """
    table = cast(Table, Comment.__table__)
    connection = db.session.connection()
    ids = list(connection.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": len(rows)}).scalars())
    names = list(rows[0])
    dialect = connection.dialect
    # The columns' own conversions (enums to their values, times to UTC), as an INSERT has.
    convert = [table.c[name].type.bind_processor(dialect) for name in names]
    copy_sql = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg_sql.Identifier(table.name),
        psycopg_sql.SQL(", ").join(map(psycopg_sql.Identifier, ["id", *names])))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(copy_sql) as copy:
        for comment_id, row in zip(ids, rows, strict=True):
            copy.write_row([comment_id, *(
                value if to_db is None else to_db(value)
                for value, to_db in zip(row.values(), convert, strict=True))])
    return ids


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
    """Posts by chunks of about `comments` comments (and at most MAX_POSTS posts, so that
    a chunk's lookups by article stay well within every database's parameter limit)."""
    chunk: list[WxrPost] = []
    held = 0
    for post in posts:
        chunk.append(post)
        held += len(post.comments)
        if held >= comments or len(chunk) >= MAX_POSTS:
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
                _write(site, chunk, summary, zone, source)
            else:
                following = _render_ahead(chunk, pool)
                if ahead is None:
                    ahead = following
                    continue
                _write(site, _attach(ahead), summary, zone, source)
                ahead = following
            if not dry_run:
                db.session.commit()
            if progress is not None:
                progress(summary)
        if ahead is not None:
            _write(site, _attach(ahead), summary, zone, source)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return summary
