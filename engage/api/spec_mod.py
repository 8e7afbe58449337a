"""The moderation API's part of the OpenAPI document (CONTRACT §3): paths and schemas."""

from __future__ import annotations

from typing import Any

from ..services.moderation import Action, Queue
from ..services.webhooks import EVENTS
from .spec_components import (
    ID,
    SITE_KEY,
    TIME,
    Json,
    _object,
    _param,
    _text,
    _typed,
    error_answers,
    json_answer,
    json_body,
    schema_ref,
)

SECURITY: list[Json] = [{"moderatorToken": []}]
WEBHOOK_EVENTS: Json = {"type": "array", "items": {"type": "string", "enum": list(EVENTS)}}
SECURITY_SCHEMES: Json = {
    "moderatorToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A moderator's API token from `engage moderator token EMAIL`; "
        "missing, unknown or revoked: 401 `unauthorized`.",
    }
}
# Every moderation call can fail these ways besides its own.
COMMON = ("unauthorized", "forbidden", "unavailable")
REASON: Json = _text(
    0, 2000, "Why: recorded in the audit log and, for reports, as the decision.", multiline=True
)

MOD_PARAMETERS: Json = {
    "mod_site": _param("site", "query", SITE_KEY, required=True),
    "queue": _param(
        "queue", "query", {"type": "string", "enum": [q.value for q in Queue], "default": "pending"}
    ),
    "order": _param(
        "order",
        "query",
        {"type": "string", "enum": ["oldest", "newest"]},
        "Default: oldest first for pending and reported, newest first otherwise.",
    ),
    "mod_search": _param(
        "q", "query", {"type": "string", "maxLength": 200},
        "Only comments whose text, author, e-mail or article (title or id) hold every word, "
        "ignoring case and accents; `#123` is comment 123.",
    ),
    "mod_article": _param(
        "article", "query", {"type": "string", "maxLength": 255}, "Only this article's comments."
    ),
    "mod_cursor": _param(
        "cursor", "query", {"type": "string", "maxLength": 200}, "A previous page's `next_cursor`."
    ),
    "action": _param("action", "path", {"type": "string", "enum": [a.value for a in Action]}),
}

_REPORT = _object(
    {
        "reason": {"type": "string"},
        "note": {"type": "string"},
        "created_at": TIME,
        "resolved_at": {**TIME, "type": ["string", "null"]},
        "resolution": {"type": ["string", "null"], "description": "The action that settled it."},
        "resolution_reason": {"type": ["string", "null"]},
    }
)

