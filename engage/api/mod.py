"""/api/v1/mod/*: the moderation API, for moderators with a bearer token (CONTRACT §3)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, jsonify, request

from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import AuditEvent, Ban, Comment, Flag
from ..services import accounts, bans, moderation, queue_context, sites
from ..services.moderation import Action, Queue
from . import bp
from .schemas import MAX_ID, Fields, article_id, iso, json_body, whole_number


def moderator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the view run only for a moderator with a valid bearer token; unauthorized."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        g.moderator = accounts.moderator_for_token(token.strip() if scheme == "Bearer" else None)
        return view(*args, **kwargs)

    return wrapper


def _site(key: str | None) -> Any:
    site = sites.get_site(key)
    moderation.authorize(g.moderator, site)
    return site


def flag_json(flag: Flag) -> dict[str, Any]:
    return {
        "reason": flag.reason.value,
        "note": flag.note,
        "created_at": iso(flag.created_at),
        "resolved_at": iso(flag.resolved_at),
        "resolution": flag.resolution,
        "resolution_reason": flag.resolution_reason,
    }


def history_json(history: queue_context.AuthorHistory | None) -> dict[str, Any] | None:
    if history is None:
        return None
    return {"approved": history.approved, "pending": history.pending,
            "rejected": history.rejected, "spam": history.spam, "reports": history.reports,
            "first_seen": iso(history.first_seen)}


def queue_item_json(comment: Comment, flags: list[Flag], page: Any = None) -> dict[str, Any]:
    """Serialise a comment for moderators: with its private fields, never its hashes; with
    a queue page, also its parent's excerpt and its author's history."""
    thread = comment.thread
    parent = page.parents.get(comment.parent_id) if page is not None else None
    context = {} if page is None else {
        "parent": {"id": parent.id, "author": parent.author,
                   "excerpt": queue_context.excerpt(parent)} if parent else None,
        "author_history": history_json(page.histories.get(comment.id)),
    }
    return {
        "id": comment.id,
        "status": comment.status.value,
        "held_reason": comment.held_reason,
        "article": {
            "id": thread.article,
            "title": thread.title,
            "url": thread.url,
            "open": thread.is_open,
        },
        "parent_id": comment.parent_id,
        "author": comment.author,
        "email": comment.email,
        # "account": signed in by the site (its author history is the account's); or a guest.
        "account": comment.account_hash is not None,
        "badge": comment.badge,
        "body_html": comment.body_html,
        "created_at": iso(comment.created_at),
        "edited_at": iso(comment.edited_at),
        "likes": comment.like_count,
        "featured": comment.featured,
        "report_count": comment.flag_count,
        "reports": [flag_json(f) for f in flags],
        **context,
    }


def audit_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": iso(event.created_at),
        "actor": event.actor,
        "action": event.action,
        "comment_id": event.comment_id,
        "thread_id": event.thread_id,
        "details": event.details,
    }


def _choice(value: Any, enum: Any, field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise ValidationError(
            f"Unknown {field}.", fields={field: f"one of {', '.join(m.value for m in enum)}"}
        ) from None


@bp.get("/mod/queue")
@moderator_required
def get_queue() -> Response:
    """Answer one page of a moderation queue of a site."""
    site = _site(request.args.get("site"))
    queue = _choice(request.args.get("queue", "pending"), Queue, "queue")
    order = request.args.get("order")
    if order not in (None, "oldest", "newest"):
        raise ValidationError("Unknown order.", fields={"order": "oldest or newest"})
    article = request.args.get("article") or None
    if article is not None and article_id(article) is None:
        raise ValidationError("Unknown article id.", fields={"article": "1-255 characters"})
    search = request.args.get("q") or None
    if search is not None and (len(search) > 200 or any(ord(c) < 0x20 for c in search)):
        raise ValidationError("The search is too long.", fields={"q": "at most 200 characters"})
    page = queue_context.add_context(moderation.read_queue(
        site,
        queue,
        oldest_first=None if order is None else order == "oldest",
        article=article_id(article) if article else None,
        search=search,
        cursor=request.args.get("cursor") or None,
    ))
    return jsonify(
        {
            "site": site.key,
            "queue": queue.value,
            "counts": moderation.queue_counts(site),
            "items": [queue_item_json(c, page.flags.get(c.id, []), page) for c in page.comments],
            "next_cursor": page.next_cursor,
        }
    )


def _reason(data: dict[str, Any]) -> str:
    fields = Fields(data)
    reason = fields.text("reason", max_length=2000, multiline=True)
    fields.raise_errors()
    return reason


@bp.post("/mod/comments/<int:comment_id>/<action>")
@moderator_required
def act_on_comment(comment_id: int, action: str) -> Response:
    """Apply approve, reject, spam, delete, feature or unfeature to one comment."""
    chosen = _choice(action, Action, "action")
    data = json_body() if request.get_data() else {}
    if comment_id > MAX_ID:
        raise NotFound("No such comment.")
    comment = moderation.comment_for(g.moderator, comment_id)
    moderation.act(g.moderator, comment, chosen, _reason(data))
    body = queue_item_json(comment, [])
    db.session.commit()
    return jsonify({"comment": body})


@bp.post("/mod/comments/bulk")
@moderator_required
def act_in_bulk() -> Response:
    """Apply one action to many comments: all or none."""
    data = json_body()
    raw_ids = data.get("ids")
    ids = [whole_number(i) for i in raw_ids] if isinstance(raw_ids, list) else None
    if ids is None or not all(i is not None and 1 <= i <= MAX_ID for i in ids):
        raise ValidationError("ids must be a list of comment ids.", fields={"ids": "list of ids"})
    chosen = _choice(data.get("action"), Action, "action")
    done = moderation.act_in_bulk(
        g.moderator, [i for i in ids if i is not None], chosen, _reason(data)
    )
    body = {"action": chosen.value, "ids": [c.id for c in done]}
    db.session.commit()
    return jsonify(body)


def ban_json(ban: Ban, site_key: str) -> dict[str, Any]:
    return {
        "id": ban.id,
        "site": site_key,
        "identifiers": list(bans.identifiers_of(ban)),
        "comment_id": ban.comment_id,
        "reason": ban.reason,
        "created_at": iso(ban.created_at),
        "created_by": ban.moderator.email if ban.moderator else None,
        "expires_at": iso(ban.expires_at),
    }


@bp.post("/mod/bans")
@moderator_required
def post_ban() -> tuple[Response, int]:
    """Ban a comment's author from the site by reader, e-mail or IP, for days or for ever."""
    data = json_body()
    site = _site(data.get("site") if isinstance(data.get("site"), str) else None)
    fields = Fields(data)
    comment_id = fields.integer("comment_id", 1, MAX_ID, required=True, message="a comment id")
    days = fields.integer("days", 1, 36500, message="1 to 36500, or absent for ever")
    reject = data.get("reject_comments", False)
    if not isinstance(reject, bool):
        fields.errors["reject_comments"] = "true or false"
    fields.raise_errors()
    identifiers = bans.check_identifiers(data.get("identifiers"))
    assert comment_id is not None  # required: raise_errors refused its absence
    comment = moderation.comment_for(g.moderator, comment_id)
    if comment.thread.site_id != site.id:
        raise ValidationError(
            "The comment is not on this site.", fields={"comment_id": "other site"}
        )
    ban, rejected = bans.ban_author(
        g.moderator, comment, days=days, reason=_reason(data), reject_comments=reject,
        identifiers=identifiers,
    )
    body = {"ban": ban_json(ban, site.key), "rejected_comments": rejected}
    db.session.commit()
    return jsonify(body), 201


