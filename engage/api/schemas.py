"""The API's one gate in and one gate out: parse JSON into dataclasses, serialise by allow-list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import unicodedata
from enum import StrEnum
from typing import Any

from flask import request

from ..errors import ValidationError
from ..identity import EMAIL_ADDRESS, client_ip
from ..models import Comment, FlagReason, Reaction, ShareNetwork, Thread
from ..services.comments import CommentEdit, NewComment
from ..services.engagement import SHARE_TARGETS
from ..services.listing import SORTS, ListedRow, MoreReplies, ReplyBatch, ThreadPage
from ..services.sites import SiteSettings, settings_of
from ..services.spam import Submission
from ..services.threads import ArticleRef

# Control characters and bidirectional overrides (which make a name display as something
# else) are never text we want; nor are lone surrogates, which Python's json makes of a
# "\ud800" escape and which no encoder (UTF-8, a database driver) takes. The OpenAPI
# document (spec_components.py) states the same rule.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff\u00ad]")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]")
# An absolute http(s) URL without what browsers (WHATWG URL rules) and urlsplit read as
# different hosts: a backslash (a "/" to browsers) or user info ("@" before the host's end).
# Whether the host is one of the site's origins is for sites.url_is_on_site (forbidden_origin).
_URL = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@\\]+(?:[/?#][^\s\\]*)?")
MAX_ID = 2**31 - 1


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Say why a string is not text a field may carry, or None: the one test for every field."""
    if _SURROGATE.search(value):
        return "contains invalid characters (a lone surrogate)"
    if _CONTROL.search(value) or (not multiline and _LINE_BREAKS.search(value)):
        return "contains control characters"
    return None


def _field_name(name: str) -> str:
    # A key that is not valid text itself is named by its escapes, so the answer can name it.
    return name if text_problem(name) is None else name.encode("unicode_escape").decode("ascii")


def _refuse_lone_surrogates(body: dict[str, Any]) -> None:
    # A lone surrogate is text in no encoding: refused in every string of the body, keys too,
    # at any depth, read or not. Control characters are refused by each field read (Fields:
    # text, gate, and the choices), the rule the OpenAPI document states; an unknown field is
    # never read, so it carries nothing to a service.
    errors: dict[str, str] = {}
    for name, value in body.items():
        pending: list[Any] = [name, value]  # a loop, not recursion: nesting can be deep
        while pending:
            item = pending.pop()
            if isinstance(item, dict):
                pending.extend(item)
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, str) and _SURROGATE.search(item):
                errors[_field_name(name)] = "contains invalid characters (a lone surrogate)"
                break
    if errors:
        raise ValidationError("Some fields are not valid.", fields=errors)


def json_body() -> dict[str, Any]:
    """Return the request's JSON object, without lone surrogates; validation_error otherwise."""
    data = request.get_data(cache=True)
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        # ValueError covers invalid JSON and invalid UTF-8; RecursionError very deep nesting.
        raise ValidationError("The request body must be a JSON object.") from None
    if not isinstance(value, dict):
        raise ValidationError("The request body must be a JSON object.")
    _refuse_lone_surrogates(value)
    return value


