"""POST, PATCH and DELETE /comments: readers write."""

from __future__ import annotations

from flask import Response, jsonify, request

from ..errors import NotFound
from ..extensions import db, limiter
from ..identity import ip_hash, optional_reader_hash
from ..limits import by_ip, by_reader, named, without_reader
from ..models import Comment
from ..services import comments, spam, threads
from ..services.sites import check_origin, settings_of
from . import SSO_HEADER, acting_reader, bp, origin_header, remember_site, signed_in, use_site
from .schemas import (
    MAX_ID,
    comment_json,
    iso,
    json_body,
    parse_comment_edit,
    parse_flag,
    parse_new_comment,
    parse_submission,
)

EDIT_TOKEN_HEADER = "X-Engage-Edit-Token"


def _author_proof(comment: Comment) -> comments.AuthorProof:
    """What says the request comes from the comment's author: the edit token this browser was
    given, or the account the site signs in (on any device, while its token lives)."""
    account = signed_in(comment.thread.site)
    return comments.AuthorProof(edit_token=request.headers.get(EDIT_TOKEN_HEADER),
                                account_key=account.key if account else None)


def _comment_for_write(comment_id: int) -> Comment:
    if comment_id > MAX_ID:
        raise NotFound("No such comment.")
    comment = threads.get_comment(comment_id)
    remember_site(comment.thread.site)
    check_origin(comment.thread.site, origin_header())
    return comment


@bp.post("/comments")
@limiter.limit(named("ENGAGE_LIMIT_COMMENTS"), key_func=by_ip)
@limiter.limit(named("ENGAGE_LIMIT_COMMENTS"), key_func=by_reader, exempt_when=without_reader)
def post_comment() -> tuple[Response, int]:
    """Post a comment or a reply; 201 with its edit token."""
    data = json_body()
    new = parse_new_comment(data, signed_in=bool(request.headers.get(SSO_HEADER, "").strip()))
    site = use_site(new.article.site)
    account = signed_in(site)
    comment = comments.post_comment(
        site,
        new,
        reader_hash=account.key if account else optional_reader_hash(),
        ip_hash=ip_hash(),
        submission=parse_submission(data),
        account=account,
    )
    body = {
        "comment": comment_json(comment),
        "status": comments.public_status(comment),
        "edit_token": comments.edit_token_for(comment, site),
        "edit_expires_at": iso(comments.edit_expires_at(comment, site)),
    }
    db.session.commit()
    return jsonify(body), 201


@bp.patch("/comments/<int:comment_id>")
@limiter.limit(named("ENGAGE_LIMIT_EDITS"), key_func=by_ip)
def edit_comment(comment_id: int) -> Response:
    """Edit one's own comment within the edit window."""
    comment = _comment_for_write(comment_id)
    edit = parse_comment_edit(json_body())
    comments.edit_comment(comment, _author_proof(comment), edit)
    # "status" (an extension): an edit can send the comment back to moderation.
    body = {"comment": comment_json(comment), "status": comments.public_status(comment)}
    db.session.commit()
    return jsonify(body)


@bp.delete("/comments/<int:comment_id>")
@limiter.limit(named("ENGAGE_LIMIT_EDITS"), key_func=by_ip)
def delete_comment(comment_id: int) -> Response:
    """Delete one's own comment within the edit window."""
    comment = _comment_for_write(comment_id)
    comments.delete_comment(comment, _author_proof(comment))
    db.session.commit()
    return Response(status=204)


@bp.post("/comments/<int:comment_id>/like")
@limiter.limit(named("ENGAGE_LIMIT_ENGAGEMENT"), key_func=by_ip)
def like_comment(comment_id: int) -> Response:
    """Like a published comment, once per reader."""
    comment = _comment_for_write(comment_id)
    likes = comments.like(comment, acting_reader(comment.thread.site))
    db.session.commit()
    return jsonify({"likes": likes})


@bp.delete("/comments/<int:comment_id>/like")
@limiter.limit(named("ENGAGE_LIMIT_ENGAGEMENT"), key_func=by_ip)
def unlike_comment(comment_id: int) -> Response:
    """Withdraw one's like of a comment."""
    comment = _comment_for_write(comment_id)
    likes = comments.unlike(comment, acting_reader(comment.thread.site))
    db.session.commit()
    return jsonify({"likes": likes})


@bp.post("/comments/<int:comment_id>/flag")
@limiter.limit(named("ENGAGE_LIMIT_REPORTS"), key_func=by_ip)
@limiter.limit(named("ENGAGE_LIMIT_REPORTS"), key_func=by_reader, exempt_when=without_reader)
def flag_comment(comment_id: int) -> Response:
    """Report a published comment to the moderators, once per reader."""
    comment = _comment_for_write(comment_id)
    reason, note = parse_flag(json_body())
    comments.flag(comment, acting_reader(comment.thread.site), reason, note, ip_hash=ip_hash())
    db.session.commit()
    return jsonify({"reported": True})


@bp.get("/form-token")
def get_form_token() -> Response:
    """Answer a signed token saying when the comment form was shown (a human-speed proof)."""
    site = use_site(request.args.get("site"))
    response = jsonify(
        {"form_token": spam.form_token(site), "min_seconds": settings_of(site).spam_min_seconds}
    )
    response.cache_control.no_store = True
    return response
