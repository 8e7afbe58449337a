"""The OpenAPI document's components (schemas, parameters, error responses) and helpers."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..models import CommentStatus, FlagReason, Reaction, ShareNetwork
from ..services.listing import SORTS

Json = dict[str, Any]

# Every error the API can answer; its `code` enum and its reusable responses come from here.
ERRORS: tuple[type[errors.ApiError], ...] = (
    errors.ValidationError,
    errors.UnknownSite,
    errors.NotFound,
    errors.ForbiddenOrigin,
    errors.ThreadClosed,
    errors.Banned,
    errors.BadToken,
    errors.BadSignIn,
    errors.LoginRequired,
    errors.Unauthorized,
    errors.Forbidden,
    errors.MethodNotAllowed,
    errors.Conflict,
    errors.PayloadTooLarge,
    errors.RateLimited,
    errors.Unavailable,
    errors.ApiError,  # internal_error: a bug, never an answer to bad input
)
# bad_token has two statuses: 403 for an edit token, 401 for a sign-in token (BadSignIn),
# which the answers' lists name "bad_sign_in".
ERROR_BY_CODE = {error.code: error for error in ERRORS if error is not errors.BadSignIn}
ERROR_BY_CODE["bad_sign_in"] = errors.BadSignIn

# --- helpers --------------------------------------------------------------------------------


def ref(kind: str, name: str) -> Json:
    return {"$ref": f"#/components/{kind}/{name}"}


def schema_ref(name: str) -> Json:
    return ref("schemas", name)


def params(*names: str) -> list[Json]:
    """References to these components.parameters."""
    return [ref("parameters", name) for name in names]


def json_content(schema: Json) -> Json:
    return {"application/json": {"schema": schema}}


def json_body(name: str) -> Json:
    """A required JSON request body of the named schema."""
    return {"required": True, "content": json_content(schema_ref(name))}


def json_answer(description: str, name: str, headers: Json | None = None) -> Json:
    """A JSON response of the named schema."""
    answer: Json = {"description": description, "content": json_content(schema_ref(name))}
    if headers:
        answer["headers"] = headers
    return answer


def error_answers(*codes: str) -> Json:
    """Responses for these error codes, by status; codes sharing a status share one entry."""
    by_status: dict[str, list[type[errors.ApiError]]] = {}
    for code in codes:
        error = ERROR_BY_CODE[code]
        by_status.setdefault(str(error.status), []).append(error)
    responses: Json = {}
    for status, group in sorted(by_status.items()):
        if len(group) == 1:
            responses[status] = ref("responses", group[0].__name__)
        else:
            described = "; or ".join(_error_description(e) for e in group)
            responses[status] = {"description": described, "content": json_content(ERROR)}
    return responses


def _error_description(error: type[errors.ApiError]) -> str:
    return f"`{error.code}`: {error.default_message}"


def _error_response(error: type[errors.ApiError]) -> Json:
    response: Json = {"description": _error_description(error), "content": json_content(ERROR)}
    if error is errors.RateLimited:
        seconds = {"type": "integer", "minimum": 0}
        response["headers"] = {"Retry-After": {"description": "Seconds.", "schema": seconds}}
    return response


def _param(name: str, where: str, schema: Json, description: str = "", **extra: Any) -> Json:
    param: Json = {"name": name, "in": where, "schema": schema, **extra}
    if where == "path":
        param["required"] = True
    if description:
        param["description"] = description
    return param


def _object(properties: Json, *, optional: tuple[str, ...] = (), **extra: Any) -> Json:
    """An object schema whose properties are all required but the optional ones."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required, **extra}


def _typed(kind: str | list[str], description: str = "", **keywords: Any) -> Json:
    """A schema of this JSON type (or types) with its keywords, and its description if any."""
    schema: Json = {"type": kind, **keywords}
    if description:
        schema["description"] = description
    return schema


# What the server refuses in text (engage/api/schemas.py): control characters (line breaks too
# where one line is expected), bidirectional overrides; and text with nothing visible in it.
_LINE = r"[^\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
_LINES = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]"
_VISIBLE = r"(?=[\s\S]*[^\s\u200b-\u200d\u2060\ufeff\u00ad])"


