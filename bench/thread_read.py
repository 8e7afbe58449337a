"""Print how fast a 200-comment thread is read, and how many SQL statements it costs.

Run: python3 bench/thread_read.py [--comments 200] [--requests 300] [--database-url URL]
In-process (Flask's test client, no network), on a fresh SQLite file unless a URL is given.
The closest self-hosted peer serves such a thread at under 10 requests per second with 66
queries per view, re-rendering every comment each time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import event

from engage import create_app
from engage.extensions import db
from engage.models import Comment, CommentStatus, Site, SiteOrigin, Thread, utcnow
from engage.sanitize import render_markdown


def seed(comments: int) -> None:
    site = Site(key="bench", name="Bench", settings={})
    site.origins = [SiteOrigin(origin="https://bench.example")]
    thread = Thread(site=site, article="a", url="https://bench.example/a", title="Bench")
    db.session.add_all([site, thread])
    db.session.flush()
    html = render_markdown(
        "Un commentaire **assez** long, « avec » des accents et un lien "
        "https://example.org/article — pour que le rendu pèse son poids."
    )
    roots: list[Comment] = []
    for n in range(comments):
        parent = roots[n % len(roots)] if roots and n % 3 else None
        comment = Comment(
            thread_id=thread.id,
            parent_id=parent.id if parent else None,
            root_id=(parent.root_id or parent.id) if parent else None,
            depth=parent.depth + 1 if parent else 0,
            author=f"Lecteur {n}",
            body_source="…",
            body_html=html,
            status=CommentStatus.APPROVED,
            like_count=n % 7,
            created_at=utcnow(),
        )
        db.session.add(comment)
        db.session.flush()
        if parent is None:
            roots.append(comment)
    thread.comment_count = comments
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{os.path.join(folder, 'bench.db')}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        seed(args.comments)
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client = app.test_client()
        query = {"site": "bench", "article": "a", "limit": 100}
        first = client.get("/api/v1/thread", query_string=query)
        etag = first.headers["ETag"]
        listed = len(first.get_json()["comments"])
        per_view = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

        def rate(headers: dict[str, str]) -> float:
            start = time.perf_counter()
            for _ in range(args.requests):
                client.get("/api/v1/thread", query_string=query, headers=headers)
            return args.requests / (time.perf_counter() - start)

        full = rate({})
        revalidated = rate({"If-None-Match": etag})
    print(
        f"thread of {args.comments} comments ({listed} top-level listed with their replies),"
        f" {len(first.data):,} bytes of JSON"
    )
    print(f"SQL statements per view: {per_view}")
    print(f"full answer (200): {full:,.0f} requests/s")
    print(f"revalidated (304): {revalidated:,.0f} requests/s")
    print(f"database: {url.split(':')[0]}; one process, one thread, no network")


if __name__ == "__main__":
    main()
