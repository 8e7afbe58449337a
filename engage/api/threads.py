"""GET /thread and GET /counts: the reads, cacheable and the same for every reader."""

from __future__ import annotations

from flask import Response, jsonify, request

from ..services import threads
from . import bp, use_site
from .schemas import page_json, parse_articles, parse_thread_query


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
        page = threads.read_page(site, query.article, thread, query.sort, query.cursor, query.limit)
        response = jsonify(page_json(page))
    response.set_etag(etag, weak=True)
    # Readers revalidate each time; the 304 path costs two small queries.
    response.cache_control.no_cache = True
    return response


@bp.get("/counts")
def get_counts() -> Response:
    """Answer comment, reaction and share totals for up to 100 articles at once."""
    site = use_site(request.args.get("site"))
    articles = parse_articles()
    found = threads.counts_for(site, [stored for _, stored in articles])
    counts = {}
    for asked, stored in articles:
        thread = found.get(stored)
        counts[asked] = {
            "comments": thread.comment_count if thread else 0,
            "reactions": sum(thread.reactions.values()) if thread else 0,
            "shares": sum(thread.shares.values()) if thread else 0,
        }
    return jsonify({"counts": counts})
