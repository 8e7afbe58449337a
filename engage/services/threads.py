"""Threads: find or create one, read one page of its nested comments, counts and ETags."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, exists, false, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.elements import ColumnElement

from ..errors import ForbiddenOrigin, NotFound, ValidationError
from ..extensions import db
from ..models import Comment, CommentStatus, Site, Thread
from ..serving.cache import note_change
from ..serving.versions import thread_key
from . import rules
from .sites import settings_of, url_is_on_site

MAX_DEPTH = 5
SORTS = ("oldest", "newest", "top")


@dataclasses.dataclass(frozen=True)
class ArticleRef:
    """An article as a write names it: the thread is created from it on first use."""

    site: str
    article: str
    url: str
    title: str


@dataclasses.dataclass
class ThreadPage:
    """One page of a thread: the thread (None before anything was posted), its comment trees."""

    site: Site
    article: str
    thread: Thread | None
    roots: list[Comment]
    children: dict[int, list[Comment]]
    visible: set[int]  # ids listed with their content; other listed ids are tombstones
    next_cursor: str | None
    is_open: bool = True  # takes comments: not closed by a moderator nor by the site's age rule


def get_comment(comment_id: int) -> Comment:
    """Return a comment with its thread and site loaded; not_found otherwise."""
    comment = db.session.scalar(
        select(Comment)
        .where(Comment.id == comment_id)
        .options(joinedload(Comment.thread).joinedload(Thread.site))
    )
    if comment is None:
        raise NotFound("No such comment.")
    return comment


def find_thread(site: Site, article: str) -> Thread | None:
    """Return the site's thread for an article, or None."""
    return db.session.scalar(
        select(Thread).where(Thread.site_id == site.id, Thread.article == article)
    )


def resolve_thread(site: Site, ref: ArticleRef, *, fill_title: bool = False) -> Thread:
    """Return the article's thread, creating it on first use; forbidden_origin.

    A new thread is only made for a url on one of the site's origins, so nobody can attach
    threads to pages of other sites. With fill_title (comments only), an untitled thread
    takes the title given.
    """
    thread = find_thread(site, ref.article)
    if thread is None:
        if not url_is_on_site(site, ref.url):
            raise ForbiddenOrigin("The article's url is not on one of the site's origins.")
        thread = Thread(site_id=site.id, article=ref.article, url=ref.url, title=ref.title)
        try:
            # A savepoint: when a concurrent first write wins the race, use its thread.
            with db.session.begin_nested():
                db.session.add(thread)
        except IntegrityError:
            thread = find_thread(site, ref.article)
            if thread is None:  # pragma: no cover - the winner's row is committed by now
                raise
    elif fill_title and ref.title and not thread.title:
        thread.title = ref.title
        db.session.flush()
        bump(thread)
    return thread


def bump(thread: Thread, **deltas: int) -> None:
    """Add deltas to a thread's counters in SQL (safe under concurrency) and bump its version."""
    values: dict[str, Any] = {
        name: getattr(Thread, name) + delta for name, delta in deltas.items() if delta
    }
    values["version"] = Thread.version + 1
    db.session.execute(
        update(Thread).where(Thread.id == thread.id).values(**values),
        execution_options={"synchronize_session": False},
    )
    # Cached answers of this thread (and the counts that include it) are dropped once the
    # transaction commits: engage/serving/cache.py.
    note_change(db.session, [thread_key(site_key_of(thread.site_id), thread.article)])
    # The in-memory values are stale now: they reload, as the database has them, on next access.
    db.session.expire(thread, list(values))


def site_key_of(site_id: int) -> str:
    """Return a site's key by its id: from the session's identity map when the request
    loaded the site already (writes always do), else in one query."""
    site = db.session.get(Site, site_id)
    if site is None:  # pragma: no cover - a thread always has its site
        raise NotFound("No such site.")
    return site.key


# --- reading a page -----------------------------------------------------------------------


