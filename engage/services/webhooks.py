"""Webhooks: a site's own tools told about comments' events, signed, through the outbox.

Each event is one outbox row per endpoint that wants it, written with the change. The
delivery signs the body at send time (`X-Engage-Signature: t=UNIX,v1=HEX`, the HMAC-SHA256
of "{t}." + body under the endpoint's secret) so receivers can refuse old or replayed
deliveries. Targets are https:// on public addresses; the address is resolved, checked and
then connected to as resolved, so a DNS answer cannot point a delivery at the intranet
between the check and the request.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from flask import current_app
from sqlalchemy import select

from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import (
    Comment,
    CommentStatus,
    DeliveryAttempt,
    OutboxKind,
    Site,
    Thread,
    WebhookEndpoint,
    utcnow,
)
from . import outbox

EVENTS = (
    "comment.created",
    "comment.approved",
    "comment.rejected",
    "comment.reported",
    "comment.deleted",
)
MAX_ENDPOINTS = 20  # per site
DISABLE_AFTER = 20  # consecutive failed attempts, over about a day of retries
TIMEOUT = 5.0  # seconds to connect, and again for each read of the answer
DEADLINE = 15.0  # seconds for the whole delivery, however slowly a receiver drips its answer
LOG_KEPT = 50  # delivery attempts shown per endpoint


class Refused(Exception):
    """The target may not be called (private address, wrong scheme)."""


def _allow_private() -> bool:
    return bool(current_app.config.get("ENGAGE_WEBHOOKS_ALLOW_PRIVATE"))


# IPv6 prefixes that carry an IPv4 address in their last 32 bits, which a translator or relay
# reaches: NAT64's well-known prefix (RFC 6052) and the deprecated IPv4-compatible form
# (::a.b.c.d). NAT64's local-use prefix (RFC 8215) may place it anywhere: refused whole.
_EMBEDDING_IPV4 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "::/96"))
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def _is_public(address: str) -> bool:
    """Whether the address is on the public Internet, and so is any IPv4 address it carries
    (mapped, 6to4, NAT64): Python counts 64:ff9b::7f00:1 global, yet it reaches 127.0.0.1."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in network for network in _EMBEDDING_IPV4):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not embedded.is_global:
            return False
    return ip.is_global


def check_url(url: str) -> str:
    """Return the endpoint URL if it may be used; validation_error otherwise."""
    url = url.strip()
    allow_private = _allow_private()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port out of range)
    except ValueError:
        parts = None
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts is None or parts.scheme not in schemes or not parts.hostname or len(url) > 2048:
        expected = "an http:// or https:// URL" if allow_private else "an https:// URL"
        raise ValidationError(f"The webhook address must be {expected}.",
                              fields={"url": f"must be {expected}"})
    try:
        (parts.hostname or "").encode("idna")  # labels of 1-63 characters, a valid IDN
    except UnicodeError:
        raise ValidationError("The webhook address's host name is not valid.",
                              fields={"url": "not a valid host name"}) from None
    if parts.username or parts.password or parts.fragment:
        raise ValidationError("The webhook address may not hold a user, password or #fragment.",
                              fields={"url": "no user, password or fragment"})
    if not allow_private:
        host = parts.hostname
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if (literal is not None and not _is_public(host)) or host == "localhost" or (
                host.endswith((".localhost", ".local", ".internal"))):
            raise ValidationError(
                "The webhook address must be public (ENGAGE_WEBHOOKS_ALLOW_PRIVATE=true "
                "allows private ones).", fields={"url": "not a public address"})
    return url


def _events(events: list[str] | tuple[str, ...] | None) -> list[str]:
    if not events:
        return list(EVENTS)
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise ValidationError(f"Unknown event(s): {', '.join(unknown)}.",
                              fields={"events": f"each one of {', '.join(EVENTS)}"})
    return [e for e in EVENTS if e in events]


def add_endpoint(site: Site, url: str, events: list[str] | None = None) -> WebhookEndpoint:
    """Register an endpoint for the site; its secret is on the returned object, once.

    Raises validation_error (address, events, too many endpoints).
    """
    url = check_url(url)
    wanted = _events(events)
    count = len(endpoints_of(site))
    if count >= MAX_ENDPOINTS:
        raise ValidationError(f"A site has at most {MAX_ENDPOINTS} webhook endpoints.",
                              fields={"url": "too many endpoints"})
    endpoint = WebhookEndpoint(site_id=site.id, url=url, events=wanted,
                               secret="whsec_" + secrets.token_urlsafe(32), created_at=utcnow())
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def endpoints_of(site: Site) -> list[WebhookEndpoint]:
    """Return the site's endpoints, oldest first."""
    return list(db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.site_id == site.id)
        .order_by(WebhookEndpoint.id)
    ))


def endpoint_of(site: Site, endpoint_id: int) -> WebhookEndpoint:
    """Return one of the site's endpoints; not_found."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.site_id != site.id:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def set_enabled(endpoint: WebhookEndpoint, enabled: bool) -> None:
    """Turn an endpoint on (its failures forgotten) or off."""
    endpoint.enabled = enabled
    endpoint.failures = 0
    endpoint.disabled_reason = None if enabled else "disabled by a moderator"


def remove_endpoint(endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log; its undelivered events are dropped by the
    worker (they name an endpoint that no longer exists, or a newer one)."""
    db.session.delete(endpoint)


