"""The `engage` command line (CONTRACT §4): thin Click wrappers over the services."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from . import create_app, outbox_commands
from .errors import ApiError
from .extensions import MIGRATIONS_DIRECTORY, db
from .importers import commands as importers_commands
from .models import ModeratorRole
from .services import accounts, privacy, sites, sso

site_cli = AppGroup("site", help="Add and configure sites.")
moderator_cli = AppGroup("moderator", help="Add moderators and their API tokens.")
reader_cli = AppGroup("reader", help="Readers' data-subject requests (GDPR).")


def _fail(error: ApiError) -> click.ClickException:
    return click.ClickException(error.describe())


@click.command("init")
def init_command() -> None:
    """Create or migrate the database to the latest schema."""
    upgrade(directory=MIGRATIONS_DIRECTORY)
    click.echo("Database is up to date.")


@site_cli.command("add")
@click.argument("key")
@click.option("--name", required=True, help="The site's name, shown to moderators.")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    required=True,
    help="An origin the site's pages are served from, e.g. https://www.example.org.",
)
def site_add(key: str, name: str, origins: tuple[str, ...]) -> None:
    """Add a site that may embed engage."""
    try:
        site = sites.add_site(key, name, origins)
    except ApiError as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(f"Added site {site.key} ({', '.join(sorted(site.origin_set))}).")


@site_cli.command("set")
@click.argument("key")
@click.argument("options", nargs=-1, required=True, metavar="OPTION=VALUE...")
def site_set(key: str, options: tuple[str, ...]) -> None:
    """Set site options, e.g. moderation=pre edit_window=30 origin=https://example.org."""
    pairs: dict[str, str] = {}
    new_origins: list[str] = []
    for option in options:
        name, sep, value = option.partition("=")
        if not sep:
            raise click.BadParameter(f"{option!r} is not OPTION=VALUE", param_hint="OPTIONS")
        if name.strip() == "origin":
            new_origins.append(value.strip())
        else:
            pairs[name.strip()] = value.strip()
    try:
        site = sites.get_site(key)
        sites.add_origins(site, new_origins)
        settings = sites.set_options(site, pairs)
    except ApiError as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(f"Site {site.key}: {settings}, origins {', '.join(sorted(site.origin_set))}.")


