"""engage's own export: JSON Lines, versioned, read back by `engage import engage`.

The first line is the header, {"format": "engage-export", "version": 1, "site": {...},
"exported_at": ...}; then one line per thread: its article, url, title, openness, creation
time, reaction and share counters, and its comments in parent-first order, each with its
id, its parent's id, author, body (source, as written), status, held reason, featured,
likes, times and, for comments imported from elsewhere, that source. E-mails only with
include_private. One line per thread, so writing and reading it stay in flat memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import insert, select

from ..extensions import db
from ..models import Comment, CommentStatus, Reaction, ShareNetwork, Site, Thread, utcnow
from ..sanitize import render_imported_html, render_markdown
from ..services import threads as thread_service
from .files import CountingReader, ImportFileError
from .load import Summary

FORMAT = "engage-export"
VERSION = 1
COUNTERS = [f"reactions_{r.value}" for r in Reaction] + [f"shares_{n.value}" for n in ShareNetwork]


def _time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def export_site(site: Site, out: IO[str], *, include_private: bool) -> tuple[int, int]:
    """Write the site's export to out; return (threads, comments) written."""
    header = {"format": FORMAT, "version": VERSION, "exported_at": _time(utcnow()),
              "site": {"key": site.key, "name": site.name},
              "private": include_private}
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    thread_count = comment_count = 0
    for thread in db.session.scalars(select(Thread).where(Thread.site_id == site.id)
                                     .order_by(Thread.id)):
        rows = db.session.scalars(select(Comment).where(Comment.thread_id == thread.id)
                                  .order_by(Comment.depth, Comment.id)).all()
        line = {
            "article": thread.article, "url": thread.url, "title": thread.title,
            "open": thread.is_open, "created_at": _time(thread.created_at),
            "counters": {name: getattr(thread, name) for name in COUNTERS},
            "comments": [_comment_json(c, include_private) for c in rows],
        }
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        thread_count += 1
        comment_count += len(rows)
        db.session.expunge_all()  # one thread at a time in memory
    return thread_count, comment_count


def _comment_json(c: Comment, include_private: bool) -> dict[str, Any]:
    data = {
        "id": c.id, "parent": c.parent_id, "author": c.author, "body": c.body_source,
        "status": c.status.value, "held_reason": c.held_reason, "featured": c.featured,
        "likes": c.like_count, "created_at": _time(c.created_at),
        "edited_at": _time(c.edited_at), "source": c.source, "source_id": c.source_id,
    }
    if include_private:
        data["email"] = c.email
    return data


