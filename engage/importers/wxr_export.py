"""`engage export --format wxr`: a site's threads and comments as a WordPress export (WXR
1.2), for going back to WordPress (Tools → Import → WordPress) or to any tool that reads it.

Each thread is an item (its article's URL as link), each comment a wp:comment with its
parent, GMT time and WordPress status (approved 1, pending 0, spam, rejected trash).
Deleted comments are left out: WordPress has no tombstones, and their replies then hang
from the top. engage's own `import wordpress` reads the file back.
"""

from __future__ import annotations

from typing import IO
from xml.sax.saxutils import escape

from sqlalchemy import select

from ..extensions import db
from ..models import Comment, CommentStatus, Site, Thread

WP_STATUS = {CommentStatus.APPROVED: "1", CommentStatus.PENDING: "0",
             CommentStatus.SPAM: "spam", CommentStatus.REJECTED: "trash"}


def cdata(text: str) -> str:
    # "]]>" cannot sit inside CDATA: split it over two sections, as WordPress does.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _gmt(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""  # type: ignore[attr-defined]


def export_wxr(site: Site, out: IO[str], *, include_private: bool) -> tuple[int, int]:
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
              f"<title>{escape(site.name)}</title>\n<wp:wxr_version>1.2</wp:wxr_version>\n")
    thread_count = comment_count = 0
    for thread in db.session.scalars(select(Thread).where(Thread.site_id == site.id)
                                     .order_by(Thread.id)):
        comments = db.session.scalars(select(Comment).where(Comment.thread_id == thread.id)
                                      .order_by(Comment.depth, Comment.id)).all()
        kept = {c.id for c in comments if c.status in WP_STATUS}
        out.write(f"<item>\n<title>{cdata(thread.title)}</title>\n"
                  f"<link>{escape(thread.url)}</link>\n"
                  f"<wp:post_id>{thread.id}</wp:post_id>\n"
                  f"<wp:post_date_gmt>{_gmt(thread.created_at)}</wp:post_date_gmt>\n"
                  "<wp:post_type>post</wp:post_type>\n<wp:status>publish</wp:status>\n"
                  f"<wp:comment_status>{'open' if thread.is_open else 'closed'}"
                  "</wp:comment_status>\n")
        for c in comments:
            if c.id not in kept:
                continue
            parent = c.parent_id if c.parent_id in kept else 0
            email = c.email if include_private and c.email else ""
            out.write(
                "<wp:comment>"
                f"<wp:comment_id>{c.id}</wp:comment_id>"
                f"<wp:comment_author>{cdata(c.author)}</wp:comment_author>"
                f"<wp:comment_author_email>{cdata(email)}</wp:comment_author_email>"
                f"<wp:comment_date_gmt>{_gmt(c.created_at)}</wp:comment_date_gmt>"
                f"<wp:comment_content>{cdata(c.body_html)}</wp:comment_content>"
                f"<wp:comment_approved>{WP_STATUS[c.status]}</wp:comment_approved>"
                "<wp:comment_type>comment</wp:comment_type>"
                f"<wp:comment_parent>{parent}</wp:comment_parent>"
                "</wp:comment>\n")
            comment_count += 1
        out.write("</item>\n")
        thread_count += 1
        db.session.expunge_all()
    out.write("</channel>\n</rss>\n")
    return thread_count, comment_count
