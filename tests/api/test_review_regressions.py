"""Regressions found in review: each test names the failure it pins down."""

from __future__ import annotations

import base64
import json
import unicodedata

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Comment, CommentStatus, Thread
from tests.api.helpers import ARTICLE, READER, assert_error, get_thread, post_comment
from tests.api.test_races import run_together
from tests.factories import make_site, make_thread


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def cursor(*key):
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("key", [("oldest", 0, 2**31), ("newest", 1, 2**40), ("top", 0, 5, 2**31)])
def test_cursor_with_out_of_range_numbers_is_400_not_500(client, site, key):
    make_thread(site, ARTICLE)
    db.session.commit()

    assert_error(get_thread(client, sort=key[0], cursor=cursor(*key)), 400, "validation_error")


def test_bad_cursor_is_400_even_for_unknown_article(client, site):
    assert_error(get_thread(client, article="inconnu", cursor="!!!"), 400, "validation_error")


def test_concurrent_deletes_of_one_comment_count_it_once(app, site):
    client = app.test_client()
    post_comment(client)
    posted = post_comment(client).get_json()
    url = f"/api/v1/comments/{posted['comment']['id']}"
    headers = {"X-Engage-Edit-Token": posted["edit_token"]}

    statuses = run_together(app, [lambda c: c.delete(url, headers=headers)] * 6)

    assert sorted(statuses) == [204] + [403] * 5
    assert db.session.scalar(select(Thread)).comment_count == 1


def test_edit_racing_delete_never_restores_deleted_words(app, site):
    posted = post_comment(app.test_client()).get_json()
    url = f"/api/v1/comments/{posted['comment']['id']}"
    headers = {"X-Engage-Edit-Token": posted["edit_token"]}

    run_together(
        app,
        [
            lambda c: c.delete(url, headers=headers),
            lambda c: c.patch(url, json={"body": "ressuscité"}, headers=headers),
        ]
        * 3,
    )

    comment = db.session.get(Comment, posted["comment"]["id"])
    assert comment.status == CommentStatus.DELETED and comment.body_source == ""


def test_reported_comment_can_no_longer_be_edited(client, site):
    posted = post_comment(client).get_json()
    comment_id = posted["comment"]["id"]
    client.post(
        f"/api/v1/comments/{comment_id}/flag",
        json={"reason": "illegal"},
        headers={"X-Engage-Reader": READER},
    )

    response = client.patch(
        f"/api/v1/comments/{comment_id}",
        json={"body": "rien à voir"},
        headers={"X-Engage-Edit-Token": posted["edit_token"]},
    )

    assert_error(response, 403, "bad_token")
    assert db.session.get(Comment, comment_id).body_source.startswith("Très bon article")


def test_edit_answer_says_when_comment_went_back_to_moderation(client, app):
    make_site(suspect_words=["arnaque"])
    db.session.commit()
    posted = post_comment(client).get_json()

    response = client.patch(
        f"/api/v1/comments/{posted['comment']['id']}",
        json={"body": "une arnaque"},
        headers={"X-Engage-Edit-Token": posted["edit_token"]},
    )

    assert response.get_json()["status"] == "pending"


def test_etag_changes_when_site_rule_closes_thread(client, site):
    post_comment(client)
    etag = get_thread(client).headers["ETag"]
    site = db.session.scalar(select(type(site)))
    site.settings = {"auto_close_days": 1}
    thread = db.session.scalar(select(Thread))
    thread.created_at = thread.created_at.replace(year=2020)
    db.session.commit()

    response = client.get(
        "/api/v1/thread",
        query_string={"site": "lejourpile", "article": ARTICLE},
        headers={"If-None-Match": etag},
    )

    assert response.status_code == 200
    assert response.get_json()["thread"]["open"] is False


def test_article_id_in_nfd_reads_the_thread_written_in_nfc(client, site):
    nfd = unicodedata.normalize("NFD", "café/élection")
    post_comment(client, article=nfd, url="https://lejourpile.fr/cafe")

    page = get_thread(client, article=nfd).get_json()
    counts = client.get(
        "/api/v1/counts", query_string={"site": "lejourpile", "article": nfd}
    ).get_json()

    assert page["thread"]["comment_count"] == 1
    assert counts["counts"][nfd]["comments"] == 1


def test_deleted_featured_comment_loses_its_pinned_place(client, site):
    posted = post_comment(client).get_json()
    comment = db.session.get(Comment, posted["comment"]["id"])
    comment.featured = True
    db.session.commit()
    reply = post_comment(client, parent_id=comment.id).get_json()["comment"]["id"]
    later = post_comment(client).get_json()["comment"]["id"]
    client.delete(
        f"/api/v1/comments/{comment.id}", headers={"X-Engage-Edit-Token": posted["edit_token"]}
    )

    listed = get_thread(client, sort="newest").get_json()["comments"]

    assert [c["id"] for c in listed] == [later, comment.id]
    assert listed[1]["deleted"] is True and listed[1]["replies"][0]["id"] == reply


@pytest.mark.parametrize("author", ["\u202eevil", "\u200b", "\u200b \ufeff", "a\u2066b"])
def test_author_with_bidi_override_or_only_invisible_characters_is_400(client, site, author):
    assert (
        "author"
        in assert_error(post_comment(client, author=author), 400, "validation_error")["fields"]
    )


def test_author_with_emoji_zwj_sequence_is_kept(client, site):
    response = post_comment(client, author="Léa 👩‍💻")

    assert response.get_json()["comment"]["author"] == "Léa 👩‍💻"


def test_share_does_not_set_the_title_of_a_thread(client, site):
    make_thread(site, ARTICLE, title="")
    db.session.commit()

    client.post(
        "/api/v1/shares",
        headers={"X-Engage-Reader": READER},
        json={
            "site": "lejourpile",
            "article": ARTICLE,
            "title": "Titre pirate",
            "url": "https://lejourpile.fr/x",
            "network": "x",
        },
    )

    assert get_thread(client).get_json()["thread"]["title"] == ""


def test_first_comment_fills_an_empty_title_and_changes_etag(client, site):
    make_thread(site, ARTICLE, title="")
    db.session.commit()
    etag = get_thread(client).headers["ETag"]

    post_comment(client, title="Le vrai titre")

    response = get_thread(client)
    assert response.get_json()["thread"]["title"] == "Le vrai titre"
    assert response.headers["ETag"] != etag
