"""`engage demo`: a database, a site and a French sample article, ready to try."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from .extensions import MIGRATIONS_DIRECTORY, db
from .models import Comment, Site
from .services import comments, sites
from .services.comments import NewComment
from .services.threads import ArticleRef, find_thread

DEMO_ARTICLE = "2026/11/budget-municipal"
DEMO_TITLE = "Budget municipal : la ville mise sur les pistes cyclables"

SAMPLE_COMMENTS = [
    ("Awa", "Enfin ! Les pistes de la rue Voltaire sont **dangereuses** depuis des années."),
    ("Jean-Baptiste", "Et qui paiera l’entretien ? Le budget « mobilités » a déjà doublé…"),
    ("Élodie", "Le compte rendu du conseil est en ligne : https://example.org/conseil"),
]


def prepare_demo(app: Flask, port: int) -> Iterator[str]:
    """Migrate the demo database, make the demo site and seed its article; yield what was done."""
    upgrade(directory=MIGRATIONS_DIRECTORY)
    yield f"Database: {app.config['SQLALCHEMY_DATABASE_URI']}"
    key = app.config["ENGAGE_DEMO_SITE"]
    origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    site = db.session.scalar(select(Site).where(Site.key == key))
    if site is None:
        site = sites.add_site(key, "Le Journal de démo", origins)
        yield f"Created site {key!r} for {', '.join(origins)}"
    else:
        sites.add_origins(site, origins)
        yield f"Site {key!r} allows {', '.join(sorted(site.origin_set))}"
    if find_thread(site, DEMO_ARTICLE) is None:
        article = ArticleRef(key, DEMO_ARTICLE, f"{origins[0]}/", DEMO_TITLE)
        parent: Comment | None = None
        for author, body in SAMPLE_COMMENTS:
            new = NewComment(article, parent.id if parent else None, author, None, body)
            comment = comments.post_comment(site, new, reader_hash=None, ip_hash=None)
            parent = parent or comment
        yield f"Seeded {len(SAMPLE_COMMENTS)} comments on {DEMO_ARTICLE!r}"
    db.session.commit()
