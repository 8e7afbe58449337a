"""Bans: an author kept off a site by reader token, e-mail or IP (all as keyed hashes).

A ban names what it matches: by default the reader token and the e-mail, never the IP unless
a moderator asks, since an IP is shared by a whole office, a phone network or, behind a
proxy left unconfigured, every reader of the site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..errors import Banned, NotFound, ValidationError
from ..extensions import db
from ..identity import email_hash
from ..models import Ban, Comment, CommentStatus, Moderator, Site, Thread, utcnow
from .moderation import Action, authorize, record, set_status, settle_reports

IDENTIFIERS = ("reader", "email", "ip")
DEFAULT_IDENTIFIERS = ("reader", "email")


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


def check_identifiers(identifiers: Any) -> tuple[str, ...]:
    """The identifiers a ban is asked to match, checked; validation_error."""
    if identifiers is None:
        return DEFAULT_IDENTIFIERS
    if (not isinstance(identifiers, list) or not identifiers
            or not all(isinstance(i, str) and i in IDENTIFIERS for i in identifiers)):
        raise ValidationError("identifiers is a list of reader, email, ip.",
                              fields={"identifiers": "any of reader, email, ip"})
    return tuple(i for i in IDENTIFIERS if i in identifiers)


def ban_author(
    moderator: Moderator,
    comment: Comment,
    *,
    days: int | None,
    reason: str = "",
    reject_comments: bool = False,
    identifiers: Sequence[str] = DEFAULT_IDENTIFIERS,
) -> tuple[Ban, int]:
    """Ban a comment's author from its site by the chosen identifiers, for `days` or for
    ever (a suspension and a permanent ban).

    The e-mail is matched only when the comment has one. With reject_comments, the
    comments still waiting or visible on the site that match the same identifiers are
    rejected too. Returns the ban and how many comments were rejected; validation_error.
    """
    if days is not None and not 1 <= days <= 36500:
        raise ValidationError(
            "days is 1 to 36500, or absent for a permanent ban.", fields={"days": "1 to 36500"}
        )
    chosen = set(identifiers)
    ban = Ban(
        site_id=comment.thread.site_id,
        reader_hash=comment.reader_hash if "reader" in chosen else None,
        ip_hash=comment.ip_hash if "ip" in chosen else None,
        email_hash=email_hash(comment.email) if comment.email and "email" in chosen else None,
        reason=reason,
        comment_id=comment.id,
        moderator=moderator,
        expires_at=utcnow() + dt.timedelta(days=days) if days else None,
    )
    if not (ban.reader_hash or ban.ip_hash or ban.email_hash):
        # Purged or erased, or a guest without e-mail banned by e-mail: a ban could match
        # nobody, and "their comments" would be everyone's.
        raise ValidationError(
            "Nothing identifies this comment's author any more: no ban is possible.",
            fields={"comment_id": "author not identifiable"},
        )
    site = comment.thread.site
    db.session.add(ban)
    rejected = 0
    if reject_comments:
        same_author = [
            column == value
            for column, value in ((Comment.reader_hash, ban.reader_hash),
                                  (Comment.ip_hash, ban.ip_hash))
            if value
        ]
        if ban.email_hash and comment.email:
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
        identifiers=list(identifiers_of(ban)),
        rejected_comments=rejected,
    )
    return ban, rejected


def identifiers_of(ban: Ban) -> tuple[str, ...]:
    """What the ban matches: reader, email, ip."""
    held = {"reader": ban.reader_hash, "email": ban.email_hash, "ip": ban.ip_hash}
    return tuple(name for name in IDENTIFIERS if held[name])


def bans_of(site: Site) -> list[Ban]:
    """The site's bans in force, newest first, with who made them."""
    return list(db.session.scalars(
        select(Ban)
        .where(Ban.site_id == site.id, or_(Ban.expires_at.is_(None), Ban.expires_at > utcnow()))
        .options(joinedload(Ban.moderator), joinedload(Ban.comment))
        .order_by(Ban.id.desc())))


def ban_for(moderator: Moderator | None, ban_id: int) -> Ban:
    """A ban the moderator may see and lift (None: the command line); not_found, forbidden."""
    ban = db.session.get(Ban, ban_id, options=[
        joinedload(Ban.site), joinedload(Ban.moderator), joinedload(Ban.comment)])
    if ban is None:
        raise NotFound("No such ban.")
    if moderator is not None:
        authorize(moderator, ban.site)
    return ban


def lift(moderator: Moderator | None, ban: Ban, reason: str = "") -> None:
    """Lift a ban: the author may comment again at once. Audited with what the ban was
    (moderator None: lifted from the command line)."""
    record(moderator, "lift_ban", ban.site_id, comment=ban.comment, reason=reason,
           actor=None if moderator else "command line",
           ban_id=ban.id, identifiers=list(identifiers_of(ban)), ban_reason=ban.reason,
           banned_by=ban.moderator.email if ban.moderator else None)
    db.session.delete(ban)
    db.session.flush()
