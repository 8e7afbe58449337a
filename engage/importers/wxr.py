"""Reading a WordPress export (WXR 1.0, 1.1, 1.2), streaming, one post at a time.

WordPress and WordPress.com bind the `wp:` prefix to different URIs across versions (and
some tools to others still), so elements are matched by local name: nothing of a namespace
nobody expected is dropped. The parser refuses DOCTYPEs and entity declarations
(defusedxml), and each post is cleared once read, so memory stays flat whatever the size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .files import CountingReader, ImportFileError

ZERO_DATE = "0000-00-00 00:00:00"
# WordPress's plain permalinks name the post in the query: it is part of the article's id.
PLAIN_PERMALINK_KEYS = ("p", "page_id", "attachment_id")


@dataclasses.dataclass
class WxrComment:
    source_id: str
    parent_id: str
    author: str
    email: str
    url: str
    ip: str
    date_gmt: str
    date_local: str
    content: str
    approved: str
    type: str
    user_id: str
    html: str | None = None  # body_html, when rendered ahead (importers/load.py)


@dataclasses.dataclass
class WxrPost:
    source_id: str
    title: str
    link: str
    post_type: str
    status: str
    date_gmt: str
    date_local: str
    comments: list[WxrComment]

    @property
    def article(self) -> str | None:
        """The path of the permalink (with a plain permalink's query), as the widget keys it."""
        return article_of(self.link)


def article_of(link: str) -> str | None:
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    article = parts.path or "/"
    query = parts.query
    if query and any(pair.split("=", 1)[0] in PLAIN_PERMALINK_KEYS for pair in query.split("&")):
        article += "?" + query
    return article


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: Element | None) -> str:
    # Adjacent and split CDATA sections reach here joined by the parser already.
    if element is None or element.text is None:
        return ""
    return element.text.strip()


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if local(child.tag) == name:
            return child
    return None


def _field(element: Element, name: str, *, entities: bool = True) -> str:
    value = _text(_child(element, name))
    # Exporters put &#039; and &laquo; inside CDATA, where XML leaves them as they are.
    return html.unescape(value) if entities else value


def _comment(element: Element) -> WxrComment:
    return WxrComment(
        source_id=_field(element, "comment_id"),
        parent_id=_field(element, "comment_parent") or "0",
        author=_field(element, "comment_author"),
        email=_field(element, "comment_author_email"),
        url=_field(element, "comment_author_url"),
        ip=_field(element, "comment_author_IP"),
        date_gmt=_field(element, "comment_date_gmt"),
        date_local=_field(element, "comment_date"),
        # HTML: its entities are the sanitizer's to read (sanitize.render_imported_html).
        content=_field(element, "comment_content", entities=False),
        approved=_field(element, "comment_approved"),
        type=_field(element, "comment_type"),
        user_id=_field(element, "comment_user_id"),
    )


def _post(item: Element) -> WxrPost:
    return WxrPost(
        source_id=_field(item, "post_id"),
        title=_field(item, "title"),
        link=_field(item, "link"),
        post_type=_field(item, "post_type") or "post",
        status=_field(item, "status") or "publish",
        date_gmt=_field(item, "post_date_gmt"),
        date_local=_field(item, "post_date"),
        comments=[_comment(c) for c in item if local(c.tag) == "comment"],
    )


def parse_failure(name: str, kind: str, error: Exception) -> ImportFileError:
    """One line for what the streaming parser refused: where, or which declaration."""
    if isinstance(error, ParseError):
        line, column = error.position
        return ImportFileError(f"{name}: line {line}, column {column}: not well-formed XML "
                               f"({str(error).split(':')[0]})")
    return ImportFileError(f"{name}: refused: the file declares a DOCTYPE or entities "
                           f"({type(error).__name__}), which no {kind} export does")


def read_posts(reader: CountingReader, name: str) -> Iterator[WxrPost]:
    """Yield the file's posts (items) in order; ImportFileError on anything malformed."""
    stream = io.BufferedReader(reader, buffer_size=1 << 16)
    events: Any = iterparse(stream, events=("start", "end"), forbid_dtd=True)
    parents: list[Element] = []
    try:
        for event, element in events:
            if event == "start":
                if not parents and local(element.tag) != "rss":
                    raise ImportFileError(f"{name}: not a WordPress export (WXR): it starts "
                                          f"with <{local(element.tag)}>, not <rss>")
                parents.append(element)
                continue
            parents.pop()
            if local(element.tag) == "item":
                yield _post(element)
                element.clear()
                if parents:
                    parents[-1].remove(element)
    except (ParseError, DefusedXmlException) as error:
        raise parse_failure(name, "WordPress", error) from None
    if parents:  # pragma: no cover - the parser reports an unclosed element first
        raise ImportFileError(f"{name}: the file ends before </{local(parents[0].tag)}>")


def parse_time(gmt: str, local_time: str, zone: dt.tzinfo) -> dt.datetime | None:
    """A comment's or post's time in UTC: the GMT field wins, else local time in the zone."""
    for value, tz in ((gmt, dt.UTC), (local_time, zone)):
        if value and value != ZERO_DATE:
            try:
                parsed = dt.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
            except ValueError:
                continue
            return parsed.replace(tzinfo=tz).astimezone(dt.UTC)
    return None


def check_file(reader: CountingReader, name: str, root: str,
               progress: Any = None) -> None:
    """Read the whole file for well-formedness only (expat, no tree: several times faster
    than reading it): ImportFileError if it is malformed, hostile or not a `root` file."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator="}")
    seen_root: list[str] = []

    def start(tag: str, attributes: Any) -> None:
        if not seen_root:
            seen_root.append(local(tag))
            if local(tag) != root:
                raise ImportFileError(f"{name}: not a {_KIND[root]} export: it starts with "
                                      f"<{local(tag)}>, not <{root}>")

    def refuse(*args: Any) -> None:
        raise ImportFileError(f"{name}: refused: the file declares a DOCTYPE or entities, "
                              f"which no {_KIND[root]} export does")

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        while chunk := reader.read(1 << 20):
            parser.Parse(chunk, False)
            if progress is not None:
                progress()
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise ImportFileError(f"{name}: line {error.lineno}, column {error.offset + 1}: not "
                              f"well-formed XML ({expat.errors.messages[error.code]})") from None


_KIND = {"rss": "WordPress (WXR)", "disqus": "Disqus"}
