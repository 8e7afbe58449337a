"""The read path's fast lane: cached, pre-compressed answers served in front of Flask.

GET /api/v1/thread (and .html), /replies and /counts are the same for every reader. The first
time one is asked for, Flask builds it and marks it cacheable (api/threads.py); this middleware
keeps its bytes, gzip and brotli copies, and its ETag, under the version tokens (versions.py) of
what it shows, read *before* Flask touched the database. Later requests are answered here,
with no Flask, no session and no database, for as long as those tokens have not moved:
the common case of a news spike costs a few memory loads (versions.py).

Every write that changes what a reader sees moves the tokens after its commit (publish()
below, fed by services.threads.bump and the site settings). A short time-to-live bounds
what a crashed writer could leave behind, and answers that time itself changes (a thread
closing by age) expire at that moment.
"""

from __future__ import annotations

import dataclasses
import gzip
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.http import parse_accept_header, parse_etags

from ..logs import valid_request_id
from .versions import StoreDown, Token, VersionStore, site_key_token, thread_key

log = logging.getLogger(__name__)

HINT = "engage.cache_hint"  # environ key: the view's word that its answer may be cached
PATHS = ("/api/v1/thread", "/api/v1/thread.html", "/api/v1/replies", "/api/v1/counts")
_PER_REQUEST = {"x-request-id", "access-control-allow-origin", "access-control-expose-headers",
                "content-length", "content-encoding", "set-cookie", "date", "vary",
                "strict-transport-security"}


@dataclasses.dataclass(frozen=True)
class CacheHint:
    """What a cacheable answer depends on: the version keys, its site's origins, its expiry."""

    keys: tuple[str, ...]
    origins: frozenset[str]
    expires_at: float | None = None  # wall-clock seconds; None: only the time-to-live


@dataclasses.dataclass
class Entry:
    tokens: tuple[Token, ...]
    keys: tuple[str, ...]
    status: str
    etag: str
    headers: list[tuple[str, str]]  # what every reader gets: type, ETag, Cache-Control, CSP…
    bodies: dict[str, bytes]  # by content coding: "identity", "gzip", "br"
    origins: frozenset[str]
    expires_at: float
    size: int = 0


def request_keys(path: str, query: str) -> tuple[str, ...] | None:
    """The version keys a read depends on, from its query alone; None when not cacheable.

    The same normalisation as the views' (api.schemas.article_id), or the keys would not be
    the ones writes move.
    """
    from ..api.schemas import article_id

    params = parse_qsl(query, keep_blank_values=True)
    sites = [v for k, v in params if k == "site"]
    if len(sites) != 1:
        return None
    site = sites[0]
    articles = [v for k, v in params if k == "article"]
    single = path != "/api/v1/counts"  # a thread page or a batch of replies: one article
    if not articles or (single and len(articles) != 1) or len(articles) > 100:
        return None
    normalized = [article_id(a) for a in articles]
    if any(a is None for a in normalized):
        return None
    return (site_key_token(site), *dict.fromkeys(thread_key(site, a) for a in normalized if a))


def _encoding(environ: dict[str, Any], bodies: dict[str, bytes]) -> str:
    header = environ.get("HTTP_ACCEPT_ENCODING")
    if not header:
        return "identity"
    accepted = parse_accept_header(header)
    for coding in ("br", "gzip"):
        if coding in bodies and accepted[coding] > 0 and len(bodies[coding]) < len(
            bodies["identity"]
        ):
            return coding
    return "identity"


