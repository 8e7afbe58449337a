"""Reactions, shares, likes, reports and their counts (CONTRACT §2)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import ArticleReaction, CommentLike, CommentStatus, Flag, Share
from tests.api.helpers import ARTICLE, READER, assert_error, get_thread, post_comment
from tests.factories import ORIGIN, SITE_KEY, make_comment, make_site, make_thread

OTHER_READER = "another-reader-token-42"
ZERO_REACTIONS = {"like": 0, "love": 0, "haha": 0, "wow": 0, "sad": 0, "angry": 0}


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def article_ref(**overrides):
    ref = {
        "site": SITE_KEY,
        "article": ARTICLE,
        "url": f"{ORIGIN}/{ARTICLE}",
        "title": "Mali : la Russie renforce sa présence",
    }
    ref.update(overrides)
    return ref


def react(client, reaction, reader=READER, **overrides):
    return client.put(
        "/api/v1/reaction",
        json={**article_ref(**overrides), "reaction": reaction},
        headers={"X-Engage-Reader": reader} if reader else {},
    )


def share(client, network, reader=READER, **overrides):
    return client.post(
        "/api/v1/shares",
        json={**article_ref(**overrides), "network": network},
        headers={"X-Engage-Reader": reader} if reader else {},
    )


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# --- reactions ----------------------------------------------------------------------------


def test_put_reaction_creates_thread_and_counts_it(client, site):
    response = react(client, "love")

    assert response.status_code == 200
    assert response.get_json() == {"reactions": {**ZERO_REACTIONS, "love": 1}, "reaction": "love"}
    assert get_thread(client).get_json()["thread"]["reactions"]["love"] == 1


def test_put_reaction_again_replaces_the_readers_reaction(client, site):
    react(client, "love")

    response = react(client, "angry")

    assert response.get_json()["reactions"] == {**ZERO_REACTIONS, "angry": 1}
    assert count(ArticleReaction) == 1


def test_put_same_reaction_twice_counts_once(client, site):
    react(client, "wow")

    response = react(client, "wow")

    assert response.get_json()["reactions"]["wow"] == 1


def test_reactions_of_two_readers_add_up(client, site):
    react(client, "like")

    response = react(client, "like", reader=OTHER_READER)

    assert response.get_json()["reactions"]["like"] == 2


def test_delete_reaction_removes_it(client, site):
    react(client, "sad")

    response = client.delete(
        "/api/v1/reaction",
        query_string={"site": SITE_KEY, "article": ARTICLE},
        headers={"X-Engage-Reader": READER},
    )

    assert response.status_code == 200
    assert response.get_json() == {"reactions": ZERO_REACTIONS, "reaction": None}
    assert count(ArticleReaction) == 0


def test_delete_reaction_never_made_changes_nothing(client, site):
    react(client, "haha", reader=OTHER_READER)

    response = client.delete(
        "/api/v1/reaction",
        query_string={"site": SITE_KEY, "article": ARTICLE},
        headers={"X-Engage-Reader": READER},
    )

    assert response.get_json()["reactions"]["haha"] == 1


def test_delete_reaction_on_unknown_article_answers_zeros(client, site):
    response = client.delete(
        "/api/v1/reaction",
        query_string={"site": SITE_KEY, "article": "x"},
        headers={"X-Engage-Reader": READER},
    )

    assert response.status_code == 200
    assert response.get_json()["reactions"] == ZERO_REACTIONS


@pytest.mark.parametrize("reaction", ["LOVE", "dislike", "", None, 3, ["like"]])
def test_put_reaction_with_unknown_reaction_is_400(client, site, reaction):
    error = assert_error(react(client, reaction), 400, "validation_error")

    assert "reaction" in error["fields"]
    assert count(ArticleReaction) == 0


@pytest.mark.parametrize("reader", [None, "short", "x" * 129, "bad token with spaces!"])
def test_reaction_without_valid_reader_token_is_400(client, site, reader):
    assert_error(react(client, "like", reader=reader), 400, "validation_error")
    assert count(ArticleReaction) == 0


def test_reaction_on_url_off_site_is_forbidden_origin(client, site):
    response = react(client, "like", url="https://evil.example/x")

    assert_error(response, 403, "forbidden_origin")


def test_reaction_from_foreign_origin_is_refused(client, site):
    response = client.put(
        "/api/v1/reaction",
        json={**article_ref(), "reaction": "like"},
        headers={"X-Engage-Reader": READER, "Origin": "https://evil.example"},
    )

    assert_error(response, 403, "forbidden_origin")


def test_reaction_on_unknown_site_is_404(client, site):
    assert_error(react(client, "like", site="inconnu"), 404, "unknown_site")


def test_reaction_on_closed_thread_is_still_counted(client, site):
    make_thread(site, ARTICLE, is_open=False)
    db.session.commit()

    assert react(client, "like").status_code == 200


def test_reaction_changes_thread_etag(client, site):
    post_comment(client)
    etag = get_thread(client).headers["ETag"]

    react(client, "love")

    assert get_thread(client).headers["ETag"] != etag


# --- shares -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "network", ["facebook", "x", "whatsapp", "linkedin", "telegram", "email", "copy"]
)
def test_post_share_counts_each_network(client, site, network):
    response = share(client, network)

    assert response.status_code == 200
    body = response.get_json()
    assert body["shares"][network] == 1 and body["share_total"] == 1


def test_post_share_twice_by_same_reader_counts_once(client, site):
    share(client, "whatsapp")

    response = share(client, "whatsapp")

    assert response.get_json()["shares"]["whatsapp"] == 1
    assert count(Share) == 1


def test_post_share_on_two_networks_counts_both(client, site):
    share(client, "x")

    response = share(client, "email")

    assert response.get_json()["share_total"] == 2


@pytest.mark.parametrize("network", ["myspace", "", None, "X"])
def test_post_share_with_unknown_network_is_400(client, site, network):
    assert "network" in assert_error(share(client, network), 400, "validation_error")["fields"]


def test_post_share_without_reader_token_is_400(client, site):
    assert_error(share(client, "x", reader=None), 400, "validation_error")


def test_thread_offers_share_targets_for_every_network(client, site):
    targets = get_thread(client).get_json()["share_targets"]

    assert set(targets) == {"facebook", "x", "whatsapp", "linkedin", "telegram", "email", "copy"}
    assert targets["copy"] is None
    assert all("{url}" in t for n, t in targets.items() if n != "copy")


# --- likes --------------------------------------------------------------------------------


def posted_comment(client):
    return post_comment(client).get_json()["comment"]["id"]


def like(client, comment_id, reader=READER, method="post"):
    return getattr(client, method)(
        f"/api/v1/comments/{comment_id}/like", headers={"X-Engage-Reader": reader} if reader else {}
    )


def test_like_comment_counts_once_per_reader(client, site):
    comment_id = posted_comment(client)

    first = like(client, comment_id)
    again = like(client, comment_id)
    other = like(client, comment_id, reader=OTHER_READER)

    assert first.get_json() == {"likes": 1}
    assert again.get_json() == {"likes": 1}
    assert other.get_json() == {"likes": 2}
    assert get_thread(client).get_json()["comments"][0]["likes"] == 2


def test_unlike_comment_withdraws_and_never_goes_negative(client, site):
    comment_id = posted_comment(client)
    like(client, comment_id)

    assert like(client, comment_id, method="delete").get_json() == {"likes": 0}
    assert like(client, comment_id, method="delete").get_json() == {"likes": 0}
    assert like(client, comment_id, reader=OTHER_READER, method="delete").get_json() == {"likes": 0}
    assert count(CommentLike) == 0


def test_like_changes_thread_etag(client, site):
    comment_id = posted_comment(client)
    etag = get_thread(client).headers["ETag"]

    like(client, comment_id)

    assert get_thread(client).headers["ETag"] != etag


def test_like_without_reader_token_is_400(client, site):
    comment_id = posted_comment(client)

    assert_error(like(client, comment_id, reader=None), 400, "validation_error")


@pytest.mark.parametrize(
    "status", [CommentStatus.PENDING, CommentStatus.DELETED, CommentStatus.SPAM]
)
def test_like_unpublished_comment_is_404(client, site, status):
    comment = make_comment(make_thread(site), status=status)
    db.session.commit()

    assert_error(like(client, comment.id), 404, "not_found")


def test_like_missing_comment_is_404(client, site):
    assert_error(like(client, 12345), 404, "not_found")


def test_top_sort_follows_likes(client, site):
    first, second = posted_comment(client), posted_comment(client)
    like(client, second)

    listed = get_thread(client, sort="top").get_json()["comments"]

    assert [c["id"] for c in listed] == [second, first]


# --- reports ------------------------------------------------------------------------------


def flag(client, comment_id, reason="abuse", note="", reader=READER):
    return client.post(
        f"/api/v1/comments/{comment_id}/flag",
        json={"reason": reason, "note": note},
        headers={"X-Engage-Reader": reader} if reader else {},
    )


@pytest.mark.parametrize("reason", ["spam", "abuse", "offtopic", "illegal", "other"])
def test_flag_comment_stores_reason_and_note(client, site, reason):
    comment_id = posted_comment(client)

    response = flag(client, comment_id, reason=reason, note="Propos « haineux » envers…")

    assert response.status_code == 200
    stored = db.session.scalar(select(Flag))
    assert stored.reason.value == reason and stored.note == "Propos « haineux » envers…"
    assert READER not in stored.reader_hash


def test_flag_comment_twice_by_same_reader_is_stored_once(client, site):
    comment_id = posted_comment(client)
    flag(client, comment_id)

    response = flag(client, comment_id, reason="spam")

    assert response.status_code == 200
    assert count(Flag) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reason": "boring"}, "reason"),
        ({}, "reason"),
        ({"reason": "other", "note": "x" * 2001}, "note"),
        ({"reason": "other", "note": 5}, "note"),
    ],
)
def test_flag_with_bad_fields_is_400(client, site, payload, field):
    comment_id = posted_comment(client)

    response = client.post(
        f"/api/v1/comments/{comment_id}/flag", json=payload, headers={"X-Engage-Reader": READER}
    )

    assert field in assert_error(response, 400, "validation_error")["fields"]
    assert count(Flag) == 0


def test_flag_does_not_hide_comment_by_default(client, site):
    comment_id = posted_comment(client)
    for i in range(5):
        flag(client, comment_id, reader=f"reporter-number-{i:04d}")

    assert get_thread(client).get_json()["thread"]["comment_count"] == 1


def client_at(app, ip):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_flag_threshold_hides_comment_until_moderated(client, app):
    make_site(report_hide_threshold=2)
    db.session.commit()
    comment_id = posted_comment(client)

    flag(client_at(app, "198.51.100.1"), comment_id, reader="reporter-number-0001")
    assert get_thread(client).get_json()["thread"]["comment_count"] == 1
    flag(client_at(app, "198.51.100.2"), comment_id, reader="reporter-number-0002")

    page = get_thread(client).get_json()
    assert page["comments"] == [] and page["thread"]["comment_count"] == 0
    db.session.expire_all()
    hidden = db.session.get(__import__("engage.models").models.Comment, comment_id)
    assert hidden.status == CommentStatus.PENDING
    assert hidden.held_reason == "reported by 2 people"


def test_flags_from_one_ip_with_many_tokens_cannot_hide(client, app):
    make_site(report_hide_threshold=2)
    db.session.commit()
    comment_id = posted_comment(client)

    for n in range(5):
        flag(client_at(app, "198.51.100.9"), comment_id, reader=f"minted-token-{n:06d}")

    assert get_thread(client).get_json()["thread"]["comment_count"] == 1


def test_flags_from_one_ipv6_network_count_as_one(client, app):
    make_site(report_hide_threshold=2)
    db.session.commit()
    comment_id = posted_comment(client)

    flag(client_at(app, "2001:db8:1:2::1"), comment_id, reader="v6-reporter-000001")
    flag(client_at(app, "2001:db8:1:2::ffff"), comment_id, reader="v6-reporter-000002")

    assert get_thread(client).get_json()["thread"]["comment_count"] == 1


def test_thread_answer_has_no_per_reader_fields(client, site):
    comment_id = posted_comment(client)
    like(client, comment_id)
    react(client, "love")
    mine = get_thread(client).get_data()

    other = client.get(
        "/api/v1/thread",
        query_string={"site": SITE_KEY, "article": ARTICLE},
        headers={"X-Engage-Reader": OTHER_READER},
    ).get_data()

    assert mine == other
    assert READER.encode() not in mine


# --- counts -------------------------------------------------------------------------------


def test_counts_include_reactions_and_shares(client, site):
    post_comment(client)
    react(client, "love")
    react(client, "like", reader=OTHER_READER)
    share(client, "x")

    response = client.get("/api/v1/counts", query_string={"site": SITE_KEY, "article": ARTICLE})

    assert response.get_json()["counts"][ARTICLE] == {"comments": 1, "reactions": 2, "shares": 1}
