"""Commands that deliver what leaves the server: `engage notify`, `engage worker`, and the
`engage webhook` group. Thin wrappers over engage.worker and services/webhooks.py."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .errors import ApiError
from .extensions import db
from .models import OutboxKind, OutboxMessage, OutboxState, Site
from .services import sites, webhooks
from .services.sites import settings_of
from .worker import Worker

webhook_cli = AppGroup("webhook", help="Tell the site's own tools about comments (signed).")


def _mails_waiting() -> bool:
    if any(settings_of(site).notify_moderators for site in db.session.scalars(select(Site))):
        return True
    return db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.state == OutboxState.PENDING,
        OutboxMessage.kind != OutboxKind.WEBHOOK).limit(1)) is not None


@click.command("notify")
def notify_command() -> None:
    """Deliver the outbox once: moderators' digests, reply notifications, webhooks (cron)."""
    done = Worker().run_once()
    if not current_app.config.get("ENGAGE_SMTP_URL") and _mails_waiting():
        raise click.ClickException(
            f"ENGAGE_SMTP_URL is not set: no e-mail can be sent ({done.sent} webhook(s) sent).")
    if not (done.digests or done.sent or done.failed or done.dropped or done.postponed):
        click.echo("Nothing new to tell moderators or readers.")
        return
    for error in done.errors[:5]:
        click.echo(f"failed: {error}", err=True)
    click.echo(str(done))


@click.command("worker")
@click.option("--interval", type=click.FloatRange(0.1, 3600),
              help="Seconds between passes (default ENGAGE_WORKER_INTERVAL, 2).")
def worker_command(interval: float | None) -> None:
    """Deliver the outbox until stopped (SIGTERM or Ctrl+C finish the message in hand)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if not current_app.config.get("ENGAGE_SMTP_URL"):
        click.echo("engage worker: ENGAGE_SMTP_URL is not set, only webhooks are delivered; "
                   "e-mails wait in the outbox.", err=True)
    worker = Worker()
    every = interval or float(current_app.config["ENGAGE_WORKER_INTERVAL"])
    click.echo(f"engage worker {worker.name}: a pass every {every:g} s.", err=True)
    worker.run_forever(stop, every)
    click.echo("engage worker: stopped.", err=True)


def _site(key: str) -> Site:
    try:
        return sites.get_site(key)
    except ApiError as error:
        raise click.ClickException(error.describe()) from None


@webhook_cli.command("add")
@click.argument("key")
@click.argument("url")
@click.option("--events", help="Comma-separated, among " + ", ".join(webhooks.EVENTS)
              + " (default: all).")
def webhook_add(key: str, url: str, events: str | None) -> None:
    """Send the site's comment events to URL; prints the signing secret on the last line."""
    wanted = [e.strip() for e in events.split(",") if e.strip()] if events else None
    try:
        endpoint = webhooks.add_endpoint(_site(key), url, wanted)
    except ApiError as error:
        raise click.ClickException(error.describe()) from None
    db.session.commit()
    click.echo(f"Added webhook #{endpoint.id} for {key}: {endpoint.url} "
               f"({', '.join(endpoint.events)}). Its signing secret:")
    click.echo(endpoint.secret)


@webhook_cli.command("list")
@click.argument("key")
def webhook_list(key: str) -> None:
    """List the site's webhook endpoints and their state."""
    for endpoint in webhooks.endpoints_of(_site(key)):
        state = "enabled" if endpoint.enabled else f"disabled ({endpoint.disabled_reason})"
        click.echo(f"#{endpoint.id}  {endpoint.url}  {state}  {', '.join(endpoint.events)}")


@webhook_cli.command("remove")
@click.argument("key")
@click.argument("endpoint_id", type=int)
def webhook_remove(key: str, endpoint_id: int) -> None:
    """Remove a webhook endpoint, its undelivered events and its log."""
    try:
        webhooks.remove_endpoint(webhooks.endpoint_of(_site(key), endpoint_id))
    except ApiError as error:
        raise click.ClickException(error.describe()) from None
    db.session.commit()
    click.echo(f"Removed webhook #{endpoint_id}.")