class CachedReads:
    """WSGI middleware: answer cached reads, and keep the cacheable answers Flask makes."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        store: VersionStore,
        *,
        ttl: float,
        max_bytes: int,
        cors_reader: Callable[[str | None, frozenset[str]], str | None],
    ) -> None:
        self.app = app
        self.store = store
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._bytes = 0
        self._may_read = cors_reader
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()
        self._lock = threading.Lock()

    # -- the WSGI call ----------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET" or path not in PATHS:
            return self.app(environ, start_response)
        query = environ.get("QUERY_STRING", "")
        entry = self._get((path, query))
        # A known query's keys are in its entry: the hot path parses nothing.
        keys = entry.keys if entry is not None else request_keys(path, query)
        if keys is None:
            return self.app(environ, start_response)
        try:
            tokens = self.store.tokens(keys)
        except StoreDown:
            # Nothing can be known current: the database answers, and what this process kept
            # may have missed writes meanwhile.
            self.clear()
            return self.app(environ, start_response)
        if entry is not None and entry.tokens == tokens and entry.expires_at > time.time():
            return self._answer(entry, environ, start_response)
        return self._build(environ, start_response, (path, query), keys, tokens)

    # -- answering from an entry -----------------------------------------------------------

    def _answer(
        self, entry: Entry, environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        headers = list(entry.headers)
        headers.append(("Vary", "Origin, Accept-Encoding"))
        origin = environ.get("HTTP_ORIGIN")
        if origin:
            allowed = self._may_read(origin, entry.origins)
            if not allowed:
                # A page off the site's origins: Flask words the refusal (forbidden_origin).
                return self.app(environ, start_response)  # as is: the server calls its close()
            headers += [("Access-Control-Allow-Origin", allowed),
                        ("Access-Control-Expose-Headers", "ETag, Retry-After")]
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        headers.append(("X-Request-Id", incoming if valid_request_id(incoming)
                        else uuid.uuid4().hex))
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(entry.etag):
            start_response("304 NOT MODIFIED", [h for h in headers
                                                 if h[0].lower() != "content-type"])
            return []
        coding = _encoding(environ, entry.bodies)
        body = entry.bodies[coding]
        if coding != "identity":
            headers.append(("Content-Encoding", coding))
        headers.append(("Content-Length", str(len(body))))
        start_response(entry.status, headers)
        return [body]

    # -- building an entry through Flask --------------------------------------------------

    def _build(
        self,
        environ: dict[str, Any],
        start_response: Any,
        cache_key: tuple[str, str],
        keys: tuple[str, ...],
        tokens: tuple[Token, ...],
    ) -> Any:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: None  # the legacy write() callable: Flask never uses it

        # Built unconditionally: a worker whose first request for a thread is a revalidation
        # (readers' browsers send If-None-Match after every write) must still keep the body,
        # or each of its revalidations would go on costing a database read. The entry then
        # answers this very request with its 304.
        build_environ = {k: v for k, v in environ.items()
                         if k not in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")}
        result = self.app(build_environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        hint: CacheHint | None = build_environ.get(HINT)
        status, headers = captured["status"], captured["headers"]
        if hint is None or not status.startswith("200") or hint.keys != keys:
            start_response(status, headers, captured["exc_info"])
            return [body]
        entry = self._store(cache_key, tokens, status, headers, body, hint)
        # The id Flask logged this request under, not a new one.
        request_id = next((v for k, v in headers if k.lower() == "x-request-id"), "")
        return self._answer(entry, {**environ, "HTTP_X_REQUEST_ID": request_id}, start_response)

    def _store(
        self,
        cache_key: tuple[str, str],
        tokens: tuple[Token, ...],
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
        hint: CacheHint,
    ) -> Entry:
        import brotli

        shared = [(name, value) for name, value in headers if name.lower() not in _PER_REQUEST]
        etag = next((value for name, value in headers if name.lower() == "etag"), "")
        expires_at = time.time() + self.ttl
        if hint.expires_at is not None:
            expires_at = min(expires_at, hint.expires_at)
        entry = Entry(
            tokens=tokens,
            keys=hint.keys,
            status=status,
            etag=etag.removeprefix("W/").strip('"'),
            headers=shared,
            # Compressed once here, then served to every reader who accepts it.
            bodies={"identity": body, "gzip": gzip.compress(body, 6, mtime=0),
                    "br": brotli.compress(body, quality=5)},
            origins=hint.origins,
            expires_at=expires_at,
        )
        size = sum(len(b) for b in entry.bodies.values())
        with self._lock:
            replaced = self._entries.pop(cache_key, None)
            if replaced is not None:
                self._bytes -= replaced.size
            entry.size = size
            self._entries[cache_key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size
        return entry

    def _get(self, cache_key: tuple[str, str]) -> Entry | None:
        with self._lock:
            entry = self._entries.get(cache_key)
            if entry is not None:
                self._entries.move_to_end(cache_key)
            return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


# --- the write side -------------------------------------------------------------------------

PENDING = "engage.cache_bumps"  # session.info key: version keys the transaction changed


def note_change(session: Any, keys: Sequence[str]) -> None:
    """Remember keys whose tokens must move once this session's transaction commits."""
    session.info.setdefault(PENDING, set()).update(keys)


TOUCHED = "engage.cache_touched"  # session.info key: (thread ids, site ids) flushed so far


def _collect(session: Any, flush_context: Any) -> None:
    # Every ORM change to what readers see, whichever code made it (a service, a command, a
    # future write path), so that none can forget to invalidate. Bulk UPDATEs are not seen
    # here: services.threads.bump notes its own.
    from ..models import Comment, Site, SiteOrigin, Thread

    threads, sites = session.info.setdefault(TOUCHED, (set(), set()))
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Comment):
            threads.add(obj.thread_id)
        elif isinstance(obj, Thread):
            threads.add(obj.id)
        elif isinstance(obj, Site):
            sites.add(obj.id)
        elif isinstance(obj, SiteOrigin):
            sites.add(obj.site_id)


def _resolve(session: Any, flush_context: Any) -> None:
    from ..models import Site, Thread

    threads, sites = session.info.pop(TOUCHED, (set(), set()))
    keys: list[str] = []
    # From the identity map, where the write's own objects are: rarely a query.
    with session.no_autoflush:
        for thread_id in threads - {None}:
            thread = session.get(Thread, thread_id)
            site = session.get(Site, thread.site_id) if thread is not None else None
            if thread is not None and site is not None:
                keys.append(thread_key(site.key, thread.article))
        for site_id in sites - {None}:
            site = session.get(Site, site_id)
            if site is not None:
                keys.append(site_key_token(site.key))
    if keys:
        note_change(session, keys)


def install_publisher() -> None:
    """Move the tokens of what each transaction changed, right after it commits."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def after_commit(session: Session) -> None:
        keys = session.info.pop(PENDING, None)
        if not keys:
            return
        target = _current_store()
        if target is not None:
            try:
                target.bump(sorted(keys))
            except Exception:  # a cache problem must never fail a committed write
                log.exception("cache versions not bumped")

    def after_rollback(session: Session) -> None:
        session.info.pop(PENDING, None)
        session.info.pop(TOUCHED, None)

    if not getattr(install_publisher, "_installed", False):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_flush_postexec", _resolve)
        event.listen(Session, "after_commit", after_commit)
        event.listen(Session, "after_rollback", after_rollback)
        install_publisher._installed = True  # type: ignore[attr-defined]


def _current_store() -> VersionStore | None:
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    return current_app.extensions.get("engage.versions")  # type: ignore[no-any-return]
