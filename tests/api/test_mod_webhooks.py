"""/api/v1/mod/webhooks: admins add, list, pause and remove endpoints and read their log;
the secret is shown once; moderators and other sites' admins are kept out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import OutboxMessage, OutboxState, WebhookEndpoint
from engage.services import outbox, webhooks
from engage.worker import Worker
from tests.api.helpers import assert_error, post_comment
from tests.api.test_mod import auth

HOOK = "https://outils.lejourpile.fr/engage"


def add(client, token, **body):
    return client.post("/api/v1/mod/webhooks", headers=auth(token),
                       json={"site": "lejourpile", "url": HOOK, **body})


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(client, world):
    response = add(client, world["admin_token"], events=["comment.reported"])

    assert response.status_code == 201, response.get_data(as_text=True)
    added = response.get_json()["webhook"]
    assert added["url"] == HOOK and added["events"] == ["comment.reported"]
    assert added["secret"] == db.session.scalar(select(WebhookEndpoint.secret))
    listed = client.get("/api/v1/mod/webhooks", query_string={"site": "lejourpile"},
                        headers=auth(world["admin_token"])).get_json()["webhooks"]
    assert [w["id"] for w in listed] == [added["id"]] and "secret" not in listed[0]


def test_a_site_moderator_may_not_manage_webhooks(client, world):
    assert_error(add(client, world["token"]), 403, "forbidden")
    listed = client.get("/api/v1/mod/webhooks", query_string={"site": "lejourpile"},
                        headers=auth(world["token"]))
    assert_error(listed, 403, "forbidden")


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "http://outils.lejourpile.fr/engage"}, "url"),
    ({"url": "https://10.0.0.3/engage"}, "url"),
    ({"url": 42}, "url"),
    ({"events": ["comment.liked"]}, "events"),
    ({"events": "comment.created"}, "events"),
])
def test_a_bad_endpoint_is_refused_and_nothing_stored(client, world, body, field):
    error = assert_error(add(client, world["admin_token"], **body), 400, "validation_error")

    assert field in error["fields"]
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_an_unknown_site_is_refused(client, world):
    response = client.post("/api/v1/mod/webhooks", headers=auth(world["admin_token"]),
                           json={"site": "nulle-part", "url": HOOK})

    assert_error(response, 404, "unknown_site")


def test_pausing_an_endpoint_stops_its_events_and_resuming_forgets_its_failures(client, world):
    endpoint_id = add(client, world["admin_token"]).get_json()["webhook"]["id"]
    db.session.get(WebhookEndpoint, endpoint_id).failures = 7
    db.session.commit()

    paused = client.patch(f"/api/v1/mod/webhooks/{endpoint_id}", json={"enabled": False},
                          headers=auth(world["admin_token"]))
    assert paused.status_code == 200 and paused.get_json()["webhook"]["enabled"] is False
    post_comment(client)
    assert db.session.scalar(select(OutboxMessage)) is None

    resumed = client.patch(f"/api/v1/mod/webhooks/{endpoint_id}", json={"enabled": True},
                           headers=auth(world["admin_token"])).get_json()["webhook"]
    assert resumed["enabled"] is True and resumed["failures"] == 0
    post_comment(client)
    assert db.session.scalar(select(OutboxMessage)) is not None

    bad = client.patch(f"/api/v1/mod/webhooks/{endpoint_id}", json={"enabled": "oui"},
                       headers=auth(world["admin_token"]))
    assert_error(bad, 400, "validation_error")


def test_the_delivery_log_lists_attempts_newest_first(client, world):
    endpoint_id = add(client, world["admin_token"]).get_json()["webhook"]["id"]
    post_comment(client)
    message = db.session.scalar(select(OutboxMessage))
    outbox.log_attempt(message, ok=False, detail="HTTP 503", status_code=503,
                       endpoint_id=endpoint_id)
    outbox.log_attempt(message, ok=True, detail="HTTP 200", status_code=200,
                       endpoint_id=endpoint_id)
    db.session.commit()

    log = client.get(f"/api/v1/mod/webhooks/{endpoint_id}/deliveries",
                     headers=auth(world["admin_token"])).get_json()["deliveries"]

    assert [(a["ok"], a["status_code"]) for a in log] == [(True, 200), (False, 503)]


def test_removing_an_endpoint_drops_its_undelivered_events(client, world):
    endpoint_id = add(client, world["admin_token"]).get_json()["webhook"]["id"]
    post_comment(client)

    removed = client.delete(f"/api/v1/mod/webhooks/{endpoint_id}",
                            headers=auth(world["admin_token"]))

    assert removed.status_code == 200 and removed.get_json()["removed"] is True
    assert db.session.scalar(select(WebhookEndpoint)) is None
    assert webhooks.endpoints_of(world["home"]) == []
    Worker().run_once()
    assert db.session.scalar(select(OutboxMessage.state)) == OutboxState.DROPPED
    gone = client.delete(f"/api/v1/mod/webhooks/{endpoint_id}",
                         headers=auth(world["admin_token"]))
    assert_error(gone, 404, "not_found")
