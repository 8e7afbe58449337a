"""GET /thread (JSON and HTML), /replies and /counts: the reads, cacheable, the same for all."""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app, g, jsonify, render_template, request
from flask_babel import force_locale, format_date, format_decimal

from ..models import Site, Thread
from ..services import listing, rules, threads
from ..services.sites import settings_of
from ..serving.cache import HINT, CacheHint
from ..serving.versions import site_key_token, thread_key
from . import bp, use_site
from .schemas import (
    page_json,
    parse_articles,
    parse_replies_query,
    parse_thread_query,
    replies_json,
)


def _public_cache(response: Response) -> None:
    # Browsers revalidate every time (a 304 costs nothing); a CDN may keep the answer a few
    # seconds (ENGAGE_CDN_MAX_AGE) and serve it while it revalidates (ENGAGE_CDN_STALE): a
    # new comment or a moderator's removal then shows at most that much later.
    config = current_app.config
    response.cache_control.public = True
    response.cache_control.max_age = 0
    response.cache_control.must_revalidate = True
    if config["ENGAGE_CDN_MAX_AGE"]:
        response.cache_control.s_maxage = config["ENGAGE_CDN_MAX_AGE"]
        response.cache_control.stale_while_revalidate = config["ENGAGE_CDN_STALE"]


def _may_cache(keys: list[str], expires_at: float | None = None) -> None:
    request.environ[HINT] = CacheHint(tuple(keys), g.site_origins, expires_at)


def _may_cache_thread(site: Site, article: str, thread: Thread | None) -> None:
    closes = rules.closes_at(settings_of(site), thread) if thread else None
    _may_cache(
        [site_key_token(site.key), thread_key(site.key, article)],
        closes.timestamp() if closes else None,
    )


@bp.get("/thread")
def get_thread() -> Response:
    """Answer one page of a thread; 304 when the reader's copy is current."""
    query = parse_thread_query()
    site = use_site(query.site)
    thread = threads.find_thread(site, query.article)
    etag = threads.etag_for(site, query.article, thread, query.sort, query.cursor, query.limit)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        page = listing.read_page(site, query.article, thread, query.sort, query.cursor, query.limit)
        response = jsonify(page_json(page))
        _may_cache_thread(site, query.article, thread)
    response.set_etag(etag, weak=True)
    _public_cache(response)
    return response


@bp.get("/thread.html")
def get_thread_html() -> Response:
    """Answer the thread's first page as an HTML fragment: comments search engines and
    readers without JavaScript see, which the widget replaces when it mounts."""
    query = parse_thread_query()
    site = use_site(query.site)
    thread = threads.find_thread(site, query.article)
    language = settings_of(site).language
    etag = threads.etag_for(site, query.article, thread, "html", language, query.limit)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        page = listing.read_page(site, query.article, thread, "oldest", None, query.limit)
        # From the public JSON: the fragment can show no field the API does not.
        with force_locale(language):
            html = render_template("api/thread.html", page=page_json(page), lang=language,
                                   when=_long_date, number=format_decimal)
        response = Response(html, mimetype="text/html")
        _may_cache_thread(site, query.article, thread)
    response.set_etag(etag, weak=True)
    _public_cache(response)
    return response


def _long_date(iso: str) -> str:
    return format_date(dt.datetime.fromisoformat(iso), "long")  # "2 décembre 2026"


@bp.get("/replies")
def get_replies() -> Response:
    """Answer the next replies under a top-level comment (its more_replies cursor)."""
    site_key, article, cursor = parse_replies_query()
    site = use_site(site_key)
    thread = threads.find_thread(site, article)
    etag = threads.etag_for(site, article, thread, "replies", cursor)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = jsonify(replies_json(listing.read_replies(thread, cursor)))
        _may_cache_thread(site, article, thread)
    response.set_etag(etag, weak=True)
    _public_cache(response)
    return response


@bp.get("/counts")
def get_counts() -> Response:
    """Answer comment, reaction and share totals for up to 100 articles at once."""
    site = use_site(request.args.get("site"))
    articles = parse_articles()
    found = threads.counts_for(site, [stored for _, stored in articles])
    counts = {}
    for asked, stored in articles:
        totals = found.get(stored, threads.NO_TOTALS)
        counts[asked] = {
            "comments": totals.comments,
            "reactions": totals.reactions,
            "shares": totals.shares,
        }
    response = jsonify({"counts": counts})
    stored_articles = dict.fromkeys(stored for _, stored in articles)
    _may_cache([site_key_token(site.key), *(thread_key(site.key, a) for a in stored_articles)])
    _public_cache(response)
    return response
