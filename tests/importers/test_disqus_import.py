"""`engage import disqus`: Disqus's own namespace and padding, ids as strings, one article
for threads whose links differ by query, scheme, www. or a proxy, deleted posts kept only
as tombstones of their replies, orphans counted and never fatal, nothing twice."""

from __future__ import annotations

import gzip

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.importers.disqus import real_link
from engage.models import Comment, CommentStatus, Thread
from tests.factories import ORIGIN, SITE_KEY, make_site

HOST = ORIGIN.removeprefix("https://")


def disqus(threads: str, posts: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <category dsq:id="1"><forum>lejour</forum><title>General</title></category>
  {threads}
  {posts}
</disqus>
"""


def thread(dsq_id: str, link: str, title: str = "L’été") -> str:
    return f"""<thread dsq:id="{dsq_id}">
    <id />
    <forum>lejour</forum>
    <link>
      {link}
    </link>
    <title><![CDATA[{title}]]></title>
    <createdAt>2013-01-0{dsq_id[-1]}T12:00:00Z</createdAt>
    <isClosed>false</isClosed><isDeleted>false</isDeleted>
  </thread>"""


def post(dsq_id: str, thread_id: str, message: str = "<p>Bonjour</p>", parent: str = "",
         deleted: str = "false", spam: str = "false", name: str = "Léa",
         email: str = "lea@example.fr") -> str:
    parent_element = f'<parent dsq:id="{parent}" />' if parent else ""
    return f"""<post dsq:id="{dsq_id}">
    <id />
    <message><![CDATA[{message}]]></message>
    <createdAt>2013-02-01T10:00:00Z</createdAt>
    <isDeleted>{deleted}</isDeleted>
    <isSpam>{spam}</isSpam>
    <author><email>{email}</email><name>	{name}
    </name><isAnonymous>false</isAnonymous></author>
    <ipAddress>192.0.2.1</ipAddress>
    <thread dsq:id="{thread_id}" />
    {parent_element}
  </post>"""


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def run_import(runner, tmp_path, text, name="export.xml", *more):
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    return runner.invoke(args=["import", "disqus", str(path), "--site", SITE_KEY, *more])


EXPORT = disqus(
    thread("0101", f"https://{HOST}/2024/01/ete/")
    + thread("0102", f"http://www.{HOST}/2024/01/ete/?utm_source=x")
    + thread("0103", "https://translate.google.com/translate?hl=en&amp;u="
                     f"https://{HOST}/2024/01/ete/"),
    post("0001", "0101", "<p>Premier « avis »</p>")
    + post("0002", "0102", "Réponse", parent="0001", name="", email="")
    + post("0003", "0103", "Effacé", deleted="true")
    + post("0004", "0101", "Effacé mais répondu", deleted="true")
    + post("0005", "0101", "Suite", parent="0004")
    + post("0006", "0101", "Achetez", spam="true")
    + post("0007", "9999", "Sans fil"),
)


def test_a_disqus_export_comes_in_as_one_article(runner, site, tmp_path):
    result = run_import(runner, tmp_path, EXPORT, "export.xml.gz")
    assert result.exit_code == 0, result.output

    assert db.session.scalar(select(func.count()).select_from(Thread)) == 1
    rows = {c.source_id: c for c in db.session.scalars(select(Comment))}
    assert sorted(rows) == ["0001", "0002", "0004", "0005", "0006"]  # ids keep their zeros
    assert rows["0002"].parent_id == rows["0001"].id and rows["0002"].author == "Anonyme"
    assert rows["0001"].author == "Léa" and rows["0001"].body_html == "<p>Premier « avis »</p>"
    assert (rows["0004"].status, rows["0004"].body_html) == (CommentStatus.DELETED, "")
    assert rows["0005"].parent_id == rows["0004"].id
    assert rows["0006"].status == CommentStatus.SPAM
    assert rows["0002"].email is None
    thread_row = db.session.scalar(select(Thread))
    assert thread_row.article == "/2024/01/ete/" and thread_row.comment_count == 3
    for reason in ("not in the file", "deleted at the source, without replies"):
        assert reason in result.output

    again = run_import(runner, tmp_path, EXPORT)
    assert again.exit_code == 0 and "comments created" not in again.output
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 5


def test_a_wordpress_file_or_a_doctype_is_refused_and_nothing_written(runner, site, tmp_path):
    wrong = run_import(runner, tmp_path, '<?xml version="1.0"?><rss><channel/></rss>')
    assert wrong.exit_code != 0 and "not a Disqus export" in wrong.output
    hostile = run_import(runner, tmp_path,
                         '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><disqus/>')
    assert hostile.exit_code != 0 and "DOCTYPE" in hostile.output
    cut = run_import(runner, tmp_path, EXPORT[:-200])
    assert cut.exit_code != 0 and "not well-formed" in cut.output
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_links_behind_proxies_are_the_real_articles():
    assert real_link(f"https://translate.google.com/translate?u=https://{HOST}/a/") == (
        f"https://{HOST}/a/")
    assert real_link(f"https://webcache.googleusercontent.com/search?q=cache:https://{HOST}/b/"
                     ) == f"https://{HOST}/b/"
    assert real_link("https://lejour-fr.translate.goog/c/?_x_tr_sl=fr") == (
        "https://lejour.fr/c/")
    assert real_link(f"https://{HOST}/d/?p=1") == f"https://{HOST}/d/?p=1"
