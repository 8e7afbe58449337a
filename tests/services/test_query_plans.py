"""The read path and the duplicate check use their indexes, on a seeded database (EXPLAIN).

Each test runs the service call itself, records the statements it sends, and asks the
database how it runs each one: a page of a big thread must walk its sort's partial index and
stop after the page (no sort of every top-level comment), in every sort and on later pages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random

import pytest
from sqlalchemy import event, insert, select, text

from engage.extensions import db
from engage.models import Comment, CommentStatus, Site, Thread, utcnow
from engage.services import listing, spam
from tests.factories import ORIGIN, make_site, make_thread

BIG_ROOTS = 4_000


@contextlib.contextmanager
def recorded():
    """Collect (statement, parameters) of what runs on the session's connection."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan_of(statement, parameters):
    """The database's plan, as one line per step: node types and the indexes they use."""
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        row = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        steps = []

        def walk(node):
            steps.append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
            for child in node.get("Plans", []):
                walk(child)

        plan = row.scalar()  # psycopg gives the JSON parsed already
        walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
        return steps
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    return [r[-1] for r in rows]


@pytest.fixture
def big_thread(app):
    site = make_site()
    others = [make_thread(site, f"2026/12/autre-{n}") for n in range(3)]
    # Enough threads that reading them by article beats a scan.
    db.session.execute(insert(Thread), [
        {"site_id": site.id, "article": f"2026/12/petit-{n}", "url": f"{ORIGIN}/petit-{n}",
         "title": "Petit article"} for n in range(300)])
    thread = make_thread(site, "2026/12/le-grand-debat")
    db.session.commit()
    rng = random.Random(7)
    now = utcnow()
    rows = []
    for owner, count in [(thread, BIG_ROOTS), *((t, 1_000) for t in others)]:
        for n in range(count):
            rows.append({
                "thread_id": owner.id, "depth": 0, "author": f"Lecteur {n}",
                "body_source": "« Bien dit »", "body_html": "<p>« Bien dit »</p>",
                "status": CommentStatus.APPROVED if rng.random() > 0.05 else CommentStatus.PENDING,
                "featured": n % 500 == 0, "like_count": rng.randrange(40),
                "created_at": now - dt.timedelta(seconds=count - n),
                "reader_hash": f"{rng.randrange(2_000):064x}",
                "ip_hash": f"{rng.randrange(900):064x}",
            })
    db.session.execute(insert(Comment), rows)
    db.session.commit()
    # A reply under one top-level comment in five, as in real threads.
    roots = db.session.execute(select(Comment.id, Comment.thread_id).where(
        Comment.parent_id.is_(None))).all()
    db.session.execute(insert(Comment), [{
        "thread_id": thread_id, "parent_id": root_id, "root_id": root_id, "depth": 1,
        "author": "Réponse", "body_source": "Non", "body_html": "<p>Non</p>",
        "status": CommentStatus.APPROVED, "created_at": now,
    } for root_id, thread_id in roots if rng.random() < 0.2])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return thread


def walks_index_without_sorting(steps, index):
    used = " | ".join(steps)
    if db.engine.dialect.name == "postgresql":
        return index in used and "Sort" not in used and "Seq Scan" not in used
    # SQLite may walk another sort's index backwards where that gives the same order.
    return "INDEX ix_comment_roots_" in used and "TEMP B-TREE" not in used and "SCAN" not in used


def test_pages_of_big_thread_walk_the_sort_index_and_stop(big_thread):
    # One seeded database for every case: seeding is the slow part.
    site = db.session.get(Site, big_thread.site_id)
    for sort in listing.SORTS:
        cursor = None
        for number in range(1, 7):
            with recorded() as statements:
                page = listing.read_page(site, big_thread.article, big_thread, sort, cursor, 50)
            if number in (1, 6):  # the first page, and one reached through cursors
                assert len(page.roots) == 50
                steps = plan_of(*statements[0])
                assert walks_index_without_sorting(steps, f"ix_comment_roots_{sort}"), (
                    sort, number, steps)
            cursor = page.next_cursor


def test_duplicate_check_uses_the_sender_and_time_indexes(big_thread):
    site = db.session.get(Site, big_thread.site_id)
    sender = db.session.scalars(select(Comment).where(Comment.thread_id == big_thread.id)).first()

    with recorded() as statements:
        spam._is_duplicate(site, "« Bien dit »", sender.reader_hash, sender.ip_hash)

    steps = " | ".join(plan_of(*statements[0]))
    assert "ix_comment_reader_hash_created_at" in steps, steps
    assert "ix_comment_ip_hash_created_at" in steps, steps


def test_replies_of_a_deleted_comment_are_found_by_parent(big_thread):
    # What a cascade runs for each deleted comment (thread or site removal, erasure).
    reply = db.session.scalars(select(Comment).where(Comment.parent_id.is_not(None))).first()
    statement = select(Comment.id).where(Comment.parent_id == reply.parent_id)

    with recorded() as statements:
        db.session.execute(statement).all()

    assert "ix_comment_parent_id" in " | ".join(plan_of(*statements[0]))
