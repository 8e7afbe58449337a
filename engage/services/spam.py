"""Spam signals beyond the moderation rules: honeypot, human-speed form token, duplicates,
and an optional Akismet-compatible check. What each signal does is a site setting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import urllib.error
import urllib.parse
import urllib.request

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import exists, or_, select

from ..errors import ValidationError
from ..extensions import db
from ..models import Comment, CommentStatus, Site, Thread, utcnow
from .rules import Verdict
from .sites import SiteSettings

log = logging.getLogger(__name__)
DUPLICATE_WINDOW = dt.timedelta(minutes=10)
FORM_TOKEN_MAX_AGE = 24 * 3600
AKISMET_TIMEOUT = 3  # seconds: a slow spam service must not hold up readers


@dataclasses.dataclass(frozen=True)
class Submission:
    """What the request tells about how a comment was sent (never stored as is)."""

    honeypot: str = ""
    form_token: str | None = None
    ip: str = ""  # raw: only ever sent to the site's own Akismet-compatible service
    user_agent: str = ""
    referrer: str = ""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="engage.form-token")


def form_token(site: Site) -> str:
    """Return a signed token saying when a comment form of this site was shown."""
    return _serializer().dumps(site.key)


def _seconds_since_shown(site: Site, token: str) -> float | None:
    """Return how long ago the form was shown, or None for a token that proves nothing."""
    # Signed tokens are URL-safe ASCII; anything else (a lone surrogate would not even encode
    # for the signature check) proves nothing.
    if not token.isascii():
        return None
    try:
        key, signed_at = _serializer().loads(
            token, max_age=FORM_TOKEN_MAX_AGE, return_timestamp=True
        )
    except BadSignature:  # also SignatureExpired: a day-old form proves nothing either
        return None
    if key != site.key:
        return None
    return (utcnow() - signed_at).total_seconds()


def _is_duplicate(site: Site, body: str, reader_hash: str | None, ip_hash: str | None) -> bool:
    same_sender = [
        c == v for c, v in ((Comment.reader_hash, reader_hash), (Comment.ip_hash, ip_hash)) if v
    ]
    if not same_sender:
        return False
    recent = exists().where(
        Comment.thread_id == Thread.id,
        Thread.site_id == site.id,
        Comment.created_at > utcnow() - DUPLICATE_WINDOW,
        Comment.body_source == body,
        Comment.status != CommentStatus.DELETED,
        or_(*same_sender),
    )
    return bool(db.session.scalar(select(recent)))


def akismet_says_spam(
    site: Site,
    settings: SiteSettings,
    submission: Submission,
    author: str,
    email: str | None,
    body: str,
    permalink: str,
) -> bool:
    """Ask the site's Akismet-compatible service; any failure counts as "not spam"."""
    form = {
        "api_key": settings.akismet_key,
        "blog": min(site.origin_set, default=permalink),
        "user_ip": submission.ip,
        "user_agent": submission.user_agent,
        "referrer": submission.referrer,
        "permalink": permalink,
        "comment_type": "comment",
        "comment_author": author,
        "comment_author_email": email or "",
        "comment_content": body,
        "blog_lang": "fr, en",
        "blog_charset": "UTF-8",
    }
    request = urllib.request.Request(
        f"{settings.akismet_url.rstrip('/')}/1.1/comment-check",
        data=urllib.parse.urlencode(form).encode(),
        headers={"User-Agent": "engage/1 | Akismet-compatible client"},
    )
    try:
        with urllib.request.urlopen(request, timeout=AKISMET_TIMEOUT) as response:  # noqa: S310
            return response.read(16).strip() == b"true"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.warning("spam check at %s failed, comment let through: %s", settings.akismet_url, exc)
        return False


def _apply(action: str, reason: str, field: str, message: str) -> Verdict | None:
    if action == "reject":
        raise ValidationError(message, fields={field: reason})
    if action == "hold":
        return Verdict(CommentStatus.PENDING, reason)
    return None


def check(
    site: Site,
    settings: SiteSettings,
    submission: Submission,
    *,
    author: str,
    email: str | None,
    body: str,
    permalink: str,
    reader_hash: str | None,
    ip_hash: str | None,
) -> Verdict | None:
    """Return a hold verdict for the first signal that fires, or raise validation_error for
    a signal the site rejects; None when nothing fires."""
    verdicts: list[Verdict | None] = []
    if submission.honeypot:
        verdicts.append(
            _apply(
                settings.spam_honeypot,
                "honeypot filled",
                "website",
                "This comment looks automated.",
            )
        )
    if submission.form_token:
        seconds = _seconds_since_shown(site, submission.form_token)
        if seconds is not None and seconds < settings.spam_min_seconds:
            verdicts.append(
                _apply(
                    settings.spam_too_fast,
                    f"sent {seconds:.1f} s after the form was shown",
                    "body",
                    "Please take a moment before posting.",
                )
            )
    if settings.spam_duplicate != "off" and _is_duplicate(site, body, reader_hash, ip_hash):
        verdicts.append(
            _apply(
                settings.spam_duplicate,
                "same comment sent again within 10 minutes",
                "body",
                "You already posted this comment.",
            )
        )
    if settings.akismet_key and akismet_says_spam(
        site, settings, submission, author, email, body, permalink
    ):
        verdicts.append(
            _apply(
                settings.spam_akismet,
                "spam service says spam",
                "body",
                "This comment looks like spam.",
            )
        )
    return next((v for v in verdicts if v), None)
