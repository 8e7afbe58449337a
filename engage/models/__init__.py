"""The domain as tables: sites, their threads and comments, reader engagement, moderators."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

if TYPE_CHECKING:
    # Flask-SQLAlchemy builds db.Model at run time; for the type checker it is our Base.
    from ..extensions import Base as Model
else:
    Model = db.Model


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


class CommentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"
    DELETED = "deleted"


class Reaction(StrEnum):
    LIKE = "like"
    LOVE = "love"
    HAHA = "haha"
    WOW = "wow"
    SAD = "sad"
    ANGRY = "angry"


class ShareNetwork(StrEnum):
    FACEBOOK = "facebook"
    X = "x"
    WHATSAPP = "whatsapp"
    LINKEDIN = "linkedin"
    TELEGRAM = "telegram"
    EMAIL = "email"
    COPY = "copy"


class FlagReason(StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OFFTOPIC = "offtopic"
    ILLEGAL = "illegal"
    OTHER = "other"


class ModeratorRole(StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"


def _enum_column(enum: type[StrEnum], **kwargs: Any) -> Any:
    # Stored as plain strings (the contract's values) with a CHECK, so a new value is a migration
    # of one constraint rather than of a native enum type that only PostgreSQL has.
    return mapped_column(
        db.Enum(
            enum,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
            create_constraint=True,
            name=enum.__name__.lower(),
        ),
        **kwargs,
    )


class Site(Model):
    """A website that embeds engage, known by its public key."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Per-site options (moderation mode, edit window…); engage.services.sites validates them.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When moderators were last e-mailed a digest (engage notify): only news since is sent.
    notified_at: Mapped[dt.datetime | None] = mapped_column()
    # Single sign-on (engage site sso): the secret the site's own login signs its readers'
    # tokens with, and the one before it, still trusted for a while after a rotation.
    sso_secret: Mapped[str | None] = mapped_column(String(128))
    sso_previous_secret: Mapped[str | None] = mapped_column(String(128))
    sso_rotated_at: Mapped[dt.datetime | None] = mapped_column()

    origins: Mapped[list[SiteOrigin]] = relationship(
        back_populates="site",
        cascade="all, delete-orphan",
        order_by="SiteOrigin.id",
        lazy="selectin",
    )

    @property
    def origin_set(self) -> set[str]:
        return {o.origin for o in self.origins}


