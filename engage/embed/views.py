"""GET /embed.js, and the demo's article and listing pages (only under `engage demo`)."""

from __future__ import annotations

import os
import re
from functools import cache

from flask import Response, abort, current_app, render_template, request, send_from_directory

from ..demo import DEMO_ARTICLES
from . import bp

_SOURCES_HASH = re.compile(rb"sources:([0-9a-f]{16})")


@cache
def _embed_version(path: str, mtime: float) -> str:
    with open(path, "rb") as handle:
        match = _SOURCES_HASH.search(handle.readline())
    return match.group(1).decode() if match else "dev"


def embed_version() -> str:
    """Return the hash of the built widget's sources, used to version its URL."""
    path = os.path.join(current_app.static_folder or "", "embed.js")
    return _embed_version(path, os.path.getmtime(path))


# Modules embed.js imports: the strings, one per language (a page imports its own language's
# only), and the panels readers seldom open (report, delete), the first time one is.
MODULES = ("fr", "en", "panels")


@bp.get("/embed.js")
def embed_js() -> Response:
    """Serve the widget; immutable when asked for by its current version (?v=…)."""
    return _built("embed.js")


@bp.get("/embed/<name>.js")
def embed_module(name: str) -> Response:
    """Serve a module embed.js imports: strings or the seldom-opened panels (CORS: any
    origin)."""
    if name not in MODULES:
        abort(404)
    return _built(f"embed/{name}.js")


def _built(name: str) -> Response:
    versioned = request.args.get("v") == embed_version()
    # The build writes brotli and gzip copies beside it (static/src/build.mjs).
    coding = _accepted_coding(name)
    response = send_from_directory(
        current_app.static_folder or "",
        name + {"br": ".br", "gzip": ".gz"}.get(coding or "", ""),
        mimetype="text/javascript",
        max_age=31536000 if versioned else 300,
        conditional=True,
    )
    if coding:
        response.headers["Content-Encoding"] = coding
        # One ETag per coding: a cache must not answer a gzip copy's 304 for brotli.
        etag, weak = response.get_etag()
        if etag:
            response.set_etag(f"{etag}-{coding}", weak=bool(weak))
    response.vary.add("Accept-Encoding")
    if versioned:
        response.cache_control.immutable = True
    else:
        response.cache_control.stale_while_revalidate = 86400
    response.cache_control.public = True
    # A script tag needs no CORS, but pages with cross-origin isolation do, and a module
    # imported from another origin (the strings) always does.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _accepted_coding(name: str) -> str | None:
    folder = current_app.static_folder or ""
    for coding, suffix in (("br", ".br"), ("gzip", ".gz")):
        if request.accept_encodings[coding] > 0 and os.path.exists(
            os.path.join(folder, name + suffix)
        ):
            return coding
    return None


def _demo_only() -> None:
    if not current_app.config["ENGAGE_DEMO"]:
        abort(404)


@bp.get("/")
@bp.get("/articles/<path:article>")
def demo_article(article: str | None = None) -> str:
    """Show a sample French article with the widget under it (demo only)."""
    _demo_only()
    article = article or DEMO_ARTICLES[0]["id"]
    page = next((a for a in DEMO_ARTICLES if a["id"] == article), None)
    if page is None:
        abort(404)
    return render_template(
        "embed/demo_article.html",
        article=page,
        articles=DEMO_ARTICLES,
        site_key=current_app.config["ENGAGE_DEMO_SITE"],
        version=embed_version(),
    )


@bp.get("/articles")
def demo_listing() -> str:
    """Show a listing page whose comment counts come from one request (demo only)."""
    _demo_only()
    return render_template(
        "embed/demo_listing.html",
        articles=DEMO_ARTICLES,
        site_key=current_app.config["ENGAGE_DEMO_SITE"],
        version=embed_version(),
    )
