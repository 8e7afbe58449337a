"""Readers' identifiers: the only code that sees raw reader tokens, IPs and emails to hash them."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re

from flask import current_app, request

from .errors import ValidationError

READER_HEADER = "X-Engage-Reader"
_READER_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
# A bare address (mails go to it): no display name, comment or quoted part, which the mail
# headers would read as other addresses; domain labels of at most 63 characters.
EMAIL_ADDRESS = re.compile(
    r'[^@\s<>()\[\]\\,;:"]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}')


def keyed_hash(purpose: str, value: str) -> str:
    """Return the hex HMAC-SHA256 of value under a key derived from SECRET_KEY for purpose."""
    # One derived key per purpose, so a reader-token hash can never be matched to an IP hash.
    secret = current_app.config["SECRET_KEY"].encode()
    key = hmac.new(secret, f"engage:{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def optional_reader_hash() -> str | None:
    """Return the keyed hash of X-Engage-Reader, None without one; validation_error if invalid."""
    return None if READER_HEADER not in request.headers else reader_hash()


def reader_hash() -> str:
    """Return the keyed hash of the request's X-Engage-Reader; validation_error if missing or
    invalid."""
    token = request.headers.get(READER_HEADER)
    if token is None or not _READER_TOKEN.fullmatch(token):
        raise ValidationError(
            f"{READER_HEADER} must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -.",
            fields={"reader": "invalid or missing reader token"},
        )
    return keyed_hash("reader", token)


def client_ip() -> str:
    """Return the client's IP as seen after the trusted proxies (ProxyFix in create_app)."""
    return request.remote_addr or "0.0.0.0"


def client_network() -> str:
    """Return the client's IPv4 address, or its IPv6 /64 network.

    One IPv6 subscriber usually holds a whole /64 and can rotate addresses within it at will:
    limits, bans and duplicate checks count the network.
    """
    return network_of(client_ip())


def network_of(address: str) -> str:
    """Return an IPv4 address as it is, an IPv6 one as its /64 network (client_network)."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def ip_hash() -> str:
    """Return the keyed hash of the client's IP address (its /64 for IPv6)."""
    return keyed_hash("ip", client_network())


def email_hash(email: str) -> str:
    """Return the keyed hash of a normalised email address."""
    return keyed_hash("email", email.strip().lower())