def whole_number(value: Any) -> int | None:
    """Return a JSON number that is whole as an int (7 or 7.0), else None (true is no number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return None


class Fields:
    """Collect per-field errors while reading a JSON object, then raise them all at once."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def text(
        self,
        name: str,
        *,
        max_length: int,
        min_length: int = 0,
        required: bool = False,
        multiline: bool = False,
    ) -> str:
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors[name] = "required"
            return ""
        if not isinstance(value, str):
            self.errors[name] = "must be a string"
            return ""
        problem = text_problem(value, multiline=multiline)
        if problem:
            self.errors[name] = problem
            return ""
        value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
        value = value.strip()
        if min_length and not _INVISIBLE.sub("", value):
            value = ""  # only invisible characters: as good as empty
        if len(value) < min_length:
            self.errors[name] = "required" if not value else f"at least {min_length} characters"
        elif len(value) > max_length:
            self.errors[name] = f"too long (at most {max_length} characters)"
        return value

    def gate(self, name: str, *, multiline: bool = False) -> None:
        """Refuse a string field that is not valid text, whatever else is made of it later."""
        value = self.data.get(name)
        if isinstance(value, str) and (problem := text_problem(value, multiline=multiline)):
            self.errors[name] = problem

    def url(self, name: str, *, required: bool = False) -> str:
        value = self.text(name, max_length=2048, required=required)
        if value and not _URL.fullmatch(value):
            self.errors[name] = (
                "must be an absolute http(s) URL, without spaces, backslashes or user name"
            )
        return value

    def email(self, name: str) -> str | None:
        value = self.text(name, max_length=254)
        if value and not EMAIL_ADDRESS.fullmatch(value):
            self.errors[name] = "not an email address"
        return value or None

    def integer(
        self, name: str, low: int, high: int, *, required: bool = False, message: str = ""
    ) -> int | None:
        """Read a whole number in [low, high]; JSON's 7.0 counts as 7, true does not."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors[name] = "required"
            return None
        number = whole_number(value)
        if number is None or not low <= number <= high:
            self.errors[name] = message or f"a whole number from {low} to {high}"
            return None
        return number

    def flag(self, name: str) -> bool:
        """Read an optional JSON boolean (absent or null: false)."""
        value = self.data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.errors[name] = "must be true or false"
            return False
        return value

    def optional_id(self, name: str) -> int | None:
        return self.integer(name, 1, MAX_ID, message="must be a comment id")

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationError("Some fields are not valid.", fields=self.errors)


def _article(fields: Fields) -> ArticleRef:
    return ArticleRef(
        site=fields.text("site", max_length=64, required=True),
        article=fields.text("article", max_length=255, min_length=1, required=True),
        url=fields.url("url", required=True),
        title=fields.text("title", max_length=300),
    )


def _choice(fields: Fields, name: str, enum: type[StrEnum]) -> Any:
    fields.gate(name)
    if name in fields.errors:
        return None
    value = fields.data.get(name)
    try:
        return enum(value)  # type: ignore[arg-type]  # any JSON value: ValueError if not one
    except ValueError:
        fields.errors[name] = f"one of {', '.join(m.value for m in enum)}"
        return None


def parse_reaction(data: dict[str, Any]) -> tuple[ArticleRef, Reaction]:
    """Parse PUT /reaction; validation_error with a message per bad field."""
    fields = Fields(data)
    ref, reaction = _article(fields), _choice(fields, "reaction", Reaction)
    fields.raise_errors()
    return ref, reaction


def parse_share(data: dict[str, Any]) -> tuple[ArticleRef, ShareNetwork]:
    """Parse POST /shares; validation_error with a message per bad field."""
    fields = Fields(data)
    ref, network = _article(fields), _choice(fields, "network", ShareNetwork)
    fields.raise_errors()
    return ref, network


def parse_flag(data: dict[str, Any]) -> tuple[FlagReason, str]:
    """Parse POST /comments/{id}/flag; validation_error with a message per bad field."""
    fields = Fields(data)
    reason = _choice(fields, "reason", FlagReason)
    note = fields.text("note", max_length=2000, multiline=True)
    fields.raise_errors()
    return reason, note


def parse_new_comment(data: dict[str, Any], *, signed_in: bool = False) -> NewComment:
    """Parse POST /comments; validation_error with a message per bad field.

    A reader the site signs in (signed_in: an X-Engage-SSO header) needs no name: the token
    gives it, and its e-mail, in services.comments.post_comment.
    """
    fields = Fields(data)
    parsed = NewComment(
        article=_article(fields),
        parent_id=fields.optional_id("parent_id"),
        author=fields.text("author", max_length=64, min_length=1, required=not signed_in) or "",
        email=(email := fields.email("email")),
        body=fields.text("body", max_length=5000, min_length=1, required=True, multiline=True),
        # Without an address there is no one to tell: ignored, as the document says.
        notify_replies=fields.flag("notify_replies") and (email is not None or signed_in),
    )
    # Read by parse_submission, but refused here with the others, before anything is written.
    fields.gate("website")
    fields.gate("form_token")
    fields.raise_errors()
    return parsed


def parse_submission(data: dict[str, Any]) -> Submission:
    """Read how a comment was sent: honeypot, form token and the client's request headers."""
    website, token = data.get("website"), data.get("form_token")
    return Submission(
        # The honeypot: a field people never see, so only robots fill it. Any non-empty value
        # (a string or not) counts as filled.
        honeypot=str(website)[:200] if website not in (None, "") else "",
        form_token=(
            token
            if isinstance(token, str) and len(token) < 500 and text_problem(token) is None
            else None
        ),
        ip=client_ip(),
        user_agent=request.headers.get("User-Agent", "")[:500],
        referrer=request.headers.get("Referer", "")[:2048],
    )


