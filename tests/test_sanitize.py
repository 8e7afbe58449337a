"""Tests for engage.sanitize.render_markdown."""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest

from engage.sanitize import render_markdown

# Kept independent of engage.sanitize so widening the module's allow-list
# has to be done here too, on purpose.
ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "rel", "title"}, "ol": {"start"}}
SAFE_HREF_PREFIXES = ("http:", "https:", "mailto:")
REL = "nofollow ugc noopener noreferrer"


class _SafetyChecker(HTMLParser):
    """Collect every reason the parsed HTML is not safe output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, _value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name}= on <{tag}>")
        values = dict(attrs)
        if tag == "a":
            href = values.get("href") or ""
            if not href.lower().startswith(SAFE_HREF_PREFIXES):
                self.problems.append(f"href {href!r}")
            if values.get("rel") != REL:
                self.problems.append(f"rel {values.get('rel')!r}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")


def assert_safe_html(output: str) -> None:
    """Fail unless output holds only allowed tags, attributes and hrefs."""
    assert "<script" not in output.lower()
    checker = _SafetyChecker()
    checker.feed(output)
    checker.close()
    assert checker.problems == [], output


def text_of(output: str) -> str:
    """Return the text a reader sees: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", output))


XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<img src=x onerror=alert(1)",
    "<a href='javascript:alert(1)'",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    '<p onmouseover="alert(1)">survol</p>',
    "<body onload=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr\x00ipt>alert(1)</scr\x00ipt>",
    "<!-- --><script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](\njavascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "[x](//evil.example/x)",
    '[x](https://example.org "a\\" onmouseover=\\"alert(1))',
    '[x](https://example.org/"onmouseover="alert(1))',
    "[<img src=x onerror=alert(1)>](https://example.org)",
    "[x][1]\n\n[1]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "javascript:alert(1)",
    'https://example.org/"><script>alert(1)</script>',
    "https://example.org/?q=<img src=x onerror=alert(1)>",
]

# The same vector must stay inert whatever markdown construct wraps it.
CONTEXTS = ["{}", "> {}", "- {}", "1. {}", "**{}**", "*{}*", "`{}`", "```\n{}\n```"]


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_render_markdown_xss_vector_yields_only_allowed_markup(vector: str, context: str) -> None:
    assert_safe_html(render_markdown(context.format(vector)))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<b>gras</b>", "<p>&lt;b&gt;gras&lt;/b&gt;</p>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
        ("a <!-- b --> c", "<p>a &lt;!-- b --&gt; c</p>"),
    ],
)
def test_render_markdown_raw_html_shown_as_escaped_text(source: str, expected: str) -> None:
    assert render_markdown(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "« Bonjour à tous ! »",
        "l’économie",
        "« guillemets »",
        "œuvre, Œdipe, cœur",
        "ÇA VA ? ça va.",
        "emoji 🇫🇷🎉",
        "Qu'en pensez-vous ?",
        "l'apostrophe droite et l’apostrophe courbe",
        "Bonjour\u00a0! Ça va\u202f? Note\u00a0: oui\u202f; non",
        "«\u00a0insécables\u00a0»",
        "Il a dit \"oui\" puis 'non'",
        "attendez... -- non --- (c) (tm) +-",
        "5 € & 3 £ < 10 $ > 2",
    ],
)
def test_render_markdown_french_text_round_trips_unchanged(source: str) -> None:
    output = render_markdown(source)
    assert output.startswith("<p>")
    assert text_of(output) == source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**gras**", "<p><strong>gras</strong></p>"),
        ("*italique*", "<p><em>italique</em></p>"),
        ("_italique_", "<p><em>italique</em></p>"),
        ("`code`", "<p><code>code</code></p>"),
        ("`<b>`", "<p><code>&lt;b&gt;</code></p>"),
        ("> citation", "<blockquote>\n<p>citation</p>\n</blockquote>"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("* a\n* b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"),
        ("1984. Orwell", '<ol start="1984">\n<li>Orwell</li>\n</ol>'),
        ("un\n\ndeux", "<p>un</p>\n<p>deux</p>"),
        ("ligne 1\nligne 2", "<p>ligne 1<br>\nligne 2</p>"),
        ("\\*pas italique\\*", "<p>*pas italique*</p>"),
        ("```\nx = 1\n```", "<pre><code>x = 1\n</code></pre>"),
        ('```python\nprint("x")\n```', "<pre><code>print(&quot;x&quot;)\n</code></pre>"),
    ],
)
def test_render_markdown_supported_syntax_renders_expected_html(source: str, expected: str) -> None:
    assert render_markdown(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("# titre", "<p># titre</p>"),
        ("## sous-titre", "<p>## sous-titre</p>"),
        ("titre\n=====", "<p>titre<br>\n=====</p>"),
        ("---", "<p>---</p>"),
        ("~~barré~~", "<p>~~barré~~</p>"),
        ("a | b\n--|--\n1 | 2", "<p>a | b<br>\n--|--<br>\n1 | 2</p>"),
        ("    indenté", "<p>indenté</p>"),
    ],
)
def test_render_markdown_disabled_syntax_renders_as_text(source: str, expected: str) -> None:
    assert render_markdown(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "![x](http://example.org/x.png)",
        '![x](https://example.org/x.png "t")',
        "![](https://example.org/x.png)",
    ],
)
def test_render_markdown_image_syntax_renders_no_img(source: str) -> None:
    output = render_markdown(source)
    assert "<img" not in output
    assert_safe_html(output)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "[le site](https://example.org)",
            f'<p><a href="https://example.org" rel="{REL}">le site</a></p>',
        ),
        (
            '[le site](https://example.org "Le titre")',
            f'<p><a href="https://example.org" title="Le titre" rel="{REL}">le site</a></p>',
        ),
        (
            "https://example.org/a?b=1&c=2",
            (
                f'<p><a href="https://example.org/a?b=1&amp;c=2" rel="{REL}">'
                "https://example.org/a?b=1&amp;c=2</a></p>"
            ),
        ),
        (
            "voir https://example.org.",
            f'<p>voir <a href="https://example.org" rel="{REL}">https://example.org</a>.</p>',
        ),
        (
            "<https://example.org>",
            f'<p><a href="https://example.org" rel="{REL}">https://example.org</a></p>',
        ),
        (
            "[écrivez-nous](mailto:redaction@example.org)",
            f'<p><a href="mailto:redaction@example.org" rel="{REL}">écrivez-nous</a></p>',
        ),
        (
            "[https://example.org](https://example.org)",
            f'<p><a href="https://example.org" rel="{REL}">https://example.org</a></p>',
        ),
        (
            "[**gras**](https://example.org)",
            f'<p><a href="https://example.org" rel="{REL}"><strong>gras</strong></a></p>',
        ),
    ],
)
def test_render_markdown_link_renders_with_rel(source: str, expected: str) -> None:
    assert render_markdown(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "[https://example.org](https://example.org)",
        "[voir https://example.org/a](https://example.org/b)",
        "<https://example.org>",
    ],
)
def test_render_markdown_already_linked_url_is_linked_once(source: str) -> None:
    assert render_markdown(source).count("<a ") == 1


