"""Bans that hit the right person (CONTRACT: identifiers, list, lift): the IP only when asked,
"their comments" only those matching the ban, and bans a moderator can see and undo."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Ban, CommentStatus
from tests.api.helpers import assert_error, post_comment
from tests.api.test_mod import auth, status_of

TROLL = {"X-Engage-Reader": "troll-reader-0000000"}
NEIGHBOUR = {"X-Engage-Reader": "neighbour-reader-000"}  # the same IP: the test client's


def ban(client, token, comment_id, **body):
    return client.post("/api/v1/mod/bans", headers=auth(token),
                       json={"site": "lejourpile", "comment_id": comment_id, **body})


def posted(client, headers, text, **fields):
    response = post_comment(client, headers=headers, body=text, **fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["comment"]["id"]


def test_a_ban_by_default_spares_readers_who_share_the_ip(client, world):
    troll = posted(client, TROLL, "Premier message du troll", email="troll@example.org")
    neighbour = posted(client, NEIGHBOUR, "Un voisin de bureau, même adresse IP")

    response = ban(client, world["token"], troll, days=7, reject_comments=True,
                   reason="insultes répétées")

    assert response.status_code == 201
    body = response.get_json()
    assert body["rejected_comments"] == 1
    assert body["ban"]["identifiers"] == ["reader", "email"]
    assert body["ban"]["reason"] == "insultes répétées"
    assert body["ban"]["created_by"] == "modo@lejourpile.fr"
    assert (status_of(troll), status_of(neighbour)) == (CommentStatus.REJECTED,
                                                        CommentStatus.APPROVED)
    assert_error(post_comment(client, headers=TROLL, body="Encore moi"), 403, "banned")
    new_reader = {"X-Engage-Reader": "brand-new-reader-000"}
    assert post_comment(client, headers=new_reader, body="Bonjour à tous").status_code == 201
    assert db.session.scalar(select(Ban)).ip_hash is None


def test_an_ip_ban_is_only_made_when_asked_and_then_matches_the_ip(client, world):
    troll = posted(client, TROLL, "Message du troll")
    neighbour = posted(client, NEIGHBOUR, "Message du voisin")

    body = ban(client, world["token"], troll, identifiers=["ip"],
               reject_comments=True).get_json()

    assert body["ban"]["identifiers"] == ["ip"] and body["ban"]["expires_at"] is None
    assert body["rejected_comments"] == 2  # both came from this IP: the moderator chose it
    assert (status_of(troll), status_of(neighbour)) == (CommentStatus.REJECTED,
                                                        CommentStatus.REJECTED)
    assert_error(post_comment(client, headers={"X-Engage-Reader": "someone-else-000000"},
                              body="Bonjour"), 403, "banned")


def test_a_ban_by_email_alone_of_a_comment_without_email_is_refused(client, world):
    troll = posted(client, TROLL, "Sans adresse")

    response = ban(client, world["token"], troll, identifiers=["email"])

    assert "comment_id" in assert_error(response, 400, "validation_error")["fields"]
    assert db.session.scalar(select(Ban)) is None


@pytest.mark.parametrize("identifiers", [[], ["phone"], "reader", [1], ["reader", None]])
def test_unknown_identifiers_are_400(client, world, identifiers):
    troll = posted(client, TROLL, "Un message")

    response = ban(client, world["token"], troll, identifiers=identifiers)

    assert "identifiers" in assert_error(response, 400, "validation_error")["fields"]
    assert db.session.scalar(select(Ban)) is None


def test_bans_are_listed_with_who_why_and_until_when_then_lifted_and_audited(client, world):
    troll = posted(client, TROLL, "Un message", email="troll@example.org")
    other = posted(client, NEIGHBOUR, "Un autre message")
    suspension = ban(client, world["token"], troll, days=3, reason="trois jours").get_json()
    permanent = ban(client, world["token"], other).get_json()

    listed = client.get("/api/v1/mod/bans", query_string={"site": "lejourpile"},
                        headers=auth(world["token"])).get_json()["bans"]

    assert [b["id"] for b in listed] == [permanent["ban"]["id"], suspension["ban"]["id"]]
    assert set(listed[1]) == {"id", "site", "identifiers", "comment_id", "reason",
                              "created_at", "created_by", "expires_at"}
    assert listed[1]["comment_id"] == troll and listed[1]["reason"] == "trois jours"
    assert listed[1]["expires_at"] is not None and listed[0]["expires_at"] is None

    lifted = client.delete(f"/api/v1/mod/bans/{listed[1]['id']}", headers=auth(world["token"]),
                           json={"reason": "erreur de modération"})

    assert lifted.status_code == 200 and lifted.get_json()["lifted"] is True
    assert post_comment(client, headers=TROLL, body="Je reviens").status_code == 201
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lift_ban"))
    assert event.comment_id == troll and event.details["reason"] == "erreur de modération"
    assert event.details["identifiers"] == ["reader", "email"]
    again = client.delete(f"/api/v1/mod/bans/{listed[1]['id']}", headers=auth(world["token"]))
    assert_error(again, 404, "not_found")


def test_a_moderator_of_another_site_can_neither_list_nor_lift(client, world):
    from tests.factories import make_moderator, make_site, make_token

    troll = posted(client, TROLL, "Un message")
    ban_id = ban(client, world["token"], troll).get_json()["ban"]["id"]
    elsewhere = make_moderator("ailleurs@autre.fr", sites=(make_site(
        "troisieme", origins=("https://troisieme.fr",)),))
    token = make_token(elsewhere)
    db.session.commit()

    listing = client.get("/api/v1/mod/bans", query_string={"site": "lejourpile"},
                         headers=auth(token))
    assert_error(listing, 403, "forbidden")
    assert_error(client.delete(f"/api/v1/mod/bans/{ban_id}", headers=auth(token)),
                 403, "forbidden")
    assert db.session.get(Ban, ban_id) is not None
    assert_error(client.delete("/api/v1/mod/bans/99999999999", headers=auth(token)),
                 404, "not_found")