@bp.get("/mod/bans")
@moderator_required
def get_bans() -> Response:
    """List the site's bans in force, newest first."""
    site = _site(request.args.get("site"))
    return jsonify({"bans": [ban_json(ban, site.key) for ban in bans.bans_of(site)]})


@bp.delete("/mod/bans/<int:ban_id>")
@moderator_required
def delete_ban(ban_id: int) -> Response:
    """Lift a ban (audited)."""
    if ban_id > MAX_ID:
        raise NotFound("No such ban.")
    ban = bans.ban_for(g.moderator, ban_id)
    body = {"ban": ban_json(ban, ban.site.key), "lifted": True}
    data = json_body() if request.get_data() else {}
    bans.lift(g.moderator, ban, _reason(data))
    db.session.commit()
    return jsonify(body)


@bp.post("/mod/threads/<any(close, open):change>")
@moderator_required
def change_thread(change: str) -> Response:
    """Close or reopen an article's comments."""
    data = json_body()
    fields = Fields(data)
    article = fields.text("article", max_length=255, min_length=1, required=True)
    fields.raise_errors()
    site = _site(data.get("site") if isinstance(data.get("site"), str) else None)
    thread = moderation.set_thread_open(g.moderator, site, article, change == "open")
    db.session.commit()
    return jsonify({"site": site.key, "article": thread.article, "open": thread.is_open})


@bp.get("/mod/audit")
@moderator_required
def get_audit() -> Response:
    """Answer the site's audit log, newest first."""
    site = _site(request.args.get("site"))
    raw = request.args.get("cursor")
    if raw is not None and not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID):
        raise ValidationError("cursor is not valid", fields={"cursor": "invalid"})
    events, next_cursor = moderation.audit_log(site, int(raw) if raw else None)
    return jsonify(
        {
            "site": site.key,
            "events": [audit_json(e) for e in events],
            "next_cursor": str(next_cursor) if next_cursor else None,
        }
    )
