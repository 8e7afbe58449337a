"""Sites, their origins and per-site options."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from ..errors import Conflict, ForbiddenOrigin, UnknownSite, ValidationError
from ..extensions import db
from ..models import Comment, Site, SiteOrigin, Thread
from ..serving.cache import note_change
from ..serving.versions import site_key_token
from . import origins as registered_origins

SITE_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# An http(s) URL whose host every reader agrees on. Browsers follow the WHATWG URL standard,
# not RFC 3986 (urlsplit): a backslash is a "/" to them, any number of slashes may follow
# "https:", "%2E" and non-ASCII in a host are decoded or IDNA-mapped, "0x7f.1" is an IPv4
# address. So the host is plain ASCII (IDNs in their xn-- form), then the authority ends at
# once: no user info ("@"), nothing but a port. Anything else is refused rather than repaired.
_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{0,5}))?"
    r"(?:[/?#].*)?",
    # ASCII: without it, IGNORECASE lets "ſ" (U+017F) match "s" and the Kelvin sign match "k".
    re.ASCII | re.IGNORECASE | re.DOTALL,
)
# A host whose last label is a number is an IPv4 address to browsers, in any old notation.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*", re.ASCII | re.IGNORECASE)
# Controls, format characters (bidi overrides), lone surrogates and every kind of space:
# browsers strip or percent-encode them, and they make a URL display as another.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"}


@dataclasses.dataclass(frozen=True)
class SiteSettings:
    """A site's options with their defaults; stored as JSON in Site.settings."""

    moderation: str = "post"  # "post": publish at once; "pre": hold every comment for a moderator
    hold_first_comment: bool = False  # hold a reader's first comment on the site
    banned_words: tuple[str, ...] = ()  # a comment containing one is rejected
    suspect_words: tuple[str, ...] = ()  # a comment containing one is held for a moderator
    max_links: int = 2  # a comment with more links than this is held
    edit_window: int = 15  # minutes during which an author may edit or delete with the edit token
    report_queue_threshold: int = 1  # reports that put a comment in the reported queue
    report_hide_threshold: int = 0  # reports that hide a comment until a moderator looks; 0: off
    auto_close_days: int = 0  # threads older than this take no new comments; 0: never
    erasure: str = "tombstone"  # an erased author's comments: "tombstone" or "anonymize"
    notify_moderators: bool = False  # e-mail digests of waiting comments (engage notify)
    notify_replies: bool = True  # readers may ask for their replies by e-mail (double opt-in)
    # Spam signals and what each does: "reject" (refused with 400), "hold" or "off".
    spam_honeypot: str = "reject"
    spam_too_fast: str = "hold"
    spam_min_seconds: int = 3  # a form sent sooner after it was shown is "too fast"
    spam_duplicate: str = "reject"
    spam_akismet: str = "hold"
    akismet_key: str = ""  # off when empty: no comment is sent to a third party by default
    akismet_url: str = "https://rest.akismet.com"
    language: str = "fr"  # of what the server writes for readers: GET /thread.html's fragment
    # Who may comment (services/sso.py): "guests" (name and e-mail), "accounts" (only readers
    # the site signed in) or "both" (each reader chooses; the widget offers login_url).
    comments: str = "guests"
    login_url: str = ""  # the site's own login page, shown to readers who must sign in


LANGUAGES = ("fr", "en")


def _parse_language(raw: str) -> str:
    if raw not in LANGUAGES:
        raise ValueError("must be fr or en")
    return raw


COMMENT_POLICIES = ("guests", "accounts", "both")


def _parse_comments(raw: str) -> str:
    if raw not in COMMENT_POLICIES:
        raise ValueError("must be guests, accounts or both")
    return raw


def _parse_login_url(raw: str) -> str:
    # Shown to readers as a link: a page of the site's, never javascript: or data:.
    if raw.strip() and normalize_origin(raw) is None:
        raise ValueError("must be an http:// or https:// URL (empty: none)")
    return raw.strip()


def _parse_moderation(raw: str) -> str:
    if raw not in {"post", "pre"}:
        raise ValueError("must be post or pre")
    return raw


def _parse_erasure(raw: str) -> str:
    if raw not in {"tombstone", "anonymize"}:
        raise ValueError("must be tombstone or anonymize")
    return raw


