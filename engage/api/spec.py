"""The OpenAPI 3.1 document of the public API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from ..errors import (
    ApiError,
    BadToken,
    Banned,
    Forbidden,
    ForbiddenOrigin,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ThreadClosed,
    Unauthorized,
    UnknownSite,
    Unavailable,
    ValidationError,
)
from ..models import CommentStatus, Reaction, ShareNetwork

Json = dict[str, Any]

# Every error the API can answer; its `code` enum and its reusable responses come from here.
ERRORS: tuple[type[ApiError], ...] = (
    ValidationError,
    UnknownSite,
    NotFound,
    ForbiddenOrigin,
    ThreadClosed,
    Banned,
    BadToken,
    Unauthorized,
    Forbidden,
    MethodNotAllowed,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    ApiError,  # internal_error: a bug, never an answer to bad input
)

DESCRIPTION = """\
The JSON API that engage's widget (and any other client) uses to read and write an
article's comments, reactions and shares. Bodies are JSON in and JSON out.

**Reader identity.** The widget makes a random token once, keeps it in `localStorage` and
sends it as the `X-Engage-Reader` header: 16 to 128 characters of `[A-Za-z0-9_-]`. It is not
an account: it dedupes reactions, likes, flags and shares. Where it is optional an invalid
one is still refused with 400 `validation_error`. The server never stores it in clear.

**CORS.** Only origins registered for the site get `Access-Control-Allow-Origin` (with
`ETag` and `Retry-After` exposed). A write whose `Origin` header is present and not
registered for the site answers 403 `forbidden_origin`; requests without `Origin`
(servers, scripts) are not refused for it.

**Errors** always have the `Error` shape and a 4xx status for bad input (503 when the
database cannot be reached): `{"error": {"code": "validation_error", "message": "human
readable", "fields": {"body": "too long"}}}`. `fields` names each bad field or parameter;
`rate_limited` adds `retry_after` (seconds) and a `Retry-After` header.

**Times** are ISO 8601 in UTC, to the second: `2026-11-28T10:00:00Z`.

**Caching.** The thread answer is identical for every reader (no per-reader fields), so it
carries a weak `ETag`; send it back in `If-None-Match` to get 304 with no body.

**Nesting.** `comments` holds top-level comments (depth 0); each has its `replies` nested
below it, down to depth 5. Replies deeper than that are listed, flattened and in order,
in the `replies` of their depth-5 ancestor; each keeps its true `parent_id`.

**Tombstones.** Only approved comments are listed. A deleted or hidden comment with
listed replies stays in place as a tombstone: `deleted` is true, `author` and `body_html`
are empty, `likes` is 0.

**Order.** Featured comments come first, whatever the sort; then `oldest`, `newest` or
`top` (most likes first).

**Pagination.** A page holds up to `limit` top-level comments with all their replies.
`next_cursor` is an opaque string (null on the last page): pass it as `cursor`, with the
same `sort`, for the next page; a cursor from another sort answers 400.
"""


# --- helpers --------------------------------------------------------------------------------


def _ref(kind: str, name: str) -> Json:
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name: str) -> Json:
    return _ref("schemas", name)


def _params(*names: str) -> list[Json]:
    return [_ref("parameters", name) for name in names]


def _json(schema: Json) -> Json:
    return {"application/json": {"schema": schema}}


def _json_body(ref: str, description: str = "") -> Json:
    """A required JSON request body of the named schema."""
    body: Json = {"required": True, "content": _json(_schema(ref))}
    if description:
        body["description"] = description
    return body


def _json_answer(description: str, ref: str, headers: Json | None = None) -> Json:
    answer: Json = {"description": description, "content": _json(_schema(ref))}
    if headers:
        answer["headers"] = headers
    return answer


def _errors(*errors: type[ApiError]) -> Json:
    """Responses for these errors, by status; errors sharing a status share one entry."""
    by_status: dict[str, list[type[ApiError]]] = {}
    for error in errors:
        by_status.setdefault(str(error.status), []).append(error)
    responses: Json = {}
    for status, group in by_status.items():
        if len(group) == 1:
            responses[status] = _ref("responses", group[0].__name__)
        else:
            described = "; or ".join(_error_description(e) for e in group)
            responses[status] = {"description": described, "content": _json(_schema("Error"))}
    return responses


def _error_description(error: type[ApiError]) -> str:
    return f"`{error.code}`: {error.default_message}"


def _error_response(error: type[ApiError]) -> Json:
    response: Json = {"description": _error_description(error), "content": _json(_schema("Error"))}
    if error is RateLimited:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    return response


def _object(properties: Json, *, optional: tuple[str, ...] = (), **extra: Any) -> Json:
    """An object schema whose properties are all required but the optional ones."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required, **extra}


def _counters(names: list[str], what: str) -> Json:
    counter = {"type": "integer", "minimum": 0}
    return _object({name: counter for name in names}, additionalProperties=False, description=what)


