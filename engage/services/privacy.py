"""Personal data: retention purge, and readers' requests to see or erase what we hold."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..identity import email_hash
from ..models import Ban, Comment, CommentStatus, Flag, Site, Thread, utcnow
from . import replies, sso, threads
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


@dataclasses.dataclass(frozen=True)
class Subject:
    """Whose data a request is about: an e-mail address, or an account a site signed in (the
    keyed hash of the site and its user id, services/sso.py), or both."""

    email: str | None = None
    account_key: str | None = None

    def __str__(self) -> str:
        return self.email or "this account"


def account_of(site: Site, user_id: str) -> Subject:
    """The subject signed in by this site as user_id (the token's `sub`)."""
    return Subject(account_key=sso.account_key(site, user_id))


def _as_subject(who: str | Subject) -> Subject:
    return who if isinstance(who, Subject) else Subject(email=who)


def _comments_of(subject: Subject) -> list[Comment]:
    matches = []
    if subject.email:
        matches.append(func.lower(Comment.email) == subject.email.strip().lower())
    if subject.account_key:
        matches.append(Comment.account_hash == subject.account_key)
    if not matches:
        return []
    return list(
        db.session.scalars(
            select(Comment)
            .where(or_(*matches))
            .options(joinedload(Comment.thread).joinedload(Thread.site))
            .order_by(Comment.id)
        )
    )


def _bans_of(subject: Subject) -> list[Ban]:
    matches = []
    if subject.email:
        matches.append(Ban.email_hash == email_hash(subject.email))
    if subject.account_key:
        matches.append(Ban.reader_hash == subject.account_key)
    return list(db.session.scalars(select(Ban).where(or_(*matches)))) if matches else []


def _emails(subject: Subject, comments: list[Comment]) -> list[str]:
    """The addresses whose reply subscriptions are the subject's: its own, and those an
    account's tokens gave its comments."""
    emails = {c.email.strip().lower() for c in comments if c.email}
    if subject.email:
        emails.add(subject.email.strip().lower())
    return sorted(emails)


def export(who: str | Subject) -> dict[str, Any]:
    """Return everything stored about the author of this email or account (data-subject
    access)."""
    subject = _as_subject(who)
    comments = _comments_of(subject)
    bans = _bans_of(subject)
    return {
        "email": subject.email.strip().lower() if subject.email else None,
        "account": subject.account_key is not None,
        "comments": [
            {
                "id": c.id,
                "site": c.thread.site.key,
                "article": c.thread.article,
                "url": c.thread.url,
                "author": c.author,
                "email": c.email,
                "badge": c.badge,
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
        "subscriptions": [s for email in _emails(subject, comments)
                          for s in replies.subscriptions_of(email)],
        "note": "IP addresses, reader tokens and the site's user ids are only ever stored as "
                "keyed hashes.",
    }


def erase(who: str | Subject) -> int:
    """Erase an author's personal data (by email or account); return how many comments were
    touched.

    Threads stay readable: as each site chooses (its `erasure` option), a comment becomes a
    tombstone (body removed) or anonymous (author renamed, body kept).
    """
    subject = _as_subject(who)
    comments = _comments_of(subject)
    emails = _emails(subject, comments)
    for comment in comments:
        mode = settings_of(comment.thread.site).erasure
        comment.email = None
        comment.notify_replies = False
        comment.ip_hash = None
        comment.reader_hash = None
        comment.account_hash = None
        comment.badge = None
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
    for ban in _bans_of(subject):
        if subject.email and ban.email_hash == email_hash(subject.email):
            ban.email_hash = None
        if subject.account_key and ban.reader_hash == subject.account_key:
            ban.reader_hash = None
    if subject.account_key:  # the account's reports keep their place, not who made them
        db.session.execute(
            update(Flag).where(Flag.reader_hash == subject.account_key).values(reader_hash="")
        )
    for email in emails:
        replies.erase_subscriptions(email)
    return len(comments)
