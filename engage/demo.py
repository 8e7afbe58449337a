"""`engage demo`: a database, a site and a French sample article, ready to try."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from .errors import NotFound
from .extensions import MIGRATIONS_DIRECTORY, db
from .models import Comment, ModeratorRole, Site
from .services import accounts, comments, sites
from .services.comments import NewComment
from .services.threads import ArticleRef, find_thread

DEMO_ARTICLES: list[dict[str, Any]] = [
    {
        "id": "2026/11/budget-municipal",
        "title": "Budget municipal : la ville mise sur les pistes cyclables",
        "rubric": "Politique locale",
        "date": "28 novembre 2026",
        "author": "Claire Dumas",
        "lead": "Le conseil municipal a adopté jeudi soir un budget 2027 qui consacre 14 millions "
        "d’euros aux « mobilités douces », soit le double de l’an dernier. L’opposition dénonce "
        "un choix « idéologique ».",
        "paragraphs": [
            "La séance a duré près de cinq heures. À l’issue des débats, le budget a été voté par "
            "31 voix contre 14. Le maire, Hervé Lambert, a défendu « un budget de transition, "
            "qui ne laisse personne au bord de la route ».",
            "Principal poste de dépense : 22 kilomètres de pistes cyclables protégées, dont la "
            "rue Voltaire et le boulevard de l’Europe, où deux cyclistes ont été blessés cette "
            "année. Les travaux doivent commencer au printemps.",
            "L’opposition, elle, s’inquiète de l’entretien des voiries existantes. « On repeint "
            "des bandes vertes pendant que les nids-de-poule s’agrandissent », a lancé "
            "Sophie Marchal, conseillère d’opposition.",
            "Les associations de commerçants du centre-ville demandent, de leur côté, des places "
            "de livraison supplémentaires. Une réunion publique est prévue le 9 décembre à "
            "l’hôtel de ville.",
        ],
    },
    {
        "id": "2026/11/marche-de-noel",
        "title": "Le marché de Noël ouvre ses portes avec 80 exposants",
        "rubric": "Vie locale",
        "date": "27 novembre 2026",
        "author": "Yanis Benali",
        "lead": "Chalets en bois, vin chaud et artisans de la région : le marché s’installe "
        "place de la République jusqu’au 28 décembre.",
        "paragraphs": [
            "Cette année, un tiers des exposants sont nouveaux, et les produits locaux sont mis "
            "à l’honneur. La grande roue revient, à 4 € le tour.",
        ],
    },
    {
        "id": "2026/11/crue-de-la-loire",
        "title": "Crue : la vigilance orange levée sur la Loire",
        "rubric": "Environnement",
        "date": "26 novembre 2026",
        "author": "Awa Diallo",
        "lead": "Le niveau du fleuve a baissé de 60 centimètres en 24 heures ; les quais "
        "rouvrent ce week-end.",
        "paragraphs": [
            "Les services de la préfecture restent prudents : de nouvelles pluies sont annoncées "
            "pour la semaine prochaine.",
        ],
    },
]
HELD_COMMENT = ("Promo vélo ! https://example.com/a https://example.com/b https://example.com/c")
DEMO_ADMIN = "admin@demo.local"
DEMO_ARTICLE = DEMO_ARTICLES[0]["id"]
DEMO_TITLE = DEMO_ARTICLES[0]["title"]

SAMPLE_COMMENTS = [
    ("Awa", "Enfin ! Les pistes de la rue Voltaire sont **dangereuses** depuis des années."),
    ("Jean-Baptiste", "Et qui paiera l’entretien ? Le budget « mobilités » a déjà doublé…"),
    ("Élodie", "Le compte rendu du conseil est en ligne : https://example.org/conseil"),
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
        article = ArticleRef(key, DEMO_ARTICLE, f"{origins[0]}/articles/{DEMO_ARTICLE}", DEMO_TITLE)
        parent: Comment | None = None
        for author, body in SAMPLE_COMMENTS:
            new = NewComment(article, parent.id if parent else None, author, None, body)
            comment = comments.post_comment(site, new, reader_hash=None, ip_hash=None)
            parent = parent or comment
        # Three links: the site's rules hold it, so the moderation queue has something to show.
        held = NewComment(article, None, "Marc", "marc@example.org", HELD_COMMENT)
        comments.post_comment(site, held, reader_hash=None, ip_hash=None)
        yield f"Seeded {len(SAMPLE_COMMENTS) + 1} comments on {DEMO_ARTICLE!r}, one held"
    yield from _demo_admin(port)
    db.session.commit()


def _demo_admin(port: int) -> Iterator[str]:
    # A new password on every run: it is printed, never stored in clear, and only this run's
    # person knows it (the demo may listen on more than 127.0.0.1).
    password = secrets.token_urlsafe(12)
    try:
        accounts.set_password(accounts.find_moderator(DEMO_ADMIN), password)
    except NotFound:
        accounts.add_moderator(DEMO_ADMIN, password, ModeratorRole.ADMIN)
    yield (f"Moderation: http://127.0.0.1:{port}/moderate/ "
           f"(sign in as {DEMO_ADMIN}, password {password})")