def read_lines(reader: CountingReader, name: str) -> Iterator[dict[str, Any]]:
    """Yield the export's thread lines after checking its header; ImportFileError if bad."""
    lines = (line for line in _text_lines(reader) if line.strip())
    try:
        header = json.loads(next(lines))
    except StopIteration:
        raise ImportFileError(f"{name}: empty file") from None
    except json.JSONDecodeError as error:
        raise ImportFileError(f"{name}: line 1, column {error.colno}: not an engage export "
                              f"({error.msg})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ImportFileError(f"{name}: line 1: not an engage export (no \"format\": "
                              f"\"{FORMAT}\")")
    if header.get("version") != VERSION:
        raise ImportFileError(f"{name}: line 1: export version {header.get('version')!r}; "
                              f"this engage reads version {VERSION}")
    for number, line in enumerate(lines, start=2):
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise ImportFileError(f"{name}: line {number}, column {error.colno}: "
                                  f"{error.msg}") from None
        problem = _problem(data)
        if problem:
            raise ImportFileError(f"{name}: line {number}: {problem}")
        yield data


def _text_lines(reader: CountingReader) -> Iterator[str]:
    import io

    yield from io.TextIOWrapper(io.BufferedReader(reader), encoding="utf-8")


def _problem(data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("article"), str):
        return "a thread needs its article"
    comments = data.get("comments", [])
    if not isinstance(comments, list):
        return "comments must be a list"
    statuses = {s.value for s in CommentStatus}
    for c in comments:
        if not isinstance(c, dict) or not isinstance(c.get("id"), int | str):
            return "every comment needs its id"
        if c.get("status") not in statuses:
            return f"unknown status {c.get('status')!r}"
        if not isinstance(c.get("body", ""), str) or not isinstance(c.get("author", ""), str):
            return "a comment's author and body are text"
    return None


def _origin(c: dict[str, Any]) -> tuple[str, str]:
    source, source_id = c.get("source"), c.get("source_id")
    if isinstance(source, str) and source and isinstance(source_id, str) and source_id:
        return source[:16], source_id[:64]
    return "engage", str(c["id"])[:64]


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def import_lines(site: Site, lines: Iterator[dict[str, Any]], *, dry_run: bool) -> Summary:
    """Write an engage export's threads and comments: once, however often it is imported."""
    summary = Summary()
    for data in lines:
        _import_thread(site, data, summary)
        if not dry_run:
            db.session.commit()
    if dry_run:
        db.session.rollback()
    return summary


def _import_thread(site: Site, data: dict[str, Any], summary: Summary) -> None:
    article = data["article"][:255]
    thread = thread_service.find_thread(site, article)
    created = thread is None
    if thread is None:
        thread = Thread(site_id=site.id, article=article, url=str(data.get("url", ""))[:2048],
                        title=str(data.get("title", ""))[:300],
                        is_open=bool(data.get("open", True)),
                        created_at=_parse_time(data.get("created_at")) or utcnow())
        counters = data.get("counters") or {}
        # Counters only for a thread made now: importing again must not add them twice.
        for name in COUNTERS:
            value = counters.get(name)
            if isinstance(value, int) and value >= 0:
                setattr(thread, name, value)
        db.session.add(thread)
        db.session.flush()
        summary.add("threads", "created")
    else:
        summary.add("threads", "unchanged", "already there")
    # A comment keeps the source it was first imported from (a WordPress id stays one, so a
    # later WordPress import still recognises it); engage's own comments take ("engage", id).
    existing: dict[tuple[str, str], tuple[int, int | None, int]] = {}
    if not created:
        for source, source_id, id_, root, depth in db.session.execute(
                select(Comment.source, Comment.source_id, Comment.id, Comment.root_id,
                       Comment.depth).where(Comment.thread_id == thread.id,
                                            Comment.source.is_not(None))):
            existing[(str(source), str(source_id))] = (id_, root, depth)
    placed: dict[str, tuple[int, int | None, int]] = {}  # by the export's comment id
    approved = 0
    for c in data.get("comments", []):  # parents first, as export_site writes them
        exported_id = str(c["id"])
        source, source_id = _origin(c)
        summary.comments_read += 1
        if (source, source_id) in existing:
            placed[exported_id] = existing[(source, source_id)]
            summary.add("comments", "unchanged", "already imported")
            continue
        parent = placed.get(str(c["parent"])) if c.get("parent") is not None else None
        if c.get("parent") is not None and parent is None:
            summary.add("comments", "note", "parent missing: made top level")
        status = CommentStatus(c["status"])
        body = c.get("body", "")
        foreign = c.get("source") in ("wordpress", "disqus")
        # body_html is made again here, never taken from the file: one sanitizer decides.
        html = "" if status == CommentStatus.DELETED and not body else (
            render_imported_html(body) if foreign else render_markdown(body))
        email = c.get("email")
        row = dict(
            thread_id=thread.id, parent_id=parent[0] if parent else None,
            root_id=(parent[1] or parent[0]) if parent else None,
            depth=parent[2] + 1 if parent else 0,
            author=(c.get("author") or "Anonyme")[:64],
            email=email[:254] if isinstance(email, str) and "@" in email else None,
            body_source=body, body_html=html, status=status,
            held_reason=(c.get("held_reason") or None),
            featured=bool(c.get("featured")), like_count=max(0, int(c.get("likes") or 0)),
            flag_count=0, created_at=_parse_time(c.get("created_at")) or utcnow(),
            edited_at=_parse_time(c.get("edited_at")), source=source, source_id=source_id,
        )
        comment_id = db.session.scalar(insert(Comment).returning(Comment.id), row)
        placed[exported_id] = (comment_id, row["root_id"], row["depth"])  # type: ignore[assignment]
        summary.add("comments", "created", status.value)
        approved += status == CommentStatus.APPROVED
    if approved or created:
        thread_service.bump(thread, comment_count=approved)
