"""What leaves the server: outbox messages and their delivery attempts, webhook endpoints,
and the readers subscribed to replies by e-mail."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Model, Site, _enum_column, utcnow


class OutboxKind(StrEnum):
    CONFIRMATION = "confirmation"  # double opt-in: "confirm your address"
    REPLIES = "replies"  # approved replies to a subscriber's comments, one thread, batched
    DIGEST = "digest"  # moderators' digest of what waits
    WEBHOOK = "webhook"  # one event to one endpoint


class OutboxState(StrEnum):
    PENDING = "pending"  # waits for its due time
    SENDING = "sending"  # claimed by a worker until claimed_until; past it, claimable again
    SENT = "sent"
    DEAD = "dead"  # gave up after MAX_ATTEMPTS
    DROPPED = "dropped"  # nothing left to say (replies removed, endpoint gone or disabled)


class OutboxMessage(Model):
    """One e-mail or webhook to deliver, written in the transaction of the change behind it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The workers' claim: what is due, oldest first.
        Index("ix_outbox_message_state_due_at", "state", "due_at"),
        Index("ix_outbox_message_group_key", "group_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    kind: Mapped[OutboxKind] = _enum_column(OutboxKind)
    state: Mapped[OutboxState] = _enum_column(OutboxState, default=OutboxState.PENDING)
    # What to send, rendered at delivery (e-mails) or fixed when the event happened (webhooks).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Messages of one batch (a subscriber's replies on one thread) share it.
    group_key: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)

    site: Mapped[Site] = relationship(lazy="raise_on_sql")


class DeliveryAttempt(Model):
    """One try at delivering a message: when, how long, and what the other side answered."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (Index("ix_delivery_attempt_endpoint_id_id", "endpoint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE")
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column()
    detail: Mapped[str] = mapped_column(String(500), default="")
    duration_ms: Mapped[int] = mapped_column(default=0)


class WebhookEndpoint(Model):
    """An HTTPS address of the site's own tools, told about comments' events, signed."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    # Kept as is: every delivery is signed with it (HMAC), as Stripe and GitHub do.
    secret: Mapped[str] = mapped_column(String(80))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(default=0)  # consecutive failed attempts
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    site: Mapped[Site] = relationship(lazy="raise_on_sql")


class Subscriber(Model):
    """An e-mail address that asked for reply notifications on one site (double opt-in)."""

    __tablename__ = "subscriber"
    __table_args__ = (UniqueConstraint("site_id", "email_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # private, like a comment's e-mail
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column()
    # The last confirmation mail: at most one a day, so the form cannot mail-bomb an address.
    confirmation_sent_at: Mapped[dt.datetime | None] = mapped_column()
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column()  # "everything from this site"

    site: Mapped[Site] = relationship(lazy="raise_on_sql")


class MutedThread(Model):
    """A subscriber's "stop this thread" from an unsubscribe link."""

    __tablename__ = "muted_thread"
    __table_args__ = (UniqueConstraint("subscriber_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))


class ReplyNotice(Model):
    """An approved reply owed to a subscriber; the next REPLIES message of its thread takes it."""

    __tablename__ = "reply_notice"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "comment_id"),
        Index("ix_reply_notice_open", "subscriber_id", "thread_id",
              postgresql_where=text("message_id IS NULL"),
              sqlite_where=text("message_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
