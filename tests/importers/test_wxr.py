"""Reading WordPress exports (engage/importers/wxr.py) as real files come: every WXR
version's namespace, CDATA however the exporter split it, missing fields, compressed files,
and a clear one-line refusal for anything malformed or hostile."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import zipfile
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engage.importers.files import ImportFileError, open_export
from engage.importers.wxr import article_of, parse_time, read_posts
from engage.sanitize import render_imported_html

WP_1_2 = "http://wordpress.org/export/1.2/"


def wxr(items: str, wp: str = WP_1_2, newline: str = "\n") -> str:
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{wp}">
<channel>
  <title>Le Jour</title>
  <wp:wxr_version>1.2</wp:wxr_version>
  {items}
</channel>
</rss>
"""
    return text.replace("\n", newline)


def item(post_id: str = "12", comments: str = "", link: str = "https://lejour.fr/2024/01/ete/",
         extra: str = "") -> str:
    return f"""<item>
    <title><![CDATA[L&#039;été « brûlant »]]></title>
    <link>{link}</link>
    <wp:post_id>{post_id}</wp:post_id>
    <wp:post_date_gmt><![CDATA[2024-01-05 08:00:00]]></wp:post_date_gmt>
    <wp:post_type><![CDATA[post]]></wp:post_type>
    <wp:status><![CDATA[publish]]></wp:status>
    {extra}{comments}
  </item>"""


def comment(comment_id: str = "5", content: str = "<![CDATA[Bonjour]]>", **fields: str) -> str:
    parts = [f"<wp:comment_id>{comment_id}</wp:comment_id>",
             f"<wp:comment_content>{content}</wp:comment_content>"]
    parts += [f"<wp:{name}>{value}</wp:{name}>" for name, value in fields.items()]
    return "<wp:comment>" + "".join(parts) + "</wp:comment>"


def posts_of(tmp_path, data: bytes | str, name: str = "export.xml"):
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    reader, _ = open_export(path)
    return list(read_posts(reader, name))


@pytest.mark.parametrize("namespace", [
    "http://wordpress.org/export/1.0/", "http://wordpress.org/export/1.1/", WP_1_2,
    "https://wordpress.org/export/1.2/", "http://example.invalid/some-exporter/wp/"])
def test_every_wxr_namespace_reads_alike(tmp_path, namespace):
    posts = posts_of(tmp_path, wxr(item(comments=comment(comment_author="Léa")), wp=namespace))

    assert [(p.source_id, p.article, p.title) for p in posts] == [
        ("12", "/2024/01/ete/", "L'été « brûlant »")]
    assert [(c.source_id, c.author, c.content) for c in posts[0].comments] == [
        ("5", "Léa", "Bonjour")]


def test_crlf_and_bytes_before_the_declaration(tmp_path):
    data = b"\r\n  garbage from a plugin\xef\xbb\xbf" + wxr(item(comments=comment()),
                                                            newline="\r\n").encode()
    assert [c.content for c in posts_of(tmp_path, data)[0].comments] == ["Bonjour"]


def test_cdata_split_by_the_exporter_and_over_adjacent_sections(tmp_path):
    content = "<![CDATA[il a écrit ]]]]><![CDATA[> puis]]><![CDATA[ la suite]]>"
    posts = posts_of(tmp_path, wxr(item(comments=comment(content=content))))
    assert posts[0].comments[0].content == "il a écrit ]]> puis la suite"


def test_fields_in_or_out_of_cdata_and_entities_inside_it(tmp_path):
    author = "<![CDATA[Jean &laquo;Jo&raquo; l&#039;ami]]>"
    comments = comment("7", "plain &amp; simple", comment_author=author, comment_approved="1")
    posts = posts_of(tmp_path, wxr(item(comments=comments)))
    found = posts[0].comments[0]
    assert (found.author, found.content, found.approved) == (
        "Jean «Jo» l'ami", "plain & simple", "1")


def test_empty_self_closing_and_missing_elements(tmp_path):
    bare = ("<wp:comment><wp:comment_id>9</wp:comment_id><wp:comment_author>Anonyme"
            "</wp:comment_author><wp:comment_content>Court</wp:comment_content></wp:comment>")
    others = comment("10", comment_parent="", comment_author_email="<![CDATA[]]>",
                     comment_date_gmt="")
    posts = posts_of(tmp_path, wxr(item(comments=bare + others.replace(
        "<wp:comment_parent></wp:comment_parent>", "<wp:comment_parent/>"))))
    first, second = posts[0].comments
    assert (first.source_id, first.author, first.content, first.parent_id, first.email,
            first.date_gmt, first.approved, first.type) == ("9", "Anonyme", "Court", "0", "",
                                                            "", "", "")
    assert (second.parent_id, second.email, second.date_gmt) == ("0", "", "")


