"""Webhooks end to end: events through the outbox to a local HTTP receiver that checks the
signature with its own code, retries, the log, automatic disabling, address checks, the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import (
    DeliveryAttempt,
    OutboxMessage,
    OutboxState,
    WebhookEndpoint,
)
from engage.services import moderation, webhooks
from tests.api.helpers import post_comment
from tests.factories import make_moderator, make_site
from tests.webhook_receiver import Receiver

SECRET_PREFIX = "whsec_"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver writes from the README, not engage's own sign()."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.fixture
def app_config():
    return {"ENGAGE_WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def add(site, url, events=None):
    endpoint = webhooks.add_endpoint(site, url, events)
    db.session.commit()
    return endpoint


def deliver(runner):
    result = runner.invoke(args=["notify"])
    assert result.exit_code == 0, result.output
    return result.output


def retry_now():
    """Make every waiting message due, rather than wait for its backoff."""
    for message in db.session.scalars(select(OutboxMessage)):
        message.due_at -= dt.timedelta(days=1)
    db.session.commit()


def test_a_new_comment_reaches_the_endpoint_signed_and_without_private_fields(
        client, runner, site, receiver):
    endpoint = add(site, receiver.url)
    posted = post_comment(client, author="Awa", email="awa@exemple.fr",
                          body="« Enfin » une analyse sérieuse !")
    assert posted.status_code == 201

    deliver(runner)

    [(headers, body)] = receiver.received
    assert verify(endpoint.secret, headers["X-Engage-Signature"], body)
    assert not verify("whsec_someone-else", headers["X-Engage-Signature"], body)
    assert headers["X-Engage-Event"] == "comment.created"
    event = json.loads(body)
    assert set(event) == {"type", "id", "created_at", "site", "data"}
    assert event["type"] == "comment.created" and event["site"] == site.key
    comment = event["data"]["comment"]
    assert comment["id"] == posted.get_json()["comment"]["id"]
    assert "« Enfin »" in comment["body_html"] and comment["author"] == "Awa"
    raw = body.decode()
    assert "awa@exemple.fr" not in raw and "email" not in raw and "ip" not in event["data"]


def test_a_signature_older_than_the_tolerance_is_refused_by_the_receiver():
    body = b'{"type":"comment.created"}'
    old = webhooks.sign("whsec_x", body, int(time.time()) - 3600)

    assert not verify("whsec_x", old, body)
    assert verify("whsec_x", webhooks.sign("whsec_x", body, int(time.time())), body)


def test_moderation_and_reports_send_their_events(client, runner, site, receiver):
    add(site, receiver.url)
    comment_id = post_comment(client).get_json()["comment"]["id"]
    other_id = post_comment(client).get_json()["comment"]["id"]
    reported = client.post(f"/api/v1/comments/{comment_id}/flag", json={"reason": "spam"},
                           headers={"X-Engage-Reader": "reporter-0000000000"})
    assert reported.status_code in (200, 201, 202)
    moderator = make_moderator(sites=(site,))
    for target, action in ((comment_id, moderation.Action.REJECT),
                           (comment_id, moderation.Action.APPROVE),
                           (other_id, moderation.Action.DELETE)):
        moderation.act(moderator, moderation.comment_for(moderator, target), action)
        db.session.commit()

    deliver(runner)

    assert sorted(receiver.events()) == sorted([
        "comment.created", "comment.created", "comment.reported", "comment.rejected",
        "comment.approved", "comment.deleted"])
    reported_event = next(json.loads(b) for _, b in receiver.received
                          if json.loads(b)["type"] == "comment.reported")
    assert reported_event["data"]["report"] == {"reason": "spam"}


def test_an_endpoint_gets_only_the_events_it_asked_for(client, runner, site, receiver):
    add(site, receiver.url, ["comment.reported"])
    post_comment(client)

    deliver(runner)

    assert receiver.received == []
    assert db.session.scalar(select(OutboxMessage)) is None


def test_a_failing_endpoint_is_retried_with_backoff_and_every_attempt_logged(
        client, runner, site):
    receiver = Receiver(failures=2)
    try:
        endpoint = add(site, receiver.url)
        post_comment(client)

        deliver(runner)
        message = db.session.scalar(select(OutboxMessage))
        assert message.state == OutboxState.PENDING and message.attempts == 1
        first_wait = message.due_at - dt.datetime.now(dt.UTC)
        assert dt.timedelta(seconds=20) < first_wait < dt.timedelta(seconds=40)
        deliver(runner)  # not due yet: nothing sent
        assert len(receiver.received) == 1

        retry_now()
        deliver(runner)
        db.session.expire_all()
        message = db.session.scalar(select(OutboxMessage))
        second_wait = message.due_at - dt.datetime.now(dt.UTC)
        assert second_wait > first_wait  # doubling
        retry_now()
        deliver(runner)

        db.session.expire_all()
        message = db.session.scalar(select(OutboxMessage))
        assert message.state == OutboxState.SENT and message.attempts == 3
        assert len(receiver.received) == 3
        log = webhooks.recent_attempts(db.session.get(WebhookEndpoint, endpoint.id))
        assert [(a.ok, a.status_code) for a in log] == [(True, 200), (False, 503), (False, 503)]
        assert db.session.get(WebhookEndpoint, endpoint.id).failures == 0
    finally:
        receiver.close()


def test_an_endpoint_is_disabled_after_repeated_failures(client, runner, site):
    receiver = Receiver(failures=10_000)
    try:
        endpoint = add(site, receiver.url)
        endpoint.failures = webhooks.DISABLE_AFTER - 1
        db.session.commit()
        post_comment(client)
        post_comment(client)

        deliver(runner)

        db.session.expire_all()
        endpoint = db.session.get(WebhookEndpoint, endpoint.id)
        assert not endpoint.enabled and "failed deliveries" in endpoint.disabled_reason
        retry_now()
        deliver(runner)
        states = {m.state for m in db.session.scalars(select(OutboxMessage))}
        assert OutboxState.PENDING not in states and OutboxState.DROPPED in states
        post_comment(client)
        assert db.session.scalar(select(OutboxMessage).where(
            OutboxMessage.state == OutboxState.PENDING)) is None
    finally:
        receiver.close()


def test_an_unreachable_endpoint_is_a_logged_failure_not_a_crash(client, runner, site):
    receiver = Receiver()
    url = receiver.url
    receiver.close()  # nobody listens there any more
    endpoint = add(site, url)
    post_comment(client)

    output = deliver(runner)

    assert "1 failed" in output
    [attempt] = db.session.scalars(select(DeliveryAttempt)).all()
    assert not attempt.ok and attempt.endpoint_id == endpoint.id and attempt.detail


@pytest.mark.parametrize("url", [
    "http://hooks.lejourpile.fr/engage",
    "https://127.0.0.1/hooks",
    "https://10.1.2.3/hooks",
    "https://192.168.0.10/hooks",
    "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[64:ff9b::7f00:1]/hooks",  # NAT64 to 127.0.0.1
    "https://[64:ff9b:1::a00:1]/hooks",  # local-use NAT64 to 10.0.0.1
    "https://[64:ff9b:1:7f00:0:100:808:808]/hooks",  # local-use NAT64, RFC 6052's /48 layout
    "https://[2002:a9fe:a9fe::1]/hooks",  # 6to4 from 169.254.169.254
    "https://[::127.0.0.1]/hooks",  # IPv4-compatible
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hooks",  # Teredo
    "https://169.254.169.254/latest/meta-data",
    "https://localhost/hooks",
    "https://intranet.local/hooks",
    "https://user:motdepasse@hooks.lejourpile.fr/",
    "ftp://hooks.lejourpile.fr/",
    "https://hooks.lejourpile.fr:99999/",
    "pas une adresse",
    "",
])
def test_a_private_or_malformed_address_is_refused(app, site, url):
    app.config["ENGAGE_WEBHOOKS_ALLOW_PRIVATE"] = False

    with pytest.raises(webhooks.ValidationError) as refused:
        webhooks.add_endpoint(site, url)

    assert refused.value.fields.get("url")


@pytest.mark.parametrize("address", ["2606:4700::1111", "64:ff9b::101:101", "2002:101:101::1",
                                     "::ffff:1.1.1.1", "1.1.1.1"])
def test_public_addresses_through_ipv6_translations_stay_public(address):
    assert webhooks._is_public(address)


def test_a_public_https_address_is_accepted(app, site):
    app.config["ENGAGE_WEBHOOKS_ALLOW_PRIVATE"] = False

    endpoint = webhooks.add_endpoint(site, " https://hooks.lejourpile.fr/engage?source=x ")

    assert endpoint.url == "https://hooks.lejourpile.fr/engage?source=x"
    assert endpoint.secret.startswith(SECRET_PREFIX) and len(endpoint.secret) > 40
    assert endpoint.events == list(webhooks.EVENTS)


def test_a_name_that_resolves_to_a_private_address_is_refused_at_delivery(
        app, client, runner, site, monkeypatch):
    app.config["ENGAGE_WEBHOOKS_ALLOW_PRIVATE"] = False
    add(site, "https://hooks.lejourpile.fr/engage")
    monkeypatch.setattr(webhooks.socket, "getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("10.0.0.7", 443))])
    post_comment(client)

    deliver(runner)

    [attempt] = db.session.scalars(select(DeliveryAttempt)).all()
    assert not attempt.ok and "non-public address (10.0.0.7)" in attempt.detail


def test_unknown_events_are_refused(site):
    with pytest.raises(webhooks.ValidationError) as refused:
        webhooks.add_endpoint(site, "https://hooks.lejourpile.fr/", ["comment.liked"])

    assert "events" in refused.value.fields


def test_cli_add_prints_the_secret_on_its_last_line_then_lists_and_removes(
        runner, site, receiver):
    added = runner.invoke(args=["webhook", "add", site.key, receiver.url,
                                "--events", "comment.created,comment.reported"])
    assert added.exit_code == 0, added.output
    secret = added.output.strip().splitlines()[-1]
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert secret == endpoint.secret and endpoint.events == ["comment.created",
                                                             "comment.reported"]

    listed = runner.invoke(args=["webhook", "list", site.key])
    assert receiver.url in listed.output and "enabled" in listed.output
    assert secret not in listed.output

    removed = runner.invoke(args=["webhook", "remove", site.key, str(endpoint.id)])
    assert removed.exit_code == 0 and db.session.scalar(select(WebhookEndpoint)) is None


@pytest.mark.parametrize(("args", "message"), [
    (["webhook", "add", "nosuchsite", "https://hooks.lejourpile.fr/"], "No site has this key"),
    (["webhook", "add", "{site}", "https://hooks.lejourpile.fr/", "--events", "x.y"], "x.y"),
    (["webhook", "remove", "{site}", "999"], "No such webhook"),
])
def test_cli_bad_webhook_commands_fail_with_a_message(runner, site, args, message):
    result = runner.invoke(args=[a.replace("{site}", site.key) for a in args])

    assert result.exit_code != 0 and message in result.output


def test_a_host_name_with_a_label_over_63_characters_is_refused(site):
    with pytest.raises(webhooks.ValidationError) as refused:
        webhooks.add_endpoint(site, f"https://{'a' * 64}.lejourpile.fr/")

    assert refused.value.fields.get("url")


def test_a_removed_endpoints_events_never_reach_a_newer_one(client, runner, site, receiver):
    old = add(site, receiver.url)
    post_comment(client)
    webhooks.remove_endpoint(old)
    db.session.commit()
    newer = add(site, receiver.url)
    # SQLite may give the newer endpoint the removed one's id: the event must still not go.
    for message in db.session.scalars(select(OutboxMessage)):
        message.payload = {**message.payload, "endpoint": newer.id}
    db.session.commit()

    deliver(runner)

    assert receiver.received == []
    assert db.session.scalar(select(OutboxMessage.state)) == OutboxState.DROPPED


def test_another_sites_endpoint_never_gets_the_event(client, runner, site, receiver):
    other = make_site("autre", origins=("https://autre.fr",))
    db.session.commit()
    add(site, "https://outils.lejourpile.fr/engage", ["comment.reported"])  # wants nothing here
    foreign = add(other, receiver.url)
    mine = add(site, receiver.url)
    post_comment(client)
    for message in db.session.scalars(select(OutboxMessage)):
        assert message.payload["endpoint"] == mine.id
        message.payload = {**message.payload, "endpoint": foreign.id}
    db.session.commit()

    deliver(runner)

    assert receiver.received == []


TLS_HOST = "hooks.lejourpile.test"


@pytest.fixture
def tls(monkeypatch, tmp_path):
    """A TLS context for a receiver named TLS_HOST (which resolves to 127.0.0.1), under an
    authority engage trusts (SSL_CERT_FILE); a test may point SSL_CERT_FILE elsewhere."""
    import ssl

    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(TLS_HOST).configure_cert(context)
    real_getaddrinfo = webhooks.socket.getaddrinfo
    monkeypatch.setattr(webhooks.socket, "getaddrinfo",
                        lambda host, *a, **k: real_getaddrinfo("127.0.0.1", *a, **k))
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    return context


def test_an_https_endpoint_is_called_over_verified_tls(client, runner, site, monkeypatch, tls,
                                                       tmp_path):
    import trustme

    receiver = Receiver(tls=tls, host=TLS_HOST)
    try:
        add(site, receiver.url)
        post_comment(client)
        (tmp_path / "nobody.pem").write_text(trustme.CA().cert_pem.bytes().decode())
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nobody.pem"))

        deliver(runner)  # a certificate from an authority the system does not trust

        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        retry_now()
        deliver(runner)
    finally:
        receiver.close()
    first, second = db.session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))
    assert not first.ok and "CERTIFICATE_VERIFY_FAILED" in first.detail
    assert second.ok and second.detail.startswith("HTTP 200")
    assert len(receiver.received) == 1


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline(client, runner, site,
                                                                   monkeypatch, request, scheme):
    # One byte every 0.2 s: each read is well within TIMEOUT, the whole answer is not. Over
    # TLS too, where wrapping detaches the socket the watchdog must cut.
    monkeypatch.setattr(webhooks, "DEADLINE", 1.0)
    tls = request.getfixturevalue("tls") if scheme == "https" else None
    receiver = Receiver(drip=0.2, tls=tls, host=TLS_HOST if tls else "127.0.0.1")
    try:
        add(site, receiver.url)
        post_comment(client)
        started = time.monotonic()

        output = deliver(runner)

        took = time.monotonic() - started
    finally:
        receiver.close()
    assert "1 failed" in output
    assert took < 3.0, f"the worker waited {took:.1f} s on a dripping receiver"
    [attempt] = db.session.scalars(select(DeliveryAttempt)).all()
    assert not attempt.ok and "within 1 s" in attempt.detail


@pytest.mark.parametrize("answer", [
    b"NOT HTTP AT ALL\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(120)) + b"\r\n",
], ids=["not-http", "endless-header", "too-many-headers"])
def test_an_answer_that_is_not_http_is_a_logged_failure_of_its_endpoint(client, runner, site,
                                                                         answer):
    receiver = Receiver(raw=answer)
    try:
        endpoint = add(site, receiver.url)
        post_comment(client)

        output = deliver(runner)
    finally:
        receiver.close()
    assert "1 failed" in output
    [attempt] = db.session.scalars(select(DeliveryAttempt)).all()
    assert not attempt.ok and attempt.endpoint_id == endpoint.id
    db.session.refresh(endpoint)
    assert endpoint.failures == 1  # counted towards disabling it
