"""The sites' moderation rules, as readers meet them through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Comment, CommentStatus, utcnow
from engage.services.rules import find_word, fold
from engage.services.sites import settings_of
from tests.api.helpers import ARTICLE, assert_error, get_thread, post_comment
from tests.factories import make_site, make_thread


@pytest.mark.parametrize(
    ("text", "words", "found"),
    [
        ("Quel connârd celui-là", ["connard"], "connard"),
        ("QUEL CONNARD", ["connârd"], "connârd"),
        ("déconnardise", ["connard"], None),  # word boundaries: not inside another word
        ("un con.", ["con"], "con"),
        ("une conférence", ["con"], None),
        ("Va   te faire voir", ["va te faire"], "va te faire"),
        ("Élysée", ["elysee"], "elysee"),
        ("rien à signaler", ["connard", "idiot"], None),
    ],
)
def test_find_word_matches_on_word_boundaries_ignoring_case_and_accents(text, words, found):
    assert find_word(text, words) == found


def test_fold_strips_accents_and_case():
    assert fold("Ça Déçoit À Peine") == "ca decoit a peine"


def stored(comment_id):
    db.session.expire_all()
    return db.session.get(Comment, comment_id)


def post_on(client, settings, **overrides):
    make_site(**settings)
    db.session.commit()
    response = post_comment(client, **overrides)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_banned_word_rejects_but_says_pending(client, app):
    body = post_on(client, {"banned_words": ["connard"]}, body="Quel Connârd !")

    assert body["status"] == "pending"
    comment = stored(body["comment"]["id"])
    assert comment.status == CommentStatus.REJECTED
    assert comment.held_reason == "banned word: connard"
    assert get_thread(client).get_json()["comments"] == []


def test_suspect_word_holds_with_reason(client, app):
    body = post_on(client, {"suspect_words": ["arnaque"]}, body="C’est une ARNAQUE")

    comment = stored(body["comment"]["id"])
    assert (
        comment.status == CommentStatus.PENDING and comment.held_reason == "suspect word: arnaque"
    )


def test_too_many_links_hold(client, app):
    body = post_on(client, {}, body="https://a.fr https://b.fr https://c.fr")

    comment = stored(body["comment"]["id"])
    assert comment.status == CommentStatus.PENDING and comment.held_reason.startswith("3 links")


def test_two_links_pass_by_default(client, app):
    body = post_on(client, {}, body="https://a.fr et https://b.fr")

    assert body["status"] == "approved"


def test_first_comment_of_reader_is_held_then_next_ones_pass(client, app):
    headers = {"X-Engage-Reader": "first-time-reader-0001"}
    first = post_on(client, {"hold_first_comment": True}, headers=headers)
    assert first["status"] == "pending"
    comment = stored(first["comment"]["id"])
    comment.status = CommentStatus.APPROVED
    db.session.commit()

    second = post_comment(client, headers=headers).get_json()

    assert second["status"] == "approved"


def test_thread_older_than_auto_close_days_is_closed(client, app):
    site = make_site(auto_close_days=30)
    make_thread(site, ARTICLE, created_at=utcnow() - dt.timedelta(days=31))
    db.session.commit()

    assert_error(post_comment(client), 403, "thread_closed")
    assert get_thread(client).get_json()["thread"]["open"] is False


def test_edit_adding_banned_word_rejects_and_hides(client, app):
    posted = post_on(client, {"banned_words": ["connard"]})

    response = client.patch(
        f"/api/v1/comments/{posted['comment']['id']}",
        json={"body": "Finalement, connard"},
        headers={"X-Engage-Edit-Token": posted["edit_token"]},
    )

    assert response.status_code == 200
    assert stored(posted["comment"]["id"]).status == CommentStatus.REJECTED
    assert get_thread(client).get_json()["thread"]["comment_count"] == 0


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("hold_first_comment", "oui", True),
        ("banned_words", "connard, abruti\nidiot", ("connard", "abruti", "idiot")),
        ("max_links", "0", 0),
        ("report_queue_threshold", "3", 3),
        ("auto_close_days", "90", 90),
    ],
)
def test_site_set_parses_each_option(runner, app, option, value, expected):
    make_site()
    db.session.commit()

    result = runner.invoke(args=["site", "set", "lejourpile", f"{option}={value}"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    site = db.session.scalar(select(__import__("engage.models").models.Site))
    assert getattr(settings_of(site), option) == expected
