"""The outbox worker: deliver due e-mails and webhooks, with retries and a log of each try.

`engage notify` runs one pass (cron); `engage worker` runs passes until stopped. A pass
queues the moderators' digests, claims due messages (services/outbox.py) and delivers each
in its own transaction: the claim keeps other workers off it, the commit after the send
marks it sent. A worker killed between a send and that commit sends the message again
once its lease ends: delivery is at least once, and only in that narrow case.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import smtplib
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from flask import current_app

from .extensions import begin_write, db
from .models import OutboxKind, OutboxMessage, WebhookEndpoint
from .services import notify, outbox, replies, webhooks

log = logging.getLogger(__name__)

@dataclass
class Pass:
    """What one pass did."""

    digests: int = 0
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    postponed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.digests} digest(s) queued, {self.sent} sent, {self.failed} failed "
                f"(retried later), {self.dropped} with nothing left to send, "
                f"{self.postponed} waiting for their batching window.")


class Worker:
    """Delivers the outbox under one name (host, pid, random), so claims say whose they are."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._smtp: smtplib.SMTP | None = None

    def run_once(self) -> Pass:
        """Queue the digests, then deliver everything due; return what happened."""
        done = Pass()
        config = current_app.config
        kinds = None
        if config.get("ENGAGE_SMTP_URL"):
            begin_write()
            done.digests = notify.queue_digests(replies.base_url())
            db.session.commit()
        else:
            kinds = [OutboxKind.WEBHOOK]  # e-mails wait until SMTP is configured
        try:
            while True:
                ids = outbox.claim(self.name, kinds=kinds)
                for message_id in ids:
                    self._deliver(message_id, done)
                if len(ids) < 20:
                    break
        finally:
            db.session.rollback()
            if self._smtp is not None:
                try:
                    self._smtp.quit()
                except (smtplib.SMTPException, OSError):
                    pass  # a polite QUIT only: the mails were accepted or failed already
                self._smtp = None
        return done

    def run_forever(self, stop: threading.Event, interval: float) -> None:
        """Run passes every `interval` seconds until `stop` is set; a failing pass is logged."""
        while not stop.is_set():
            try:
                done = self.run_once()
                if done.sent or done.failed:
                    log.info("outbox: %s", done)
            except Exception:  # the database away: try again next round
                db.session.rollback()
                log.exception("outbox pass failed")
            stop.wait(interval)

    # -- one message ---------------------------------------------------------------------
    #
    # Each delivery reads (and renders) in one short transaction, sends with no transaction
    # open, then records the outcome in another. A slow endpoint or SMTP server thus never
    # holds a lock, which on SQLite would keep readers' comments from being written.

    def _deliver(self, message_id: int, done: Pass) -> None:
        started = time.monotonic()
        try:
            begin_write()  # rendering may take reply notices (SQLite: the write lock up front)
            message = outbox.held_by(message_id, self.name)
            if message is None:
                db.session.rollback()
                return
            if message.kind == OutboxKind.WEBHOOK:
                self._deliver_webhook(message, done)
            else:
                self._deliver_mail(message, done)
        except Exception as exc:  # one bad message (an address a header refuses…)
            # must not jam the outbox: it counts as a failed attempt, and the pass goes on.
            db.session.rollback()
            log.exception("outbox message %s failed", message_id)
            self._record(message_id, done, ok=False, started=started,
                         detail=f"{type(exc).__name__}: {exc}")

    def _record(self, message_id: int, done: Pass, *, ok: bool, detail: str, started: float,
                status_code: int | None = None, endpoint_id: int | None = None) -> None:
        begin_write()
        message = outbox.held_by(message_id, self.name)
        if message is None:  # our lease ran out mid-send: another worker has it now
            db.session.rollback()
            return
        outbox.log_attempt(message, ok=ok, detail=detail, status_code=status_code,
                           endpoint_id=endpoint_id,
                           duration_ms=int((time.monotonic() - started) * 1000))
        if endpoint_id is not None:
            endpoint = db.session.get(WebhookEndpoint, endpoint_id)
            if endpoint is not None:
                webhooks.record_outcome(endpoint, ok)
        if ok:
            outbox.mark_sent(message)
            done.sent += 1
        else:
            outbox.mark_failed(message, detail)
            done.failed += 1
            done.errors.append(detail)
        db.session.commit()

    def _drop(self, message: OutboxMessage, done: Pass, why: str) -> None:
        outbox.mark_dropped(message, why)
        done.dropped += 1
        db.session.commit()

    def _deliver_webhook(self, message: OutboxMessage, done: Pass) -> None:
        endpoint = db.session.get(WebhookEndpoint, message.payload.get("endpoint"))
        # An id reused after a removal (SQLite) names another endpoint: never its events.
        if (endpoint is not None and (endpoint.site_id != message.site_id
                                      or endpoint.created_at > message.created_at)):
            endpoint = None
        if endpoint is None or not endpoint.enabled:
            self._drop(message, done, "the endpoint was removed or disabled")
            return
        target = webhooks.Target(endpoint.id, endpoint.url, endpoint.secret)
        message_id, body = message.id, str(message.payload["body"])
        db.session.commit()
        started = time.monotonic()
        outcome = webhooks.deliver(target, body)
        self._record(message_id, done, ok=outcome.ok, detail=outcome.detail, started=started,
                     status_code=outcome.status_code, endpoint_id=target.id)

    def _render(self, message: OutboxMessage) -> EmailMessage | dt.datetime | None:
        if message.kind == OutboxKind.CONFIRMATION:
            return replies.confirmation_mail(message)
        if message.kind == OutboxKind.REPLIES:
            return replies.replies_mail(message)
        return notify.digest_mail(message.payload)

    def _deliver_mail(self, message: OutboxMessage, done: Pass) -> None:
        url = str(current_app.config["ENGAGE_SMTP_URL"])
        mail = self._render(message)
        if mail is None:
            self._drop(message, done, "nothing left to send")
            return
        if isinstance(mail, dt.datetime):
            outbox.postpone(message, mail)
            done.postponed += 1
            db.session.commit()
            return
        message_id = message.id
        db.session.commit()  # the notices this mail took stay its own, sent or retried
        started = time.monotonic()
        try:
            if self._smtp is None:
                self._smtp = notify.smtp_client(url)
            self._smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp = None
            self._record(message_id, done, ok=False, started=started,
                         detail=f"{type(exc).__name__}: {exc}")
            return
        self._record(message_id, done, ok=True, detail="accepted by the SMTP server",
                     started=started)
