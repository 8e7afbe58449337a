"""Put the read cache in front of an app: choose its version store, install the publisher."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from sqlalchemy.engine import make_url

from .cache import CachedReads, install_publisher
from .versions import FileVersions, RedisVersions, VersionStore

log = logging.getLogger(__name__)


def version_store(app: Flask) -> VersionStore | None:
    """Return where versions live: Redis when set, a file on SQLite; None: no cache."""
    config = app.config
    if config["ENGAGE_CACHE"] == "off":
        return None
    if config.get("ENGAGE_REDIS_URL"):
        from .. import redis_store

        with app.app_context():
            return RedisVersions(redis_store.client_for(str(config["ENGAGE_REDIS_URL"])))
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite":
        # SQLite means one host: a file every process on it shares is just as correct.
        os.makedirs(app.instance_path, exist_ok=True)
        return FileVersions(os.path.join(app.instance_path, "engage-versions.bin"))
    # PostgreSQL without Redis may run on several hosts, which no local file could tell of.
    log.info("read cache off: set ENGAGE_REDIS_URL to share it between hosts")
    return None


def install_cache(app: Flask, cors_reader: Any) -> None:
    """Serve cached reads in front of Flask, when a version store can be had."""
    store = version_store(app)
    app.extensions["engage.versions"] = store
    install_publisher()
    if store is None:
        return
    app.wsgi_app = CachedReads(  # type: ignore[method-assign]
        app.wsgi_app,
        store,
        ttl=float(app.config["ENGAGE_CACHE_TTL"]),
        max_bytes=int(app.config["ENGAGE_CACHE_MB"]) * 1024 * 1024,
        cors_reader=cors_reader,
    )
