"""Confirm an address, stop a thread or everything: pages in the site's language.

A GET only shows a button: mail scanners open links, and must not confirm or unsubscribe
anyone. The POST does it; so does the RFC 8058 one-click POST of a mail client. The signed
token in the link is the only authority, so these forms carry no CSRF token.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import force_locale

from ..errors import BadToken
from ..extensions import db, limiter
from ..models import Site, Subscriber
from ..services import replies
from ..services.sites import settings_of
from . import bp

LIMIT = "30/minute"


def _page(subscriber: Subscriber | None, template: str, status: int = 200, **context: object):
    site = db.session.get(Site, subscriber.site_id) if subscriber else None
    language = settings_of(site).language if site else "fr"
    with force_locale(language):
        body = render_template(f"notifications/{template}.html", site=site, lang=language,
                               token=request.values.get("token", ""), **context)
    return body, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _invalid(error: BadToken):
    return _page(None, "invalid", 400, message=error.message)


@bp.get("/confirm")
@limiter.limit(LIMIT)
def show_confirm():
    try:
        subscriber = replies.confirm_preview(request.args.get("token", ""))
    except BadToken as error:
        return _invalid(error)
    return _page(subscriber, "confirm", done=subscriber.confirmed_at is not None)


@bp.post("/confirm")
@limiter.limit(LIMIT)
def confirm():
    try:
        subscriber = replies.confirm(request.form.get("token", ""))
    except BadToken as error:
        return _invalid(error)
    db.session.commit()
    return _page(subscriber, "confirm", done=True)


@bp.get("/unsubscribe")
@limiter.limit(LIMIT)
def show_unsubscribe():
    try:
        subscriber, thread = replies.read_unsubscribe(request.args.get("token", ""))
    except BadToken as error:
        return _invalid(error)
    return _page(subscriber, "unsubscribe", thread=thread, done=False)


@bp.post("/unsubscribe")
@limiter.limit(LIMIT)
def unsubscribe():
    """The page's buttons (scope=thread|site) and RFC 8058's one-click POST (the whole site)."""
    token = request.values.get("token", "")
    try:
        subscriber, thread = replies.read_unsubscribe(token)
    except BadToken as error:
        return _invalid(error)
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    scope = "site" if one_click or thread is None else request.form.get("scope", "thread")
    replies.unsubscribe(subscriber, thread if scope == "thread" else None)
    db.session.commit()
    return _page(subscriber, "unsubscribe", thread=thread, done=True, scope=scope)