@moderator_cli.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in ModeratorRole]), required=True)
@click.option("--site", "site_keys", multiple=True, help="A site this moderator works on.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def moderator_add(email: str, role: str, site_keys: tuple[str, ...], password_stdin: bool) -> None:
    """Add a moderator (the password is prompted, or read with --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        moderator = accounts.add_moderator(email, password, ModeratorRole(role), site_keys)
    except ApiError as error:
        raise _fail(error) from None
    db.session.commit()
    scope = (
        "every site"
        if moderator.role == ModeratorRole.ADMIN
        else (", ".join(s.key for s in moderator.sites) or "no site yet")
    )
    click.echo(f"Added {moderator.role.value} {moderator.email} ({scope}).")


@moderator_cli.command("token")
@click.argument("email")
def moderator_token(email: str) -> None:
    """Print a new API token for a moderator (it is shown only once)."""
    try:
        token = accounts.new_api_token(accounts.find_moderator(email))
    except ApiError as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(token)


@moderator_cli.command("revoke-tokens")
@click.argument("email")
def moderator_revoke_tokens(email: str) -> None:
    """Revoke every API token of a moderator."""
    try:
        count = accounts.revoke_tokens(accounts.find_moderator(email))
    except ApiError as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(f"Revoked {count} token(s) of {email}.")


@moderator_cli.command("list")
def moderator_list() -> None:
    """List every account: e-mail, role, sites, and whether it is disabled."""
    for moderator in accounts.all_moderators():
        scope = ("every site" if moderator.role == ModeratorRole.ADMIN
                 else ", ".join(sorted(s.key for s in moderator.sites)) or "no site")
        state = "active" if moderator.is_active else "DISABLED"
        click.echo(f"{moderator.email}  {moderator.role.value}  {state}  {scope}")


def _moderator_or_fail(email: str) -> Any:
    try:
        return accounts.find_moderator(email)
    except ApiError as error:
        raise _fail(error) from None


@moderator_cli.command("disable")
@click.argument("email")
def moderator_disable(email: str) -> None:
    """Disable an account: its sessions end and its API tokens stop working at once."""
    accounts.set_active(_moderator_or_fail(email), False)
    db.session.commit()
    click.echo(f"Disabled {email}: signed out everywhere, API tokens refused.")


@moderator_cli.command("enable")
@click.argument("email")
def moderator_enable(email: str) -> None:
    """Enable a disabled account again (it signs in anew; revoked tokens stay revoked)."""
    accounts.set_active(_moderator_or_fail(email), True)
    db.session.commit()
    click.echo(f"Enabled {email}.")


@moderator_cli.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def moderator_password(email: str, password_stdin: bool) -> None:
    """Change a moderator's password (prompted, or read with --password-stdin); every
    session of theirs ends."""
    moderator = _moderator_or_fail(email)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.set_password(moderator, password)
    except ApiError as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(f"Password of {email} changed; their sessions are ended.")


@site_cli.command("sso")
@click.argument("key")
@click.option("--rotate", is_flag=True,
              help="Make a new secret (printed on the last line); the old one keeps working "
                   "for 24 hours.")
@click.option("--off", is_flag=True, help="Stop trusting any token the site signed.")
def site_sso(key: str, rotate: bool, off: bool) -> None:
    """Single sign-on: the secret the site's login signs its readers' tokens with."""
    if rotate and off:
        raise click.UsageError("--rotate or --off, not both.")
    try:
        site = sites.get_site(key)
    except ApiError as error:
        raise _fail(error) from None
    if off:
        sso.turn_off(site)
        db.session.commit()
        click.echo(f"Single sign-on is off for {key}: tokens it signed are refused.")
        return
    if not rotate:
        if not site.sso_secret:
            click.echo(f"Single sign-on is off for {key} (--rotate makes a secret).")
        else:
            trusted = len(sso.trusted_secrets(site))
            click.echo(f"Single sign-on is on for {key}, secret made "
                       f"{site.sso_rotated_at:%Y-%m-%d %H:%M} UTC"
                       + (" (the previous one is still trusted)" if trusted > 1 else "") + ".")
        return
    secret = sso.rotate_secret(site)
    db.session.commit()
    click.echo(f"New single sign-on secret for {key}; the previous one, if any, is trusted "
               f"for 24 more hours. Sign readers' tokens (HS256) with:")
    click.echo(secret)


@site_cli.command("list")
def site_list() -> None:
    """List the sites: key, name, origins, comments."""
    for site in sites.all_sites():
        click.echo(f"{site.key}  {site.name}  {', '.join(sorted(site.origin_set))}  "
                   f"{sites.comment_total(site)} comment(s)")


@site_cli.command("remove")
@click.argument("key")
@click.option("--with-comments", is_flag=True,
              help="Also delete the site's comments (refused without it when there are some).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def site_remove(key: str, with_comments: bool, yes: bool) -> None:
    """Remove a site with its threads, reactions, bans and audit log."""
    try:
        site = sites.get_site(key)
        if not yes:
            click.confirm(f"Remove the site {key} ({site.name}) and everything of it?",
                          abort=True)
        removed = sites.remove_site(site, with_comments=with_comments)
    except ApiError as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(f"Removed the site {key} and its {removed} comment(s).")


ban_cli = AppGroup("ban", help="See and lift the bans of a site.")


@ban_cli.command("list")
@click.argument("key")
def ban_list(key: str) -> None:
    """List the site's bans in force: id, what they match, until when, by whom, why."""
    from .services import bans

    try:
        found = bans.bans_of(sites.get_site(key))
    except ApiError as error:
        raise _fail(error) from None
    if not found:
        click.echo(f"No ban in force on {key}.")
    for ban in found:
        until = ban.expires_at.strftime("until %Y-%m-%d %H:%M UTC") if ban.expires_at \
            else "permanent"
        who = ban.moderator.email if ban.moderator else "?"
        comment = f"comment #{ban.comment_id}" if ban.comment_id else "comment gone"
        click.echo(f"#{ban.id}  {'+'.join(bans.identifiers_of(ban))}  {until}  "
                   f"{ban.created_at:%Y-%m-%d} by {who}  {comment}  {ban.reason or '-'}")


@ban_cli.command("lift")
@click.argument("ban_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--reason", default="", help="Why, for the audit log.")
def ban_lift(ban_id: int, reason: str) -> None:
    """Lift a ban: the author may comment again at once (audited)."""
    from .services import bans

    try:
        bans.lift(None, bans.ban_for(None, ban_id), reason)
    except ApiError as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(f"Lifted ban #{ban_id}.")


@click.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(1, 36500),
    required=True,
    metavar="DAYS",
    help="Retention: personal data older than this is dropped.",
)
def purge_command(days: int) -> None:
    """Drop IP hashes, reader hashes and emails older than the retention period."""
    done = privacy.purge(days)
    db.session.commit()
    click.echo(
        f"Purged personal data older than {days} days: {done['comments']} comment(s), "
        f"{done['bans']} expired ban(s), {done['reports']} settled report(s), "
        f"{done['subscriptions']} reply subscription(s)."
    )


