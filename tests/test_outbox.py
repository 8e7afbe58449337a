"""The outbox's promises: nothing sent for a rolled-back write, nothing lost when a worker
dies holding a message, and no message sent twice by workers side by side."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import select, update

from engage.extensions import db
from engage.models import OutboxKind, OutboxMessage, OutboxState
from engage.services import comments, outbox, webhooks
from engage.services.comments import NewComment
from engage.services.threads import ArticleRef
from engage.worker import Pass, Worker
from tests.api.helpers import post_comment
from tests.factories import make_site


@pytest.fixture
def app_config():
    return {"ENGAGE_WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.fixture
def site(app, receiver):
    site = make_site()
    webhooks.add_endpoint(site, receiver.url, ["comment.created"])
    db.session.commit()
    return site


def comment_ids(receiver):
    return [json.loads(body)["data"]["comment"]["id"] for _, body in receiver.received]


def test_a_rolled_back_comment_sends_nothing(site, receiver):
    comments.post_comment(site, NewComment(
        article=ArticleRef(site.key, "2026/12/x", "https://lejourpile.fr/2026/12/x", "X"),
        parent_id=None, author="Awa", email=None, body="Bonjour « vous »"),
        reader_hash=None, ip_hash=None)
    assert db.session.scalar(select(OutboxMessage)) is not None  # written with the comment

    db.session.rollback()  # the request failed before its commit
    Worker().run_once()

    assert receiver.received == []
    assert db.session.scalar(select(OutboxMessage)) is None


def test_a_worker_dying_after_its_claim_loses_nothing_and_sends_once(client, site, receiver):
    comment_id = post_comment(client).get_json()["comment"]["id"]
    dead = Worker("dead-worker")
    assert len(outbox.claim(dead.name)) == 1  # committed claim, then the process dies

    alive = Worker("alive-worker")
    alive.run_once()
    assert receiver.received == []  # the lease still holds: not sent behind its back

    db.session.execute(update(OutboxMessage).values(
        claimed_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    db.session.commit()
    alive.run_once()
    assert comment_ids(receiver) == [comment_id]

    # The dead worker's process was only frozen; back, it finds its claim gone.
    for message_id in [m.id for m in db.session.scalars(select(OutboxMessage))]:
        dead._deliver(message_id, Pass())
    alive.run_once()
    assert comment_ids(receiver) == [comment_id]
    message = db.session.scalar(select(OutboxMessage))
    assert message.state == OutboxState.SENT and message.claimed_by == "alive-worker"


def test_two_workers_side_by_side_send_each_message_once(app, client, site, receiver):
    posted = [post_comment(client).get_json()["comment"]["id"] for _ in range(40)]
    db.session.remove()
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def work(name: str) -> None:
        with app.app_context():
            try:
                start.wait()
                worker = Worker(name)
                for _ in range(3):
                    worker.run_once()
            except BaseException as exc:  # noqa: BLE001 (reported by the test below)
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sorted(comment_ids(receiver)) == sorted(posted)  # each one, exactly once
    claimants = {m.claimed_by for m in db.session.scalars(select(OutboxMessage))}
    assert all(m.state == OutboxState.SENT for m in db.session.scalars(select(OutboxMessage)))
    if db.engine.dialect.name == "postgresql":
        # SKIP LOCKED lets both claim at once; each took its own share.
        assert claimants == {"worker-1", "worker-2"}


def test_a_claim_skips_what_another_claim_holds(client, site):
    for _ in range(3):
        post_comment(client)

    first = outbox.claim("one", limit=2)
    second = outbox.claim("two", limit=2)

    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert outbox.claim("three") == []


def test_a_message_that_cannot_be_rendered_fails_alone_and_the_rest_go(
        app, client, site, receiver, monkeypatch):
    from engage.services import replies

    post_comment(client)
    broken = outbox.enqueue(site.id, OutboxKind.CONFIRMATION, {"subscriber": 1})
    db.session.commit()
    app.config["ENGAGE_SMTP_URL"] = "smtp://127.0.0.1:9"

    def refuse(message):
        raise ValueError("the To header refuses this address")

    monkeypatch.setattr(replies, "confirmation_mail", refuse)
    done = Worker().run_once()

    assert len(receiver.received) == 1 and done.sent == 1 and done.failed == 1
    failed = db.session.get(OutboxMessage, broken.id, populate_existing=True)
    assert failed.state == OutboxState.PENDING and failed.attempts == 1
    assert "To header" in failed.last_error