@pytest.mark.parametrize(
    "source",
    ["`https://example.org`", "```\nhttps://example.org\n```", "> `https://example.org`"],
)
def test_render_markdown_url_in_code_is_not_linkified(source: str) -> None:
    output = render_markdown(source)
    assert "<a" not in output
    assert "https://example.org" in output


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[relatif](/page)", "<p>relatif</p>"),
        ("[ancre](#haut)", "<p>ancre</p>"),
        ("[ftp](ftp://example.org/f)", "<p>ftp</p>"),
        ("[x](java&#x09;script:alert(1))", "<p>x</p>"),
    ],
)
def test_render_markdown_link_with_unsafe_href_becomes_text(source: str, expected: str) -> None:
    assert render_markdown(source) == expected


def test_render_markdown_every_link_has_rel_and_no_target() -> None:
    output = render_markdown(
        "[a](https://a.example.org) https://b.example.org <mailto:c@example.org>"
    )
    assert output.count("<a ") == 3
    assert output.count(f'rel="{REL}"') == 3
    assert "target=" not in output


@pytest.mark.parametrize("source", ["", "   ", "\n\n", "\t\n "])
def test_render_markdown_blank_source_gives_empty_string(source: str) -> None:
    assert render_markdown(source) == ""


@pytest.mark.parametrize("source", ["  **gras**  \n\n", "\n> citation\n", "a\r\nb"])
def test_render_markdown_output_has_no_outer_whitespace(source: str) -> None:
    output = render_markdown(source)
    assert output == output.strip()
    assert "\r" not in output


def test_render_markdown_same_source_renders_identically() -> None:
    source = "**gras** https://example.org\n\n- a\n- [b](https://example.org/b)"
    assert render_markdown(source) == render_markdown(source)


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


@pytest.mark.usefixtures("frequent_thread_switches")
def test_render_markdown_concurrent_threads_match_serial_output() -> None:
    sources = [
        f"**{i}** [lien](https://example.org/{i}) https://example.com/{i}\n\n- *a*\n- `c`" * 5
        for i in range(200)
    ]
    expected = [render_markdown(source) for source in sources]
    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(render_markdown, sources)) == expected
