"""The OpenAPI 3.1 document of the public API, served at /api/v1/openapi.json."""

from __future__ import annotations

from .spec_components import (
    ETAG_HEADER,
    PARAMETERS,
    RESPONSES,
    SCHEMAS,
    Json,
    error_answers,
    json_answer,
    json_body,
    json_content,
    params,
)
from .spec_mod import MOD_PARAMETERS, MOD_PATHS, MOD_SCHEMAS, SECURITY_SCHEMES

# What any write can answer besides its own errors; with a JSON body, payload_too_large too.
WRITE_ERRORS = ("forbidden_origin", "bad_sign_in", "rate_limited", "unavailable")
BODY_ERRORS = ("validation_error", "payload_too_large")

DESCRIPTION = """\
The JSON API that engage's widget (and any other client) uses to read and write an
article's comments, reactions and shares. Bodies are JSON in and JSON out.

**Reader identity.** The widget makes a random token once, keeps it in `localStorage` and
sends it as the `X-Engage-Reader` header: 16 to 128 characters of `[A-Za-z0-9_-]`. It is not
an account: it dedupes reactions, likes, flags and shares. Where it is optional an invalid
one is still refused with 400 `validation_error`. The server never stores it in clear.

**Signed-in readers.** A site with single sign-on (`engage site sso KEY --rotate`) signs its
logged-in readers with a short-lived JWT (HS256 under the site's secret; `sub`, `name`,
`iat`, `exp` at most 24 h after `iat`, optional `email` and `badge`), which the widget sends as
the `X-Engage-SSO` header on every call. The writes then act for the account: a comment is
posted under the token's name and badge (`author` may be left out), likes, reactions, shares
and reports count once per account on every device, and the author may edit or delete their
comments during the edit window from any device, without the edit token. A token that cannot
be trusted (forged, expired, another site's, signed by a secret rotated out) answers 401
`bad_token`. The public reads are the same for every reader and ignore the header. A site's
`commenting` policy (in the thread) says who may comment: `guests`, `accounts` (a guest's
comment answers 401 `login_required`; the thread's `login_url` is the site's login page) or
`both`.

**CORS.** Only origins registered for the site get `Access-Control-Allow-Origin` (with
`ETag` and `Retry-After` exposed) on their answers. A read or a write whose `Origin` header
is present and not registered for the site answers 403 `forbidden_origin`, and that refusal
(it holds nothing) carries the CORS headers, so the page can tell an unregistered origin from
an outage; preflights are answered for any origin for the same reason. Requests without
`Origin` (servers, scripts, same-origin reads) are not refused for it.

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

**Pagination.** A page holds up to `limit` top-level comments. Under each, at most 10
replies are listed, in reading order (a reply, then the replies to it; siblings featured
first, then oldest first). When there are more, the top-level comment's `more_replies`
gives how many and a cursor: `GET /api/v1/replies` answers them 50 at a time, each with
the `anchor_id` of the listed comment it goes under. `next_cursor` is an opaque string
(null on the last page): pass it as `cursor`, with the same `sort`, for the next page; a
cursor from another sort answers 400.
"""