def _bounded(low: int, high: int, unit: str = "") -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"must be a whole number from {low} to {high}{unit}") from None
        if not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}{unit}")
        return value

    return parse


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on", "oui"}:
        return True
    if lowered in {"0", "false", "no", "off", "non"}:
        return False
    raise ValueError("must be true or false")


def _parse_words(raw: str) -> list[str]:
    # Comma- or newline-separated; a "word" may be a phrase ("va te faire").
    words = [w.strip() for w in raw.replace("\n", ",").split(",")]
    if any(len(w) > 100 for w in words):
        raise ValueError("each word is at most 100 characters")
    unique = list(dict.fromkeys(w for w in words if w))
    if len(unique) > 1000:
        raise ValueError("at most 1000 words")
    return unique


def _parse_signal_action(raw: str) -> str:
    if raw not in {"reject", "hold", "off"}:
        raise ValueError("must be reject, hold or off")
    return raw


def _parse_https_url(raw: str) -> str:
    # Comments and readers' IPs go there: only over TLS.
    if not raw.strip().lower().startswith("https://") or normalize_origin(raw) is None:
        raise ValueError("must be an https:// URL")
    return raw.strip()


def _parse_key(raw: str) -> str:
    if len(raw) > 200 or any(c.isspace() for c in raw):
        raise ValueError("must be a key without spaces (empty: off)")
    return raw


OPTION_PARSERS: dict[str, Callable[[str], Any]] = {
    "moderation": _parse_moderation,
    "hold_first_comment": _parse_bool,
    "banned_words": _parse_words,
    "suspect_words": _parse_words,
    "max_links": _bounded(0, 100),
    "edit_window": _bounded(0, 10080, " minutes"),
    "report_queue_threshold": _bounded(1, 1000),
    "report_hide_threshold": _bounded(0, 1000, " (0: off)"),
    "auto_close_days": _bounded(0, 36500, " (0: never)"),
    "erasure": _parse_erasure,
    "notify_moderators": _parse_bool,
    "notify_replies": _parse_bool,
    "spam_honeypot": _parse_signal_action,
    "spam_too_fast": _parse_signal_action,
    "spam_min_seconds": _bounded(0, 600, " seconds"),
    "spam_duplicate": _parse_signal_action,
    "spam_akismet": _parse_signal_action,
    "akismet_key": _parse_key,
    "akismet_url": _parse_https_url,
    "language": _parse_language,
    "comments": _parse_comments,
    "login_url": _parse_login_url,
}


def settings_of(site: Site) -> SiteSettings:
    """Return the site's options, defaults filled in; unknown stored keys are ignored."""
    known = {f.name for f in dataclasses.fields(SiteSettings)}
    values = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in (site.settings or {}).items()
        if k in known
    }
    return SiteSettings(**values)  # type: ignore[arg-type]  # JSON: types checked on write


def _canonical_host(raw: str) -> str | None:
    host = raw.lower()
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            return None
    labels = host.split(".")
    if not all(labels):
        return None
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            address = ipaddress.IPv4Address(host)
        except ValueError:
            return None
        # "010.1.1.1" is 8.1.1.1 to a browser: only the plain dotted form is the same for all.
        return host if str(address) == host else None
    return host


def normalize_origin(url: str) -> str | None:
    """Return scheme://host[:port] of an http(s) URL, lower-cased and without default port.

    None for anything else, and for a URL a browser could read as being on another host.
    """
    url = url.strip()
    if "\\" in url or any(unicodedata.category(c) in _UNSAFE_CATEGORIES for c in url):
        return None
    match = _URL.fullmatch(url)
    if match is None:
        return None
    scheme, port = match["scheme"].lower(), match["port"]
    host = _canonical_host(match["host"])
    if host is None or (port and int(port) > 65535):
        return None
    origin = f"{scheme}://{host}"
    if port and int(port) != _DEFAULT_PORTS[scheme]:
        origin += f":{int(port)}"
    return origin


# One query: the site joined with its origins, which every CORS and origin check needs. Built
# once: every API request runs it.
_SITE_BY_KEY = select(Site).where(Site.key == bindparam("key")).options(joinedload(Site.origins))


