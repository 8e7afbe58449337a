"""Concurrent requests never produce duplicates or negative counts (one process, many threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import ArticleReaction, Comment, CommentLike, Share, Thread
from tests.api.helpers import ARTICLE, READER, post_comment
from tests.factories import ORIGIN, SITE_KEY, make_site

WORKERS = 8


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def run_together(app, calls: list[Callable]) -> list[int]:
    """Run each call in its own thread (own app context and connection), all at once."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def worker(call):
        try:
            client = app.test_client()
            barrier.wait()
            statuses.append(call(client).status_code)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.rollback()
    db.session.expire_all()
    return statuses


def ref(**extra):
    return {
        "site": SITE_KEY,
        "article": ARTICLE,
        "url": f"{ORIGIN}/{ARTICLE}",
        "title": "T",
        **extra,
    }


def reader(n: int) -> dict[str, str]:
    return {"X-Engage-Reader": f"concurrent-reader-{n:04d}"}


def put_reaction(reaction: str, headers: dict[str, str], client):
    return client.put("/api/v1/reaction", json=ref(reaction=reaction), headers=headers)


def the_thread() -> Thread:
    return db.session.scalar(select(Thread))


def test_concurrent_first_comments_make_one_thread(app, site):
    statuses = run_together(app, [lambda c: post_comment(c)] * WORKERS)

    assert statuses == [201] * WORKERS
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 1
    assert the_thread().comment_count == WORKERS


def test_concurrent_reactions_of_one_reader_leave_one_reaction(app, site):
    reactions = ["like", "love", "haha", "wow", "sad", "angry", "love", "like"]
    calls = [partial(put_reaction, r, {"X-Engage-Reader": READER}) for r in reactions]

    statuses = run_together(app, calls)

    assert statuses == [200] * len(calls)
    counts = the_thread().reactions
    assert sum(counts.values()) == 1 and min(counts.values()) == 0
    (stored,) = db.session.scalars(select(ArticleReaction)).all()
    assert counts[stored.reaction.value] == 1


def test_concurrent_reactions_of_many_readers_all_count(app, site):
    calls = [partial(put_reaction, "love", reader(n)) for n in range(WORKERS)]

    run_together(app, calls)

    assert the_thread().reactions_love == WORKERS


def test_concurrent_react_and_unreact_never_goes_negative(app, site):
    def put(c):
        return c.put(
            "/api/v1/reaction", json=ref(reaction="wow"), headers={"X-Engage-Reader": READER}
        )

    def remove(c):
        return c.delete(
            "/api/v1/reaction",
            query_string={"site": SITE_KEY, "article": ARTICLE},
            headers={"X-Engage-Reader": READER},
        )

    put(app.test_client())
    run_together(app, [put, remove] * (WORKERS // 2))

    stored = db.session.scalar(select(func.count()).select_from(ArticleReaction))
    assert the_thread().reactions_wow == stored and stored in (0, 1)


def test_concurrent_likes_of_one_reader_count_once(app, site):
    comment_id = post_comment(app.test_client()).get_json()["comment"]["id"]
    url = f"/api/v1/comments/{comment_id}/like"

    run_together(app, [lambda c: c.post(url, headers={"X-Engage-Reader": READER})] * WORKERS)

    assert db.session.get(Comment, comment_id).like_count == 1


def test_concurrent_like_and_unlike_keep_count_equal_to_rows(app, site):
    comment_id = post_comment(app.test_client()).get_json()["comment"]["id"]
    url = f"/api/v1/comments/{comment_id}/like"
    headers = {"X-Engage-Reader": READER}

    run_together(
        app,
        [lambda c: c.post(url, headers=headers), lambda c: c.delete(url, headers=headers)]
        * (WORKERS // 2),
    )

    rows = db.session.scalar(select(func.count()).select_from(CommentLike))
    assert db.session.get(Comment, comment_id).like_count == rows and rows in (0, 1)


def test_concurrent_likes_of_many_readers_all_count(app, site):
    comment_id = post_comment(app.test_client()).get_json()["comment"]["id"]
    url = f"/api/v1/comments/{comment_id}/like"
    calls = [
        partial(lambda headers, c: c.post(url, headers=headers), reader(n)) for n in range(WORKERS)
    ]

    run_together(app, calls)

    assert db.session.get(Comment, comment_id).like_count == WORKERS


def test_concurrent_shares_of_one_reader_count_once(app, site):
    calls = [
        lambda c: c.post(
            "/api/v1/shares", json=ref(network="whatsapp"), headers={"X-Engage-Reader": READER}
        )
    ] * WORKERS

    run_together(app, calls)

    assert the_thread().shares_whatsapp == 1
    assert db.session.scalar(select(func.count()).select_from(Share)) == 1
