"""One page of a thread: its top-level comments in the reader's sort, their replies bounded.

The rule readers and clients rely on (documented in the contract's extensions):
- a page lists `limit` top-level comments (featured first, then the sort);
- under each, at most REPLIES_PER_COMMENT replies, in reading order (depth first: a reply,
  then the replies to it, siblings featured first then oldest first); the rest is reached
  with the top-level comment's `more_replies` cursor, REPLIES_PER_BATCH at a time;
- a reply deeper than MAX_DEPTH is shown under its depth-MAX_DEPTH ancestor;
- a comment that is not approved is listed only as a tombstone, and only when an approved
  reply hangs below it.

This is the read path's cache miss, so it stays lean: plain rows of the listed columns (no
ORM objects), statements built once, trees built in linear time with loops rather than
self-calling closures (those keep the whole page in reference cycles for the cyclic GC).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, false, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ..errors import ValidationError
from ..extensions import db
from ..models import Comment, CommentStatus, Site, Thread
from .threads import is_open

MAX_DEPTH = 5
SORTS = ("oldest", "newest", "top")
REPLIES_PER_COMMENT = 10
REPLIES_PER_BATCH = 50

# What a listed comment shows; nothing private (email, hashes, source) is ever read here.
LISTED = (
    Comment.id,
    Comment.parent_id,
    Comment.author,
    Comment.body_html,
    Comment.created_at,
    Comment.edited_at,
    Comment.like_count,
    Comment.featured,
    Comment.moderator_id,
    Comment.status,
    Comment.account_hash,
    Comment.badge,
)
# A reply's place in the tree, enough to decide what is listed before any content is read.
SHAPE = (Comment.id, Comment.parent_id, Comment.depth, Comment.status, Comment.root_id)
APPROVED = CommentStatus.APPROVED
# A row of LISTED (or SHAPE) columns. Typed loosely: Row's type parameters differ between
# SQLAlchemy 2.0 and 2.1, and attribute access by column name is what the code relies on.
ListedRow = Any


@dataclasses.dataclass(frozen=True)
class MoreReplies:
    """Where a top-level comment's unlisted replies continue, and how many there are."""

    cursor: str
    count: int


@dataclasses.dataclass
class ThreadPage:
    """One page of a thread: the thread (None before anything was posted), its comment trees.

    Comments are rows of LISTED columns; `children` maps a listed comment's id to the rows
    shown under it, `visible` holds the ids shown with their content (the other listed ids are
    tombstones).
    """

    site: Site
    article: str
    thread: Thread | None
    roots: Sequence[ListedRow]
    children: dict[int, list[ListedRow]]
    visible: set[int]
    next_cursor: str | None
    is_open: bool = True  # takes comments: not closed by a moderator nor by the site's age rule
    more: dict[int, MoreReplies] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ReplyBatch:
    """The next replies under one top-level comment, in reading order, each with its anchor:
    the listed comment it is shown under."""

    replies: list[tuple[int, ListedRow]]  # (anchor id, row)
    visible: set[int]
    next_cursor: str | None


# --- cursors ------------------------------------------------------------------------------