def recent_attempts(endpoint: WebhookEndpoint, limit: int = LOG_KEPT) -> list[DeliveryAttempt]:
    """The endpoint's latest delivery attempts, newest first."""
    return list(db.session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.endpoint_id == endpoint.id)
        .order_by(DeliveryAttempt.id.desc()).limit(limit)
    ))


# --- events -------------------------------------------------------------------------------


def comment_data(comment: Comment, thread: Thread) -> dict[str, Any]:
    """The public face of a comment in an event: never an e-mail, IP or reader hash."""
    status = comment.status
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "article": thread.article,
        "url": thread.url,
        "title": thread.title,
        "author": comment.author if status != CommentStatus.DELETED else "",
        "body_html": comment.body_html if status != CommentStatus.DELETED else "",
        "status": status.value,
        "created_at": comment.created_at.isoformat(),
    }


def emit(comment: Comment, event: str, extra: dict[str, Any] | None = None) -> int:
    """Queue the event for every enabled endpoint of the comment's site that wants it."""
    thread = comment.thread
    endpoints = [
        e for e in db.session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.site_id == thread.site_id,
                                          WebhookEndpoint.enabled.is_(True)))
        if event in e.events
    ]
    if not endpoints:
        return 0
    site = db.session.get(Site, thread.site_id)
    assert site is not None
    data = {"comment": comment_data(comment, thread), **(extra or {})}
    for endpoint in endpoints:
        body = {
            "type": event,
            "id": "evt_" + secrets.token_hex(12),
            "created_at": utcnow().isoformat(),
            "site": site.key,
            "data": data,
        }
        outbox.enqueue(site.id, OutboxKind.WEBHOOK,
                       {"endpoint": endpoint.id, "body": orjson.dumps(body).decode()})
    return len(endpoints)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The X-Engage-Signature value of a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


# --- delivery -----------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    detail: str
    status_code: int | None = None


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not _allow_private():
        private = [a for a in addresses if not _is_public(a)]
        if private:
            raise Refused(f"{host} resolves to a non-public address ({private[0]})")
    return addresses[0]


class _Watched:
    """A connection that a watchdog can cut: a duplicate of its socket, taken before the TLS
    handshake (wrapping detaches the original), is shut down from another thread, which ends
    any handshake, read or write blocked on the connection."""

    twin: socket.socket | None = None
    cut = False

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self.twin = sock.dup()
        return sock

    def cut_off(self) -> None:
        self.cut = True
        if self.twin is not None:
            try:
                self.twin.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the delivery ended meanwhile

    def close_twin(self) -> None:
        if self.twin is not None:
            self.twin.close()


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST body to url, connected to the address checked; never follows a redirect.

    Each network step has TIMEOUT, and the whole delivery DEADLINE: a receiver answering a
    byte every few seconds would otherwise hold the worker past its claim's lease, and the
    message would be sent twice.
    """
    from urllib3.connection import HTTPConnection, HTTPSConnection

    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    if not https and not _allow_private():
        raise Refused("only https:// targets")
    port = parts.port or (443 if https else 80)
    address = _resolve(host, port)
    connection: Any
    if https:
        connection = type("Connection", (_Watched, HTTPSConnection), {})(
            address, port, timeout=TIMEOUT, server_hostname=host, assert_hostname=host,
            cert_reqs="CERT_REQUIRED")
    else:
        connection = type("Connection", (_Watched, HTTPConnection), {})(
            address, port, timeout=TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if https else 80
    watchdog = threading.Timer(DEADLINE, connection.cut_off)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(
            "POST", path, body=body,
            headers={**headers, "Host": host if port == default_port else f"{host}:{port}"},
            preload_content=False)  # the first 2 KB of the answer are all that is kept
        response = connection.getresponse()
        answer = response.read(2048, decode_content=False)
    except Exception:
        if connection.cut:
            raise TimeoutError(f"no complete answer within {DEADLINE:g} s") from None
        raise
    finally:
        watchdog.cancel()
        watchdog.join()  # a watchdog already cutting finishes before the sockets close
        connection.close()
        connection.close_twin()
    ok = 200 <= response.status < 300
    text = answer.decode("utf-8", "replace").strip()
    return Outcome(ok, f"HTTP {response.status}" + (f": {text[:200]}" if text else ""),
                   response.status)


@dataclass(frozen=True)
class Target:
    """What a delivery needs of its endpoint, read before the send (no session during it)."""

    id: int
    url: str
    secret: str


def deliver(endpoint: Target, body: str) -> Outcome:
    """Send one event to its endpoint, signed now; the outcome says what happened."""
    import urllib3

    raw = body.encode()
    event = orjson.loads(raw).get("type", "")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "engage-webhooks/1",
        "X-Engage-Event": event,
        "X-Engage-Signature": sign(endpoint.secret, raw, int(time.time())),
    }
    try:
        return post(endpoint.url, raw, headers)
    except Refused as exc:
        return Outcome(False, f"refused: {exc}")
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError,
            ValueError) as exc:
        # HTTPException: an answer that is not HTTP (bad status line, endless headers…);
        # ValueError: what the URL or IDNA codec refuse (a label over 63 characters…).
        return Outcome(False, f"{type(exc).__name__}: {exc}")


def record_outcome(endpoint: WebhookEndpoint, ok: bool) -> None:
    """Keep the endpoint's failure streak; disable it after DISABLE_AFTER failures in a row."""
    if ok:
        endpoint.failures = 0
        return
    endpoint.failures += 1
    if endpoint.failures >= DISABLE_AFTER and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = f"{endpoint.failures} failed deliveries in a row"