def get_site(key: str | None) -> Site:
    """Return the site with this key (and its origins); unknown_site otherwise."""
    if not key or not SITE_KEY.fullmatch(key):
        raise UnknownSite()
    site = db.session.scalars(_SITE_BY_KEY, {"key": key}).unique().first()
    if site is None:
        raise UnknownSite()
    return site


def check_origin(site: Site, origin_header: str | None) -> None:
    """Refuse a request whose Origin header is present and not registered; forbidden_origin."""
    if origin_header is None:
        return
    if normalize_origin(origin_header) not in site.origin_set:
        raise ForbiddenOrigin()


def url_is_on_site(site: Site, url: str) -> bool:
    """Tell whether an absolute http(s) URL is on one of the site's origins."""
    return normalize_origin(url) in site.origin_set


def _validated_origins(origins: Iterable[str]) -> list[str]:
    normalized = []
    for url in origins:
        origin = normalize_origin(url)
        if origin is None:
            raise ValidationError(
                f"not an http(s) origin (an internationalised domain in its xn-- form): {url}",
                fields={"origin": url},
            )
        if origin not in normalized:
            normalized.append(origin)
    return normalized


def add_site(key: str, name: str, origins: Iterable[str]) -> Site:
    """Create a site with its origins; validation_error on a bad or taken key."""
    if not SITE_KEY.fullmatch(key):
        raise ValidationError(
            "a site key is 1-64 characters of a-z, 0-9, _ and -, starting with a letter or digit",
            fields={"key": key},
        )
    if db.session.scalar(select(Site.id).where(Site.key == key)) is not None:
        raise ValidationError(f"a site with key {key!r} exists already", fields={"key": key})
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("a site name is 1-200 characters", fields={"name": name})
    site = Site(key=key, name=name, settings={})
    site.origins = [SiteOrigin(origin=o) for o in _validated_origins(origins)]
    db.session.add(site)
    db.session.flush()
    registered_origins.forget()
    return site


def all_sites() -> list[Site]:
    """Every site, by key."""
    return list(db.session.scalars(select(Site).order_by(Site.key)))


def comment_total(site: Site) -> int:
    """How many comments the site holds, whatever their status."""
    return int(db.session.scalar(
        select(func.count()).select_from(Comment).join(Thread, Comment.thread_id == Thread.id)
        .where(Thread.site_id == site.id)) or 0)


def remove_site(site: Site, *, with_comments: bool = False) -> int:
    """Remove a site with its threads, comments, reactions, bans and audit log; return how
    many comments went. Refused (conflict) while it holds comments, unless with_comments:
    years of readers' words are not lost to a typo."""
    comments = comment_total(site)
    if comments and not with_comments:
        raise Conflict(f"The site {site.key} holds {comments} comment(s): "
                       "remove it with --with-comments to delete them too.")
    key = site.key
    db.session.delete(site)  # the database cascades to everything of the site
    db.session.flush()
    registered_origins.forget()
    # Its cached answers must not outlive it (every one carries the site's token).
    note_change(db.session, [site_key_token(key)])
    return comments


def add_origins(site: Site, origins: Iterable[str]) -> None:
    """Register more origins for a site."""
    for origin in _validated_origins(origins):
        if origin not in site.origin_set:
            site.origins.append(SiteOrigin(origin=origin))
    db.session.flush()
    registered_origins.forget()
    note_change(db.session, [site_key_token(site.key)])  # cached answers carry CORS origins


def set_options(site: Site, options: Mapping[str, str]) -> SiteSettings:
    """Validate and store site options given as strings; validation_error names the bad ones."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, raw in options.items():
        parse = OPTION_PARSERS.get(name)
        if parse is None:
            errors[name] = f"unknown option; known: {', '.join(sorted(OPTION_PARSERS))}"
            continue
        try:
            values[name] = parse(raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationError("invalid site options", fields=errors)
    # Assign a new dict: in-place changes to a JSON column are not tracked.
    site.settings = {**(site.settings or {}), **values}
    db.session.flush()
    # Settings change what threads show (closing by age…): their cached answers go.
    note_change(db.session, [site_key_token(site.key)])
    return settings_of(site)