def encode_cursor(sort: str, comment: Comment) -> str:
    key: list[Any] = [sort, int(comment.featured), comment.id]
    if sort == "top":
        key.append(comment.like_count)
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple[bool, int, int]:
    """Return (featured, id, likes) from a cursor of this sort; validation_error otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
        if not isinstance(key, list) or key[0] != sort:
            raise ValueError
        featured, comment_id = key[1], key[2]
        likes = key[3] if sort == "top" else 0
        # Bounded like the columns (INTEGER): a bigger number must be a 400, not a database error.
        if not all(type(v) is int and 0 <= v <= 2**31 - 1 for v in (featured, comment_id, likes)):
            raise ValueError
        return bool(featured), comment_id, likes
    except (ValueError, IndexError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ValidationError(
            "cursor is not valid for this sort", fields={"cursor": "invalid"}
        ) from None


def _order_by(sort: str) -> list[ColumnElement[Any]]:
    # Featured comments come first whatever the sort; ids grow with time, so they break ties.
    if sort == "newest":
        return [Comment.featured.desc(), Comment.id.desc()]
    if sort == "top":
        return [Comment.featured.desc(), Comment.like_count.desc(), Comment.id.asc()]
    return [Comment.featured.desc(), Comment.id.asc()]


def _after(sort: str, featured: bool, comment_id: int, likes: int) -> ColumnElement[bool]:
    if sort == "newest":
        same = Comment.id < comment_id
    elif sort == "top":
        same = or_(
            Comment.like_count < likes,
            and_(Comment.like_count == likes, Comment.id > comment_id),
        )
    else:
        same = Comment.id > comment_id
    if featured:
        return or_(Comment.featured == false(), and_(Comment.featured == true(), same))
    return and_(Comment.featured == false(), same)


def read_page(
    site: Site, article: str, thread: Thread | None, sort: str, cursor: str | None, limit: int
) -> ThreadPage:
    """Load one page of top-level comments and all their replies in two queries."""
    position = decode_cursor(sort, cursor) if cursor else None  # a bad cursor is a 400 always
    if thread is None:
        return ThreadPage(site, article, None, [], {}, set(), None)

    descendant = aliased(Comment)
    has_visible_reply = exists().where(
        descendant.root_id == Comment.id, descendant.status == CommentStatus.APPROVED
    )
    query = (
        select(Comment)
        .where(
            Comment.thread_id == thread.id,
            Comment.parent_id.is_(None),
            or_(Comment.status == CommentStatus.APPROVED, has_visible_reply),
        )
        .order_by(*_order_by(sort))
        .limit(limit + 1)
    )
    if position:
        query = query.where(_after(sort, *position))
    roots = list(db.session.scalars(query))
    next_cursor = encode_cursor(sort, roots[limit - 1]) if len(roots) > limit else None
    roots = roots[:limit]

    replies: Sequence[Comment] = []
    if roots:
        replies = db.session.scalars(
            select(Comment)
            .where(Comment.root_id.in_([c.id for c in roots]))
            .order_by(Comment.featured.desc(), Comment.id.asc())
        ).all()
    children, visible = _build_tree(roots, replies)
    return ThreadPage(
        site, article, thread, roots, children, visible, next_cursor, is_open(site, thread)
    )


def _build_tree(
    roots: list[Comment], replies: Iterable[Comment]
) -> tuple[dict[int, list[Comment]], set[int]]:
    """Attach replies to their parents (deeper than MAX_DEPTH: to the depth-5 ancestor).

    Returns the children lists of listed comments and the ids shown with content. A comment
    that is not approved is listed only as a tombstone, and only when an approved reply hangs
    below it.
    """
    by_id = {c.id: c for c in roots}
    by_id.update({c.id: c for c in replies})
    children: dict[int, list[Comment]] = {}
    for comment in replies:
        anchor = comment.parent_id
        while anchor is not None and anchor in by_id and by_id[anchor].depth > MAX_DEPTH:
            anchor = by_id[anchor].parent_id
        if anchor is not None:
            children.setdefault(anchor, []).append(comment)

    visible = {c.id for c in by_id.values() if c.status == CommentStatus.APPROVED}
    listed: set[int] = set()

    def keep(comment_id: int) -> bool:
        kept = [c for c in children.get(comment_id, []) if keep(c.id)]
        children[comment_id] = kept
        if comment_id in visible or kept:
            listed.add(comment_id)
            return True
        return False

    for root in roots:
        keep(root.id)
    return {k: v for k, v in children.items() if k in listed}, visible


# Bump when the thread answer's shape changes, so caches drop copies of the old shape.
ANSWER_VERSION = 2


def is_open(site: Site, thread: Thread | None) -> bool:
    """Tell whether the article takes comments: not closed, not past the site's age rule."""
    if thread is None:
        return True
    return thread.is_open and not rules.is_auto_closed(settings_of(site), thread)


def etag_for(site: Site, article: str, thread: Thread | None, *query: Any) -> str:
    """Return an ETag that changes whenever a write changes what this page shows.

    Besides the thread's version (bumped by every write), it covers what time alone changes:
    whether the thread is still open.
    """
    state = [
        ANSWER_VERSION,
        site.id,
        article,
        thread.id if thread else None,
        thread.version if thread else 0,
        is_open(site, thread),
    ]
    digest = hashlib.sha256(json.dumps([*state, *query], default=str).encode()).hexdigest()
    return digest[:32]


def counts_for(site: Site, articles: Sequence[str]) -> dict[str, Thread]:
    """Return the existing threads among these articles, by article, in one query."""
    if not articles:
        return {}
    threads = db.session.scalars(
        select(Thread).where(Thread.site_id == site.id, Thread.article.in_(set(articles)))
    )
    return {t.article: t for t in threads}