def _encode(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, tag: str, size: int) -> list[int]:
    """Return the cursor's numbers; validation_error unless it is one of ours, of this kind."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
        if not isinstance(key, list) or len(key) != size + 1 or key[0] != tag:
            raise ValueError
        numbers = key[1:]
        # Bounded like the columns (INTEGER): a bigger number must be a 400, not a database error.
        if not all(type(v) is int and 0 <= v <= 2**31 - 1 for v in numbers):
            raise ValueError
        return numbers
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ValidationError(
            "cursor is not valid for this request", fields={"cursor": "invalid"}
        ) from None


def encode_cursor(sort: str, comment: Any) -> str:
    key: list[Any] = [sort, int(comment.featured), comment.id]
    if sort == "top":
        key.append(comment.like_count)
    return _encode(key)


def decode_cursor(sort: str, cursor: str) -> tuple[bool, int, int]:
    """Return (featured, id, likes) from a page cursor of this sort; validation_error otherwise."""
    numbers = _decode(cursor, sort, 3 if sort == "top" else 2)
    featured, comment_id = numbers[0], numbers[1]
    return bool(featured), comment_id, numbers[2] if sort == "top" else 0


def replies_cursor(root_id: int, last_id: int, offset: int) -> str:
    return _encode(["replies", root_id, last_id, offset])


def decode_replies_cursor(cursor: str) -> tuple[int, int, int]:
    """Return (top-level comment id, last reply listed, replies listed so far)."""
    root_id, last_id, offset = _decode(cursor, "replies", 3)
    return root_id, last_id, offset


# --- statements, built once ---------------------------------------------------------------


def _order_by(sort: str) -> list[ColumnElement[Any]]:
    # Featured comments come first whatever the sort; ids grow with time, so they break ties.
    if sort == "newest":
        return [Comment.featured.desc(), Comment.id.desc()]
    if sort == "top":
        return [Comment.featured.desc(), Comment.like_count.desc(), Comment.id.asc()]
    return [Comment.featured.desc(), Comment.id.asc()]


def _after(sort: str, featured: bool) -> ColumnElement[bool]:
    comment_id: Any = bindparam("after_id")
    likes: Any = bindparam("after_likes")
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


@cache
def _roots_statement(sort: str, after: bool | None) -> Any:
    """Top-level comments of a thread in this sort; after: None, or the cursor's featured."""
    descendant = aliased(Comment)
    # OFFSET 0 keeps PostgreSQL from turning this EXISTS into a hashed subplan, which scans
    # every approved reply of the table once per page: on a mid-size table it looks cheaper
    # than probing ix_comment_root_id for the few top-level comments a page reads.
    has_visible_reply = (
        select(descendant.id)
        .where(descendant.root_id == Comment.id, descendant.status == APPROVED)
        .offset(0)
        .exists()
    )
    statement: Any = (
        select(*LISTED)
        .where(
            Comment.thread_id == bindparam("thread_id"),
            Comment.parent_id.is_(None),
            or_(Comment.status == APPROVED, has_visible_reply),
        )
        .order_by(*_order_by(sort))
        .limit(bindparam("limit"))
    )
    if after is not None:
        statement = statement.where(_after(sort, after))
    return statement


_SHAPES = (
    select(*SHAPE)
    .where(Comment.root_id.in_(bindparam("roots", expanding=True)))
    .order_by(Comment.featured.desc(), Comment.id.asc())
)
_CONTENT = select(*LISTED).where(Comment.id.in_(bindparam("ids", expanding=True)))


# --- trees --------------------------------------------------------------------------------


def _reading_order(
    roots: Iterable[tuple[int, bool]], shapes: Sequence[ListedRow]
) -> tuple[dict[int, list[tuple[int, int]]], set[int], dict[int, list[int]]]:
    """Return, per top-level id, its listed replies as (anchor, id) in reading order; the ids
    shown with content; and every reply by the comment it is shown under. Roots are
    (id, approved) pairs.

    Linear in the number of replies whatever their depth: anchors are found once per reply
    (memoised climbs), and the pruning walks the tree with an explicit stack.
    """
    parent = {row.id: row.parent_id for row in shapes}
    depth = {row.id: row.depth for row in shapes}
    visible = {row.id for row in shapes if row.status == APPROVED}
    anchor: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for row in shapes:  # featured first, then oldest: the order siblings are shown in
        if row.parent_id is None:
            continue
        children.setdefault(_anchor_of(row.id, parent, depth, anchor), []).append(row.id)

    # Listed: approved, or with something listed below it. Post-order without recursion.
    listed: set[int] = set()
    ordered: dict[int, list[tuple[int, int]]] = {}
    for root_id, approved in roots:
        if approved:
            visible.add(root_id)
        stack = [(root_id, False)]
        while stack:
            node, done = stack.pop()
            if not done:
                stack.append((node, True))
                stack.extend((child, False) for child in children.get(node, ()))
            elif node in visible or any(c in listed for c in children.get(node, ())):
                listed.add(node)
        # Reading order (pre-order) of what is listed.
        order: list[tuple[int, int]] = []
        walk = [(root_id, c) for c in reversed(children.get(root_id, ())) if c in listed]
        while walk:
            above, node = walk.pop()
            order.append((above, node))
            walk.extend((node, c) for c in reversed(children.get(node, ())) if c in listed)
        ordered[root_id] = order
    return ordered, visible, children


def _position_among_listed(
    root_id: int, reply_id: int, children: dict[int, list[int]], listed: list[int]
) -> int | None:
    """How many listed replies come before reply_id in reading order, counting it when listed;
    None when reply_id is not below root_id at all. Hidden replies keep their place here."""
    wanted = set(listed)
    count = 0
    walk = list(reversed(children.get(root_id, ())))
    while walk:
        node = walk.pop()
        count += node in wanted
        if node == reply_id:
            return count
        walk.extend(reversed(children.get(node, ())))
    return None