class SiteOrigin(Model):
    """One scheme://host[:port] from which a site's pages may call the API."""

    __tablename__ = "site_origin"
    __table_args__ = (UniqueConstraint("site_id", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(255), index=True)

    site: Mapped[Site] = relationship(back_populates="origins")


class Thread(Model):
    """The comments and engagement of one article, with counters kept in step on every write."""

    __table_args__ = (
        UniqueConstraint("site_id", "article"),
        CheckConstraint("comment_count >= 0", name="comment_count_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    article: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(300), default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Bumped by every write that changes what the thread shows; the ETag is derived from it.
    version: Mapped[int] = mapped_column(default=1)

    comment_count: Mapped[int] = mapped_column(default=0)
    reactions_like: Mapped[int] = mapped_column(default=0)
    reactions_love: Mapped[int] = mapped_column(default=0)
    reactions_haha: Mapped[int] = mapped_column(default=0)
    reactions_wow: Mapped[int] = mapped_column(default=0)
    reactions_sad: Mapped[int] = mapped_column(default=0)
    reactions_angry: Mapped[int] = mapped_column(default=0)
    shares_facebook: Mapped[int] = mapped_column(default=0)
    shares_x: Mapped[int] = mapped_column(default=0)
    shares_whatsapp: Mapped[int] = mapped_column(default=0)
    shares_linkedin: Mapped[int] = mapped_column(default=0)
    shares_telegram: Mapped[int] = mapped_column(default=0)
    shares_email: Mapped[int] = mapped_column(default=0)
    shares_copy: Mapped[int] = mapped_column(default=0)

    site: Mapped[Site] = relationship(lazy="raise_on_sql")

    @property
    def reactions(self) -> dict[str, int]:
        return {r.value: getattr(self, f"reactions_{r.value}") for r in Reaction}

    @property
    def shares(self) -> dict[str, int]:
        return {n.value: getattr(self, f"shares_{n.value}") for n in ShareNetwork}


class Comment(Model):
    """A reader's comment or reply; body_html is rendered once, when it is written."""

    __table_args__ = (
        # A thread's comments (joins from threads, cascades); a page of top-level comments has
        # its own partial indexes below, and their replies are found by root.
        Index("ix_comment_thread_id", "thread_id"),
        Index("ix_comment_root_id", "root_id"),
        # Deleting a comment (or its thread, or its site) finds its replies by this: without
        # it, each cascade step scans the table. Partial, so that no planner takes it for
        # "all top-level comments" (parent_id IS NULL) instead of a thread's roots index.
        Index(
            "ix_comment_parent_id",
            "parent_id",
            postgresql_where=text("parent_id IS NOT NULL"),
            sqlite_where=text("parent_id IS NOT NULL"),
        ),
        CheckConstraint("like_count >= 0", name="like_count_nonnegative"),
        # An imported comment once per thread, however often its file is imported again. An
        # index, not a constraint: SQLite adds it without copying the table (migration 0007).
        Index("uq_comment_thread_id_source_source_id", "thread_id", "source", "source_id",
              unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    # The top-level ancestor (null for a top-level comment): a page's replies in one query.
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    depth: Mapped[int] = mapped_column(default=0)
    author: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))  # private: never in a public answer
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = _enum_column(CommentStatus, default=CommentStatus.PENDING)
    # Which moderation rule held or rejected it, shown to moderators.
    held_reason: Mapped[str | None] = mapped_column(String(200))
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderator.id", ondelete="SET NULL")
    )
    like_count: Mapped[int] = mapped_column(default=0)
    flag_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column()
    # Keyed hashes (engage.identity), never the raw values.
    reader_hash: Mapped[str | None] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    # Written by a reader the site signed in (services/sso.py): the account's keyed hash,
    # which is also its reader_hash (likes, reports, bans and history go by the account), and
    # the badge the site gave it ("Abonné"). Both null for a guest's comment.
    account_hash: Mapped[str | None] = mapped_column(String(64))
    badge: Mapped[str | None] = mapped_column(String(40))
    # Where an imported comment came from ("wordpress", "disqus", "engage") and its id there;
    # both null for comments written here.
    source: Mapped[str | None] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(String(64))
    # The author asked to be e-mailed the approved replies to it (double opt-in, outbox).
    notify_replies: Mapped[bool] = mapped_column(Boolean, default=False)

    thread: Mapped[Thread] = relationship(lazy="raise_on_sql")


# A page of top-level comments in each sort (services/listing.py), as partial indexes of the
# top-level rows: the database walks one in order and stops after the page, where the
# listing index above would read every top-level row of a big thread and sort them.
_TOP_LEVEL = Comment.parent_id.is_(None)
for _name, _order in (
    ("oldest", (Comment.featured.desc(), Comment.id)),
    ("newest", (Comment.featured.desc(), Comment.id.desc())),
    ("top", (Comment.featured.desc(), Comment.like_count.desc(), Comment.id)),
):
    Index(
        f"ix_comment_roots_{_name}",
        Comment.thread_id,
        *_order,
        postgresql_where=_TOP_LEVEL,
        sqlite_where=_TOP_LEVEL,
    )
# The same sender's recent comments (the duplicate check, services/spam.py), and lookups by
# sender alone (bans, erasure), which use the leading column.
Index("ix_comment_reader_hash_created_at", Comment.reader_hash, Comment.created_at)
Index("ix_comment_ip_hash_created_at", Comment.ip_hash, Comment.created_at)


class CommentLike(Model):
    """One reader's like of one comment."""

    __tablename__ = "comment_like"
    __table_args__ = (UniqueConstraint("comment_id", "reader_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    reader_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Flag(Model):
    """One reader's report of one comment, for the moderation queue."""

    __table_args__ = (UniqueConstraint("comment_id", "reader_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    reader_hash: Mapped[str] = mapped_column(String(64))
    # The reporter's IP (keyed hash): auto-hiding counts distinct IPs, not reader tokens,
    # which anyone can mint.
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[FlagReason] = _enum_column(FlagReason)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The moderator's decision on the report, kept so a site can answer for it (EU DSA).
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(String(16))  # the action taken: approve, reject…
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderator.id", ondelete="SET NULL")
    )


class ArticleReaction(Model):
    """One reader's reaction to one article; replacing it keeps the row."""

    __tablename__ = "article_reaction"
    __table_args__ = (UniqueConstraint("thread_id", "reader_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    reader_hash: Mapped[str] = mapped_column(String(64))
    reaction: Mapped[Reaction] = _enum_column(Reaction)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Share(Model):
    """A share button used by one reader, counted once per network per article."""

    __table_args__ = (UniqueConstraint("thread_id", "reader_hash", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    reader_hash: Mapped[str] = mapped_column(String(64))
    network: Mapped[ShareNetwork] = _enum_column(ShareNetwork)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


moderator_site = Table(
    "moderator_site",
    db.metadata,
    Column("moderator_id", ForeignKey("moderator.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("site.id", ondelete="CASCADE"), primary_key=True),
)


class Moderator(Model):
    """A person who moderates: an admin everywhere, a moderator on the sites given."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[ModeratorRole] = _enum_column(ModeratorRole, default=ModeratorRole.MODERATOR)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))  # "fr" or "en"; None: the browser's
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Part of every page session's id: adding one ends all of them (sign-out, disabling,
    # revoke-tokens), whatever cookie copies are around.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    shortcuts: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    sites: Mapped[list[Site]] = relationship(secondary=moderator_site, lazy="selectin")
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="moderator", cascade="all, delete-orphan", lazy="raise_on_sql"
    )

    def can_moderate(self, site: Site) -> bool:
        return self.role == ModeratorRole.ADMIN or any(s.id == site.id for s in self.sites)


class ApiToken(Model):
    """A bearer token for the moderation API, stored only as its SHA-256."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderator.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()

    moderator: Mapped[Moderator] = relationship(back_populates="tokens")


class Ban(Model):
    """A banned author on one site: any of their reader token, email or IP, as keyed hashes."""

    __table_args__ = (Index("ix_ban_site_id_expires_at", "site_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    reader_hash: Mapped[str | None] = mapped_column(String(64))
    email_hash: Mapped[str | None] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="SET NULL"))
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderator.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column()  # None: for ever

    site: Mapped[Site] = relationship(lazy="raise_on_sql")
    comment: Mapped[Comment | None] = relationship(lazy="raise_on_sql")
    moderator: Mapped[Moderator | None] = relationship(lazy="raise_on_sql")


class AuditEvent(Model):
    """One moderation action or settings change: who did what, when, on what."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_site_id_id", "site_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderator.id", ondelete="SET NULL")
    )
    # Kept as text too, so the log still says who acted after an account is deleted.
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(32))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# The outbox, webhooks and reply subscriptions: their own module, re-exported here.
from .outbox import (  # noqa: E402
    DeliveryAttempt,
    MutedThread,
    OutboxKind,
    OutboxMessage,
    OutboxState,
    ReplyNotice,
    Subscriber,
    WebhookEndpoint,
)

__all__ = [
    "DeliveryAttempt", "MutedThread", "OutboxKind", "OutboxMessage", "OutboxState",
    "ReplyNotice", "Subscriber", "WebhookEndpoint",
]