def test_compressed_exports(tmp_path):
    text = wxr(item(comments=comment()))
    assert posts_of(tmp_path, gzip.compress(text.encode()), "export.xml.gz")[0].comments
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("lejour.WordPress.2024-01-05.xml", text)
    reader, _ = open_export(archive)
    assert list(read_posts(reader, "export.zip"))[0].comments

    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("one.xml", text)
        zipped.writestr("two.xml", text)
    with pytest.raises(ImportFileError, match="exactly one export"):
        open_export(archive)


@pytest.mark.parametrize(("data", "message"), [
    ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]><rss>&x;</rss>', "DOCTYPE"),
    (wxr(item())[:-40], r"line \d+, column \d+: not well-formed XML"),
    ('<?xml version="1.0"?>\n<disqus xmlns="http://disqus.com"></disqus>',
     "not a WordPress export"),
    ("not xml at all", "line 1, column"),
])
def test_malformed_hostile_or_foreign_files_fail_in_one_line(tmp_path, data, message):
    with pytest.raises(ImportFileError, match=message) as refused:
        posts_of(tmp_path, data)
    assert "\n" not in str(refused.value)


def test_article_ids_are_the_permalinks_paths():
    assert article_of("https://lejour.fr/2024/01/l%c3%a9t%c3%a9/") == "/2024/01/l%c3%a9t%c3%a9/"
    assert article_of("https://lejour.fr/?p=123") == "/?p=123"
    assert article_of("https://lejour.fr/?page_id=5") == "/?page_id=5"
    assert article_of("https://lejour.fr/politique/?utm_source=x") == "/politique/"
    assert article_of("https://lejour.fr") == "/"
    assert article_of("") is None and article_of("/relative") is None


def test_times_gmt_first_then_local_in_the_sites_zone():
    paris = ZoneInfo("Europe/Paris")
    summer = dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.UTC)
    assert parse_time("2024-07-01 10:00:00", "2024-07-01 12:00:00", paris) == summer
    assert parse_time("0000-00-00 00:00:00", "2024-07-01 12:00:00", paris) == summer
    assert parse_time("", "2024-01-01 12:00:00", paris) == dt.datetime(2024, 1, 1, 11, 0,
                                                                      tzinfo=dt.UTC)
    assert parse_time("", "", paris) is None
    assert parse_time("0000-00-00 00:00:00", "0000-00-00 00:00:00", paris) is None


def test_wordpress_comment_html_becomes_the_same_safe_html():
    rendered = render_imported_html(
        "Je cite :\r\n\r\n<b>gras</b> et <i>italique</i>\nligne &laquo; suivante &raquo;"
        ' <a href="https://lejour.fr/a">lien</a> <script>alert(1)</script>'
        ' <a href="javascript:alert(1)">piège</a> <cite>source</cite>')
    assert rendered == (
        "<p>Je cite :</p><p><strong>gras</strong> et <em>italique</em><br>ligne « suivante »"
        ' <a href="https://lejour.fr/a" rel="nofollow ugc noopener noreferrer">lien</a>'
        " alert(1) piège source</p>")
    assert render_imported_html("<blockquote>cité</blockquote>") == "<blockquote>cité</blockquote>"


def test_every_character_survives():
    text = "C:\\chemin\\ 🙂 שלום « ok » l’été"
    assert render_imported_html(text) == f"<p>{text}</p>"



def _through_the_cleaner(text):
    from engage import sanitize

    original = sanitize._NEEDS_CLEANER
    sanitize._NEEDS_CLEANER = re.compile(".")  # every text takes the cleaner's path
    try:
        return render_imported_html(text)
    finally:
        sanitize._NEEDS_CLEANER = original


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
       | st.lists(st.sampled_from(["Bonjour", "l’été", "« ok »", "\n", "\n\n", " ", ".", "a.b",
                                   "M.", "www", "http", ":", "/", "\t", "\xa0", "'", '"',
                                   "🙂", "\\", "é", "\x0c", "\u200f", "1984."]),
                  max_size=12).map("".join))
def test_plain_text_shortcut_renders_what_the_cleaner_renders(text):
    assert render_imported_html(text) == _through_the_cleaner(text)
