"""Replies per page are bounded; GET /api/v1/replies lists the rest (services/listing.py)."""

from __future__ import annotations

import collections

import pytest

from engage.extensions import db
from engage.models import CommentStatus, Site
from engage.services import listing
from tests.api.helpers import ARTICLE, assert_error, get_thread, post_comment
from tests.factories import SITE_KEY, make_comment, make_site, make_thread

PER_COMMENT = listing.REPLIES_PER_COMMENT


@pytest.fixture
def thread(app):
    thread = make_thread(make_site(), ARTICLE)
    db.session.commit()
    return thread


def get_replies(client, cursor, article=ARTICLE, **headers):
    query = {"site": SITE_KEY, "article": article, "cursor": cursor}
    return client.get("/api/v1/replies", query_string=query, headers=headers)


def flatten(node):
    """(anchor, id) pairs of a nested answer, in reading order."""
    pairs = []
    stack = [(node["id"], reply) for reply in reversed(node["replies"])]
    while stack:
        anchor, reply = stack.pop()
        pairs.append((anchor, reply["id"]))
        stack.extend((reply["id"], r) for r in reversed(reply["replies"]))
    return pairs


def follow(client, cursor):
    """Every batch after a page, as (anchor, id) pairs, and the number of requests."""
    pairs, requests = [], 0
    while cursor:
        body = get_replies(client, cursor).get_json()
        requests += 1
        pairs += [(c["anchor_id"], c["id"]) for c in body["comments"]]
        cursor = body["next_cursor"]
    return pairs, requests


def test_page_lists_at_most_the_bound_of_replies_under_a_comment(client, thread):
    top = make_comment(thread)
    replies = [make_comment(thread, parent=top, body=f"réponse n°{i}") for i in range(25)]
    db.session.commit()

    (listed,) = get_thread(client).get_json()["comments"]

    assert [r["id"] for r in listed["replies"]] == [r.id for r in replies[:PER_COMMENT]]
    assert listed["more_replies"]["count"] == 25 - PER_COMMENT
    assert listed["replies"][0]["more_replies"] is None


def test_more_replies_cursor_lists_each_remaining_reply_once_in_reading_order(client, thread):
    top = make_comment(thread)
    expected = []
    for i in range(40):
        reply = make_comment(thread, parent=top, body=f"réponse « {i} »")
        expected.append((top.id, reply.id))
        if i % 3 == 0:
            answer = make_comment(thread, parent=reply, body=f"et la réponse à {i}")
            expected.append((reply.id, answer.id))
    db.session.commit()

    (listed,) = get_thread(client).get_json()["comments"]
    rest, requests = follow(client, listed["more_replies"]["cursor"])

    shown = flatten(listed)
    assert len(shown) == PER_COMMENT
    assert shown + rest == expected
    assert listed["more_replies"]["count"] == len(rest)
    assert requests == -(-len(rest) // listing.REPLIES_PER_BATCH)


def test_a_page_of_heavy_threads_stays_bounded(client, thread):
    for n in range(3):
        top = make_comment(thread, body=f"sujet n°{n}")
        for i in range(30):
            make_comment(thread, parent=top, body=f"réponse n°{i}")
    db.session.commit()

    comments = get_thread(client).get_json()["comments"]

    assert [len(flatten(c)) for c in comments] == [PER_COMMENT] * 3
    assert [c["more_replies"]["count"] for c in comments] == [30 - PER_COMMENT] * 3


def test_tombstone_past_the_bound_comes_with_its_approved_reply(client, thread):
    top = make_comment(thread)
    for i in range(PER_COMMENT):
        make_comment(thread, parent=top, body=f"réponse n°{i}")
    gone = make_comment(thread, parent=top, status=CommentStatus.DELETED, body="effacé")
    kept = make_comment(thread, parent=gone, body="la réponse reste")
    make_comment(thread, parent=top, status=CommentStatus.PENDING, body="en attente")
    db.session.commit()

    (listed,) = get_thread(client).get_json()["comments"]
    body = get_replies(client, listed["more_replies"]["cursor"]).get_json()

    assert listed["more_replies"]["count"] == 2
    tombstone, reply = body["comments"]
    assert (tombstone["id"], tombstone["anchor_id"]) == (gone.id, top.id)
    assert tombstone["deleted"] is True
    assert tombstone["body_html"] == "" and tombstone["author"] == ""
    assert (reply["id"], reply["anchor_id"], reply["deleted"]) == (kept.id, gone.id, False)
    assert body["next_cursor"] is None


def test_replies_deeper_than_five_continue_under_the_depth_five_ancestor(client, thread):
    chain = [make_comment(thread)]
    for _ in range(30):
        chain.append(make_comment(thread, parent=chain[-1]))
    db.session.commit()

    (listed,) = get_thread(client).get_json()["comments"]
    rest, _ = follow(client, listed["more_replies"]["cursor"])

    anchors = [anchor for anchor, _ in flatten(listed) + rest]
    assert anchors == [c.id for c in chain[:5]] + [chain[5].id] * 25


def test_reading_order_is_linear_for_a_very_deep_chain():
    # Rows as the SHAPE query gives them; a 20,000-deep chain was quadratic before.
    row = collections.namedtuple("row", "id parent_id depth status root_id")
    shapes = [row(n, n - 1, n, CommentStatus.APPROVED, 0) for n in range(1, 20_001)]

    ordered, visible, _ = listing._reading_order([(0, True)], shapes)

    assert len(ordered[0]) == 20_000 and len(visible) == 20_001
    assert ordered[0][:6] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]
    assert {anchor for anchor, _ in ordered[0][5:]} == {5}


