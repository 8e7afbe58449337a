"""POST, PATCH and DELETE /api/v1/comments."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Comment, CommentStatus, Thread
from engage.services.sites import set_options
from tests.api.helpers import (
    ARTICLE,
    assert_error,
    comment_payload,
    get_thread,
    post_comment,
)
from tests.factories import make_comment, make_site, make_thread


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def stored_comments() -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Comment).order_by(Comment.id)))


def test_post_comment_first_on_article_creates_thread_and_publishes(client, site):
    response = post_comment(client)

    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "approved"
    assert body["edit_token"]
    assert body["comment"]["author"] == "Awa"
    assert body["comment"]["body_html"].startswith("<p>Très bon article, merci !")
    thread = get_thread(client).get_json()["thread"]
    assert thread["comment_count"] == 1
    assert thread["title"] == "Mali : la Russie renforce sa présence"


def test_post_comment_answer_has_no_private_fields(client, site):
    response = post_comment(client, email="awa@example.org", headers={"X-Engage-Reader": "a" * 20})

    text = response.get_data(as_text=True)
    assert "awa@example.org" not in text
    assert set(response.get_json()["comment"]) == {
        "id",
        "parent_id",
        "author",
        "body_html",
        "created_at",
        "edited_at",
        "likes",
        "featured",
        "moderator",
        "account",
        "badge",
        "deleted",
        "reply_count",
        "replies",
        "more_replies",
    }


def test_post_comment_stores_email_and_hashes_not_raw_identifiers(client, site):
    post_comment(client, email="Awa@Example.org", headers={"X-Engage-Reader": "r" * 20})

    (comment,) = stored_comments()
    assert comment.email == "Awa@Example.org"
    assert comment.reader_hash and "r" * 20 not in comment.reader_hash
    assert comment.ip_hash and comment.ip_hash != "127.0.0.1"
    assert len(comment.ip_hash) == 64


@pytest.mark.parametrize(
    "text",
    [
        "Qu’en pensez-vous ? « Rien » ne va plus… 🇫🇷🎉",
        "Élodie, Œuvre, ÇA VA, naïve, façade, où",
        "L'économie\u202f: 3\u00a0% de croissance\u202f!",
    ],
)
def test_post_comment_with_french_text_round_trips_intact(client, site, text):
    response = post_comment(client, body=text, author="Noémie « N. » Laïk")

    comment = response.get_json()["comment"]
    assert comment["author"] == "Noémie « N. » Laïk"
    assert comment["body_html"] == f"<p>{text}</p>"
    listed = get_thread(client).get_json()["comments"][0]
    assert listed["body_html"] == f"<p>{text}</p>"


def test_post_comment_with_html_shows_it_as_text(client, site):
    response = post_comment(client, body="<script>alert(1)</script><b>gras</b>")

    html = response.get_json()["comment"]["body_html"]
    assert "<script" not in html and "<b>" not in html
    assert "&lt;b&gt;gras&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"author": "   "}, "author"),
        ({"author": "x" * 65}, "author"),
        ({"author": ...}, "author"),
        ({"author": 12}, "author"),
        ({"author": "Awa\nBot"}, "author"),
        ({"body": ""}, "body"),
        ({"body": " \n "}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"body": ["list"]}, "body"),
        ({"body": "nul \x00 byte"}, "body"),
        ({"email": "not-an-email"}, "email"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": ...}, "url"),
        ({"article": ""}, "article"),
        ({"article": "a" * 256}, "article"),
        ({"parent_id": "7"}, "parent_id"),
        ({"parent_id": -1}, "parent_id"),
        ({"parent_id": 2**40}, "parent_id"),
        ({"website": "http://spam.example"}, "website"),
        ({"title": "t" * 301}, "title"),
    ],
)
def test_post_comment_with_bad_field_names_it_and_stores_nothing(client, site, overrides, field):
    response = post_comment(client, **overrides)

    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"]
    assert stored_comments() == []


def test_post_comment_reports_every_bad_field_at_once(client, site):
    response = post_comment(client, author="", body="", email="nope")

    error = assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == {"author", "body", "email"}


@pytest.mark.parametrize("length", [1, 5000])
def test_post_comment_at_length_bounds_is_accepted(client, site, length):
    response = post_comment(client, body="é" * length, author="A" * min(length, 64))

    assert response.status_code == 201


def test_post_comment_trims_author_and_body(client, site):
    response = post_comment(client, author="  Awa  ", body="\n  Bonjour  \n")

    comment = response.get_json()["comment"]
    assert comment["author"] == "Awa"
    assert comment["body_html"] == "<p>Bonjour</p>"


def test_post_comment_unknown_site_is_404(client, site):
    assert_error(post_comment(client, site="inconnu"), 404, "unknown_site")


def test_post_comment_url_off_site_origins_is_refused(client, site):
    response = post_comment(client, url="https://evil.example/2026/11/mali-russie")

    assert_error(response, 403, "forbidden_origin")
    assert db.session.scalar(select(Thread)) is None


def test_post_comment_from_foreign_origin_is_refused(client, site):
    response = post_comment(client, headers={"Origin": "https://evil.example"})

    assert_error(response, 403, "forbidden_origin")
    assert response.headers["Access-Control-Allow-Origin"] == "https://evil.example"
    assert stored_comments() == []


def test_post_comment_from_registered_origin_gets_cors_header(client, site):
    response = post_comment(client, headers={"Origin": "https://lejourpile.fr"})

    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == "https://lejourpile.fr"


def test_post_comment_on_existing_thread_ignores_url_origin_check(client, site):
    make_thread(site, ARTICLE)
    db.session.commit()

    response = post_comment(client, url="https://lejourpile.fr/autre-url")

    assert response.status_code == 201


def test_post_comment_on_closed_thread_is_refused(client, site):
    make_thread(site, ARTICLE, is_open=False)
    db.session.commit()

    assert_error(post_comment(client), 403, "thread_closed")


def test_post_comment_with_premoderation_is_pending_and_not_listed(client, app):
    make_site(moderation="pre")
    db.session.commit()

    response = post_comment(client)

    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    page = get_thread(client).get_json()
    assert page["comments"] == []
    assert page["thread"]["comment_count"] == 0


def test_post_reply_nests_under_parent(client, site):
    parent_id = post_comment(client).get_json()["comment"]["id"]

    response = post_comment(client, parent_id=parent_id, body="Je réponds.")

    assert response.status_code == 201
    (top,) = get_thread(client).get_json()["comments"]
    assert top["reply_count"] == 1
    assert top["replies"][0]["parent_id"] == parent_id


@pytest.mark.parametrize(
    "status",
    [CommentStatus.PENDING, CommentStatus.REJECTED, CommentStatus.SPAM, CommentStatus.DELETED],
)
def test_post_reply_to_unpublished_parent_is_refused(client, site, status):
    thread = make_thread(site, ARTICLE)
    parent = make_comment(thread, status=status)
    db.session.commit()

    response = post_comment(client, parent_id=parent.id)

    assert "parent_id" in assert_error(response, 400, "validation_error")["fields"]


def test_post_reply_to_comment_of_other_article_is_refused(client, site):
    other = make_comment(make_thread(site, "autre/article"))
    db.session.commit()

    response = post_comment(client, parent_id=other.id)

    assert "parent_id" in assert_error(response, 400, "validation_error")["fields"]


def test_post_reply_to_missing_parent_is_refused(client, site):
    response = post_comment(client, parent_id=999)

    assert "parent_id" in assert_error(response, 400, "validation_error")["fields"]


def test_post_comment_accepts_text_plain_json(client, site):
    import json

    response = client.post(
        "/api/v1/comments", data=json.dumps(comment_payload()), content_type="text/plain"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b"null", b"\xff\xfe{}", b"[" * 30000 + b"]" * 30000, b""],
)
def test_post_comment_with_broken_body_is_400(client, site, raw):
    response = client.post("/api/v1/comments", data=raw, content_type="application/json")

    assert_error(response, 400, "validation_error")


def test_post_comment_over_64kb_is_413(client, site):
    response = post_comment(client, body="x" * 70_000)

    assert_error(response, 413, "payload_too_large")


# --- edit and delete ----------------------------------------------------------------------


def posted(client, **overrides):
    body = post_comment(client, **overrides).get_json()
    return body["comment"]["id"], body["edit_token"]


def test_edit_comment_with_token_changes_body_and_sets_edited_at(client, site):
    comment_id, token = posted(client)

    response = client.patch(
        f"/api/v1/comments/{comment_id}",
        json={"body": "Corrigé : *oui*"},
        headers={"X-Engage-Edit-Token": token},
    )

    assert response.status_code == 200
    comment = response.get_json()["comment"]
    assert comment["body_html"] == "<p>Corrigé : <em>oui</em></p>"
    assert comment["edited_at"] is not None
    assert get_thread(client).get_json()["comments"][0]["body_html"].startswith("<p>Corrigé")


@pytest.mark.parametrize("token", [None, "", "garbage", "MQ.forged.signature"])
def test_edit_comment_with_bad_token_is_refused_and_changes_nothing(client, site, token):
    comment_id, _ = posted(client)
    headers = {"X-Engage-Edit-Token": token} if token is not None else {}

    response = client.patch(
        f"/api/v1/comments/{comment_id}", json={"body": "Pirate"}, headers=headers
    )

    assert_error(response, 403, "bad_token")
    assert stored_comments()[0].body_source.startswith("Très bon article, merci !")


def test_edit_comment_with_token_of_another_comment_is_refused(client, site):
    first_id, _ = posted(client)
    _, other_token = posted(client, body="Un autre")

    response = client.patch(
        f"/api/v1/comments/{first_id}",
        json={"body": "Pirate"},
        headers={"X-Engage-Edit-Token": other_token},
    )

    assert_error(response, 403, "bad_token")


def test_edit_comment_after_window_is_refused(client, site, monkeypatch):
    comment_id, token = posted(client)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    monkeypatch.setattr("engage.services.comments.utcnow", lambda: later)

    response = client.patch(
        f"/api/v1/comments/{comment_id}",
        json={"body": "Trop tard"},
        headers={"X-Engage-Edit-Token": token},
    )

    assert_error(response, 403, "bad_token")


def test_a_token_expired_stays_expired_when_the_window_is_widened(client, site, monkeypatch):
    comment_id, token = posted(client)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    monkeypatch.setattr("engage.services.comments.utcnow", lambda: later)
    set_options(site, {"edit_window": "120"})
    db.session.commit()

    for call in (
        lambda: client.patch(f"/api/v1/comments/{comment_id}", json={"body": "Revenu"},
                             headers={"X-Engage-Edit-Token": token}),
        lambda: client.delete(f"/api/v1/comments/{comment_id}",
                              headers={"X-Engage-Edit-Token": token}),
    ):
        assert_error(call(), 403, "bad_token")
    assert db.session.get(Comment, comment_id).status == CommentStatus.APPROVED


def test_edit_window_zero_allows_no_edit_at_all(client, site):
    set_options(site, {"edit_window": "0"})
    db.session.commit()
    comment_id, token = posted(client)

    response = client.patch(f"/api/v1/comments/{comment_id}", json={"body": "Aussitôt"},
                            headers={"X-Engage-Edit-Token": token})

    assert_error(response, 403, "bad_token")
    assert db.session.get(Comment, comment_id).edited_at is None


def test_a_reported_comment_cannot_be_deleted_by_its_author(client, site):
    comment_id, token = posted(client)
    reported = client.post(f"/api/v1/comments/{comment_id}/flag",
                           json={"reason": "illegal", "note": "diffamation"},
                           headers={"X-Engage-Reader": "reporter-0000000000"})
    assert reported.status_code in (200, 201, 202), reported.get_data(as_text=True)

    response = client.delete(f"/api/v1/comments/{comment_id}",
                             headers={"X-Engage-Edit-Token": token})

    assert_error(response, 403, "bad_token")
    db.session.expire_all()
    kept = db.session.get(Comment, comment_id)
    assert kept.status == CommentStatus.APPROVED and kept.body_source


def test_edit_comment_with_bad_body_is_400_and_keeps_old_body(client, site):
    comment_id, token = posted(client)

    response = client.patch(
        f"/api/v1/comments/{comment_id}",
        json={"body": "  "},
        headers={"X-Engage-Edit-Token": token},
    )

    assert_error(response, 400, "validation_error")
    assert stored_comments()[0].body_source.startswith("Très bon article, merci !")


@pytest.mark.parametrize("comment_id", [999, 2**31, 10**30])
def test_edit_missing_comment_is_404(client, site, comment_id):
    response = client.patch(
        f"/api/v1/comments/{comment_id}", json={"body": "x"}, headers={"X-Engage-Edit-Token": "x"}
    )

    assert_error(response, 404, "not_found")


def test_delete_comment_without_replies_disappears(client, site):
    comment_id, token = posted(client)

    response = client.delete(
        f"/api/v1/comments/{comment_id}", headers={"X-Engage-Edit-Token": token}
    )

    assert response.status_code == 204
    page = get_thread(client).get_json()
    assert page["comments"] == []
    assert page["thread"]["comment_count"] == 0
    assert stored_comments()[0].body_source == ""


def test_delete_comment_with_replies_leaves_tombstone(client, site):
    comment_id, token = posted(client, email="awa@example.org")
    posted(client, parent_id=comment_id, body="Réponse")

    client.delete(f"/api/v1/comments/{comment_id}", headers={"X-Engage-Edit-Token": token})

    (tombstone,) = get_thread(client).get_json()["comments"]
    assert tombstone["deleted"] is True
    assert tombstone["author"] == "" and tombstone["body_html"] == ""
    assert tombstone["replies"][0]["body_html"] == "<p>Réponse</p>"
    assert stored_comments()[0].email is None


def test_delete_comment_twice_is_refused(client, site):
    comment_id, token = posted(client)
    headers = {"X-Engage-Edit-Token": token}
    client.delete(f"/api/v1/comments/{comment_id}", headers=headers)

    response = client.delete(f"/api/v1/comments/{comment_id}", headers=headers)

    assert_error(response, 403, "bad_token")
    assert get_thread(client).get_json()["thread"]["comment_count"] == 0


def test_delete_comment_with_bad_token_keeps_it(client, site):
    comment_id, _ = posted(client)

    response = client.delete(
        f"/api/v1/comments/{comment_id}", headers={"X-Engage-Edit-Token": "nope"}
    )

    assert_error(response, 403, "bad_token")
    assert get_thread(client).get_json()["thread"]["comment_count"] == 1


def test_post_comment_sends_a_fixed_number_of_statements(client, site, count_queries):
    post_comment(client)  # the article's thread now exists
    db.session.commit()
    before = count_queries.count

    assert post_comment(client, body="Un deuxième avis « posé »").status_code == 201

    # The site, the thread, a ban in force, a duplicate, the insert, the thread's counters,
    # and the site's webhook endpoints (none here, so no outbox row).
    statements = [s.split()[0] for s in count_queries.statements[before:]]
    assert statements == ["SELECT", "SELECT", "SELECT", "SELECT", "INSERT", "UPDATE", "SELECT"]


@pytest.mark.parametrize("email", [
    "a<awa@exemple.fr>", "awa@exemple.fr(3)", "a@[b.c", 'a@b.c;,"', "awa@exemple",
    "awa @exemple.fr", f"awa@{'a' * 64}.fr",
])
def test_post_comment_with_anything_but_a_bare_email_address_is_refused(client, site, email):
    response = post_comment(client, email=email, notify_replies=True)

    error = assert_error(response, 400, "validation_error")
    assert "email" in error["fields"]
    assert get_thread(client).get_json()["thread"]["comment_count"] == 0