def _text(
    min_length: int, max_length: int, description: str = "", *, multiline: bool = False
) -> Json:
    allowed = _LINES if multiline else _LINE
    pattern = f"^{_VISIBLE if min_length else ''}{allowed}*$"
    return _typed(
        "string", description, minLength=min_length, maxLength=max_length, pattern=pattern
    )


def _counters(names: list[str], what: str) -> Json:
    counter = {"type": "integer", "minimum": 0}
    return _object({name: counter for name in names}, additionalProperties=False, description=what)


def _article_write(**more: Json) -> Json:
    """A write naming an article, as the widget sends it: the thread is made on first use."""
    return _object({**ARTICLE_REF, **more}, optional=("title",))


ERROR = schema_ref("Error")
COUNT: Json = {"type": "integer", "minimum": 0}
ID: Json = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
ARTICLE: Json = _text(1, 255, "The article id.")
TIME: Json = {"type": "string", "format": "date-time", "examples": ["2026-11-28T10:00:00Z"]}
ETAG_HEADER: Json = {
    "description": 'A weak validator (`W/"…"`) for `If-None-Match`.',
    "schema": {"type": "string"},
}
SITE_KEY: Json = {
    "type": "string",
    "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$",
    "description": "The site key; unknown: 404 `unknown_site`.",
}
ARTICLE_REF: Json = {
    "site": SITE_KEY,
    "article": ARTICLE,
    "url": _typed(
        "string",
        "The article's absolute http(s) URL; a first write creates the thread only when it is "
        "on one of the site's origins (else 403 `forbidden_origin`).",
        format="uri",
        maxLength=2048,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@\\]+(?:[/?#][^\s\\]*)?$",
    ),
    "title": _text(0, 300),
}

# --- components -----------------------------------------------------------------------------

SCHEMAS: Json = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {"type": "string", "enum": list(dict.fromkeys(e.code for e in ERRORS))},
                    "message": {"type": "string", "description": "For humans; may change."},
                    "fields": _typed(
                        "object",
                        "What is wrong with each named field or parameter.",
                        additionalProperties={"type": "string"},
                    ),
                    "retry_after": {**COUNT, "description": "With `rate_limited`: seconds."},
                },
                optional=("retry_after",),
            )
        }
    ),
    "Reactions": _counters([r.value for r in Reaction], "Readers' reactions by kind."),
    "Shares": _counters([n.value for n in ShareNetwork], "Share buttons used, by network."),
    "Thread": _object(
        {
            "site": {"type": "string"},
            "article": {"type": "string"},
            "title": {"type": "string", "description": "Empty until a write names it."},
            "url": {"type": "string", "description": "Empty for an article with no thread."},
            "open": {"type": "boolean", "description": "False when comments are closed."},
            "comment_count": {**COUNT, "description": "Approved, not deleted comments."},
            "reactions": schema_ref("Reactions"),
            "shares": schema_ref("Shares"),
            "share_total": {**COUNT, "description": "The sum of `shares`."},
            "notify_replies": {"type": "boolean", "description":
                               "Whether the form may offer e-mail notification of replies."},
            "commenting": {"type": "string", "enum": ["guests", "accounts", "both"],
                           "description": "Who may comment: guests, the site's signed-in "
                           "readers only (see Signed-in readers), or both."},
            "login_url": {"type": ["string", "null"], "format": "uri",
                          "description": "The site's login page, where readers sign in."},
        },
        description="An article's thread; zero counts for an article nobody wrote on.",
    ),
    "Comment": _object(
        {
            "id": ID,
            "parent_id": {"type": ["integer", "null"], "minimum": 1},
            "author": {"type": "string", "description": "Empty for a tombstone."},
            "body_html": _typed("string", "Sanitized HTML from the body; empty for a tombstone."),
            "created_at": TIME,
            "edited_at": {**TIME, "type": ["string", "null"]},
            "likes": COUNT,
            "featured": {"type": "boolean"},
            "moderator": {"type": "boolean", "description": "Posted by a moderator."},
            "account": {"type": "boolean",
                        "description": "Posted by a reader the site signed in."},
            "badge": {"type": ["string", "null"], "maxLength": 40,
                      "description": "The badge the site gave its author (\"Abonné\")."},
            "deleted": {"type": "boolean", "description": "A tombstone kept for its replies."},
            "reply_count": {**COUNT, "description": "The number of entries in `replies`."},
            "replies": {"type": "array", "items": schema_ref("Comment")},
            "more_replies": {
                "oneOf": [
                    {"type": "null"},
                    _object(
                        {
                            "cursor": {"type": "string", "description": "For GET /replies."},
                            "count": {**COUNT, "description": "Replies not listed yet."},
                        }
                    ),
                ],
                "description": "On a top-level comment with more replies than listed; else null.",
            },
        },
        description="A listed comment with its replies (see Nesting and Tombstones above).",
    ),
    "ReplyBatch": _object(
        {
            "comments": {
                "type": "array",
                "items": {
                    "allOf": [
                        schema_ref("Comment"),
                        _object(
                            {"anchor_id": {**ID, "description": "Shown under this comment."}},
                            additionalProperties=True,
                        ),
                    ]
                },
                "description": "In reading order; each anchor is listed already or earlier here.",
            },
            "next_cursor": {"type": ["string", "null"], "description": "Null after the last."},
        }
    ),
    "ThreadPage": _object(
        {
            "thread": schema_ref("Thread"),
            "comments": {"type": "array", "items": schema_ref("Comment")},
            "next_cursor": {"type": ["string", "null"], "description": "Null on the last page."},
            "share_targets": _object(
                {n.value: {"type": ["string", "null"]} for n in ShareNetwork},
                additionalProperties=False,
                description=(
                    "Where each share button sends the reader, so that clients need no table of "
                    "their own: replace `{url}` and `{title}` with the article's URL and title, "
                    "URL-encoded (encodeURIComponent). `copy` is null: the client copies the URL. "
                    "Opening a target is the reader's own request; the server never calls a "
                    "third party, it only counts the share (POST /api/v1/shares)."
                ),
            ),
        }
    ),
    "NewComment": _object(
        {
            **ARTICLE_REF,
            "parent_id": _typed(
                ["integer", "null"],
                "The approved comment of the same article this replies to.",
                minimum=1,
                maximum=2**31 - 1,
            ),
            "author": _text(1, 64, "The name shown, 1-64 characters after trimming. A "
                            "signed-in reader's token names them: theirs is ignored, and may "
                            "be left out when `X-Engage-SSO` is sent."),
            "email": _typed(
                ["string", "null"], "Private: never shown.", format="email", maxLength=254
            ),
            "body": _text(
                1,
                5000,
                "Plain text with a small Markdown subset, 1-5000 characters after trimming; "
                "raw HTML is shown as text.",
                multiline=True,
            ),
            "notify_replies": _typed(
                "boolean",
                "E-mail the author when a reply to this comment is approved (needs `email`; "
                "the first time, the address gets a confirmation link and nothing else). "
                "Ignored when the site turned reply notifications off.",
            ),
            "website": _typed(["string", "null"], "A honeypot: absent or empty.", maxLength=0),
            "form_token": _typed(
                "string",
                "From GET /api/v1/form-token when the form was shown: proves a human-speed "
                "submission. Optional: without it nothing is refused.",
                maxLength=500,
                pattern=f"^{_LINE}*$",
            ),
        },
        optional=("title", "parent_id", "email", "notify_replies", "website", "form_token"),
    ),
    "FormToken": _object(
        {
            "form_token": {"type": "string"},
            "min_seconds": _typed(
                "integer",
                "A comment sent sooner after the form was shown counts as too fast.",
                minimum=0,
            ),
        }
    ),
    "CommentEdit": _object(
        {"body": _text(1, 5000, "The new body, as for a new comment.", multiline=True)}
    ),
    "PostedComment": _object(
        {
            "comment": schema_ref("Comment"),
            "status": _typed(
                "string",
                "`pending`: held for moderation, listed once approved.",
                enum=[CommentStatus.APPROVED.value, CommentStatus.PENDING.value],
            ),
            "edit_token": _typed(
                "string",
                "Send as `X-Engage-Edit-Token` to edit or delete the comment during the site's "
                "edit window (15 minutes by default).",
            ),
            "edit_expires_at": {**TIME, "description": "When `edit_token` stops working."},
        }
    ),
    "EditedComment": _object({"comment": schema_ref("Comment")}),
    "Likes": _object({"likes": COUNT}),
    "NewFlag": _object(
        {
            "reason": {"type": "string", "enum": [r.value for r in FlagReason]},
            "note": {
                **_text(0, 2000, "For the moderators.", multiline=True),
                "type": ["string", "null"],
            },
        },
        optional=("note",),
    ),
    "Reported": _object({"reported": {"type": "boolean", "const": True}}),
    "NewReaction": _article_write(reaction={"type": "string", "enum": [r.value for r in Reaction]}),
    "ReactionState": _object(
        {
            "reactions": schema_ref("Reactions"),
            "reaction": _typed(
                ["string", "null"],
                "The reader's own reaction now.",
                enum=[*(r.value for r in Reaction), None],
            ),
        }
    ),
    "NewShare": _article_write(network={"type": "string", "enum": [n.value for n in ShareNetwork]}),
    "ShareCounts": _object(
        {"shares": schema_ref("Shares"), "share_total": {**COUNT, "description": "Their sum."}}
    ),
    "Counts": _object(
        {
            "counts": _typed(
                "object",
                "By article id, every requested article (zeros when unknown).",
                additionalProperties=_object(
                    {"comments": COUNT, "reactions": COUNT, "shares": COUNT}
                ),
            )
        }
    ),
    "Health": _object({"status": {"type": "string", "enum": ["ok", "unavailable"]}}),
}

