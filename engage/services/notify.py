"""E-mail digests to moderators: comments waiting in the pending and reported queues.

Batched by design: each pass of `engage notify` or `engage worker` queues at most one digest
per site in the outbox, and only when something new arrived since the last one; never one
mail per comment, however busy the site.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Comment, Flag, Moderator, ModeratorRole, OutboxKind, Site, Thread, utcnow
from . import moderation, outbox
from .moderation import Queue
from .sites import settings_of

MAX_LISTED = 10


def recipients(site: Site) -> list[str]:
    """Return the e-mails of the site's active moderators (its admins when it has none)."""
    moderators = [
        m
        for m in db.session.scalars(
            select(Moderator).where(Moderator.is_active.is_(True)).order_by(Moderator.email)
        )
        if site in m.sites
    ]
    if not moderators:
        moderators = list(
            db.session.scalars(
                select(Moderator).where(
                    Moderator.is_active.is_(True), Moderator.role == ModeratorRole.ADMIN
                )
            )
        )
    return [m.email for m in moderators]


def _newest_waiting(site: Site) -> Comment | None:
    return db.session.scalar(
        select(Comment)
        .join(Thread, Comment.thread_id == Thread.id)
        .where(
            Thread.site_id == site.id,
            moderation._queue_filter(site, Queue.PENDING)
            | moderation._queue_filter(site, Queue.REPORTED),
        )
        .order_by(Comment.id.desc())
        .limit(1)
    )


def digest(site: Site, base_url: str) -> EmailMessage | None:
    """Build the site's digest, or None when nothing new waits since the last one."""
    counts = moderation.queue_counts(site)
    waiting = counts[Queue.PENDING.value] + counts[Queue.REPORTED.value]
    newest = _newest_waiting(site)
    if not waiting or newest is None:
        return None
    last = site.notified_at
    newest_report = db.session.scalar(
        select(func.max(Flag.created_at))
        .join(Comment, Flag.comment_id == Comment.id)
        .join(Thread, Comment.thread_id == Thread.id)
        .where(Thread.site_id == site.id, Flag.resolved_at.is_(None))
    )
    news = [t for t in (newest.created_at, newest_report) if t is not None]
    if last is not None and max(news) <= last:
        return None  # told already: nothing arrived since the last digest
    page = moderation.read_queue(site, Queue.REPORTED, limit=MAX_LISTED)
    held = moderation.read_queue(site, Queue.PENDING, limit=MAX_LISTED)
    lines = [
        f"{site.name}: {counts['pending']} comment(s) waiting for approval, "
        f"{counts['reported']} reported.",
        f"Moderate: {base_url.rstrip('/')}/moderate/?site={site.key}",
        "",
    ]
    for title, items in (("Reported", page.comments), ("Waiting", held.comments)):
        if items:
            lines.append(f"{title}:")
            for comment in items:
                why = ", ".join(sorted({f.reason.value for f in page.flags.get(comment.id, [])}))
                lines.append(
                    f"- {comment.author} on “{comment.thread.title or comment.thread.article}”"
                    f" ({why or comment.held_reason or 'held'})"
                )
            lines.append("")
    message = EmailMessage()
    message["Subject"] = f"[{site.name}] {waiting} comment(s) to moderate"
    message["From"] = current_app.config["ENGAGE_MAIL_FROM"]
    message.set_content("\n".join(lines))
    return message


def smtp_client(url: str) -> smtplib.SMTP:
    """Open an SMTP connection from smtp://, smtp+starttls:// or smtps://user:pass@host:port."""
    parts = urlsplit(url)
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname or "localhost",
            parts.port or 465,
            context=ssl.create_default_context(),
            timeout=10,
        )
    else:
        client = smtplib.SMTP(parts.hostname or "localhost", parts.port or 25, timeout=10)
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
    if parts.username:
        client.login(unquote(parts.username), unquote(parts.password or ""))
    return client


def due_digests(base_url: str) -> Iterator[tuple[Site, EmailMessage]]:
    """Yield each site that wants digests and has news, with its addressed message."""
    for site in db.session.scalars(select(Site).order_by(Site.key)):
        if not settings_of(site).notify_moderators:
            continue
        message = digest(site, base_url)
        to = recipients(site)
        if message is not None and to:
            message["To"] = ", ".join(to)
            yield site, message


def queue_digests(base_url: str) -> int:
    """Put each due digest in the outbox, with the site's notified_at, in one transaction."""
    count = 0
    for site, message in list(due_digests(base_url)):
        outbox.enqueue(site.id, OutboxKind.DIGEST, {
            "to": message["To"], "subject": message["Subject"],
            "text": message.get_content(),
        })
        site.notified_at = utcnow()
        count += 1
    return count


def digest_mail(payload: dict[str, str]) -> EmailMessage:
    """The queued digest as a message."""
    message = EmailMessage()
    message["Subject"] = payload["subject"]
    message["From"] = current_app.config["ENGAGE_MAIL_FROM"]
    message["To"] = payload["to"]
    message.set_content(payload["text"])
    return message