MOD_SCHEMAS: Json = {
    "QueueItem": _object(
        {
            "id": ID,
            "status": {"type": "string"},
            "held_reason": {"type": ["string", "null"], "description": "The rule that held it."},
            "article": _object(
                {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "url": {"type": "string"},
                    "open": {"type": "boolean"},
                }
            ),
            "parent_id": {"type": ["integer", "null"]},
            "author": {"type": "string"},
            "email": {"type": ["string", "null"], "description": "Private: moderators only."},
            "account": {"type": "boolean", "description": "Signed in by the site (its "
                        "author history is the account's), or else a guest."},
            "badge": {"type": ["string", "null"]},
            "body_html": {"type": "string"},
            "created_at": TIME,
            "edited_at": {**TIME, "type": ["string", "null"]},
            "likes": {"type": "integer"},
            "featured": {"type": "boolean"},
            "report_count": {"type": "integer"},
            "reports": {
                "type": "array",
                "items": _REPORT,
                "description": "Reports of illegal content (EU DSA) first.",
            },
            "parent": {
                "type": ["object", "null"],
                "description": "In a queue page: what a reply answers (null: top level).",
                "properties": {"id": ID, "author": {"type": "string"},
                               "excerpt": {"type": "string"}},
            },
            "author_history": {
                "type": ["object", "null"],
                "description": "In a queue page: the author's comments on this site by "
                "status, the reports they received and when they were first seen, matched "
                "by reader token and e-mail.",
                "properties": {name: {"type": "integer"} for name in (
                    "approved", "pending", "rejected", "spam", "reports")}
                | {"first_seen": {**TIME, "type": ["string", "null"]}},
            },
        },
        optional=("parent", "author_history"),
    ),
    "QueuePage": _object(
        {
            "site": {"type": "string"},
            "queue": {"type": "string"},
            "counts": _object({q.value: {"type": "integer"} for q in Queue}),
            "items": {"type": "array", "items": schema_ref("QueueItem")},
            "next_cursor": {"type": ["string", "null"]},
        }
    ),
    "ModAction": _object({"reason": REASON}, optional=("reason",)),
    "ActedComment": _object({"comment": schema_ref("QueueItem")}),
    "BulkAction": _object(
        {
            "ids": {"type": "array", "items": ID, "minItems": 1, "maxItems": 200},
            "action": {"type": "string", "enum": [a.value for a in Action]},
            "reason": REASON,
        },
        optional=("reason",),
    ),
    "BulkDone": _object({"action": {"type": "string"}, "ids": {"type": "array", "items": ID}}),
    "NewBan": _object(
        {
            "site": SITE_KEY,
            "comment_id": ID,
            "days": _typed("integer", "Absent: for ever.", minimum=1, maximum=36500),
            "reason": REASON,
            "reject_comments": _typed(
                "boolean",
                "Also reject the author's comments waiting or visible on the site that match "
                "the banned identifiers.",
                default=False,
            ),
            "identifiers": {
                "type": "array",
                "items": {"type": "string", "enum": ["reader", "email", "ip"]},
                "minItems": 1,
                "uniqueItems": True,
                "default": ["reader", "email"],
                "description": "What the ban matches. The e-mail only when the comment has "
                "one; the IP only when asked: it can be shared (phones, offices, proxies).",
            },
        },
        optional=("days", "reason", "reject_comments", "identifiers"),
    ),
    "Ban": _object(
        {
            "id": ID,
            "site": {"type": "string"},
            "identifiers": {"type": "array", "items": {"type": "string"}},
            "comment_id": {"type": ["integer", "null"]},
            "reason": {"type": "string"},
            "created_at": TIME,
            "created_by": {"type": ["string", "null"], "description": "The moderator."},
            "expires_at": {**TIME, "type": ["string", "null"],
                           "description": "Null: a permanent ban; else a suspension."},
        }
    ),
    "BanDone": _object(
        {"ban": schema_ref("Ban"), "rejected_comments": {"type": "integer"}}
    ),
    "BanList": _object({"bans": {"type": "array", "items": schema_ref("Ban")}}),
    "BanLifted": _object({"ban": schema_ref("Ban"), "lifted": {"type": "boolean"}}),
    "Webhook": _object(
        {
            "id": ID,
            "site": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "events": WEBHOOK_EVENTS,
            "enabled": {"type": "boolean"},
            "disabled_reason": {"type": ["string", "null"],
                                "description": "Why it stopped: a moderator, or failures."},
            "failures": {"type": "integer", "description": "Failed deliveries in a row."},
            "created_at": TIME,
        }
    ),
    "NewWebhook": _object(
        {"site": SITE_KEY, "url": _text(1, 2048, "https:// on a public address."),
         "events": {**WEBHOOK_EVENTS, "description": "Absent: every event."}},
        optional=("events",),
    ),
    "WebhookAdded": _object({"webhook": {"allOf": [schema_ref("Webhook")], "properties": {
        "secret": {"type": "string", "description": "The signing secret: shown this once."}},
        "required": ["secret"]}}),
    "WebhookChange": _object({"enabled": {"type": "boolean"}}),
    "WebhookAnswer": _object({"webhook": schema_ref("Webhook")}),
    "WebhookRemoved": _object({"webhook": schema_ref("Webhook"), "removed": {"type": "boolean"}}),
    "WebhookList": _object({"webhooks": {"type": "array", "items": schema_ref("Webhook")}}),
    "WebhookDeliveries": _object({"deliveries": {"type": "array", "items": _object({
        "at": TIME, "ok": {"type": "boolean"}, "status_code": {"type": ["integer", "null"]},
        "detail": {"type": "string"}, "duration_ms": {"type": "integer"}})}}),
    "ThreadRef": _object({"site": SITE_KEY, "article": _text(1, 255)}),
    "ThreadState": _object(
        {"site": {"type": "string"}, "article": {"type": "string"}, "open": {"type": "boolean"}}
    ),
    "AuditPage": _object(
        {
            "site": {"type": "string"},
            "events": {
                "type": "array",
                "items": _object(
                    {
                        "id": ID,
                        "at": TIME,
                        "actor": {"type": "string"},
                        "action": {"type": "string"},
                        "comment_id": {"type": ["integer", "null"]},
                        "thread_id": {"type": ["integer", "null"]},
                        "details": {"type": "object"},
                    }
                ),
            },
            "next_cursor": {"type": ["string", "null"]},
        }
    ),
}


def _operation(operation_id: str, summary: str, answer: Json, *errors: str, **more: Any) -> Json:
    return {
        "operationId": operation_id,
        "tags": ["moderation"],
        "summary": summary,
        "security": SECURITY,
        "responses": {**answer, **error_answers(*errors, *COMMON)},
        **more,
    }


def _params(*names: str) -> list[Json]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


WEBHOOK_ID = [_param("endpoint_id", "path", ID)]