READER_TOKEN: Json = {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,128}$"}

PARAMETERS: Json = {
    "site": _param("site", "query", SITE_KEY, required=True),
    "article": _param("article", "query", ARTICLE, required=True),
    "articles": _param(
        "article", "query", {"type": "array", "items": ARTICLE, "minItems": 1, "maxItems": 100},
        "Repeat for each article: `article=A&article=B`.",
        required=True, style="form", explode=True,
    ),
    "sort": _param("sort", "query", {"type": "string", "enum": list(SORTS), "default": "oldest"}),
    "cursor": _param(
        "cursor", "query", {"type": "string", "maxLength": 200},
        "A previous page's `next_cursor`, with the same `sort`.",
    ),
    "replies_cursor": _param(
        "cursor", "query", {"type": "string", "minLength": 1, "maxLength": 200},
        "A top-level comment's `more_replies.cursor`, or a batch's `next_cursor`.",
        required=True,
    ),
    "limit": _param(
        "limit", "query", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
        "Top-level comments per page.",
    ),
    "comment_id": _param("comment_id", "path", ID),
    "edit_token": _param(
        "X-Engage-Edit-Token", "header", {"type": "string"},
        "The comment's `edit_token`; missing, wrong or expired: 403 `bad_token`. Not needed "
        "by a signed-in author (`X-Engage-SSO`).",
    ),
    "sso": _param(
        "X-Engage-SSO", "header", {"type": "string", "maxLength": 4096},
        "A token the site signed for its logged-in reader (see Signed-in readers); one that "
        "cannot be trusted: 401 `bad_token`.",
    ),
    "reader": _param(
        "X-Engage-Reader", "header", READER_TOKEN,
        "The reader's token (see Reader identity); missing or invalid: 400.", required=True,
    ),
    "reader_optional": _param(
        "X-Engage-Reader", "header", READER_TOKEN,
        "The reader's token (see Reader identity); optional here, but 400 when invalid.",
    ),
    "if_none_match": _param(
        "If-None-Match", "header", {"type": "string"},
        "The `ETag` of the copy held; 304 when it is still current.",
    ),
}  # fmt: skip

RESPONSES: Json = {error.__name__: _error_response(error) for error in ERRORS}