def _text(min_length: int, max_length: int, description: str = "") -> Json:
    schema: Json = {"type": "string", "minLength": min_length, "maxLength": max_length}
    if description:
        schema["description"] = description
    return schema


COUNT: Json = {"type": "integer", "minimum": 0}
ID: Json = {"type": "integer", "minimum": 1}
TIME: Json = {"type": "string", "format": "date-time", "examples": ["2026-11-28T10:00:00Z"]}
ETAG_HEADER: Json = {
    "description": 'A weak validator (`W/"…"`) for `If-None-Match`.',
    "schema": {"type": "string"},
}

# --- components -----------------------------------------------------------------------------

SCHEMAS: Json = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {"type": "string", "enum": [e.code for e in ERRORS]},
                    "message": {"type": "string", "description": "For humans; may change."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "What is wrong with each named field or parameter.",
                    },
                    "retry_after": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "With `rate_limited` only: seconds to wait.",
                    },
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
            "reactions": _schema("Reactions"),
            "shares": _schema("Shares"),
            "share_total": {**COUNT, "description": "The sum of `shares`."},
        },
        description="An article's thread; zero counts for an article nobody wrote on.",
    ),
    "Comment": _object(
        {
            "id": ID,
            "parent_id": {"type": ["integer", "null"], "minimum": 1},
            "author": {"type": "string", "description": "Empty for a tombstone."},
            "body_html": {
                "type": "string",
                "description": "Sanitized HTML rendered from the Markdown subset; empty "
                "for a tombstone.",
            },
            "created_at": TIME,
            "edited_at": {**TIME, "type": ["string", "null"]},
            "likes": COUNT,
            "featured": {"type": "boolean"},
            "moderator": {"type": "boolean", "description": "Posted by a moderator."},
            "deleted": {"type": "boolean", "description": "A tombstone kept for its replies."},
            "reply_count": {**COUNT, "description": "The number of entries in `replies`."},
            "replies": {"type": "array", "items": _schema("Comment")},
        },
        description="A listed comment with its replies (see Nesting and Tombstones above).",
    ),
    "ThreadPage": _object(
        {
            "thread": _schema("Thread"),
            "comments": {"type": "array", "items": _schema("Comment")},
            "next_cursor": {"type": ["string", "null"], "description": "Null on the last page."},
        }
    ),
    "NewComment": _object(
        {
            "site": {"type": "string", "description": "The site key."},
            "article": _text(1, 255, "The article id."),
            "url": {
                "type": "string",
                "format": "uri",
                "maxLength": 2048,
                "description": "The article's absolute http(s) URL; a first comment creates "
                "the thread only when it is on one of the site's origins.",
            },
            "title": {"type": "string", "maxLength": 300},
            "parent_id": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": 2**31 - 1,
                "description": "The approved comment of the same article this replies to.",
            },
            "author": _text(1, 64, "The name shown, 1-64 characters after trimming."),
            "email": {
                "type": ["string", "null"],
                "format": "email",
                "maxLength": 254,
                "description": "Private: never shown nor answered.",
            },
            "body": _text(
                1,
                5000,
                "Plain text with a small Markdown subset, 1-5000 characters after trimming; "
                "raw HTML is shown as text.",
            ),
            "website": {
                "type": ["string", "null"],
                "maxLength": 0,
                "description": "A honeypot: must be absent or empty.",
            },
        },
        optional=("title", "parent_id", "email", "website"),
    ),
    "CommentEdit": _object({"body": _text(1, 5000, "The new body, as for a new comment.")}),
    "PostedComment": _object(
        {
            "comment": _schema("Comment"),
            "status": {
                "type": "string",
                "enum": [CommentStatus.APPROVED.value, CommentStatus.PENDING.value],
                "description": "`pending`: held for moderation, listed once approved.",
            },
            "edit_token": {
                "type": "string",
                "description": "Send as `X-Engage-Edit-Token` to edit or delete the comment "
                "during the site's edit window (15 minutes by default).",
            },
        }
    ),
    "EditedComment": _object({"comment": _schema("Comment")}),
    "Counts": _object(
        {
            "counts": {
                "type": "object",
                "description": "By article id, every requested article (zeros when unknown).",
                "additionalProperties": _object(
                    {"comments": COUNT, "reactions": COUNT, "shares": COUNT}
                ),
            }
        }
    ),
    "Health": _object({"status": {"type": "string", "enum": ["ok", "unavailable"]}}),
}

ARTICLE: Json = {"type": "string", "minLength": 1, "maxLength": 255}