def test_replies_continue_after_the_last_listed_even_when_one_was_removed(client, thread):
    top = make_comment(thread)
    replies = [make_comment(thread, parent=top, body=f"n°{i}") for i in range(PER_COMMENT + 5)]
    db.session.commit()
    (listed,) = get_thread(client).get_json()["comments"]
    replies[0].status = CommentStatus.REJECTED  # a moderator removes one already read
    db.session.commit()

    rest, _ = follow(client, listed["more_replies"]["cursor"])

    assert [reply for _, reply in rest] == [r.id for r in replies[PER_COMMENT:]]


@pytest.mark.parametrize("status", [CommentStatus.REJECTED, CommentStatus.DELETED])
def test_replies_continue_when_the_last_listed_one_was_hidden(client, thread, status):
    top = make_comment(thread)
    replies = [make_comment(thread, parent=top, body=f"n°{i}") for i in range(PER_COMMENT + 5)]
    db.session.commit()
    (listed,) = get_thread(client).get_json()["comments"]
    replies[PER_COMMENT - 1].status = status  # the last one the reader has
    db.session.commit()

    rest, _ = follow(client, listed["more_replies"]["cursor"])

    assert [reply for _, reply in rest] == [r.id for r in replies[PER_COMMENT:]]


@pytest.mark.parametrize("cursor", ["", "nope", "W10", "WyJyZXBsaWVzIiwxXQ", "x" * 201])
def test_replies_with_bad_cursor_is_400(client, thread, cursor):
    error = assert_error(get_replies(client, cursor), 400, "validation_error")
    assert "cursor" in error["fields"]


def test_replies_with_a_page_cursor_is_400(client, thread):
    for i in range(3):
        make_comment(thread, body=f"n°{i}")
    db.session.commit()
    page_cursor = get_thread(client, limit=1).get_json()["next_cursor"]

    assert_error(get_replies(client, page_cursor), 400, "validation_error")


def test_replies_of_a_comment_of_another_article_are_empty(client, thread):
    other = make_thread(db.session.get(Site, thread.site_id), "2026/11/autre")
    top = make_comment(other)
    for i in range(PER_COMMENT + 1):
        make_comment(other, parent=top, body=f"n°{i}")
    db.session.commit()
    (listed,) = get_thread(client, article="2026/11/autre").get_json()["comments"]

    body = get_replies(client, listed["more_replies"]["cursor"]).get_json()

    assert body == {"comments": [], "next_cursor": None}


def test_replies_of_unknown_site_is_404(client, thread):
    response = client.get("/api/v1/replies", query_string={
        "site": "inconnu", "article": ARTICLE, "cursor": listing.replies_cursor(1, 1, 1)})
    assert_error(response, 404, "unknown_site")


def test_replies_answer_304_and_show_a_new_reply_next(client, thread):
    top = make_comment(thread)
    for i in range(PER_COMMENT + 1):
        make_comment(thread, parent=top, body=f"n°{i}")
    db.session.commit()
    cursor = get_thread(client).get_json()["comments"][0]["more_replies"]["cursor"]
    first = get_replies(client, cursor)

    revalidated = get_replies(client, cursor, **{"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304
    post_comment(client, parent_id=top.id, body="Une réponse de plus, « enfin » !")
    again = get_replies(client, cursor)

    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    assert len(again.get_json()["comments"]) == 2


def test_replies_read_in_fixed_number_of_queries(client, thread, count_queries):
    def queries_for(cursor):
        before = count_queries.count
        assert get_replies(client, cursor).status_code == 200
        return count_queries.count - before

    small_top, large_top = make_comment(thread), make_comment(thread)
    for i in range(PER_COMMENT + 1):
        make_comment(thread, parent=small_top, body=f"petite n°{i}")
    for i in range(PER_COMMENT + 120):
        make_comment(thread, parent=large_top, body=f"grande n°{i}")
    db.session.commit()
    small, large = (c["more_replies"]["cursor"] for c in get_thread(client).get_json()["comments"])

    # The site, the thread, the top-level comment, its replies' places, the batch's contents.
    assert queries_for(small) == queries_for(large) == 5
