"""Moderation with context (CONTRACT: ?q=, keep): search in a queue ignoring case and
accents, each item with its parent's excerpt and its author's history, and "keep" on a
reported published comment."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import CommentStatus, Flag, FlagReason
from tests.api.helpers import assert_error
from tests.api.test_mod import act, queue
from tests.factories import make_comment, make_thread


@pytest.fixture
def crowd(world):
    """Comments to search among: accents, names, e-mails, another article."""
    thread, home = world["thread"], world["home"]
    other = make_thread(home, "2026/12/elysee", title="L'Élysée répond aux critiques")
    found = {
        "helene": make_comment(thread, "Un avis mesuré", author="Hélène Dubœuf",
                               status=CommentStatus.PENDING, email="helene@example.fr",
                               reader_hash="h" * 64),
        "ete": make_comment(thread, "Quel ÉTÉ brûlant, vraiment", author="Marc",
                            status=CommentStatus.PENDING),
        "elysee": make_comment(other, "Rien à voir", author="Zoé",
                               status=CommentStatus.PENDING),
        "percent": make_comment(thread, "100% d'accord", author="Paul",
                                status=CommentStatus.PENDING),
    }
    db.session.commit()
    return found


def ids(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"] for item in response.get_json()["items"]}


@pytest.mark.parametrize(("search", "expected"), [
    ("helene", {"helene"}), ("HÉLÈNE dubœuf", {"helene"}), ("ete brulant", {"ete"}),
    ("elysee", {"elysee"}), ("2026/12/elysee", {"elysee"}), ("helene@example", {"helene"}),
    ("100%", {"percent"}), ("_", set()), ("absent", set()),
])
def test_search_matches_text_author_email_and_article_ignoring_case_and_accents(
        client, world, crowd, search, expected):
    found = ids(queue(client, world["token"], q=search))

    assert found == {crowd[name].id for name in expected}


def test_search_by_comment_id_and_with_pagination(client, world, crowd):
    assert ids(queue(client, world["token"], q=f"#{crowd['ete'].id}")) == {crowd["ete"].id}
    for n in range(55):
        make_comment(world["thread"], f"Série {n}", author="Série",
                     status=CommentStatus.PENDING)
    db.session.commit()

    first = queue(client, world["token"], q="serie").get_json()
    second = queue(client, world["token"], q="serie", cursor=first["next_cursor"]).get_json()

    assert len(first["items"]) == 50 and len(second["items"]) == 5
    assert second["next_cursor"] is None


def test_a_search_too_long_is_400(client, world):
    assert_error(queue(client, world["token"], q="x" * 201), 400, "validation_error")


def test_items_carry_their_parent_and_their_authors_history(client, world, crowd):
    thread = world["thread"]
    parent = make_comment(thread, "Le gouvernement a raison sur ce point précis. " * 8,
                          author="Ana")
    for status in (CommentStatus.APPROVED, CommentStatus.REJECTED, CommentStatus.SPAM):
        earlier = make_comment(thread, f"Ancien {status}", author="Hélène",
                               status=status, reader_hash="h" * 64)
    db.session.add(Flag(comment_id=earlier.id, reader_hash="x", reason=FlagReason.SPAM))
    reply = make_comment(thread, "Je ne suis pas d'accord", parent=parent,
                         status=CommentStatus.PENDING, email="HELENE@example.fr")
    db.session.commit()

    items = {i["id"]: i for i in queue(client, world["token"]).get_json()["items"]}

    assert items[reply.id]["parent"]["id"] == parent.id
    assert items[reply.id]["parent"]["author"] == "Ana"
    assert items[reply.id]["parent"]["excerpt"].endswith("…")
    assert len(items[reply.id]["parent"]["excerpt"]) <= 200
    assert items[crowd["ete"].id]["parent"] is None
    history = items[crowd["helene"].id]["author_history"]
    # By reader token (the three earlier ones) and by e-mail, whatever its case (the reply).
    assert history == {"approved": 1, "pending": 2, "rejected": 1, "spam": 1, "reports": 1,
                       "first_seen": history["first_seen"]}
    assert history["first_seen"] is not None


def test_keep_dismisses_the_reports_of_a_published_comment_until_new_ones_come(
        client, world):
    reported = make_comment(world["thread"], "Un avis tranché", flag_count=1)
    db.session.add(Flag(comment_id=reported.id, reader_hash="r", reason=FlagReason.ILLEGAL,
                        note="diffamation"))
    db.session.commit()
    assert ids(queue(client, world["token"], queue="reported")) == {reported.id}

    kept = act(client, world["token"], reported.id, "approve", reason="propos légitimes")

    assert kept.status_code == 200 and kept.get_json()["comment"]["status"] == "approved"
    assert ids(queue(client, world["token"], queue="reported")) == set()
    flag = db.session.scalar(select(Flag).where(Flag.comment_id == reported.id))
    assert (flag.resolution, flag.resolution_reason) == ("approve", "propos légitimes")
    assert flag.resolved_at is not None  # the decision on the DSA report is kept

    again = client.post(f"/api/v1/comments/{reported.id}/flag",
                        json={"reason": "spam"}, headers={"X-Engage-Reader": "new-reader-00000"})
    assert again.status_code < 300, again.get_data(as_text=True)
    assert ids(queue(client, world["token"], queue="reported")) == {reported.id}