def parse_comment_edit(data: dict[str, Any]) -> CommentEdit:
    """Parse PATCH /comments/{id}; validation_error with a message per bad field."""
    fields = Fields(data)
    body = fields.text("body", max_length=5000, min_length=1, required=True, multiline=True)
    fields.raise_errors()
    return CommentEdit(body=body)


@dataclasses.dataclass(frozen=True)
class ThreadQuery:
    site: str
    article: str
    sort: str
    cursor: str | None
    limit: int


def article_id(raw: str | None) -> str | None:
    """Return an article id as writes store it (trimmed, NFC), or None when it is not valid."""
    article = unicodedata.normalize("NFC", (raw or "").strip())
    if not article or len(article) > 255 or text_problem(article) is not None:
        return None
    return article


def parse_thread_query() -> ThreadQuery:
    """Parse GET /thread's query string; validation_error with a message per bad parameter."""
    args = request.args
    errors: dict[str, str] = {}
    article = article_id(args.get("article"))
    if article is None:
        errors["article"] = "required, 1-255 characters"
    sort = args.get("sort", "oldest")
    if sort not in SORTS:
        errors["sort"] = f"one of {', '.join(SORTS)}"
    limit = 50
    raw_limit = args.get("limit")
    if raw_limit is not None:
        if raw_limit.isascii() and raw_limit.isdigit() and 1 <= int(raw_limit) <= 100:
            limit = int(raw_limit)
        else:
            errors["limit"] = "a whole number from 1 to 100"
    cursor = args.get("cursor") or None
    if cursor is not None and len(cursor) > 200:
        errors["cursor"] = "invalid"
    if errors:
        raise ValidationError("Some parameters are not valid.", fields=errors)
    return ThreadQuery(args.get("site", ""), article or "", sort, cursor, limit)


def parse_replies_query() -> tuple[str, str, str]:
    """Parse GET /replies' query (site, article, cursor); validation_error per bad parameter."""
    args = request.args
    errors: dict[str, str] = {}
    article = article_id(args.get("article"))
    if article is None:
        errors["article"] = "required, 1-255 characters"
    cursor = args.get("cursor") or ""
    if not cursor or len(cursor) > 200:
        errors["cursor"] = "required: a comment's more_replies cursor"
    if errors:
        raise ValidationError("Some parameters are not valid.", fields=errors)
    return args.get("site", ""), article or "", cursor


def parse_article_query() -> tuple[str, str]:
    """Parse ?site=S&article=A; validation_error when the article is missing or invalid."""
    article = article_id(request.args.get("article"))
    if article is None:
        raise ValidationError(
            "The article id is not valid.", fields={"article": "1-255 characters"}
        )
    return request.args.get("site", ""), article


def parse_articles() -> list[tuple[str, str]]:
    """Parse GET /counts' repeated article parameter (1 to 100 of them).

    Returns (as asked, as stored) pairs: answers are keyed the way the page asked.
    """
    raw = request.args.getlist("article")
    if not raw or len(raw) > 100:
        raise ValidationError(
            "Give 1 to 100 article parameters.", fields={"article": "1 to 100 values"}
        )
    pairs = [(asked, article_id(asked)) for asked in raw]
    if any(stored is None for _, stored in pairs):
        raise ValidationError("An article id is not valid.", fields={"article": "1-255 characters"})
    return [(asked, stored) for asked, stored in pairs if stored is not None]


