"""Test data: keyword defaults, flushed, returned."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engage.extensions import db
from engage.models import Comment, CommentStatus, Site, SiteOrigin, Thread, utcnow
from engage.sanitize import render_markdown

SITE_KEY = "lejourpile"
ORIGIN = "https://lejourpile.fr"


def make_site(key: str = SITE_KEY, origins: tuple[str, ...] = (ORIGIN,), **settings: Any) -> Site:
    site = Site(key=key, name=key.title(), settings=settings)
    site.origins = [SiteOrigin(origin=o) for o in origins]
    db.session.add(site)
    db.session.flush()
    return site


def make_thread(
    site: Site | None = None, article: str = "2026/11/mali-russie", **kw: Any
) -> Thread:
    site = site or make_site()
    origin = next(iter(sorted(site.origin_set)), ORIGIN)
    kw.setdefault("url", f"{origin}/{article}")
    kw.setdefault("title", "Mali : la Russie renforce sa présence")
    thread = Thread(site_id=site.id, article=article, **kw)
    db.session.add(thread)
    db.session.flush()
    return thread


def make_comment(
    thread: Thread,
    body: str = "Très bon article, merci « vraiment » !",
    *,
    parent: Comment | None = None,
    author: str = "Awa",
    status: CommentStatus = CommentStatus.APPROVED,
    created_at: dt.datetime | None = None,
    **kw: Any,
) -> Comment:
    comment = Comment(
        thread_id=thread.id,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author=author,
        body_source=body,
        body_html=render_markdown(body),
        status=status,
        created_at=created_at or utcnow(),
        **kw,
    )
    db.session.add(comment)
    if status == CommentStatus.APPROVED:
        thread.comment_count += 1
    db.session.flush()
    return comment


def make_moderator(
    email: str = "modo@lejourpile.fr",
    *,
    role: str = "moderator",
    sites: tuple[Site, ...] = (),
    password: str = "un mot de passe solide",
    **kw: Any,
) -> Any:
    from werkzeug.security import generate_password_hash

    from engage.models import Moderator, ModeratorRole

    # A cheap hash: tests create many moderators; the real one (scrypt) is tested in test_cli.
    cheap = generate_password_hash(password, method="pbkdf2:sha256:1000")
    moderator = Moderator(email=email, role=ModeratorRole(role), password_hash=cheap, **kw)
    moderator.sites = list(sites)
    db.session.add(moderator)
    db.session.flush()
    return moderator


def make_token(moderator: Any) -> str:
    from engage.services.accounts import new_api_token

    return new_api_token(moderator)
