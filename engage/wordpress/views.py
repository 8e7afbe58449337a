"""GET /wordpress/engage-comments.zip: the plugin, pre-filled with this server's URL."""

from __future__ import annotations

import io
import re
import zipfile
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, request

from . import bp

PLUGIN = Path(__file__).resolve().parent / "engage-comments"
# What a PHP single-quoted string may hold as is, and a URL needs.
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~\-/]*)?")
# Fixed file times: the same server URL always gives the same bytes (and the same ETag).
_EPOCH = (2026, 1, 1, 0, 0, 0)


def public_url() -> str:
    """This server's public URL, as readers' browsers reach it (ENGAGE_BASE_URL, else the
    address this request came to, which ProxyFix corrects behind a proxy)."""
    url = (current_app.config.get("ENGAGE_BASE_URL") or request.url_root).rstrip("/")
    return url if _SAFE_URL.fullmatch(url) else ""


@lru_cache(maxsize=4)  # bounded: without ENGAGE_BASE_URL, each Host header is another zip
def plugin_zip(server_url: str) -> bytes:
    """The plugin's folder as a zip, with server.php naming the engage server."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PLUGIN.rglob("*")):
            if path.is_file() and path.name != "server.php":
                name = f"engage-comments/{path.relative_to(PLUGIN).as_posix()}"
                archive.writestr(zipfile.ZipInfo(name, _EPOCH), path.read_bytes(),
                                 zipfile.ZIP_DEFLATED)
        server = ("<?php\n// The engage server this copy was downloaded from: the settings "
                  "page's default URL.\n\ndefined( 'ABSPATH' ) || exit;\n\n"
                  f"return '{server_url}';\n")
        archive.writestr(zipfile.ZipInfo("engage-comments/server.php", _EPOCH), server,
                         zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@bp.get("/engage-comments.zip")
def download_plugin() -> Response:
    """Hand out the WordPress plugin, ready to upload in Extensions → Ajouter."""
    response = Response(plugin_zip(public_url()), mimetype="application/zip")
    response.headers["Content-Disposition"] = "attachment; filename=engage-comments.zip"
    response.add_etag()
    response.cache_control.max_age = 3600
    if current_app.config.get("ENGAGE_BASE_URL"):
        response.cache_control.public = True
    else:
        # The URL inside comes from the Host header: no shared cache may hand one host's copy
        # to another (a forged Host would otherwise reach every admin behind that cache).
        response.cache_control.private = True
        response.vary.add("Host")
    response.make_conditional(request)  # a 304 when the ETag matches
    return response