def _data_subject(email: str | None, site_key: str | None,
                  account: str | None) -> privacy.Subject:
    """EMAIL, or --site KEY --account ID (the user id the site signs its readers in with)."""
    if (account is None) != (site_key is None):
        raise click.UsageError("--account and --site go together: the user id is the site's.")
    if email is None and account is None:
        raise click.UsageError("Give an EMAIL, or --site KEY --account ID.")
    key = None
    if account is not None:
        try:
            site = sites.get_site(site_key)
        except ApiError as error:
            raise _fail(error) from None
        key = privacy.account_of(site, account).account_key
    return privacy.Subject(email=email, account_key=key)


_subject_options = [
    click.argument("email", required=False),
    click.option("--site", "site_key", metavar="KEY", help="With --account: the site."),
    click.option("--account", metavar="ID",
                 help="The site's user id (the `sub` of its sign-in tokens)."),
]


def _with_subject_options(command: Any) -> Any:
    for decorate in reversed(_subject_options):
        command = decorate(command)
    return command


@reader_cli.command("export")
@_with_subject_options
def reader_export(email: str | None, site_key: str | None, account: str | None) -> None:
    """Print, as JSON, everything stored about the author of EMAIL, or of a signed-in
    account (--site KEY --account ID)."""
    subject = _data_subject(email, site_key, account)
    click.echo(json.dumps(privacy.export(subject), ensure_ascii=False, indent=2))


@reader_cli.command("erase")
@_with_subject_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reader_erase(email: str | None, site_key: str | None, account: str | None,
                 yes: bool) -> None:
    """Erase the personal data of the author of EMAIL, or of a signed-in account (--site KEY
    --account ID); comments per each site's choice."""
    subject = _data_subject(email, site_key, account)
    who = email or f"account {account} of {site_key}"
    if not yes:
        click.confirm(f"Erase every comment's personal data for {who}?", abort=True)
    count = privacy.erase(subject)
    db.session.commit()
    click.echo(f"Erased the personal data of {count} comment(s) by {who}.")


def register(app: Flask) -> None:
    """Attach the commands that need a configured app to app.cli."""
    app.cli.add_command(init_command)
    app.cli.add_command(site_cli)
    app.cli.add_command(moderator_cli)
    app.cli.add_command(ban_cli)
    app.cli.add_command(reader_cli)
    app.cli.add_command(purge_command)
    app.cli.add_command(outbox_commands.notify_command)
    app.cli.add_command(outbox_commands.worker_command)
    app.cli.add_command(outbox_commands.webhook_cli)
    app.cli.add_command(importers_commands.import_cli)
    app.cli.add_command(importers_commands.export_command)


