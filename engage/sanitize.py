"""Render comment bodies from a small Markdown subset into safe HTML."""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner
from markdown_it import MarkdownIt

# bleach is deprecated upstream: it is imported nowhere else, so replacing it
# means rewriting this module only.

ALLOWED_TAGS: frozenset[str] = frozenset(
    {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
)
# "start" keeps "1984. Orwell…" reading 1984 once markdown turns it into a list.
ALLOWED_ATTRIBUTES: dict[str, list[str]] = {
    "a": ["href", "rel", "title"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener noreferrer"

# Enable rules one by one on the empty "zero" preset so that anything new in
# markdown-it (headings, images, tables, raw HTML…) stays off until chosen.
# html=False turns typed tags into text; typographer=False keeps French
# quotes and apostrophes byte for byte; linkify is left to bleach below.
_markdown = MarkdownIt(
    "zero", {"html": False, "breaks": True, "typographer": False, "linkify": False}
).enable(
    [
        "paragraph",
        "blockquote",
        "list",
        "fence",  # explicit ``` blocks only; indented "code" stays off
        "newline",
        "escape",
        "backticks",
        "emphasis",
        "link",
        "autolink",
        "entity",
    ]
)


# bleach's callback shape: (namespace, name) keys plus "_text" for the link text.
_LinkAttrs = dict[tuple[str | None, str] | str, str]


def _harden_link(attrs: _LinkAttrs, _new: bool) -> _LinkAttrs | None:
    """Set rel on a link, or drop it when its href is not an allowed scheme."""
    href = attrs.get((None, "href"), "")
    # A raw prefix test, stricter than URL parsing: relative or obfuscated
    # hrefs ("java%09script:") are turned back into plain text.
    if not href.lower().startswith(tuple(f"{p}:" for p in ALLOWED_PROTOCOLS)):
        return None
    attrs[(None, "rel")] = LINK_REL
    return attrs


# LinkifyFilter runs after sanitising and also visits links markdown already
# made, so every <a> in the output passes through _harden_link.
# strip=True only matters for tags markdown-it itself emits outside the
# allow-list (typed HTML is already text); readers get their text, not markup.
_CLEANER_OPTIONS: dict[str, Any] = {
    "tags": ALLOWED_TAGS,
    "attributes": ALLOWED_ATTRIBUTES,
    "protocols": ALLOWED_PROTOCOLS,
    "strip": True,
    "strip_comments": True,
    "filters": [partial(LinkifyFilter, callbacks=[_harden_link], skip_tags=["pre", "code"])],
}
# A Cleaner keeps parser state between calls and breaks when threads share it.
_per_thread = threading.local()


def render_markdown(source: str) -> str:
    """Render a comment body to sanitised HTML."""
    cleaner = getattr(_per_thread, "cleaner", None)
    if cleaner is None:
        cleaner = _per_thread.cleaner = Cleaner(**_CLEANER_OPTIONS)
    cleaned: str = cleaner.clean(_markdown.render(source))
    return cleaned.strip()
