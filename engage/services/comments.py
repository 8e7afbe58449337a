"""Comments: post, edit and delete with edit tokens."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import BadToken, LoginRequired, NotFound, ThreadClosed, ValidationError
from ..extensions import db
from ..models import Comment, CommentLike, CommentStatus, Flag, FlagReason, Site, utcnow
from ..sanitize import render_markdown
from . import bans, events, moderation, replies, rules, spam, threads
from .sites import settings_of
from .sso import Account
from .threads import ArticleRef


@dataclasses.dataclass(frozen=True)
class NewComment:
    article: ArticleRef
    parent_id: int | None
    author: str
    email: str | None
    body: str
    notify_replies: bool = False  # e-mail the approved replies (double opt-in)


@dataclasses.dataclass(frozen=True)
class CommentEdit:
    body: str


@dataclasses.dataclass(frozen=True)
class AuthorProof:
    """What a request shows to edit or delete a comment as its author: the edit token given
    with it to one browser, or the account the site signs in (any device)."""

    edit_token: str | None = None
    account_key: str | None = None


EDITABLE = frozenset({CommentStatus.APPROVED, CommentStatus.PENDING})


def _edit_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="engage.edit-token")


def edit_token_for(comment: Comment, site: Site) -> str:
    """Return a signed token that lets its holder edit or delete this comment for a while.

    The token carries its own end, so widening the site's edit window later revives no
    token that had expired, and narrowing it shortens none already given.
    """
    expires = edit_expires_at(comment, site)
    return _edit_serializer().dumps([comment.id, int(expires.timestamp())])


def edit_expires_at(comment: Comment, site: Site) -> dt.datetime:
    """Return when the edit token issued with a new comment stops working (at once when the
    site allows no editing: edit_window=0)."""
    minutes = settings_of(site).edit_window
    return comment.created_at + dt.timedelta(minutes=minutes)


def post_comment(
    site: Site,
    new: NewComment,
    *,
    reader_hash: str | None,
    ip_hash: str | None,
    submission: spam.Submission | None = None,
    account: Account | None = None,
) -> Comment:
    """Store a new comment or reply, published or held by the site's rules and spam signals.

    A signed-in reader's (account) is stored under the account's name, e-mail and badge, with
    the account as its reader_hash. Raises login_required (a guest where the site takes
    accounts only), forbidden_origin (url off the site's origins), thread_closed, banned,
    validation_error (parent missing, unapproved or in another thread; a spam signal the site
    rejects).
    """
    settings = settings_of(site)
    if account is not None:
        new = dataclasses.replace(new, author=account.name, email=account.email,
                                  notify_replies=new.notify_replies and bool(account.email))
    elif settings.comments == "accounts":
        raise LoginRequired()
    thread = threads.resolve_thread(site, new.article, fill_title=True)
    if not thread.is_open or rules.is_auto_closed(settings, thread):
        raise ThreadClosed()
    bans.check_not_banned(site, reader_hash=reader_hash, ip_hash=ip_hash, email=new.email)
    parent = None
    if new.parent_id is not None:
        parent = db.session.get(Comment, new.parent_id)
        if (
            parent is None
            or parent.thread_id != thread.id
            or parent.status != CommentStatus.APPROVED
        ):
            raise ValidationError(
                "You can only reply to a published comment of this article.",
                fields={"parent_id": "not a published comment of this article"},
            )

    signal = spam.check(
        site,
        settings,
        submission or spam.Submission(),
        author=new.author,
        email=new.email,
        body=new.body,
        permalink=thread.url,
        reader_hash=reader_hash,
        ip_hash=ip_hash,
    )
    body_html = render_markdown(new.body)
    first = settings.hold_first_comment and rules.is_first_comment(site.id, reader_hash, new.email)
    verdict = rules.judge(settings, new.body, body_html, first_comment=first)
    if signal and verdict.status == CommentStatus.APPROVED:
        verdict = signal
    comment = Comment(
        thread_id=thread.id,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author=new.author,
        email=new.email,
        body_source=new.body,
        body_html=body_html,
        status=verdict.status,
        held_reason=verdict.reason,
        reader_hash=reader_hash,
        ip_hash=ip_hash,
        account_hash=account.key if account else None,
        badge=account.badge if account else None,
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    if verdict.status == CommentStatus.APPROVED:
        threads.bump(thread, comment_count=1)
    if new.notify_replies:
        replies.subscribe(site, comment)
    events.comment_posted(comment, site)
    return comment


def public_status(comment: Comment) -> str:
    """Say "approved" or "pending" to the author: a rejection is not announced to spammers."""
    return "approved" if comment.status == CommentStatus.APPROVED else "pending"


def _authorised(comment: Comment, proof: AuthorProof) -> None:
    """Check that the request comes from the comment's author, within the edit window;
    bad_token.

    The edit token carries the end it was issued with; a signed-in author's account may edit
    from any device until the same end (the site's edit window). A comment with open reports
    can be neither edited nor deleted by its author: the moderators must judge the words that
    were reported.
    """
    if comment.status not in EDITABLE:
        raise BadToken("This comment can no longer be changed.")
    if proof.account_key is not None and comment.account_hash == proof.account_key:
        if utcnow() >= edit_expires_at(comment, comment.thread.site):
            raise BadToken("The edit window of this comment has closed.")
        if comment.flag_count:
            raise BadToken("This comment was reported: it can no longer be changed.")
        return
    try:
        payload = _edit_serializer().loads(proof.edit_token or "")
    except BadSignature:
        raise BadToken() from None
    if not (isinstance(payload, list) and len(payload) == 2
            and all(type(v) is int for v in payload)) or payload[0] != comment.id:
        raise BadToken()
    if utcnow().timestamp() >= payload[1]:
        raise BadToken("The edit window of this comment has closed.")
    if comment.flag_count:
        raise BadToken("This comment was reported: it can no longer be changed.")


def edit_comment(comment: Comment, proof: AuthorProof, edit: CommentEdit) -> Comment:
    """Replace a comment's body within the edit window, under the site's rules; bad_token.

    An edit that breaks a rule is held or rejected like a new comment; a held comment stays
    held until a moderator approves it. A reported comment can no longer be edited: the
    moderators must judge the words that were reported.
    """
    _authorised(comment, proof)
    settings = settings_of(comment.thread.site)
    if comment.account_hash is None and settings.comments == "accounts":
        raise LoginRequired()  # words are written by accounts only, even a guest's old ones
    body_html = render_markdown(edit.body)
    verdict = rules.judge(settings, edit.body, body_html, first_comment=False)
    # Conditional on its status, so an edit racing a delete cannot bring deleted words back.
    edited = db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.status.in_(EDITABLE), Comment.flag_count == 0)
        .values(body_source=edit.body, body_html=body_html, edited_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if not edited.rowcount:  # type: ignore[attr-defined]
        raise BadToken("This comment can no longer be changed.")
    db.session.expire(comment, ["body_source", "body_html", "edited_at", "status"])
    if verdict.status != CommentStatus.APPROVED:
        moderation.set_status(comment, verdict.status, held_reason=f"edited: {verdict.reason}")
    elif comment.status == CommentStatus.APPROVED:
        threads.bump(comment.thread)
    return comment


def delete_comment(comment: Comment, proof: AuthorProof) -> None:
    """Delete a comment by its author within the edit window; bad_token.

    The row stays, emptied of its author's words and email, so that replies keep their place
    under a tombstone; the thread hides it when nothing visible hangs below it.
    """
    _authorised(comment, proof)
    deleted = moderation.set_status(
        comment,
        CommentStatus.DELETED,
        only_from=EDITABLE,
        body_source="",
        body_html="",
        email=None,
    )
    if not deleted:  # a concurrent request deleted or hid it first
        raise BadToken("This comment can no longer be changed.")


def like(comment: Comment, reader_hash: str) -> int:
    """Record the reader's like of a published comment (once) and return its likes; not_found."""
    if comment.status != CommentStatus.APPROVED:
        raise NotFound("No such comment.")
    try:
        with db.session.begin_nested():
            db.session.add(CommentLike(comment_id=comment.id, reader_hash=reader_hash))
    except IntegrityError:
        pass  # liked already: one like per reader
    else:
        _add_likes(comment, 1)
    return comment.like_count


def unlike(comment: Comment, reader_hash: str) -> int:
    """Withdraw the reader's like, if any, and return the comment's likes; not_found."""
    if comment.status != CommentStatus.APPROVED:
        raise NotFound("No such comment.")
    removed = db.session.execute(
        delete(CommentLike).where(
            CommentLike.comment_id == comment.id, CommentLike.reader_hash == reader_hash
        )
    )
    # Only the request that really deleted the row counts it down: never below zero.
    if removed.rowcount:  # type: ignore[attr-defined]
        _add_likes(comment, -1)
    return comment.like_count


def _add_likes(comment: Comment, delta: int) -> None:
    db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(like_count=Comment.like_count + delta),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(comment, ["like_count"])
    threads.bump(comment.thread)  # likes show in the thread: its ETag must change


def flag(
    comment: Comment, reader_hash: str, reason: FlagReason, note: str, *, ip_hash: str | None
) -> bool:
    """Record the reader's report of a published comment (once); not_found.

    Returns whether the comment is now hidden, pending a moderator, by the site's threshold.
    The threshold counts reports from distinct IPs: reader tokens cost nothing to mint, so one
    person alone cannot hide someone else's comment.
    """
    if comment.status != CommentStatus.APPROVED:
        raise NotFound("No such comment.")
    try:
        with db.session.begin_nested():
            db.session.add(
                Flag(
                    comment_id=comment.id,
                    reader_hash=reader_hash,
                    ip_hash=ip_hash,
                    reason=reason,
                    note=note,
                )
            )
    except IntegrityError:
        return False  # reported already by this reader
    events.comment_reported(comment, reason)
    db.session.execute(
        update(Comment).where(Comment.id == comment.id).values(flag_count=Comment.flag_count + 1),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(comment, ["flag_count"])
    threshold = settings_of(comment.thread.site).report_hide_threshold
    if not threshold or comment.flag_count < threshold:
        return False
    reporters = db.session.scalar(
        select(func.count(func.distinct(Flag.ip_hash))).where(
            Flag.comment_id == comment.id, Flag.resolved_at.is_(None)
        )
    )
    if (reporters or 0) < threshold:
        return False
    return moderation.set_status(
        comment,
        CommentStatus.PENDING,
        only_from=frozenset({CommentStatus.APPROVED}),
        held_reason=f"reported by {reporters} people",
    )