MOD_PATHS: Json = {
    "/api/v1/mod/queue": {
        "get": _operation(
            "get_queue",
            "One page of a moderation queue",
            {"200": json_answer("The page, with the counts of every queue.", "QueuePage")},
            "validation_error",
            "unknown_site",
            parameters=_params("mod_site", "queue", "order", "mod_article", "mod_search",
                               "mod_cursor"),
        )
    },
    "/api/v1/mod/comments/{comment_id}/{action}": {
        "post": _operation(
            "act_on_comment",
            "Approve, reject, mark as spam, delete, feature or unfeature",
            {"200": json_answer("The comment after the action.", "ActedComment")},
            "validation_error",
            "not_found",
            "conflict",
            "payload_too_large",
            parameters=_params("comment_id", "action"),
            requestBody={"required": False, "content": json_body("ModAction")["content"]},
        )
    },
    "/api/v1/mod/comments/bulk": {
        "post": _operation(
            "act_in_bulk",
            "One action on many comments: all or none",
            {"200": json_answer("Done.", "BulkDone")},
            "validation_error",
            "not_found",
            "conflict",
            "payload_too_large",
            requestBody=json_body("BulkAction"),
        )
    },
    "/api/v1/mod/bans": {
        "post": _operation(
            "post_ban",
            "Ban a comment's author (reader, e-mail or IP, hashed) from the site",
            {"201": json_answer("Banned.", "BanDone")},
            "validation_error",
            "unknown_site",
            "not_found",
            "payload_too_large",
            requestBody=json_body("NewBan"),
        ),
        "get": _operation(
            "get_bans",
            "The site's bans in force, newest first",
            {"200": json_answer("The bans.", "BanList")},
            "validation_error",
            "unknown_site",
            parameters=_params("mod_site"),
        ),
    },
    "/api/v1/mod/bans/{ban_id}": {
        "delete": _operation(
            "delete_ban",
            "Lift a ban (audited)",
            {"200": json_answer("Lifted.", "BanLifted")},
            "validation_error",
            "not_found",
            "payload_too_large",
            parameters=[_param("ban_id", "path", ID)],
            requestBody={"required": False, "content": json_body("ModAction")["content"]},
        )
    },
    "/api/v1/mod/threads/{change}": {
        "post": _operation(
            "change_thread",
            "Close or reopen an article's comments",
            {"200": json_answer("The thread now.", "ThreadState")},
            "validation_error",
            "unknown_site",
            "not_found",
            "payload_too_large",
            parameters=[_param("change", "path", {"type": "string", "enum": ["close", "open"]})],
            requestBody=json_body("ThreadRef"),
        )
    },
    "/api/v1/mod/webhooks": {
        "get": _operation(
            "get_webhooks",
            "The site's webhook endpoints (admins)",
            {"200": json_answer("The endpoints, without their secrets.", "WebhookList")},
            "validation_error",
            "unknown_site",
            parameters=_params("mod_site"),
        ),
        "post": _operation(
            "post_webhook",
            "Add a webhook endpoint (admins); the answer holds its signing secret, once",
            {"201": json_answer("Added.", "WebhookAdded")},
            "validation_error",
            "unknown_site",
            "payload_too_large",
            requestBody=json_body("NewWebhook"),
        ),
    },
    "/api/v1/mod/webhooks/{endpoint_id}": {
        "patch": _operation(
            "patch_webhook",
            "Turn an endpoint on (its failures forgotten) or off (admins)",
            {"200": json_answer("The endpoint now.", "WebhookAnswer")},
            "validation_error",
            "not_found",
            "payload_too_large",
            parameters=WEBHOOK_ID,
            requestBody=json_body("WebhookChange"),
        ),
        "delete": _operation(
            "delete_webhook",
            "Remove an endpoint, its undelivered events and its log (admins)",
            {"200": json_answer("Removed.", "WebhookRemoved")},
            "not_found",
            parameters=WEBHOOK_ID,
        ),
    },
    "/api/v1/mod/webhooks/{endpoint_id}/deliveries": {
        "get": _operation(
            "get_webhook_deliveries",
            "The endpoint's latest delivery attempts, newest first (admins)",
            {"200": json_answer("The log.", "WebhookDeliveries")},
            "not_found",
            parameters=WEBHOOK_ID,
        )
    },
    "/api/v1/mod/audit": {
        "get": _operation(
            "get_audit",
            "Who did what, when: the site's audit log, newest first",
            {"200": json_answer("A page of the log.", "AuditPage")},
            "validation_error",
            "unknown_site",
            parameters=_params("mod_site") + [_param("cursor", "query", {"type": "string"})],
        )
    },
}
