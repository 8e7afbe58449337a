"""Reading a Disqus export (`<disqus xmlns="http://disqus.com">`), streaming.

Disqus writes every thread first, then every post (comment) in no useful order. Posts are
staged in a temporary SQLite file as they stream by, then read back one thread at a time,
so memory stays flat whatever the size. They come out as WxrPost / WxrComment, the shapes
the WordPress reader yields, and are written by the same loader.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .files import CountingReader, ImportFileError
from .wxr import WxrComment, WxrPost, article_of, local, parse_failure

DSQ_ID = "{http://disqus.com/disqus-internals}id"


@dataclasses.dataclass
class DisqusThread:
    source_id: str
    link: str
    title: str
    created_at: str


def _attribute_id(element: Element | None) -> str:
    if element is None:
        return ""
    for name, value in element.attrib.items():
        if local(name) == "id":  # dsq:id, whatever the prefix is bound to
            return value.strip()
    return ""


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if local(child.tag) == name:
            return child
    return None


def _text(element: Element | None, name: str) -> str:
    child = None if element is None else _child(element, name)
    # Disqus pads values with newlines and tabs.
    return "" if child is None or child.text is None else child.text.strip()


def real_link(link: str) -> str:
    """The article a Disqus link stands for: a translate or cache proxy's wrapped URL, with
    the query, scheme and www. that made several Disqus threads of one article set aside."""
    link = link.strip()
    for _ in range(3):  # a proxy of a proxy
        parts = urlsplit(link)
        wrapped = next((v.removeprefix("cache:") for k, v in parse_qsl(parts.query)
                        if k in ("u", "url", "q")
                        and v.removeprefix("cache:").startswith(("http://", "https://"))), None)
        host = parts.netloc.lower()
        if wrapped and (host.endswith(("translate.goog", "googleusercontent.com")) or
                        "translate" in host or "cache" in host):
            link = wrapped
            continue
        if host.endswith(".translate.goog"):  # https://lejour-fr.translate.goog/path
            original = host.removesuffix(".translate.goog").replace("--", "\x00")
            original = original.replace("-", ".").replace("\x00", "-")
            link = f"https://{original}{parts.path}"
            continue
        break
    return link


def read_threads(reader: CountingReader, name: str, stage: sqlite3.Connection,
                 progress: Callable[[], None] | None = None) -> dict[str, DisqusThread]:
    """Stream the file once: keep its threads, stage its posts; ImportFileError if bad.

    progress, if given, is called every few hundred elements (reader.consumed has moved)."""
    stream = io.BufferedReader(reader, buffer_size=1 << 16)
    events: Any = iterparse(stream, events=("start", "end"), forbid_dtd=True)
    threads: dict[str, DisqusThread] = {}
    depth = read = 0
    root: Element | None = None
    try:
        for event, element in events:
            if event == "start":
                if root is None:
                    root = element
                    if local(element.tag) != "disqus":
                        raise ImportFileError(f"{name}: not a Disqus export: it starts with "
                                              f"<{local(element.tag)}>, not <disqus>")
                depth += 1
                continue
            depth -= 1
            if depth != 1:
                continue
            kind = local(element.tag)
            if kind == "thread":
                thread = DisqusThread(_attribute_id(element), _text(element, "link"),
                                      _text(element, "title"), _text(element, "createdAt"))
                threads[thread.source_id] = thread
            elif kind == "post":
                author = _child(element, "author")
                stage.execute(
                    "INSERT INTO post VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (_attribute_id(_child(element, "thread")), _attribute_id(element),
                     _attribute_id(_child(element, "parent")), _text(element, "message"),
                     _text(element, "createdAt"), _text(element, "isDeleted"),
                     _text(element, "isSpam"), _text(author, "name"), _text(author, "email"),
                     _text(element, "ipAddress"), _text(author, "username")))
            element.clear()
            if root is not None:
                root.remove(element)
            read += 1
            if progress is not None and read % 500 == 0:
                progress()
    except (ParseError, DefusedXmlException) as error:
        raise parse_failure(name, "Disqus", error) from None
    return threads


def staged_count(stage: sqlite3.Connection) -> int:
    """How many posts (comments) the file staged."""
    return int(stage.execute("SELECT count(*) FROM post").fetchone()[0])


@contextlib.contextmanager
def staged_posts() -> Iterator[sqlite3.Connection]:
    """A throw-away SQLite file for the posts, removed with its folder at the end."""
    with tempfile.TemporaryDirectory(prefix="engage-disqus-") as folder:
        stage = sqlite3.connect(f"{folder}/posts.db")
        try:
            stage.execute("PRAGMA journal_mode=OFF")
            stage.execute("PRAGMA synchronous=OFF")
            stage.execute("CREATE TABLE post (thread, id, parent, message, created_at, deleted, "
                          "spam, author, email, ip, username)")
            yield stage
        finally:
            stage.close()


def iso_to_wxr(value: str) -> str:
    """Disqus's 2013-01-01T12:00:00Z as WXR's GMT field (2013-01-01 12:00:00)."""
    return value.replace("T", " ").removesuffix("Z")[:19]


def read_posts(threads: dict[str, DisqusThread], stage: sqlite3.Connection,
               skipped: dict[str, int]) -> Iterator[WxrPost]:
    """Yield one post per article (Disqus threads of one article merged), with comments.

    Posts whose thread is missing are counted in skipped, never abort the import.
    """
    stage.execute("CREATE INDEX post_thread ON post (thread)")
    by_article: dict[str, list[DisqusThread]] = {}
    for thread in threads.values():
        article = article_of(real_link(thread.link)) or ""
        by_article.setdefault(article, []).append(thread)
    stage.execute("CREATE TEMP TABLE known (id PRIMARY KEY)")
    stage.executemany("INSERT OR IGNORE INTO known VALUES (?)", ((i,) for i in threads))
    orphans = stage.execute(
        "SELECT count(*) FROM post WHERE thread NOT IN (SELECT id FROM known)").fetchone()[0]
    if orphans:
        skipped["their Disqus thread is not in the file"] = orphans
    for group in by_article.values():
        first = min(group, key=lambda t: t.created_at)
        ids = [t.source_id for t in group]
        rows = stage.execute(
            "SELECT id, parent, message, created_at, deleted, spam, author, email, ip "
            f"FROM post WHERE thread IN ({','.join('?' * len(ids))}) ORDER BY rowid", ids)
        comments = [WxrComment(
            source_id=post_id, parent_id=parent or "0", author=author, email=email, url="",
            ip=ip, date_gmt=iso_to_wxr(created), date_local="", content=message,
            approved="deleted" if deleted == "true" else "spam" if spam == "true" else "1",
            type="", user_id="") for post_id, parent, message, created, deleted, spam, author,
            email, ip in rows]
        yield WxrPost(source_id=first.source_id, title=first.title, link=real_link(first.link),
                      post_type="post", status="publish",
                      date_gmt=iso_to_wxr(first.created_at), date_local="", comments=comments)
