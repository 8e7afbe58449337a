"""Bans: an author kept off a site by reader token, e-mail and IP (all as keyed hashes)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..errors import Banned, ValidationError
from ..extensions import db
from ..identity import email_hash
from ..models import Ban, Comment, CommentStatus, Moderator, Site, Thread, utcnow
from .moderation import Action, record, set_status, settle_reports


def active_ban(
    site: Site, *, reader_hash: str | None, ip_hash: str | None, email: str | None
) -> Ban | None:
    """Return a ban of the site matching any of these identifiers, if one is in force."""
    matches = []
    if reader_hash:
        matches.append(Ban.reader_hash == reader_hash)
    if ip_hash:
        matches.append(Ban.ip_hash == ip_hash)
    if email:
        matches.append(Ban.email_hash == email_hash(email))
    if not matches:
        return None
    return db.session.scalar(
        select(Ban)
        .where(
            Ban.site_id == site.id,
            or_(Ban.expires_at.is_(None), Ban.expires_at > utcnow()),
            or_(*matches),
        )
        .limit(1)
    )


def check_not_banned(
    site: Site, *, reader_hash: str | None, ip_hash: str | None, email: str | None
) -> None:
    """Refuse a banned author; banned."""
    if active_ban(site, reader_hash=reader_hash, ip_hash=ip_hash, email=email):
        raise Banned()


def ban_author(
    moderator: Moderator,
    comment: Comment,
    *,
    days: int | None,
    reason: str = "",
    reject_comments: bool = False,
) -> tuple[Ban, int]:
    """Ban a comment's author from its site (reader, email, IP), for `days` or for ever.

    With reject_comments, the author's comments still waiting or visible on the site are
    rejected too. Returns the ban and how many comments were rejected; validation_error.
    """
    if days is not None and not 1 <= days <= 36500:
        raise ValidationError(
            "days is 1 to 36500, or absent for a permanent ban.", fields={"days": "1 to 36500"}
        )
    if not (comment.reader_hash or comment.ip_hash or comment.email):
        # Purged or erased: a ban could match nobody, and "their comments" would be everyone's.
        raise ValidationError(
            "Nothing identifies this comment's author any more: no ban is possible.",
            fields={"comment_id": "author not identifiable"},
        )
    site = comment.thread.site
    ban = Ban(
        site_id=site.id,
        reader_hash=comment.reader_hash,
        ip_hash=comment.ip_hash,
        email_hash=email_hash(comment.email) if comment.email else None,
        reason=reason,
        comment_id=comment.id,
        moderator_id=moderator.id,
        expires_at=utcnow() + dt.timedelta(days=days) if days else None,
    )
    db.session.add(ban)
    rejected = 0
    if reject_comments:
        same_author = [
            c == v
            for c, v in ((Comment.reader_hash, ban.reader_hash), (Comment.ip_hash, ban.ip_hash))
            if v
        ]
        if comment.email:
            same_author.append(func.lower(Comment.email) == comment.email.lower())
        doomed = db.session.scalars(
            select(Comment)
            .join(Thread, Comment.thread_id == Thread.id)
            .where(
                Thread.site_id == site.id,
                or_(*same_author),
                Comment.status.in_([CommentStatus.PENDING, CommentStatus.APPROVED]),
            )
            .options(joinedload(Comment.thread))
        ).all()
        for victim in doomed:
            set_status(victim, CommentStatus.REJECTED)
            settle_reports(moderator, victim, Action.REJECT, reason or "author banned")
            record(moderator, "reject", site.id, comment=victim, reason=reason or "author banned")
        rejected = len(doomed)
    db.session.flush()
    record(
        moderator,
        "ban",
        site.id,
        comment=comment,
        reason=reason,
        days=days,
        rejected_comments=rejected,
    )
    return ban, rejected
