"""Reply notifications: readers e-mailed the approved replies to their comments.

Double opt-in: an address gets one confirmation mail (at most one a day, so the form cannot
mail-bomb it) and nothing else until it confirms. Only an approved reply is owed (never
before moderation, never the author's own), as a ReplyNotice; the thread's next REPLIES
message takes every notice owed, at most one message per subscriber and thread an hour.
Mails are rendered when they leave, so a reply removed meanwhile is not sent.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, get_locale, gettext, ngettext
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..errors import BadToken
from ..extensions import db
from ..identity import email_hash
from ..models import (
    Comment,
    CommentStatus,
    MutedThread,
    OutboxKind,
    OutboxMessage,
    ReplyNotice,
    Site,
    Subscriber,
    Thread,
    utcnow,
)
from . import outbox
from .sites import settings_of

WINDOW = dt.timedelta(hours=1)  # at most one mail per subscriber and thread in this time
CONFIRMATION_EVERY = dt.timedelta(days=1)
CONFIRMATION_VALID = 7 * 24 * 3600  # seconds a confirmation link works


def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="engage-confirm")


def _unsubscribe_serializer() -> URLSafeSerializer:
    # No expiry: an unsubscribe link in an old mail must still work.
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="engage-unsubscribe")


def base_url() -> str:
    return str(current_app.config.get("ENGAGE_BASE_URL") or "http://localhost:5000").rstrip("/")


# --- subscribing --------------------------------------------------------------------------


def _subscriber(site: Site, email: str) -> Subscriber:
    hashed = email_hash(email)
    query = select(Subscriber).where(Subscriber.site_id == site.id,
                                     Subscriber.email_hash == hashed)
    found = db.session.scalar(query)
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            found = Subscriber(site_id=site.id, email=email.strip(), email_hash=hashed,
                               created_at=utcnow())
            db.session.add(found)
    except IntegrityError:  # the same address subscribed in a concurrent request
        found = db.session.scalar(query)
        assert found is not None
    return found


def subscribe(site: Site, comment: Comment) -> None:
    """Mark the comment as wanting replies by e-mail; send the confirmation mail when due."""
    if not comment.email or not settings_of(site).notify_replies:
        return
    comment.notify_replies = True
    subscriber = _subscriber(site, comment.email)
    now = utcnow()
    if subscriber.unsubscribed_at is not None:
        # Asked again after "stop everything": anyone may type an address, so it must be
        # confirmed again before anything is sent.
        subscriber.unsubscribed_at = None
        subscriber.confirmed_at = None
    if subscriber.confirmed_at is not None:
        return
    sent = subscriber.confirmation_sent_at
    if sent is not None and now - sent < CONFIRMATION_EVERY:
        return
    subscriber.confirmation_sent_at = now
    db.session.flush()
    outbox.enqueue(site.id, OutboxKind.CONFIRMATION, {"subscriber": subscriber.id})


def confirmation_token(subscriber: Subscriber) -> str:
    return str(_confirm_serializer().dumps([subscriber.id, subscriber.email_hash[:16]]))


def unsubscribe_token(subscriber: Subscriber, thread_id: int | None) -> str:
    return str(_unsubscribe_serializer().dumps(
        [subscriber.id, thread_id or 0, subscriber.email_hash[:16]]))


def _from_token(data: Any, size: int) -> Subscriber:
    """The subscriber a signed link names: by id, and by its address, last in the link (an
    erased subscriber's id may be given to another address, SQLite reuses the highest)."""
    valid = (isinstance(data, list) and len(data) == size and isinstance(data[0], int)
             and not isinstance(data[0], bool))
    subscriber = db.session.get(Subscriber, data[0]) if valid else None
    if subscriber is None or subscriber.email_hash[:16] != data[-1]:
        raise BadToken("This link is no longer valid.")
    return subscriber


def confirm_preview(token: str) -> Subscriber:
    """Return whom a confirmation link is for, without confirming; bad_token."""
    try:
        data = _confirm_serializer().loads(token, max_age=CONFIRMATION_VALID)
    except BadSignature as exc:
        raise BadToken("This confirmation link is not valid or has expired.") from exc
    return _from_token(data, 2)


def confirm(token: str) -> Subscriber:
    """Confirm the address of a confirmation link; bad_token."""
    subscriber = confirm_preview(token)
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = utcnow()
        subscriber.unsubscribed_at = None
    return subscriber


def read_unsubscribe(token: str) -> tuple[Subscriber, Thread | None]:
    """Return whom an unsubscribe link is for, and its thread; bad_token."""
    try:
        data = _unsubscribe_serializer().loads(token)
    except BadSignature as exc:
        raise BadToken("This unsubscribe link is not valid.") from exc
    subscriber = _from_token(data, 3)
    thread = db.session.get(Thread, data[1]) if isinstance(data[1], int) and data[1] else None
    if thread is not None and thread.site_id != subscriber.site_id:
        raise BadToken("This link is no longer valid.")
    return subscriber, thread


def unsubscribe(subscriber: Subscriber, thread: Thread | None) -> None:
    """Stop one thread's notifications, or (thread None) everything from the site."""
    if thread is None:
        subscriber.unsubscribed_at = subscriber.unsubscribed_at or utcnow()
    elif db.session.scalar(select(MutedThread.id).where(
            MutedThread.subscriber_id == subscriber.id,
            MutedThread.thread_id == thread.id)) is None:
        db.session.add(MutedThread(subscriber_id=subscriber.id, thread_id=thread.id))
    # What was owed and not sent yet stops too.
    owed = delete(ReplyNotice).where(ReplyNotice.subscriber_id == subscriber.id,
                                     ReplyNotice.message_id.is_(None))
    if thread is not None:
        owed = owed.where(ReplyNotice.thread_id == thread.id)
    db.session.execute(owed)


# --- an approved reply --------------------------------------------------------------------


def _same_author(reply: Comment, parent: Comment) -> bool:
    if reply.email and parent.email and reply.email.strip().lower() == (
            parent.email.strip().lower()):
        return True
    return reply.reader_hash is not None and reply.reader_hash == parent.reader_hash


def _group(subscriber_id: int, thread_id: int) -> str:
    return f"replies:{subscriber_id}:{thread_id}"


def on_approved(reply: Comment, site: Site) -> None:
    """Owe the parent's author a mail about this approved reply, when they asked for one."""
    if reply.parent_id is None:
        return
    parent = db.session.get(Comment, reply.parent_id)
    if (parent is None or not parent.notify_replies or not parent.email
            or _same_author(reply, parent) or not settings_of(site).notify_replies):
        return
    subscriber = db.session.scalar(select(Subscriber).where(
        Subscriber.site_id == site.id, Subscriber.email_hash == email_hash(parent.email)))
    if (subscriber is None or subscriber.confirmed_at is None
            or subscriber.unsubscribed_at is not None or _muted(subscriber, reply.thread_id)):
        return
    try:
        with db.session.begin_nested():
            db.session.add(ReplyNotice(subscriber_id=subscriber.id, thread_id=reply.thread_id,
                                       comment_id=reply.id, created_at=utcnow()))
    except IntegrityError:
        return  # owed already (approved, hidden by reports, approved again)
    group = _group(subscriber.id, reply.thread_id)
    if outbox.pending_in_group(group) is None:
        last = outbox.last_sent_at(group)
        due = max(utcnow(), last + WINDOW) if last else utcnow()
        outbox.enqueue(site.id, OutboxKind.REPLIES,
                       {"subscriber": subscriber.id, "thread": reply.thread_id},
                       group_key=group, due_at=due)


def _muted(subscriber: Subscriber, thread_id: int) -> bool:
    return db.session.scalar(select(MutedThread.id).where(
        MutedThread.subscriber_id == subscriber.id, MutedThread.thread_id == thread_id)
        .limit(1)) is not None


# --- the mails ----------------------------------------------------------------------------


def _mail(to: str, subject: str, template: str, **context: Any) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["ENGAGE_MAIL_FROM"]
    message["To"] = to
    lang = str(get_locale() or "fr")
    message.set_content(render_template(f"mail/{template}.txt", lang=lang, **context))
    message.add_alternative(render_template(f"mail/{template}.html", lang=lang, **context),
                            subtype="html")
    return message


def confirmation_mail(message: OutboxMessage) -> EmailMessage | None:
    """The double opt-in mail, or None when there is nothing to confirm any more."""
    subscriber = db.session.get(Subscriber, message.payload.get("subscriber"))
    if subscriber is None or subscriber.confirmed_at is not None:
        return None
    site = db.session.get(Site, subscriber.site_id)
    assert site is not None
    with force_locale(settings_of(site).language):
        link = f"{base_url()}/notifications/confirm?token={confirmation_token(subscriber)}"
        subject = gettext("Confirm your e-mail address for %(site)s", site=site.name)
        return _mail(subscriber.email, subject, "confirmation", site=site, link=link)


def replies_mail(message: OutboxMessage) -> EmailMessage | dt.datetime | None:
    """The batch of replies owed on one thread; a datetime when it must wait for the window,
    None when nothing is left to say. Takes the notices for this message."""
    subscriber = db.session.get(Subscriber, message.payload.get("subscriber"))
    thread = db.session.get(Thread, message.payload.get("thread"))
    if (subscriber is None or thread is None or subscriber.confirmed_at is None
            or subscriber.unsubscribed_at is not None or _muted(subscriber, thread.id)):
        return None
    last = outbox.last_sent_at(message.group_key or "")
    if last is not None and utcnow() < last + WINDOW:
        return last + WINDOW
    notices = list(db.session.scalars(
        select(ReplyNotice).where(ReplyNotice.subscriber_id == subscriber.id,
                                  ReplyNotice.thread_id == thread.id,
                                  # Its own, taken on an earlier try that failed.
                                  or_(ReplyNotice.message_id.is_(None),
                                      ReplyNotice.message_id == message.id))
        .order_by(ReplyNotice.comment_id)
    ))
    for notice in notices:
        notice.message_id = message.id
    replies = list(db.session.scalars(
        select(Comment).where(Comment.id.in_([n.comment_id for n in notices]),
                              Comment.status == CommentStatus.APPROVED)
        .order_by(Comment.id)
    ))
    if not replies:
        return None
    site = db.session.get(Site, thread.site_id)
    assert site is not None
    parents = {c.id: c for c in db.session.scalars(
        select(Comment).where(Comment.id.in_({r.parent_id for r in replies})))}
    with force_locale(settings_of(site).language):
        thread_link = unsubscribe_link(subscriber, thread)
        site_link = unsubscribe_link(subscriber, None)
        title = thread.title or thread.article
        subject = ngettext("New reply to your comment on “%(title)s”",
                           "%(num)d new replies to your comments on “%(title)s”",
                           len(replies), title=title)
        mail = _mail(subscriber.email, subject, "replies", site=site, thread=thread,
                     title=title, replies=replies, parents=parents,
                     unsubscribe_thread=thread_link, unsubscribe_site=site_link)
    # RFC 8058: one click in the mail client stops everything from this site.
    mail["List-Unsubscribe"] = f"<{site_link}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail["List-Id"] = f"{site.name} <replies.{site.key}.engage>"
    return mail


def unsubscribe_link(subscriber: Subscriber, thread: Thread | None) -> str:
    token = unsubscribe_token(subscriber, thread.id if thread else None)
    return f"{base_url()}/notifications/unsubscribe?token={token}"


# --- readers' data ------------------------------------------------------------------------


def subscriptions_of(email: str) -> list[dict[str, Any]]:
    """What is stored about an address's subscriptions (engage reader export)."""
    rows = db.session.execute(
        select(Subscriber, Site.key).join(Site, Subscriber.site_id == Site.id)
        .where(Subscriber.email_hash == email_hash(email)).order_by(Subscriber.id)
    ).all()
    out = []
    for subscriber, key in rows:
        muted = db.session.scalars(
            select(Thread.article).join(MutedThread, MutedThread.thread_id == Thread.id)
            .where(MutedThread.subscriber_id == subscriber.id).order_by(Thread.article))
        out.append({
            "site": key,
            "email": subscriber.email,
            "created_at": subscriber.created_at.isoformat(),
            "confirmed_at": subscriber.confirmed_at.isoformat()
            if subscriber.confirmed_at else None,
            "unsubscribed_at": subscriber.unsubscribed_at.isoformat()
            if subscriber.unsubscribed_at else None,
            "muted_articles": list(muted),
        })
    return out


def erase_subscriptions(email: str) -> int:
    """Delete the address's subscriptions everywhere (engage reader erase)."""
    result = db.session.execute(delete(Subscriber).where(
        Subscriber.email_hash == email_hash(email)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_subscriptions(cutoff: dt.datetime) -> int:
    """Delete the subscriptions past the retention (engage purge): unconfirmed or stopped
    since before cutoff, or older and with no comment left that carries the address."""
    still_used = (
        select(Comment.id).join(Thread, Comment.thread_id == Thread.id)
        .where(Thread.site_id == Subscriber.site_id, Comment.notify_replies.is_(True),
               func.lower(Comment.email) == func.lower(Subscriber.email))
        .exists()
    )
    result = db.session.execute(delete(Subscriber).where(
        ((Subscriber.confirmed_at.is_(None)) & (Subscriber.created_at < cutoff))
        | (Subscriber.unsubscribed_at < cutoff)
        | ((Subscriber.created_at < cutoff) & ~still_used)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
