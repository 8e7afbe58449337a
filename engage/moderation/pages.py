"""What every moderation page shares: strict security headers, error pages, template context."""

from __future__ import annotations

import time
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..errors import ApiError
from ..extensions import db, limiter
from ..services import accounts, moderation, queue_context, rules
from . import bp
from .labels import (
    ACTION_LABELS,
    AUDIT_LABELS,
    DETAIL_LABELS,
    FLAG_LABELS,
    QUEUE_LABELS,
    SETTING_LABELS,
    STATUS_LABELS,
)
from .labels import held_reason as held_reason_label

# No inline script or style anywhere: the pages load only their own files.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _is_moderation_path() -> bool:
    prefix = bp.url_prefix or "/moderate"
    return request.path == prefix or request.path.startswith(prefix + "/")


@bp.before_request
def refuse_control_characters() -> None:
    """Refuse form or query values with control characters (a NUL breaks PostgreSQL text)."""
    for value in request.values.values():
        if any(ord(c) < 0x20 and c not in "\r\n\t" or ord(c) == 0x7F for c in value):
            abort(400)


@bp.after_app_request
def add_security_headers(response: Response) -> Response:
    """Lock every /moderate/ answer down, error pages and unknown paths included."""
    if _is_moderation_path():
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Queues hold readers' emails: no shared or back-button cache keeps a copy.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def page_context() -> dict[str, Any]:
    """Give every moderation template the language and the words for the services' values."""
    return {
        "lang": str(get_locale() or "fr"),
        "queue_labels": QUEUE_LABELS,
        "status_labels": STATUS_LABELS,
        "setting_labels": SETTING_LABELS,
        "action_labels": ACTION_LABELS,
        "flag_labels": FLAG_LABELS,
        "audit_labels": AUDIT_LABELS,
        "detail_labels": DETAIL_LABELS,
        "held_reason_label": held_reason_label,
        "mark_held": mark_held,
        "queue_of": moderation.queue_of,
        "excerpt": queue_context.excerpt,
        "locales": accounts.LOCALES,
    }


def mark_held(body_html: str, held_reason: str | None) -> Markup:
    """The comment's HTML with the word its rule matched marked, for the moderator's eye."""
    word = rules.held_word(held_reason)
    # body_html is our sanitizer's output: marking only adds <mark> around its text.
    return Markup(rules.mark_word(body_html, word) if word else body_html)


def _error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("moderation/error.html", status=status, message=message,
                           home=url_for("moderation.index")), status


@bp.errorhandler(ApiError)
def show_service_error(error: ApiError) -> tuple[str, int]:
    """Show a service's refusal (forbidden, not_found, unknown_site…) as a page."""
    db.session.rollback()
    messages = {
        403: _("You may not do this on this site."),
        404: _("There is nothing here: the site or the comment does not exist."),
    }
    return _error_page(error.status, messages.get(error.status, _("This request is not valid.")))


@bp.errorhandler(CSRFError)
def show_csrf_error(error: CSRFError) -> tuple[str, int]:
    """Show a form sent without its token (or with an expired one) as a page."""
    return _error_page(400, _("This form has expired. Go back, reload the page and try again."))


@bp.errorhandler(HTTPException)
def show_http_error(error: HTTPException) -> tuple[str, int] | Response:
    """Show HTTP errors (the limiter's 429 included) as pages, never as JSON."""
    if error.code == 429:
        page, status = _error_page(429, _("Too many attempts. Wait a minute, then try again."))
        response = Response(page, status, mimetype="text/html")
        current = limiter.current_limit
        wait = max(1, int(current.reset_at - time.time())) if current else 60
        response.headers["Retry-After"] = str(wait)
        return response
    messages = {
        403: _("You may not do this on this site."),
        404: _("There is nothing here: the site or the comment does not exist."),
        405: _("This address does not take this kind of request."),
    }
    return _error_page(error.code or 500, messages.get(error.code or 500,
                                                       _("This request is not valid.")))
