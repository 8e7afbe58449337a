"""What a comment's life tells the outside: webhooks, and reply notifications on approval.

Called by the services that change comments, in their transaction, so the outbox rows
commit (or roll back) with the change.
"""

from __future__ import annotations

from ..extensions import db
from ..models import Comment, CommentStatus, FlagReason, Site
from . import replies, webhooks

_EVENT_OF_STATUS = {
    CommentStatus.APPROVED: "comment.approved",
    CommentStatus.REJECTED: "comment.rejected",
    CommentStatus.SPAM: "comment.rejected",
    CommentStatus.DELETED: "comment.deleted",
}


def comment_posted(comment: Comment, site: Site) -> None:
    """A new comment: comment.created, and its replies' notifications when published."""
    webhooks.emit(comment, "comment.created")
    if comment.status == CommentStatus.APPROVED:
        replies.on_approved(comment, site)


def status_changed(comment: Comment, status: CommentStatus) -> None:
    """A comment moved to `status` (by a moderator, its author or its reports)."""
    event = _EVENT_OF_STATUS.get(status)
    if event is not None:
        webhooks.emit(comment, event)
    if status == CommentStatus.APPROVED:
        site = db.session.get(Site, comment.thread.site_id)
        assert site is not None
        replies.on_approved(comment, site)


def comment_reported(comment: Comment, reason: FlagReason) -> None:
    """A reader reported a published comment."""
    webhooks.emit(comment, "comment.reported", {"report": {"reason": reason.value}})
