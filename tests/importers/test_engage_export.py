"""`engage export` and `engage import engage`: a site exported and imported elsewhere has the
same threads, comments, statuses, times, nesting and counters; importing again adds
nothing; e-mails only on request; a bad file is refused in one line and writes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Comment, CommentStatus, Site, Thread
from tests.factories import make_comment, make_site, make_thread

T0 = dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)


@pytest.fixture
def source(app):
    site = make_site("source-site")
    make_site("copy-site", origins=("https://copie.example",))
    thread = make_thread(site, "2024/03/elections", title="Élections « municipales »",
                         reactions_love=3, shares_whatsapp=5, is_open=False)
    other = make_thread(site, "/?p=7", title="")
    root = make_comment(thread, "Premier **avis**", created_at=T0, featured=True, like_count=4,
                        email="awa@example.fr")
    reply = make_comment(thread, "Réponse", parent=root, created_at=T0 + dt.timedelta(hours=1),
                         edited_at=T0 + dt.timedelta(hours=2))
    make_comment(thread, "Encore", parent=reply, created_at=T0 + dt.timedelta(hours=3))
    make_comment(thread, "En attente", status=CommentStatus.PENDING, held_reason="link")
    gone = make_comment(thread, "", status=CommentStatus.DELETED)
    make_comment(thread, "Sous un effacé", parent=gone)
    wordpress = make_comment(other, "<b>De WordPress</b>", source="wordpress", source_id="12")
    wordpress.body_html = "<p><strong>De WordPress</strong></p>"
    make_comment(other, "Spam", status=CommentStatus.SPAM)
    db.session.commit()
    return site


def snapshot(site_key):
    site = db.session.scalar(select(Site).where(Site.key == site_key))
    threads = db.session.scalars(select(Thread).where(Thread.site_id == site.id)
                                 .order_by(Thread.article)).all()
    result = []
    for t in threads:
        comments = db.session.scalars(select(Comment).where(Comment.thread_id == t.id)
                                      .order_by(Comment.created_at, Comment.id)).all()
        by_id = {c.id: c for c in comments}
        result.append({
            "thread": (t.article, t.url, t.title, t.is_open, t.comment_count, t.reactions_love,
                       t.shares_whatsapp),
            "comments": [(c.author, c.body_source, c.body_html, c.status, c.held_reason,
                          c.featured, c.like_count, c.created_at, c.edited_at, c.depth,
                          by_id[c.parent_id].body_source if c.parent_id else None,
                          c.email) for c in comments],
        })
    return result


def test_a_site_exported_and_imported_is_the_same(runner, source, tmp_path):
    path = tmp_path / "site.jsonl"
    exported = runner.invoke(args=["export", "--site", "source-site", "--include-private",
                                   "-o", str(path)])
    assert exported.exit_code == 0, exported.output
    header = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert header["format"] == "engage-export" and header["version"] == 1

    imported = runner.invoke(args=["import", "engage", str(path), "--site", "copy-site"])
    assert imported.exit_code == 0, imported.output

    db.session.expire_all()
    assert snapshot("copy-site") == snapshot("source-site")

    again = runner.invoke(args=["import", "engage", str(path), "--site", "copy-site"])
    assert again.exit_code == 0 and "comments created" not in again.output
    db.session.expire_all()
    assert snapshot("copy-site") == snapshot("source-site")


def test_emails_only_on_request(runner, source, tmp_path):
    public = runner.invoke(args=["export", "--site", "source-site"])
    assert public.exit_code == 0 and "awa@example.fr" not in public.output
    private = runner.invoke(args=["export", "--site", "source-site", "--include-private"])
    assert "awa@example.fr" in private.output


@pytest.mark.parametrize(("text", "message"), [
    ('{"format": "something-else"}\n', "not an engage export"),
    ('{"format": "engage-export", "version": 9}\n', "version 9"),
    ('{"format": "engage-export", "version": 1}\n{"article": "a", "comments": [{"id": 1, '
     '"status": "approved"}]}\n{"article": ', "line 3"),
    ('{"format": "engage-export", "version": 1}\n{"article": "a", "comments": [{"id": 1, '
     '"status": "published"}]}\n', "unknown status"),
])
def test_a_bad_export_is_refused_in_one_line_and_writes_nothing(runner, source, tmp_path, text,
                                                                message):
    path = tmp_path / "bad.jsonl"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["import", "engage", str(path), "--site", "copy-site"])
    assert result.exit_code != 0 and message in result.output
    copy = db.session.scalar(select(Site).where(Site.key == "copy-site"))
    assert db.session.scalar(select(func.count()).select_from(Thread)
                             .where(Thread.site_id == copy.id)) == 0


def test_a_wxr_export_reads_back_through_the_wordpress_importer(runner, source, tmp_path):
    path = tmp_path / "site.xml"
    exported = runner.invoke(args=["export", "--site", "source-site", "--format", "wxr",
                                   "-o", str(path)])
    assert exported.exit_code == 0, exported.output
    assert "awa@example.fr" not in path.read_text(encoding="utf-8")

    imported = runner.invoke(args=["import", "wordpress", str(path), "--site", "copy-site"])
    assert imported.exit_code == 0, imported.output

    db.session.expire_all()
    original, copy = snapshot("source-site"), snapshot("copy-site")
    assert len(copy) == len(original) == 2
    for before, after in zip(sorted(original, key=lambda t: t["thread"][1]),
                             sorted(copy, key=lambda t: t["thread"][1]), strict=True):
        kept = [c for c in before["comments"] if c[3] != CommentStatus.DELETED]
        # Author, html, status, time (WXR keeps whole seconds).
        assert [(c[0], c[2], c[3], c[7]) for c in after["comments"]] == [
            (c[0], c[2], c[3], c[7].replace(microsecond=0)) for c in kept]
        assert after["thread"][4] == before["thread"][4]  # approved count


def test_an_export_imported_into_an_empty_database_is_the_same(runner, source, tmp_path):
    from tests.conftest import _empty_all_tables

    before = snapshot("source-site")
    path = tmp_path / "site.jsonl"
    assert runner.invoke(args=["export", "--site", "source-site", "--include-private",
                               "-o", str(path)]).exit_code == 0
    _empty_all_tables()
    make_site("source-site")
    db.session.commit()

    imported = runner.invoke(args=["import", "engage", str(path), "--site", "source-site"])

    assert imported.exit_code == 0, imported.output
    db.session.expire_all()
    assert snapshot("source-site") == before
