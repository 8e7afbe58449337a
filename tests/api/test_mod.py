"""The moderation API (CONTRACT §3): tokens, permissions, queues, actions, bans, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Ban, Comment, CommentStatus, Flag, FlagReason
from tests.api.helpers import ARTICLE, assert_error, get_thread, post_comment
from tests.factories import make_comment


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def queue(client, token, **params):
    return client.get(
        "/api/v1/mod/queue", query_string={"site": "lejourpile", **params}, headers=auth(token)
    )


def act(client, token, comment_id, action, **body):
    return client.post(
        f"/api/v1/mod/comments/{comment_id}/{action}", json=body or None, headers=auth(token)
    )


def status_of(comment_id):
    db.session.expire_all()
    return db.session.get(Comment, comment_id).status


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic abc", "token"])
def test_mod_api_without_valid_token_is_401(client, world, header):
    headers = {"Authorization": header} if header else {}

    response = client.get("/api/v1/mod/queue", query_string={"site": "lejourpile"}, headers=headers)

    assert_error(response, 401, "unauthorized")


def test_revoked_token_is_401(client, world, runner):
    runner.invoke(args=["moderator", "revoke-tokens", "modo@lejourpile.fr"])

    assert_error(queue(client, world["token"]), 401, "unauthorized")


def test_pending_queue_lists_held_comment_with_private_fields(client, world):
    body = queue(client, world["token"]).get_json()

    (item,) = body["items"]
    assert item["id"] == world["pending"].id
    assert item["email"] == "awa@example.org"
    assert item["held_reason"] == "pre-moderation"
    assert item["article"]["id"] == ARTICLE
    assert body["counts"]["pending"] == 1 and body["counts"]["approved"] == 1
    assert "reader_hash" not in str(body) and "ip_hash" not in str(body)


def test_moderator_outside_their_site_is_403_everywhere(client, world):
    token, foreign = world["token"], world["foreign"].id
    calls = [
        lambda: queue(client, token, site="autre"),
        lambda: act(client, token, foreign, "approve"),
        lambda: client.post(
            "/api/v1/mod/comments/bulk",
            json={"ids": [foreign], "action": "spam"},
            headers=auth(token),
        ),
        lambda: client.post(
            "/api/v1/mod/bans", json={"site": "autre", "comment_id": foreign}, headers=auth(token)
        ),
        lambda: client.post(
            "/api/v1/mod/threads/close",
            json={"site": "autre", "article": "ailleurs"},
            headers=auth(token),
        ),
        lambda: client.get(
            "/api/v1/mod/audit", query_string={"site": "autre"}, headers=auth(token)
        ),
    ]
    for call in calls:
        assert_error(call(), 403, "forbidden")
    assert status_of(foreign) == CommentStatus.PENDING


def test_admin_acts_on_every_site(client, world):
    response = act(client, world["admin_token"], world["foreign"].id, "approve")

    assert response.status_code == 200
    assert status_of(world["foreign"].id) == CommentStatus.APPROVED


def test_approve_publishes_and_updates_public_thread(client, world):
    etag = get_thread(client).headers["ETag"]

    response = act(client, world["token"], world["pending"].id, "approve")

    assert response.get_json()["comment"]["status"] == "approved"
    page = get_thread(client)
    assert page.headers["ETag"] != etag
    assert page.get_json()["thread"]["comment_count"] == 2


@pytest.mark.parametrize("action", ["reject", "spam", "delete"])
def test_removing_action_hides_published_comment(client, world, action):
    act(client, world["token"], world["approved"].id, action)

    page = get_thread(client).get_json()
    assert page["comments"] == [] and page["thread"]["comment_count"] == 0


def test_feature_puts_comment_first(client, world):
    later = make_comment(world["thread"], "Plus tard")
    db.session.commit()

    act(client, world["token"], later.id, "feature")

    first = get_thread(client).get_json()["comments"][0]
    assert first["id"] == later.id and first["featured"] is True


def test_feature_unpublished_comment_is_409(client, world):
    response = act(client, world["token"], world["pending"].id, "feature")

    assert_error(response, 409, "conflict")


def test_unknown_action_is_400_and_missing_comment_404(client, world):
    assert_error(act(client, world["token"], world["pending"].id, "burn"), 400, "validation_error")
    assert_error(act(client, world["token"], 99999, "approve"), 404, "not_found")


def test_bulk_action_applies_to_all(client, world):
    extra = make_comment(world["thread"], "Deux", status=CommentStatus.PENDING)
    db.session.commit()

    response = client.post(
        "/api/v1/mod/comments/bulk",
        headers=auth(world["token"]),
        json={"ids": [world["pending"].id, extra.id], "action": "approve"},
    )

    assert response.status_code == 200
    assert {status_of(world["pending"].id), status_of(extra.id)} == {CommentStatus.APPROVED}


def test_bulk_with_one_forbidden_comment_changes_none(client, world):
    response = client.post(
        "/api/v1/mod/comments/bulk",
        headers=auth(world["token"]),
        json={"ids": [world["pending"].id, world["foreign"].id], "action": "approve"},
    )

    assert_error(response, 403, "forbidden")
    assert status_of(world["pending"].id) == CommentStatus.PENDING


@pytest.mark.parametrize(
    "payload",
    [{"ids": [], "action": "approve"}, {"ids": "1"}, {"ids": [1], "action": "nope"}, {"ids": [0]}],
)
def test_bulk_with_bad_input_is_400(client, world, payload):
    response = client.post("/api/v1/mod/comments/bulk", json=payload, headers=auth(world["token"]))

    assert_error(response, 400, "validation_error")


def test_reported_queue_puts_illegal_first_with_reasons(client, world):
    thread = world["thread"]
    spam_one = make_comment(thread, "Pub", flag_count=1)
    illegal = make_comment(thread, "Diffamation", flag_count=1)
    db.session.add_all(
        [
            Flag(comment_id=spam_one.id, reader_hash="a" * 64, reason=FlagReason.SPAM),
            Flag(
                comment_id=illegal.id,
                reader_hash="b" * 64,
                reason=FlagReason.ILLEGAL,
                note="Accusation sans preuve",
            ),
        ]
    )
    db.session.commit()

    items = queue(client, world["token"], queue="reported").get_json()["items"]

    assert [i["id"] for i in items] == [illegal.id, spam_one.id]
    assert items[0]["reports"][0] == {
        **items[0]["reports"][0],
        "reason": "illegal",
        "note": "Accusation sans preuve",
    }


def test_decision_on_reported_comment_is_recorded_with_reason(client, world):
    comment = make_comment(world["thread"], "Diffamation", flag_count=1)
    db.session.add(Flag(comment_id=comment.id, reader_hash="b" * 64, reason=FlagReason.ILLEGAL))
    db.session.commit()

    act(client, world["token"], comment.id, "reject", reason="Diffamation avérée")

    flag = db.session.scalar(select(Flag))
    assert flag.resolution == "reject" and flag.resolution_reason == "Diffamation avérée"
    assert flag.resolved_at is not None
    assert queue(client, world["token"], queue="reported").get_json()["items"] == []


def test_queue_pages_with_cursor(client, world):
    for i in range(55):
        make_comment(world["thread"], f"n°{i}", status=CommentStatus.PENDING)
    db.session.commit()

    first = queue(client, world["token"]).get_json()
    second = queue(client, world["token"], cursor=first["next_cursor"]).get_json()

    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(first["items"]) == 50 and len(ids) == 56 == len(set(ids))
    assert ids == sorted(ids)


@pytest.mark.parametrize("params", [{"queue": "nope"}, {"order": "sideways"}, {"cursor": "%%"}])
def test_queue_with_bad_parameters_is_400(client, world, params):
    assert_error(queue(client, world["token"], **params), 400, "validation_error")


def test_ban_blocks_author_and_can_reject_their_comments(client, world):
    headers = {"X-Engage-Reader": "banned-reader-000000"}
    posted = post_comment(client, headers=headers, email="troll@example.org").get_json()
    comment_id = posted["comment"]["id"]

    response = client.post(
        "/api/v1/mod/bans",
        headers=auth(world["token"]),
        json={"site": "lejourpile", "comment_id": comment_id, "days": 7, "reject_comments": True},
    )

    assert response.status_code == 201
    assert response.get_json()["rejected_comments"] == 1
    assert status_of(comment_id) == CommentStatus.REJECTED
    assert_error(post_comment(client, headers=headers), 403, "banned")
    assert_error(
        post_comment(
            client, email="TROLL@example.org", headers={"X-Engage-Reader": "another-reader-00000"}
        ),
        403,
        "banned",
    )
    ban = db.session.scalar(select(Ban))
    assert ban.email_hash and "troll" not in ban.email_hash and ban.expires_at is not None


@pytest.mark.parametrize(
    "payload",
    [
        {"comment_id": "x"},
        {"comment_id": 1, "days": 0},
        {"comment_id": 1, "days": "7"},
        {"comment_id": 1, "reject_comments": "yes"},
    ],
)
def test_ban_with_bad_input_is_400(client, world, payload):
    response = client.post(
        "/api/v1/mod/bans", headers=auth(world["token"]), json={"site": "lejourpile", **payload}
    )

    assert_error(response, 400, "validation_error")


def test_close_and_open_thread(client, world):
    close = client.post(
        "/api/v1/mod/threads/close",
        headers=auth(world["token"]),
        json={"site": "lejourpile", "article": ARTICLE},
    )

    assert close.get_json()["open"] is False
    assert get_thread(client).get_json()["thread"]["open"] is False
    assert_error(post_comment(client), 403, "thread_closed")
    client.post(
        "/api/v1/mod/threads/open",
        headers=auth(world["token"]),
        json={"site": "lejourpile", "article": ARTICLE},
    )
    assert post_comment(client).status_code == 201


def test_close_unknown_thread_is_404(client, world):
    response = client.post(
        "/api/v1/mod/threads/close",
        headers=auth(world["token"]),
        json={"site": "lejourpile", "article": "jamais"},
    )

    assert_error(response, 404, "not_found")


def test_audit_log_records_who_did_what(client, world):
    act(client, world["token"], world["pending"].id, "approve", reason="ok")
    client.post(
        "/api/v1/mod/threads/close",
        headers=auth(world["token"]),
        json={"site": "lejourpile", "article": ARTICLE},
    )

    events = client.get(
        "/api/v1/mod/audit", query_string={"site": "lejourpile"}, headers=auth(world["token"])
    ).get_json()["events"]

    assert [e["action"] for e in events] == ["close_thread", "approve"]
    assert events[1]["actor"] == "modo@lejourpile.fr"
    assert events[1]["comment_id"] == world["pending"].id
    assert events[1]["details"] == {"reason": "ok"}
    assert db.session.scalar(select(AuditEvent).limit(1)).created_at is not None


def test_mod_api_is_not_cross_origin(client, world):
    response = client.get(
        "/api/v1/mod/queue",
        query_string={"site": "lejourpile"},
        headers={**auth(world["token"]), "Origin": "https://lejourpile.fr"},
    )

    assert "Access-Control-Allow-Origin" not in response.headers


def test_ban_of_author_nothing_identifies_is_400_and_rejects_nobody(client, world):
    # world["approved"] has no reader token, IP or email (as after a purge or an erasure).
    response = client.post("/api/v1/mod/bans", headers=auth(world["token"]), json={
        "site": "lejourpile", "comment_id": world["approved"].id, "reject_comments": True})

    assert "comment_id" in assert_error(response, 400, "validation_error")["fields"]
    assert status_of(world["pending"].id) == CommentStatus.PENDING
    assert db.session.scalar(select(Ban)) is None


def test_acting_on_a_comment_its_author_deleted_is_409(client, world):
    gone = make_comment(world["thread"], "", status=CommentStatus.DELETED)
    db.session.commit()

    assert_error(act(client, world["token"], gone.id, "approve"), 409, "conflict")
    assert status_of(gone.id) == CommentStatus.DELETED


def test_queue_article_filter_with_control_characters_is_400(client, world):
    assert_error(queue(client, world["token"], article="a\x00b"), 400, "validation_error")