def _anchor_of(
    comment_id: int, parent: dict[int, int | None], depth: dict[int, int], anchor: dict[int, int]
) -> int:
    """The comment a reply is shown under: its parent, or its depth-MAX_DEPTH ancestor.

    Memoised: a climb through deep replies stores its answer for each reply it passed.
    """
    climbed: list[int] = []
    node = comment_id
    while node not in anchor:
        above = parent.get(node)
        # The top-level comment is not among the loaded replies: its depth counts as 0.
        if above is None or depth.get(above, 0) <= MAX_DEPTH:
            anchor[node] = above if above is not None else node
            break
        climbed.append(node)
        node = above
    for reply in climbed:
        anchor[reply] = anchor[node]
    return anchor[comment_id]


def _rows(statement: Any, params: dict[str, Any]) -> Sequence[ListedRow]:
    # On the session's connection, as plain Core rows: the ORM's result machinery (half of a
    # miss's time in profiles) has nothing to add to rows of columns.
    return db.session.connection().execute(statement, params).all()


def _contents(ids: list[int]) -> dict[int, ListedRow]:
    if not ids:
        return {}
    return {row.id: row for row in _rows(_CONTENT, {"ids": ids})}


# --- reading ------------------------------------------------------------------------------


def read_page(
    site: Site, article: str, thread: Thread | None, sort: str, cursor: str | None, limit: int
) -> ThreadPage:
    """Load one page of top-level comments and their first replies, in three queries."""
    position = decode_cursor(sort, cursor) if cursor else None  # a bad cursor is a 400 always
    if thread is None:
        return ThreadPage(site, article, None, [], {}, set(), None)
    params: dict[str, Any] = {"thread_id": thread.id, "limit": limit + 1}
    if position:
        params |= {"after_id": position[1], "after_likes": position[2]}
    statement = _roots_statement(sort, position[0] if position else None)
    roots = _rows(statement, params)
    next_cursor = encode_cursor(sort, roots[limit - 1]) if len(roots) > limit else None
    roots = roots[:limit]

    shapes = _rows(_SHAPES, {"roots": [r.id for r in roots]}) if roots else []
    ordered, _, _ = _reading_order(((r.id, r.status == APPROVED) for r in roots), shapes)
    shown = {root_id: order[:REPLIES_PER_COMMENT] for root_id, order in ordered.items()}
    content = _contents([reply for order in shown.values() for _, reply in order])
    visible = _approved(roots, content.values())
    children: dict[int, list[ListedRow]] = {}
    more: dict[int, MoreReplies] = {}
    for root_id, order in shown.items():
        for above, reply in order:
            if reply in content:  # gone since the tree was read: nothing to show
                children.setdefault(above, []).append(content[reply])
        if len(ordered[root_id]) > len(order):
            more[root_id] = MoreReplies(
                replies_cursor(root_id, order[-1][1], len(order)),
                len(ordered[root_id]) - len(order),
            )
    return ThreadPage(
        site, article, thread, roots, children, visible, next_cursor, is_open(site, thread), more
    )


def read_replies(thread: Thread | None, cursor: str) -> ReplyBatch:
    """Load the next batch of a top-level comment's listed replies; validation_error for a
    cursor that is not ours, an empty batch for a comment that is gone."""
    root_id, last_id, offset = decode_replies_cursor(cursor)
    if thread is None:
        return ReplyBatch([], set(), None)
    root = db.session.execute(
        select(Comment.status).where(
            Comment.id == root_id, Comment.thread_id == thread.id, Comment.parent_id.is_(None)
        )
    ).first()
    if root is None:
        return ReplyBatch([], set(), None)
    shapes = _rows(_SHAPES, {"roots": [root_id]})
    ordered, _, children = _reading_order([(root_id, root.status == APPROVED)], shapes)
    order = ordered[root_id]
    # Continue after the last reply the reader has, where it stands in the tree even if it was
    # hidden since (its row stays); by the count already listed if it is gone altogether.
    start = _position_among_listed(root_id, last_id, children, [r for _, r in order])
    start = offset if start is None else start
    batch = order[start : start + REPLIES_PER_BATCH]
    content = _contents([reply for _, reply in batch])
    end = start + len(batch)
    next_cursor = replies_cursor(root_id, batch[-1][1], end) if batch and end < len(order) else None
    replies = [(above, content[reply]) for above, reply in batch if reply in content]
    return ReplyBatch(replies, _approved([], content.values()), next_cursor)


def _approved(*groups: Iterable[ListedRow]) -> set[int]:
    # Shown with content or as a tombstone by the status of the rows whose content is shown,
    # not of the earlier tree query: a reply hidden in between must not show its author.
    return {row.id for group in groups for row in group if row.status == APPROVED}