# --- out ----------------------------------------------------------------------------------


def iso(value: dt.datetime | None) -> str | None:
    """Return a time as the contract writes it: UTC, to the second, with a Z."""
    if value is None:
        return None
    if value.utcoffset():  # stored times are UTC already (UTCDateTime): no conversion
        value = value.astimezone(dt.UTC)
    # isoformat is several times faster than strftime, which a page calls twice per comment.
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def comment_json(
    comment: Comment | ListedRow,
    replies: list[dict[str, Any]] | None = None,
    *,
    tombstone: bool = False,
    more: MoreReplies | None = None,
) -> dict[str, Any]:
    """Serialise a comment's public fields only; a tombstone keeps its place, not its content.

    Takes a Comment or a row of services.listing.LISTED (the read path's lean rows).
    """
    replies = replies or []
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "author": "" if tombstone else comment.author,
        "body_html": "" if tombstone else comment.body_html,
        "created_at": iso(comment.created_at),
        "edited_at": None if tombstone else iso(comment.edited_at),
        "likes": 0 if tombstone else comment.like_count,
        "featured": False if tombstone else comment.featured,
        "moderator": False if tombstone else comment.moderator_id is not None,
        # Signed in by the site (services/sso.py), with the badge it gave ("Abonné").
        "account": False if tombstone else comment.account_hash is not None,
        "badge": None if tombstone else comment.badge,
        "deleted": tombstone,
        "reply_count": len(replies),
        "replies": replies,
        "more_replies": {"cursor": more.cursor, "count": more.count} if more else None,
    }


def thread_json(
    site_key: str, article: str, thread: Thread | None, is_open: bool, settings: SiteSettings
) -> dict[str, Any]:
    """Serialise a thread's public header; an article without a thread has zero counts."""
    reactions = thread.reactions if thread else {r.value: 0 for r in Reaction}
    shares = thread.shares if thread else {n.value: 0 for n in ShareNetwork}
    return {
        "site": site_key,
        "article": article,
        "title": thread.title if thread else "",
        "url": thread.url if thread else "",
        "open": is_open and (thread.is_open if thread else True),
        "comment_count": thread.comment_count if thread else 0,
        "reactions": reactions,
        "shares": shares,
        "share_total": sum(shares.values()),
        "notify_replies": settings.notify_replies,
        # Who may comment, and where the site's readers sign in (comments=accounts|both).
        "commenting": settings.comments,
        "login_url": settings.login_url or None,
    }


def _tree_json(page: ThreadPage, comment: ListedRow) -> dict[str, Any]:
    # Recursion as deep as the shown nesting (MAX_DEPTH + 1), through a module function: a
    # self-calling closure would keep every page in a reference cycle for the cyclic GC.
    replies = [_tree_json(page, reply) for reply in page.children.get(comment.id, ())]
    return comment_json(
        comment, replies, tombstone=comment.id not in page.visible, more=page.more.get(comment.id)
    )


def page_json(page: ThreadPage) -> dict[str, Any]:
    """Serialise one page of a thread with its nested replies."""
    return {
        "thread": thread_json(page.site.key, page.article, page.thread, page.is_open,
                              settings_of(page.site)),
        "comments": [_tree_json(page, root) for root in page.roots],
        "next_cursor": page.next_cursor,
        "share_targets": SHARE_TARGETS,
    }


def replies_json(batch: ReplyBatch) -> dict[str, Any]:
    """Serialise a batch of replies in reading order, each with the comment it goes under."""
    return {
        "comments": [
            {"anchor_id": anchor, **comment_json(row, tombstone=row.id not in batch.visible)}
            for anchor, row in batch.replies
        ],
        "next_cursor": batch.next_cursor,
    }
