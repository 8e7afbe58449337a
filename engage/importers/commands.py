"""`engage import wordpress|disqus|engage` and `engage export`: the command line of
engage/importers, with a progress bar on a terminal and a summary table at the end."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from ..errors import ApiError
from ..extensions import db
from ..services import sites


def _fail(error: ApiError) -> click.ClickException:
    return click.ClickException(error.describe())


import_cli = AppGroup("import", help="Bring in comments from another system's export.")


def import_command(name: str) -> Any:
    """An `engage import NAME FILE --site KEY [--dry-run]` command."""
    def register(command: Any) -> Any:
        command = click.option("--dry-run", is_flag=True,
                               help="Read everything and report, write nothing.")(command)
        command = click.option("--site", "site_key", required=True,
                               help="The site's key (engage site add).")(command)
        command = click.argument("file", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path))(command)
        return import_cli.command(name)(command)
    return register


@import_command("wordpress")
@click.option("--timezone", "zone", default="Europe/Paris", show_default=True,
              help="The blog's time zone, for comments with local times only.")
def import_wordpress(file: Path, site_key: str, dry_run: bool, zone: str) -> None:
    """Import a WordPress export (WXR: .xml, .xml.gz or a .zip holding one).

    Running it again creates nothing twice; after the export grew, it adds what is new.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from .files import ImportFileError, open_export
    from .load import import_posts
    from .wxr import check_file, read_posts

    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--timezone") from None
    try:
        site = sites.get_site(site_key)
    except ApiError as error:
        raise _fail(error) from None
    try:
        # First the whole file is read: a malformed or truncated one imports nothing at all.
        reader, size = open_export(file)
        with _progress(size, "checking") as bar:
            check_file(reader, file.name, "rss", lambda: bar.update(reader.consumed - bar.pos))
        reader, size = open_export(file)
        started = time.monotonic()
        with _progress(size, "dry run" if dry_run else "importing") as bar:
            def progress(summary: Any) -> None:
                bar.update(reader.consumed - bar.pos)
                rate = summary.comments_read / max(time.monotonic() - started, 1e-3)
                bar.label = f"{'dry run' if dry_run else 'importing'}, {rate:,.0f} comments/s"

            summary = import_posts(site, read_posts(reader, file.name), zone=tz,
                                   dry_run=dry_run, progress=progress)
    except ImportFileError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(_summary_table(summary, dry_run))


@import_command("disqus")
def import_disqus(file: Path, site_key: str, dry_run: bool) -> None:
    """Import a Disqus export (.xml or .xml.gz, as Disqus delivers it).

    Disqus threads whose links differ only by query, scheme, www. or a translate or cache
    proxy become one article. Running it again creates nothing twice.
    """
    import datetime as dt

    from . import disqus
    from .files import ImportFileError, open_export
    from .load import import_posts

    try:
        site = sites.get_site(site_key)
    except ApiError as error:
        raise _fail(error) from None
    try:
        with disqus.staged_posts() as stage:
            # The whole file is read (its posts staged) before anything is written.
            reader, size = open_export(file)
            with _progress(size, "reading") as bar:
                threads = disqus.read_threads(reader, file.name, stage,
                                              lambda: bar.update(reader.consumed - bar.pos))
                bar.update(size - bar.pos)
            skipped: dict[str, int] = {}
            posts = disqus.read_posts(threads, stage, skipped)
            label = "dry run" if dry_run else "importing"
            started = time.monotonic()
            # The second phase is counted in comments: the file is read already.
            with _progress(disqus.staged_count(stage), label) as bar:
                def progress(summary: Any) -> None:
                    bar.update(summary.comments_read - bar.pos)
                    rate = summary.comments_read / max(time.monotonic() - started, 1e-3)
                    bar.label = f"{label}, {rate:,.0f} comments/s"

                summary = import_posts(site, posts, zone=dt.UTC, dry_run=dry_run,
                                       progress=progress, source="disqus")
                bar.update(bar.length - bar.pos)  # posts of missing threads: not read
            for reason, n in skipped.items():
                summary.add("comments", "skipped", reason, n)
    except ImportFileError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(_summary_table(summary, dry_run))


@import_command("engage")
def import_engage(file: Path, site_key: str, dry_run: bool) -> None:
    """Import an engage export (engage export), e.g. to move a site to another server."""
    from .engage_format import import_lines, read_lines
    from .files import ImportFileError, open_export

    try:
        site = sites.get_site(site_key)
    except ApiError as error:
        raise _fail(error) from None
    try:
        reader, size = open_export(file, (".jsonl", ".json"))
        with _progress(size, "checking") as bar:
            for _line in read_lines(reader, file.name):
                bar.update(reader.consumed - bar.pos)
        reader, size = open_export(file, (".jsonl", ".json"))
        summary = import_lines(site, read_lines(reader, file.name), dry_run=dry_run)
    except ImportFileError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(_summary_table(summary, dry_run))


@click.command("export")
@click.option("--site", "site_key", required=True, help="The site's key.")
@click.option("--format", "form", type=click.Choice(["json", "wxr"]), default="json",
              show_default=True, help="json: JSON Lines, read back by `engage import engage`; "
              "wxr: a WordPress export (README: Export).")
@click.option("--include-private", is_flag=True, help="Include authors' e-mail addresses.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
def export_command(site_key: str, form: str, include_private: bool, output: Path | None) -> None:
    """Export a site's threads, comments (statuses, times, nesting), reactions and shares."""
    from .engage_format import export_site
    from .wxr_export import export_wxr

    try:
        site = sites.get_site(site_key)
    except ApiError as error:
        raise _fail(error) from None
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        write = export_wxr if form == "wxr" else export_site
        threads_written, comments_written = write(site, out, include_private=include_private)
    finally:
        if output:
            out.close()
    click.echo(f"exported {threads_written:,} threads, {comments_written:,} comments", err=True)


def _progress(size: int, label: str) -> Any:
    # click draws the bar on a terminal only; elsewhere it prints the label once.
    return click.progressbar(length=size, label=label, file=sys.stderr,
                             show_eta=True, show_percent=True)


def _summary_table(summary: Any, dry_run: bool) -> str:
    rows = summary.rows()
    width = max([len(f"{k} {o}") for k, o, _, _ in rows] + [20])
    lines = ["", "dry run: nothing was written" if dry_run else "import done", ""]
    lines += [f"{f'{kind} {outcome}':<{width}}  {n:>9,}  {reason}" for kind, outcome, reason, n
              in rows]
    if not rows:
        lines.append("the file holds no posts")
    return "\n".join(lines)
