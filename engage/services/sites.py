"""Sites, their origins and per-site options."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..errors import ForbiddenOrigin, UnknownSite, ValidationError
from ..extensions import db
from ..models import Site, SiteOrigin

SITE_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclasses.dataclass(frozen=True)
class SiteSettings:
    """A site's options with their defaults; stored as JSON in Site.settings."""

    moderation: str = "post"  # "post": publish at once; "pre": hold every comment for a moderator
    edit_window: int = 15  # minutes during which an author may edit or delete with the edit token
    report_hide_threshold: int = 0  # reports that hide a comment until a moderator looks; 0: off


def _parse_moderation(raw: str) -> str:
    if raw not in {"post", "pre"}:
        raise ValueError("must be post or pre")
    return raw


def _parse_minutes(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 7 * 24 * 60:
        raise ValueError("must be between 0 and 10080 minutes")
    return value


def _parse_threshold(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 1000:
        raise ValueError("must be between 0 (off) and 1000")
    return value


OPTION_PARSERS: dict[str, Callable[[str], Any]] = {
    "moderation": _parse_moderation,
    "edit_window": _parse_minutes,
    "report_hide_threshold": _parse_threshold,
}


def settings_of(site: Site) -> SiteSettings:
    """Return the site's options, defaults filled in; unknown stored keys are ignored."""
    known = {f.name for f in dataclasses.fields(SiteSettings)}
    return SiteSettings(**{k: v for k, v in (site.settings or {}).items() if k in known})


def normalize_origin(url: str) -> str | None:
    """Return scheme://host[:port] of an http(s) URL, lower-cased and without default port."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    origin = f"{parts.scheme}://{parts.hostname.lower()}"
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        origin += f":{port}"
    return origin


def get_site(key: str | None) -> Site:
    """Return the site with this key (and its origins); unknown_site otherwise."""
    if not key or not SITE_KEY.fullmatch(key):
        raise UnknownSite()
    # One query: the site joined with its origins, which every CORS and origin check needs.
    query = select(Site).where(Site.key == key).options(joinedload(Site.origins))
    site = db.session.scalars(query).unique().first()
    if site is None:
        raise UnknownSite()
    return site


def origin_is_registered(origin: str) -> bool:
    """Tell whether any site registered this origin (used to answer CORS preflights)."""
    found = db.session.scalar(select(SiteOrigin.id).where(SiteOrigin.origin == origin).limit(1))
    return found is not None


def check_write_origin(site: Site, origin_header: str | None) -> None:
    """Refuse a write whose Origin header is present and not registered; forbidden_origin."""
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
            raise ValidationError(f"not an http(s) origin: {url}", fields={"origin": url})
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
    return site


def add_origins(site: Site, origins: Iterable[str]) -> None:
    """Register more origins for a site."""
    for origin in _validated_origins(origins):
        if origin not in site.origin_set:
            site.origins.append(SiteOrigin(origin=origin))
    db.session.flush()


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
    return settings_of(site)