PATHS: Json = {
    "/api/v1/thread": {
        "get": {
            "operationId": "get_thread",
            "tags": ["threads"],
            "summary": "One page of an article's thread",
            "description": "Never writes: an unknown article answers 200 with zero counts "
            "and no comments.",
            "parameters": params("site", "article", "sort", "cursor", "limit", "if_none_match"),
            "responses": {
                "200": json_answer("The page.", "ThreadPage", {"ETag": ETAG_HEADER}),
                "304": {"description": "Not modified.", "headers": {"ETag": ETAG_HEADER}},
                **error_answers("validation_error", "unknown_site", "unavailable"),
            },
        }
    },
    "/api/v1/thread.html": {
        "get": {
            "operationId": "get_thread_html",
            "tags": ["threads"],
            "summary": "The thread's first page as a crawlable HTML fragment",
            "description": "For search engines and readers without JavaScript, included in "
            "the article's page server-side (the WordPress plugin does; README has recipes for "
            "PHP, nginx SSI and Jinja): a `section` in the site's `language` with the comment "
            "count, an ordered list of the approved comments (oldest first, replies nested, "
            "schema.org `Comment` microdata, the same sanitized `body_html`) and a line saying "
            "that commenting needs JavaScript. No script, no style: classes only. The widget "
            "takes its place when it mounts. Same caching and ETag rules as the thread.",
            "parameters": params("site", "article", "limit", "if_none_match"),
            "responses": {
                "200": {"description": "The fragment.",
                        "headers": {"ETag": ETAG_HEADER},
                        "content": {"text/html": {"schema": {"type": "string"}}}},
                "304": {"description": "Not modified.", "headers": {"ETag": ETAG_HEADER}},
                **error_answers("validation_error", "unknown_site", "unavailable"),
            },
        }
    },
    "/api/v1/replies": {
        "get": {
            "operationId": "get_replies",
            "tags": ["threads"],
            "summary": "The next replies under a top-level comment",
            "description": "Follows a top-level comment's `more_replies.cursor` (then this "
            "answer's `next_cursor`). Same caching and ETag rules as the thread.",
            "parameters": params("site", "article", "replies_cursor", "if_none_match"),
            "responses": {
                "200": json_answer("The replies.", "ReplyBatch", {"ETag": ETAG_HEADER}),
                "304": {"description": "Not modified.", "headers": {"ETag": ETAG_HEADER}},
                **error_answers("validation_error", "unknown_site", "unavailable"),
            },
        }
    },
    "/api/v1/counts": {
        "get": {
            "operationId": "get_counts",
            "tags": ["threads"],
            "summary": "Comment, reaction and share totals of up to 100 articles",
            "parameters": params("site", "articles"),
            "responses": {
                "200": json_answer("The totals.", "Counts"),
                **error_answers("validation_error", "unknown_site", "unavailable"),
            },
        }
    },
    "/api/v1/comments": {
        "post": {
            "operationId": "post_comment",
            "tags": ["comments"],
            "summary": "Post a comment or a reply",
            "description": "The first comment on an article creates its thread.",
            "parameters": params("reader_optional", "sso"),
            "requestBody": json_body("NewComment"),
            "responses": {
                "201": json_answer("Posted (or held for moderation).", "PostedComment"),
                **error_answers("thread_closed", "unknown_site", "login_required", *BODY_ERRORS,
                                *WRITE_ERRORS),
            },
        }
    },
    "/api/v1/comments/{comment_id}": {
        "parameters": params("comment_id"),
        "patch": {
            "operationId": "edit_comment",
            "tags": ["comments"],
            "summary": "Edit one's own comment during the edit window",
            "parameters": params("edit_token", "sso"),
            "requestBody": json_body("CommentEdit"),
            "responses": {
                "200": json_answer("Edited: `edited_at` is set.", "EditedComment"),
                **error_answers("bad_token", "not_found", "login_required", *BODY_ERRORS,
                                *WRITE_ERRORS),
            },
        },
        "delete": {
            "operationId": "delete_comment",
            "tags": ["comments"],
            "summary": "Delete one's own comment during the edit window",
            "description": "With listed replies, the comment stays as a tombstone.",
            "parameters": params("edit_token", "sso"),
            "responses": {
                "204": {"description": "Deleted."},
                **error_answers("bad_token", "not_found", *WRITE_ERRORS),
            },
        },
    },
    "/api/v1/comments/{comment_id}/like": {
        "parameters": params("comment_id", "reader", "sso"),
        "post": {
            "operationId": "like_comment",
            "tags": ["comments"],
            "summary": "Like a published comment (once per reader)",
            "responses": {
                "200": json_answer("The comment's likes now.", "Likes"),
                **error_answers("validation_error", "not_found", *WRITE_ERRORS),
            },
        },
        "delete": {
            "operationId": "unlike_comment",
            "tags": ["comments"],
            "summary": "Withdraw one's like",
            "responses": {
                "200": json_answer("The comment's likes now.", "Likes"),
                **error_answers("validation_error", "not_found", *WRITE_ERRORS),
            },
        },
    },
    "/api/v1/comments/{comment_id}/flag": {
        "post": {
            "operationId": "flag_comment",
            "tags": ["comments"],
            "summary": "Report a published comment to the moderators (once per reader)",
            "description": "Enough reports (a site setting) hide it until a moderator decides.",
            "parameters": params("comment_id", "reader", "sso"),
            "requestBody": json_body("NewFlag"),
            "responses": {
                "200": json_answer("Reported.", "Reported"),
                **error_answers("not_found", *BODY_ERRORS, *WRITE_ERRORS),
            },
        }
    },
    "/api/v1/reaction": {
        "put": {
            "operationId": "put_reaction",
            "tags": ["reactions"],
            "summary": "Set the reader's one reaction to an article, replacing any other",
            "parameters": params("reader", "sso"),
            "requestBody": json_body("NewReaction"),
            "responses": {
                "200": json_answer("The article's reactions now.", "ReactionState"),
                **error_answers("unknown_site", *BODY_ERRORS, *WRITE_ERRORS),
            },
        },
        "delete": {
            "operationId": "delete_reaction",
            "tags": ["reactions"],
            "summary": "Remove the reader's reaction to an article",
            "parameters": params("site", "article", "reader", "sso"),
            "responses": {
                "200": json_answer("The article's reactions now.", "ReactionState"),
                **error_answers("validation_error", "unknown_site", *WRITE_ERRORS),
            },
        },
    },
    "/api/v1/shares": {
        "post": {
            "operationId": "post_share",
            "tags": ["shares"],
            "summary": "Count a share button used (once per reader, network and article)",
            "parameters": params("reader", "sso"),
            "requestBody": json_body("NewShare"),
            "responses": {
                "200": json_answer("The article's shares now.", "ShareCounts"),
                **error_answers("unknown_site", *BODY_ERRORS, *WRITE_ERRORS),
            },
        }
    },
    "/api/v1/form-token": {
        "get": {
            "operationId": "get_form_token",
            "tags": ["comments"],
            "summary": "A signed token saying when the comment form was shown",
            "description": "Send it back as `form_token` with the comment. Never cached.",
            "parameters": params("site"),
            "responses": {
                "200": json_answer("The token.", "FormToken"),
                **error_answers("unknown_site", "unavailable"),
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "get_openapi",
            "tags": ["meta"],
            "summary": "This document",
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document.",
                    "content": json_content({"type": "object"}),
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
                "200": json_answer("`ok`.", "Health"),
                "503": json_answer("`unavailable`: the database cannot be reached.", "Health"),
            },
        }
    },
}

SPEC: Json = {
    "openapi": "3.1.0",
    "info": {"title": "engage API", "version": "1", "description": DESCRIPTION},
    "servers": [{"url": "/"}],
    "tags": [
        {"name": "threads", "description": "Reading threads and counts."},
        {"name": "comments", "description": "Readers' comments, likes and reports."},
        {"name": "reactions", "description": "Readers' reactions to articles."},
        {"name": "shares", "description": "Share buttons used."},
        {"name": "meta", "description": "This document and the health check."},
        {"name": "moderation", "description": "Moderators' API, with a bearer token."},
    ],
    "paths": {**PATHS, **MOD_PATHS},
    "components": {
        "schemas": {**SCHEMAS, **MOD_SCHEMAS},
        "parameters": {**PARAMETERS, **MOD_PARAMETERS},
        "responses": RESPONSES,
        "securitySchemes": SECURITY_SCHEMES,
    },
}


def build_spec() -> Json:
    """Return the OpenAPI document (built once at import; callers must not mutate it)."""
    return SPEC
