"""The webhooks page (admins): add an endpoint and see its secret once, its delivery log,
pause, resume and remove it; refusals said on the page; moderators kept out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import OutboxMessage, WebhookEndpoint
from engage.services import outbox
from tests.api.helpers import post_comment
from tests.moderation.helpers import fresh, text

PAGE = "/moderate/sites/lejourpile/webhooks"
HOOK = "https://outils.lejourpile.fr/engage"


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_an_admin_adds_a_webhook_and_sees_its_secret_only_once(admin_client):
    added = admin_client.post(PAGE, data={"url": HOOK, "events": ["comment.reported"]})

    assert added.status_code == 200
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert endpoint.url == HOOK and endpoint.events == ["comment.reported"]
    assert endpoint.secret in added.get_data(as_text=True)
    again = admin_client.get(PAGE).get_data(as_text=True)
    assert HOOK in again and endpoint.secret not in again and "comment.reported" in again


def test_a_refused_address_is_said_on_the_page_and_nothing_stored(admin_client):
    refused = admin_client.post(PAGE, data={"url": "https://192.168.1.5/hook"})

    assert refused.status_code == 200
    assert "must be public" in text(refused)
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_the_page_shows_each_endpoints_latest_deliveries(admin_client, client):
    admin_client.post(PAGE, data={"url": HOOK})
    endpoint = db.session.scalar(select(WebhookEndpoint))
    post_comment(client)
    db.session.rollback()  # the requests' writes, not the test's snapshot
    message = db.session.scalar(select(OutboxMessage))
    outbox.log_attempt(message, ok=False, detail="HTTP 503: en maintenance", status_code=503,
                       endpoint_id=endpoint.id)
    db.session.commit()

    page = text(admin_client.get(PAGE))

    assert "HTTP 503: en maintenance" in page and "failed" in page


def test_pause_resume_and_remove(admin_client):
    admin_client.post(PAGE, data={"url": HOOK})
    endpoint_id = db.session.scalar(select(WebhookEndpoint.id))

    paused = admin_client.post(f"{PAGE}/{endpoint_id}/disable", follow_redirects=True)
    assert "Webhook paused." in text(paused) and "paused" in text(paused)
    assert fresh(WebhookEndpoint, endpoint_id).enabled is False
    admin_client.post(f"{PAGE}/{endpoint_id}/enable")
    assert fresh(WebhookEndpoint, endpoint_id).enabled is True

    removed = admin_client.post(f"{PAGE}/{endpoint_id}/remove", follow_redirects=True)
    assert "Webhook removed." in text(removed)
    db.session.rollback()
    assert db.session.scalar(select(WebhookEndpoint)) is None
    assert admin_client.post(f"{PAGE}/{endpoint_id}/remove").status_code == 404


def test_a_moderator_cannot_open_or_change_webhooks(moderator_client):
    assert moderator_client.get(PAGE).status_code == 403
    assert moderator_client.post(PAGE, data={"url": HOOK}).status_code == 403
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_the_page_speaks_french(admin_client):
    admin_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"

    page = text(admin_client.get(PAGE))

    assert "Ajouter un webhook" in page
