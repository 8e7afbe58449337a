"""GET /api/v1/thread and GET /api/v1/counts."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.models import CommentStatus
from tests.api.helpers import ARTICLE, assert_error, get_thread, post_comment
from tests.factories import make_comment, make_site, make_thread


@pytest.fixture
def thread(app):
    thread = make_thread(make_site(), ARTICLE)
    db.session.commit()
    return thread


def ids(comments):
    return [c["id"] for c in comments]


def test_get_thread_of_unknown_article_is_empty_with_zero_counts(client, thread):
    response = get_thread(client, article="jamais/commente")

    assert response.status_code == 200
    body = response.get_json()
    assert body["comments"] == [] and body["next_cursor"] is None
    assert body["thread"]["comment_count"] == 0
    assert body["thread"]["reactions"] == {
        k: 0 for k in ("like", "love", "haha", "wow", "sad", "angry")
    }
    assert body["thread"]["share_total"] == 0
    assert body["thread"]["open"] is True


def test_get_thread_never_writes(client, thread, count_queries):
    get_thread(client, article="jamais/commente")

    assert all(s.lstrip().upper().startswith("SELECT") for s in count_queries.statements)


def test_get_thread_of_unknown_site_is_404(client, thread):
    response = client.get("/api/v1/thread", query_string={"site": "inconnu", "article": "a"})

    assert_error(response, 404, "unknown_site")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"article": ""}, "article"),
        ({"sort": "best"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "dix"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
        ({"cursor": "WzEsMiwzXQ"}, "cursor"),
    ],
)
def test_get_thread_with_bad_parameter_is_400(client, thread, params, field):
    error = assert_error(get_thread(client, **params), 400, "validation_error")

    assert field in error["fields"]


def test_get_thread_lists_only_approved_comments(client, thread):
    shown = make_comment(thread)
    for status in (
        CommentStatus.PENDING,
        CommentStatus.REJECTED,
        CommentStatus.SPAM,
        CommentStatus.DELETED,
    ):
        make_comment(thread, status=status, body=f"caché {status}")
    db.session.commit()

    body = get_thread(client).get_json()

    assert ids(body["comments"]) == [shown.id]
    assert body["thread"]["comment_count"] == 1
    assert "caché" not in str(body)


def test_get_thread_hides_private_fields(client, thread):
    make_comment(thread, email="secret@example.org", reader_hash="f" * 64, ip_hash="e" * 64)
    db.session.commit()

    text = get_thread(client).get_data(as_text=True)

    assert "secret@example.org" not in text and "f" * 64 not in text and "e" * 64 not in text


def test_get_thread_nests_replies(client, thread):
    top = make_comment(thread)
    reply = make_comment(thread, parent=top)
    reply_to_reply = make_comment(thread, parent=reply)
    db.session.commit()

    (listed,) = get_thread(client).get_json()["comments"]

    assert listed["id"] == top.id and listed["reply_count"] == 1
    assert listed["replies"][0]["id"] == reply.id
    assert listed["replies"][0]["replies"][0]["id"] == reply_to_reply.id


def test_get_thread_attaches_replies_deeper_than_five_to_depth_five_ancestor(client, thread):
    chain = [make_comment(thread)]
    for _ in range(7):
        chain.append(make_comment(thread, parent=chain[-1]))
    db.session.commit()

    node = get_thread(client).get_json()["comments"][0]
    for _ in range(5):
        node = node["replies"][0]

    assert node["id"] == chain[5].id
    assert ids(node["replies"]) == [chain[6].id, chain[7].id]
    assert node["replies"][1]["parent_id"] == chain[6].id
    assert node["replies"][0]["replies"] == []


def test_get_thread_keeps_deleted_comment_with_replies_as_tombstone(client, thread):
    gone = make_comment(thread, status=CommentStatus.DELETED, author="Secret", body="mots")
    reply = make_comment(thread, parent=gone)
    lone = make_comment(thread, status=CommentStatus.DELETED)
    db.session.commit()

    comments = get_thread(client).get_json()["comments"]

    assert ids(comments) == [gone.id]
    assert comments[0]["deleted"] is True
    assert comments[0]["author"] == "" and comments[0]["body_html"] == ""
    assert ids(comments[0]["replies"]) == [reply.id]
    assert lone.id not in ids(comments)


def test_get_thread_drops_tombstone_whose_replies_are_all_hidden(client, thread):
    gone = make_comment(thread, status=CommentStatus.DELETED)
    make_comment(thread, parent=gone, status=CommentStatus.PENDING)
    db.session.commit()

    assert get_thread(client).get_json()["comments"] == []


def test_get_thread_puts_featured_first_whatever_the_sort(client, thread):
    plain = [make_comment(thread, body=f"n°{i}") for i in range(3)]
    star = make_comment(thread, featured=True)
    db.session.commit()

    for sort in ("oldest", "newest", "top"):
        assert get_thread(client, sort=sort).get_json()["comments"][0]["id"] == star.id
    assert ids(get_thread(client, sort="oldest").get_json()["comments"])[1:] == [
        c.id for c in plain
    ]
    assert ids(get_thread(client, sort="newest").get_json()["comments"])[1:] == [
        c.id for c in reversed(plain)
    ]


def test_get_thread_top_orders_by_likes(client, thread):
    low = make_comment(thread, like_count=1)
    high = make_comment(thread, like_count=9)
    mid = make_comment(thread, like_count=4)
    db.session.commit()

    assert ids(get_thread(client, sort="top").get_json()["comments"]) == [high.id, mid.id, low.id]


@pytest.mark.parametrize("sort", ["oldest", "newest", "top"])
def test_get_thread_cursor_walks_every_comment_once(client, thread, sort):
    made = [make_comment(thread, like_count=i % 3, featured=i in (4, 9)) for i in range(12)]
    db.session.commit()

    seen, cursor, pages = [], None, 0
    while True:
        params = {"sort": sort, "limit": 5, **({"cursor": cursor} if cursor else {})}
        body = get_thread(client, **params).get_json()
        seen += ids(body["comments"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert sorted(seen) == sorted(c.id for c in made) and len(seen) == len(set(seen))
    assert set(seen[:2]) == {made[4].id, made[9].id}


def test_get_thread_cursor_of_another_sort_is_400(client, thread):
    for i in range(3):
        make_comment(thread, body=str(i))
    db.session.commit()
    cursor = get_thread(client, limit=1).get_json()["next_cursor"]

    assert_error(get_thread(client, sort="top", cursor=cursor), 400, "validation_error")


def test_get_thread_reads_in_fixed_number_of_queries(client, thread, count_queries):
    def queries_for_page() -> int:
        before = count_queries.count
        assert get_thread(client).status_code == 200
        return count_queries.count - before

    make_comment(thread, parent=make_comment(thread))
    db.session.commit()
    small = queries_for_page()
    for i in range(60):
        top = make_comment(thread, body=f"Commentaire n°{i}")
        make_comment(thread, parent=make_comment(thread, parent=top))
    db.session.commit()
    large = queries_for_page()

    # The site, the thread, one page of top-level comments, their replies' places in the
    # tree, the contents of the replies shown (services/listing.py).
    assert small == large == 5


def test_get_thread_does_not_render_markdown_on_read(client, thread, monkeypatch):
    make_comment(thread)
    db.session.commit()

    def boom(*args):
        raise AssertionError("rendered on read")

    monkeypatch.setattr("engage.sanitize.render_markdown", boom)
    monkeypatch.setattr("engage.services.comments.render_markdown", boom)

    assert get_thread(client).status_code == 200


def test_get_thread_answers_304_to_matching_etag(client, thread):
    make_comment(thread)
    db.session.commit()
    first = get_thread(client)
    etag = first.headers["ETag"]

    again = client.get(
        "/api/v1/thread",
        query_string={"site": "lejourpile", "article": ARTICLE},
        headers={"If-None-Match": etag},
    )

    assert again.status_code == 304
    assert again.get_data() == b""


def test_get_thread_etag_changes_when_a_comment_is_posted(client, thread):
    etag = get_thread(client).headers["ETag"]

    post_comment(client)

    assert get_thread(client).headers["ETag"] != etag


def test_get_thread_etag_differs_per_sort_and_page(client, thread):
    etags = {get_thread(client, sort=s).headers["ETag"] for s in ("oldest", "newest", "top")}

    assert len(etags) == 3


def test_get_thread_allows_registered_origin(client, thread):
    ok = client.get(
        "/api/v1/thread",
        query_string={"site": "lejourpile", "article": ARTICLE},
        headers={"Origin": "https://lejourpile.fr"},
    )

    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == "https://lejourpile.fr"
    assert "Origin" in ok.headers["Vary"]


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://lejourpile.fr", "https://www.lejourpile.fr"]
)
def test_get_thread_from_unregistered_origin_reads_its_refusal(client, thread, origin):
    get_thread(client)  # the answer is cached now: the refusal must not come from the cache
    for path in ("/api/v1/thread", "/api/v1/counts"):
        response = client.get(
            path,
            query_string={"site": "lejourpile", "article": ARTICLE},
            headers={"Origin": origin},
        )

        assert_error(response, 403, "forbidden_origin")
        # Readable by the page, so that the widget can say what to fix; it holds no comment.
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "comments" not in response.get_json()


def test_preflight_from_registered_origin_is_answered(client, thread):
    response = client.options(
        "/api/v1/comments",
        headers={
            "Origin": "https://lejourpile.fr",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-engage-reader",
        },
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://lejourpile.fr"
    assert "X-Engage-Reader" in response.headers["Access-Control-Allow-Headers"]
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_preflight_from_foreign_origin_lets_it_read_the_refusal(client, thread):
    preflight = client.options(
        "/api/v1/comments",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert preflight.headers["Access-Control-Allow-Origin"] == "https://evil.example"


# --- counts -------------------------------------------------------------------------------


def test_get_counts_answers_each_article_with_zeros_for_unknown(client, thread, count_queries):
    make_comment(thread)
    make_comment(thread)
    db.session.commit()

    response = client.get(
        "/api/v1/counts",
        query_string=[("site", "lejourpile"), ("article", ARTICLE), ("article", "inconnu")],
    )

    assert response.status_code == 200
    assert response.get_json() == {
        "counts": {
            ARTICLE: {"comments": 2, "reactions": 0, "shares": 0},
            "inconnu": {"comments": 0, "reactions": 0, "shares": 0},
        }
    }


def test_get_counts_for_100_articles_uses_fixed_queries(client, thread, count_queries):
    articles = [("article", f"a/{i}") for i in range(100)]
    before = count_queries.count

    response = client.get("/api/v1/counts", query_string=[("site", "lejourpile"), *articles])

    assert response.status_code == 200 and len(response.get_json()["counts"]) == 100
    assert count_queries.count - before <= 3


@pytest.mark.parametrize("count", [0, 101])
def test_get_counts_with_too_few_or_many_articles_is_400(client, thread, count):
    articles = [("article", f"a/{i}") for i in range(count)]

    response = client.get("/api/v1/counts", query_string=[("site", "lejourpile"), *articles])

    assert_error(response, 400, "validation_error")


def test_get_counts_of_unknown_site_is_404(client, thread):
    response = client.get("/api/v1/counts", query_string={"site": "x", "article": "a"})

    assert_error(response, 404, "unknown_site")
