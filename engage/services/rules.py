"""The site's moderation rules: what a new or edited comment's status is, and why."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import exists, func, or_, select

from ..extensions import db
from ..models import Comment, CommentStatus, Thread, utcnow
from .sites import SiteSettings


@dataclasses.dataclass(frozen=True)
class Verdict:
    status: CommentStatus
    reason: str | None  # shown to moderators: which rule held or rejected the comment


def fold(text: str) -> str:
    """Lower-case and strip accents, so that "Connârd" and "connard" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def find_word(text: str, words: Iterable[str]) -> str | None:
    """Return the first of `words` found in `text` on word boundaries, ignoring case and accents."""
    folded = fold(text)
    for word in words:
        pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, fold(word).split())) + r"(?!\w)"
        if re.search(pattern, folded):
            return word
    return None


HELD_WORD = re.compile(r"(?:banned|suspect) word: (.+)$")
_TAG = re.compile(r"(<[^>]*>)")


def held_word(held_reason: str | None) -> str | None:
    """The word a rule held or rejected a comment for ("edited: suspect word: idiot")."""
    found = HELD_WORD.search(held_reason or "")
    return found.group(1) if found else None


def mark_word(body_html: str, word: str) -> str:
    """Wrap each occurrence of word in the (sanitized) HTML's text in <mark>, matched as
    find_word matches it: on word boundaries, ignoring case and accents."""
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, fold(word).split())) + r"(?!\w)")
    parts = _TAG.split(body_html)
    for i in range(0, len(parts), 2):  # even parts are text, odd ones tags
        text = parts[i]
        folded, origin = [], []  # the folded text, and where each of its characters came from
        for index, char in enumerate(text):
            for piece in fold(char):
                folded.append(piece)
                origin.append(index)
        marked, last = [], 0
        for match in pattern.finditer("".join(folded)):
            if match.end() == match.start():
                continue
            start, end = origin[match.start()], origin[match.end() - 1] + 1
            marked += [text[last:start], "<mark>", text[start:end], "</mark>"]
            last = end
        parts[i] = "".join(marked) + text[last:]
    return "".join(parts)


def count_links(body_html: str) -> int:
    return body_html.count("<a ")


def judge(
    settings: SiteSettings,
    text: str,
    body_html: str,
    *,
    first_comment: bool,
) -> Verdict:
    """Apply the site's rules, strongest first: banned words reject, the others hold."""
    word = find_word(text, settings.banned_words)
    if word:
        return Verdict(CommentStatus.REJECTED, f"banned word: {word}")
    word = find_word(text, settings.suspect_words)
    if word:
        return Verdict(CommentStatus.PENDING, f"suspect word: {word}")
    links = count_links(body_html)
    if links > settings.max_links:
        return Verdict(CommentStatus.PENDING, f"{links} links (more than {settings.max_links})")
    if settings.moderation == "pre":
        return Verdict(CommentStatus.PENDING, "pre-moderation")
    if settings.hold_first_comment and first_comment:
        return Verdict(CommentStatus.PENDING, "first comment")
    return Verdict(CommentStatus.APPROVED, None)


def is_first_comment(site_id: int, reader_hash: str | None, email: str | None) -> bool:
    """Tell whether this author has no published comment on the site yet."""
    same_author = []
    if reader_hash:
        same_author.append(Comment.reader_hash == reader_hash)
    if email:
        same_author.append(func.lower(Comment.email) == email.strip().lower())
    if not same_author:
        return True
    published = exists().where(
        Comment.thread_id == Thread.id,
        Thread.site_id == site_id,
        Comment.status == CommentStatus.APPROVED,
        or_(*same_author),
    )
    return not db.session.scalar(select(published))


def is_auto_closed(settings: SiteSettings, thread: Thread, now: dt.datetime | None = None) -> bool:
    """Tell whether the thread is past the site's auto-close age."""
    if not settings.auto_close_days:
        return False
    return (now or utcnow()) - thread.created_at > dt.timedelta(days=settings.auto_close_days)


def closes_at(settings: SiteSettings, thread: Thread) -> dt.datetime | None:
    """Return when the site's auto-close age will close the thread, or None (never, or done)."""
    if not settings.auto_close_days:
        return None
    moment = thread.created_at + dt.timedelta(days=settings.auto_close_days)
    return moment if moment > utcnow() else None