PARAMETERS: Json = {
    "site": {
        "name": "site",
        "in": "query",
        "required": True,
        "description": "The site key; an unknown one answers 404 `unknown_site`.",
        "schema": {"type": "string"},
    },
    "article": {"name": "article", "in": "query", "required": True, "schema": ARTICLE},
    "articles": {
        "name": "article",
        "in": "query",
        "required": True,
        "description": "Repeat for each article: `article=A&article=B`.",
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": ARTICLE, "minItems": 1, "maxItems": 100},
    },
    "sort": {
        "name": "sort",
        "in": "query",
        "schema": {"type": "string", "enum": ["oldest", "newest", "top"], "default": "oldest"},
    },
    "cursor": {
        "name": "cursor",
        "in": "query",
        "description": "A previous page's `next_cursor`, with the same `sort`.",
        "schema": {"type": "string", "maxLength": 200},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "description": "Top-level comments per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
    "comment_id": {"name": "comment_id", "in": "path", "required": True, "schema": ID},
    "edit_token": {
        "name": "X-Engage-Edit-Token",
        "in": "header",
        "required": True,
        "description": "The `edit_token` of the comment; missing, wrong or expired: 403 "
        "`bad_token`.",
        "schema": {"type": "string"},
    },
    "reader": {
        "name": "X-Engage-Reader",
        "in": "header",
        "description": "The reader's token (see Reader identity).",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,128}$"},
    },
    "if_none_match": {
        "name": "If-None-Match",
        "in": "header",
        "description": "The `ETag` of the copy held; 304 when it is still current.",
        "schema": {"type": "string"},
    },
}

RESPONSES: Json = {error.__name__: _error_response(error) for error in ERRORS}

# --- paths ----------------------------------------------------------------------------------

PATHS: Json = {
    "/api/v1/thread": {
        "get": {
            "operationId": "get_thread",
            "tags": ["threads"],
            "summary": "One page of an article's thread",
            "description": "Never writes: an unknown article answers 200 with zero counts "
            "and no comments.",
            "parameters": _params("site", "article", "sort", "cursor", "limit", "if_none_match"),
            "responses": {
                "200": _json_answer("The page.", "ThreadPage", {"ETag": ETAG_HEADER}),
                "304": {"description": "Not modified.", "headers": {"ETag": ETAG_HEADER}},
                **_errors(ValidationError, UnknownSite, Unavailable),
            },
        }
    },
    "/api/v1/counts": {
        "get": {
            "operationId": "get_counts",
            "tags": ["threads"],
            "summary": "Comment, reaction and share totals of up to 100 articles",
            "parameters": _params("site", "articles"),
            "responses": {
                "200": _json_answer("The totals.", "Counts"),
                **_errors(ValidationError, UnknownSite, Unavailable),
            },
        }
    },
    "/api/v1/comments": {
        "post": {
            "operationId": "post_comment",
            "tags": ["comments"],
            "summary": "Post a comment or a reply",
            "description": "The first comment on an article creates its thread.",
            "parameters": _params("reader"),
            "requestBody": _json_body("NewComment"),
            "responses": {
                "201": _json_answer("Posted (or held for moderation).", "PostedComment"),
                **_errors(
                    ValidationError,
                    ForbiddenOrigin,
                    ThreadClosed,
                    UnknownSite,
                    PayloadTooLarge,
                    RateLimited,
                    Unavailable,
                ),
            },
        }
    },
    "/api/v1/comments/{comment_id}": {
        "parameters": _params("comment_id"),
        "patch": {
            "operationId": "edit_comment",
            "tags": ["comments"],
            "summary": "Edit one's own comment during the edit window",
            "parameters": _params("edit_token"),
            "requestBody": _json_body("CommentEdit"),
            "responses": {
                "200": _json_answer("Edited: `edited_at` is set.", "EditedComment"),
                **_errors(
                    ValidationError,
                    BadToken,
                    ForbiddenOrigin,
                    NotFound,
                    PayloadTooLarge,
                    RateLimited,
                    Unavailable,
                ),
            },
        },
        "delete": {
            "operationId": "delete_comment",
            "tags": ["comments"],
            "summary": "Delete one's own comment during the edit window",
            "description": "With listed replies, the comment stays as a tombstone.",
            "parameters": _params("edit_token"),
            "responses": {
                "204": {"description": "Deleted."},
                **_errors(BadToken, ForbiddenOrigin, NotFound, RateLimited, Unavailable),
            },
        },
    },
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "get_openapi",
            "tags": ["meta"],
            "summary": "This document",
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document.",
                    "content": _json({"type": "object"}),
                }
            },
        }
    },
    "/healthz": {
        "get": {
            "operationId": "healthz",
            "tags": ["meta"],
            "summary": "Whether this worker reaches its database",
            "responses": {
                "200": _json_answer("`ok`.", "Health"),
                "503": _json_answer("`unavailable`: the database cannot be reached.", "Health"),
            },
        }
    },
}

SPEC: Json = {
    "openapi": "3.1.0",
    "info": {"title": "engage public API", "version": "1", "description": DESCRIPTION},
    "servers": [{"url": "/"}],
    "tags": [
        {"name": "threads", "description": "Reading threads and counts."},
        {"name": "comments", "description": "Readers' comments."},
        {"name": "meta", "description": "This document and the health check."},
    ],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS, "parameters": PARAMETERS, "responses": RESPONSES},
}


def build_spec() -> Json:
    """Return the OpenAPI document (built once at import; callers must not mutate it)."""
    return SPEC