@click.command("demo", help="Create a demo database, site and article, then serve them locally.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
def demo_command(port: int, host: str) -> None:
    from .demo import prepare_demo

    app = create_app({"ENGAGE_DEMO": True, "ENGAGE_DEMO_PORT": port})
    with app.app_context():
        for line in prepare_demo(app, port):
            click.echo(line)
    click.echo(f"Open http://127.0.0.1:{port}/ (Ctrl+C stops the demo).")
    # Werkzeug's server directly: Flask refuses app.run() inside its own CLI.
    run_simple(host, port, app, threaded=True)


@click.command(
    "serve",
    context_settings={"ignore_unknown_options": True},
    help="Serve engage with gunicorn, with settings that fit this configuration. Arguments "
    "after -- go to gunicorn as they are (e.g. -- --daemon --pid engage.pid --error-logfile "
    "error.log --access-logfile access.log).",
)
@click.option("--bind", metavar="ADDR", help="Address to listen on (default 127.0.0.1:8000; "
              "unix:/run/engage.sock for a socket).")
@click.option("--workers", type=click.IntRange(1, 64),
              help="Processes (default: 1 on SQLite, one per core on PostgreSQL).")
@click.option("--threads", type=click.IntRange(1, 256),
              help="Threads per process (default 8).")
@click.option("--allow-per-process-limits", is_flag=True,
              help="Start several processes even though rate limits count in each one's memory.")
@click.option("--with-worker", is_flag=True,
              help="Also run `engage worker` (e-mails, webhooks) beside the server, on one box.")
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve_command(
    bind: str | None,
    workers: int | None,
    threads: int | None,
    allow_per_process_limits: bool,
    with_worker: bool,
    gunicorn_args: tuple[str, ...],
) -> None:
    from .config import ConfigError
    from .serving import CONFIG_FILE
    from .serving.settings import pick, read_config, refusal

    try:
        settings = pick(read_config())
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    reason = refusal(settings, workers or settings.workers, allow_per_process_limits)
    if reason:
        raise click.ClickException(f"refusing to start: {reason}")
    argv = [sys.executable, "-m", "gunicorn", "--config", CONFIG_FILE]
    for flag, value in (("--bind", bind), ("--workers", workers), ("--threads", threads)):
        if value is not None:
            argv += [flag, str(value)]
    if allow_per_process_limits:
        os.environ["ENGAGE_ALLOW_PER_PROCESS_LIMITS"] = "1"
    if with_worker:
        os.environ["ENGAGE_WITH_WORKER"] = "1"  # read by gunicorn.conf.py's when_ready
    click.echo(
        f"engage: gunicorn on {bind or os.environ.get('ENGAGE_BIND', '127.0.0.1:8000')}, "
        f"{workers or settings.workers} process(es) x {threads or settings.threads} threads, "
        f"{settings.backend}, rate limits in {settings.storage_uri.split(':', 1)[0]}",
        err=True,
    )
    # gunicorn takes this process's place: signals (TERM, HUP for a graceful reload) reach it.
    exec_server(argv + list(gunicorn_args))


def exec_server(argv: list[str]) -> None:
    """Replace this process with the server (a seam for the tests)."""
    os.execv(argv[0], argv)


def _create_cli_app() -> Flask:
    # Operators' commands are not bounded by the web's statement timeout (config.py).
    return create_app({"ENGAGE_CLI": True})


cli = FlaskGroup(create_app=_create_cli_app, help="engage: comments for news sites.")
cli.add_command(demo_command)
cli.add_command(serve_command)


def main() -> None:
    """Run the `engage` command line."""
    cli.main(prog_name="engage")
