"""Personal data: retention purge, and readers' requests to see or erase what we hold."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..identity import email_hash
from ..models import Ban, Comment, CommentStatus, Flag, Thread, utcnow
from . import replies, threads
from .sites import settings_of


def purge(older_than_days: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Drop IP hashes, reader hashes and emails of comments and reports past the retention.

    Comments stay readable; bans keep their hashes until they expire (a ban needs them).
    """
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    comments = db.session.execute(
        update(Comment)
        .where(Comment.created_at < cutoff)
        .where(
            (Comment.ip_hash.is_not(None))
            | (Comment.reader_hash.is_not(None))
            | (Comment.email.is_not(None))
        )
        .values(ip_hash=None, reader_hash=None, email=None)
    )
    expired_bans = db.session.execute(
        update(Ban)
        .where(Ban.expires_at.is_not(None), Ban.expires_at < cutoff)
        .values(ip_hash=None, reader_hash=None, email_hash=None)
    )
    # A settled report older than the retention needs no reporter identity any more.
    flags = db.session.execute(
        update(Flag)
        .where(Flag.created_at < cutoff, Flag.resolved_at.is_not(None), Flag.reader_hash != "")
        .values(reader_hash="")
    )
    # UPDATE results are CursorResults, which know how many rows they changed.
    return {
        "subscriptions": replies.purge_subscriptions(cutoff),
        "comments": comments.rowcount,  # type: ignore[attr-defined]
        "bans": expired_bans.rowcount,  # type: ignore[attr-defined]
        "reports": flags.rowcount,  # type: ignore[attr-defined]
    }


def _comments_of(email: str) -> list[Comment]:
    return list(
        db.session.scalars(
            select(Comment)
            .where(func.lower(Comment.email) == email.strip().lower())
            .options(joinedload(Comment.thread).joinedload(Thread.site))
            .order_by(Comment.id)
        )
    )


def export(email: str) -> dict[str, Any]:
    """Return everything stored about the author of this email (data-subject access)."""
    comments = _comments_of(email)
    hashed = email_hash(email)
    bans = db.session.scalars(select(Ban).where(Ban.email_hash == hashed)).all()
    return {
        "email": email.strip().lower(),
        "comments": [
            {
                "id": c.id,
                "site": c.thread.site.key,
                "article": c.thread.article,
                "url": c.thread.url,
                "author": c.author,
                "body": c.body_source,
                "status": c.status.value,
                "created_at": c.created_at.isoformat(),
                "edited_at": c.edited_at.isoformat() if c.edited_at else None,
                "ip_address_kept": c.ip_hash is not None,
            }
            for c in comments
        ],
        "bans": [
            {
                "site_id": b.site_id,
                "created_at": b.created_at.isoformat(),
                "expires_at": b.expires_at.isoformat() if b.expires_at else None,
            }
            for b in bans
        ],
        "subscriptions": replies.subscriptions_of(email),
        "note": "IP addresses and reader tokens are only ever stored as keyed hashes.",
    }


def erase(email: str) -> int:
    """Erase an author's personal data; return how many comments were touched.

    Threads stay readable: as each site chooses (its `erasure` option), a comment becomes a
    tombstone (body removed) or anonymous (author renamed, body kept).
    """
    comments = _comments_of(email)
    for comment in comments:
        mode = settings_of(comment.thread.site).erasure
        comment.email = None
        comment.notify_replies = False
        comment.ip_hash = None
        comment.reader_hash = None
        comment.author = "Anonyme" if mode == "anonymize" else ""
        if mode == "tombstone":
            was_visible = comment.status == CommentStatus.APPROVED
            comment.body_source = ""
            comment.body_html = ""
            comment.status = CommentStatus.DELETED
            db.session.flush()
            if was_visible:
                threads.bump(comment.thread, comment_count=-1)
        else:
            db.session.flush()
            threads.bump(comment.thread)
    db.session.execute(
        update(Ban).where(Ban.email_hash == email_hash(email)).values(email_hash=None)
    )
    replies.erase_subscriptions(email)
    return len(comments)
