"""Article reactions (one per reader, replaceable) and shares (once per network per reader)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ArticleReaction, Reaction, Share, ShareNetwork, Site, Thread
from . import threads
from .threads import ArticleRef

# Where each share button sends the reader; {url} and {title} stand for the article's URL and
# title, URL-encoded. "copy" has no target: the widget copies the URL. No third party is called
# by the server: these are links the reader follows.
SHARE_TARGETS: dict[str, str | None] = {
    ShareNetwork.FACEBOOK: "https://www.facebook.com/sharer/sharer.php?u={url}",
    ShareNetwork.X: "https://x.com/intent/post?url={url}&text={title}",
    ShareNetwork.WHATSAPP: "https://wa.me/?text={title}%20{url}",
    ShareNetwork.LINKEDIN: "https://www.linkedin.com/sharing/share-offsite/?url={url}",
    ShareNetwork.TELEGRAM: "https://t.me/share/url?url={url}&text={title}",
    ShareNetwork.EMAIL: "mailto:?subject={title}&body={url}",
    ShareNetwork.COPY: None,
}


def _own_reaction(thread: Thread, reader_hash: str) -> ArticleReaction | None:
    # FOR UPDATE (PostgreSQL): a concurrent change by the same reader waits for this one, so
    # each change is counted against the value it really replaced.
    return db.session.scalar(
        select(ArticleReaction)
        .where(ArticleReaction.thread_id == thread.id, ArticleReaction.reader_hash == reader_hash)
        .with_for_update()
    )


def set_reaction(site: Site, ref: ArticleRef, reader_hash: str, reaction: Reaction) -> Thread:
    """Make `reaction` the reader's one reaction to the article; forbidden_origin."""
    thread = threads.resolve_thread(site, ref)
    existing = _own_reaction(thread, reader_hash)
    if existing is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    ArticleReaction(thread_id=thread.id, reader_hash=reader_hash, reaction=reaction)
                )
        except IntegrityError:
            # The same reader's concurrent request inserted first: replace its reaction.
            existing = _own_reaction(thread, reader_hash)
        else:
            threads.bump(thread, **{f"reactions_{reaction.value}": 1})
            return thread
    if existing is not None and existing.reaction != reaction:
        previous = existing.reaction
        existing.reaction = reaction
        db.session.flush()
        threads.bump(
            thread, **{f"reactions_{previous.value}": -1, f"reactions_{reaction.value}": 1}
        )
    return thread


def remove_reaction(site: Site, article: str, reader_hash: str) -> Thread | None:
    """Remove the reader's reaction to the article, if any; return the thread if it exists."""
    thread = threads.find_thread(site, article)
    if thread is None:
        return None
    existing = _own_reaction(thread, reader_hash)
    if existing is not None:
        previous = existing.reaction
        db.session.delete(existing)
        db.session.flush()
        threads.bump(thread, **{f"reactions_{previous.value}": -1})
    return thread


def record_share(site: Site, ref: ArticleRef, reader_hash: str, network: ShareNetwork) -> Thread:
    """Count a share once per network per reader per article; forbidden_origin."""
    thread = threads.resolve_thread(site, ref)
    try:
        with db.session.begin_nested():
            db.session.add(Share(thread_id=thread.id, reader_hash=reader_hash, network=network))
    except IntegrityError:
        return thread  # this reader's share on this network counted already
    threads.bump(thread, **{f"shares_{network.value}": 1})
    return thread
