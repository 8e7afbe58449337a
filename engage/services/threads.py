"""Threads: find or create one, bump its counters and version, counts and ETags.

Reading one page of a thread's comments is engage/services/listing.py."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..errors import ForbiddenOrigin, NotFound
from ..extensions import db
from ..models import Comment, Reaction, ShareNetwork, Site, Thread
from ..serving.cache import note_change
from ..serving.versions import thread_key
from . import rules
from .sites import settings_of, url_is_on_site


@dataclasses.dataclass(frozen=True)
class ArticleRef:
    """An article as a write names it: the thread is created from it on first use."""

    site: str
    article: str
    url: str
    title: str


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


_THREAD_BY_ARTICLE = select(Thread).where(
    Thread.site_id == bindparam("site_id"), Thread.article == bindparam("article")
)


def find_thread(site: Site, article: str) -> Thread | None:
    """Return the site's thread for an article, or None."""
    return db.session.scalar(_THREAD_BY_ARTICLE, {"site_id": site.id, "article": article})


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


def bump_many(site: Site, comments_added: dict[int, tuple[str, int]]) -> None:
    """bump() for many threads of a site in one statement: thread id -> (article, comments
    added to its count). For imports, where a chunk touches hundreds of threads."""
    if not comments_added:
        return
    table = cast(Table, Thread.__table__)
    db.session.execute(
        update(table).where(table.c.id == bindparam("thread_id")).values(
            comment_count=table.c.comment_count + bindparam("added"),
            version=table.c.version + 1),
        [{"thread_id": thread_id, "added": added}
         for thread_id, (_, added) in comments_added.items()])
    note_change(db.session, [thread_key(site.key, article)
                             for article, _ in comments_added.values()])


def site_key_of(site_id: int) -> str:
    """Return a site's key by its id: from the session's identity map when the request
    loaded the site already (writes always do), else in one query."""
    site = db.session.get(Site, site_id)
    if site is None:  # pragma: no cover - a thread always has its site
        raise NotFound("No such site.")
    return site.key


# Bump when the thread answer's shape changes, so caches drop copies of the old shape.
ANSWER_VERSION = 5


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
        # What the thread says of the site's settings: the widget's form follows them.
        (settings := settings_of(site)).notify_replies,
        settings.comments,
        settings.login_url,
    ]
    digest = hashlib.sha256(json.dumps([*state, *query], default=str).encode()).hexdigest()
    return digest[:32]


@dataclasses.dataclass(frozen=True)
class Totals:
    """An article's public totals, as the counts answer shows them."""

    comments: int
    reactions: int
    shares: int


NO_TOTALS = Totals(0, 0, 0)

# The sums are made by the database: no Thread object is built for a listing page's counts.
_TOTALS = select(
    Thread.article,
    Thread.comment_count,
    sum((getattr(Thread, f"reactions_{r.value}") for r in Reaction), literal(0)),
    sum((getattr(Thread, f"shares_{n.value}") for n in ShareNetwork), literal(0)),
).where(
    Thread.site_id == bindparam("site_id"),
    Thread.article.in_(bindparam("articles", expanding=True)),
)


def counts_for(site: Site, articles: Sequence[str]) -> dict[str, Totals]:
    """Return the totals of the existing threads among these articles, by article, in one
    query."""
    if not articles:
        return {}
    rows = db.session.execute(_TOTALS, {"site_id": site.id, "articles": list(set(articles))})
    return {article: Totals(*totals) for article, *totals in rows}
