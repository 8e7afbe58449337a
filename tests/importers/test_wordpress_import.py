"""`engage import wordpress`: statuses, nesting, times, privacy and counters right, nothing
twice on a second run, only what is new after the export grew, nothing at all from a
malformed file or a dry run; and the thread's next read shows what came in."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Comment, CommentStatus, Thread
from tests.factories import ORIGIN, SITE_KEY, make_site
from tests.importers.test_wxr import comment, item, wxr

LINK = f"{ORIGIN}/2024/01/ete/"


def export(tmp_path, items: str, name: str = "export.xml"):
    path = tmp_path / name
    path.write_text(wxr(items), encoding="utf-8")
    return path


def run_import(runner, path, *more):
    return runner.invoke(args=["import", "wordpress", str(path), "--site", SITE_KEY, *more])


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def comments_of(article="/2024/01/ete/"):
    thread = db.session.scalar(select(Thread).where(Thread.article == article))
    rows = db.session.scalars(select(Comment).where(Comment.thread_id == thread.id)
                              .order_by(Comment.id)).all()
    return thread, {c.source_id: c for c in rows}


THREAD = item(link=LINK, comments="".join([
    comment("1", "<![CDATA[Premier, <b>gras</b>]]>", comment_author="Léa",
            comment_author_email="lea@example.fr", comment_author_IP="192.0.2.7",
            comment_approved="1", comment_date_gmt="2024-01-05 09:00:00",
            comment_date="2024-01-05 10:00:00", comment_parent="0"),
    comment("2", "Réponse", comment_author="Marc", comment_approved="1", comment_parent="1",
            comment_date_gmt="0000-00-00 00:00:00", comment_date="2024-07-01 12:00:00"),
    comment("3", "En attente", comment_approved="0", comment_parent="2",
            comment_date_gmt="2024-01-06 09:00:00"),
    comment("4", "Achetez", comment_approved="spam", comment_date_gmt="2024-01-06 09:00:00"),
    comment("5", "Corbeille", comment_approved="trash", comment_date_gmt="2024-01-06 09:00:00"),
    comment("6", "Ping", comment_type="pingback", comment_approved="1"),
    comment("7", "Orpheline", comment_approved="1", comment_parent="99"),
    comment("8", "Sans date", comment_approved="1"),
]))


def test_an_export_comes_in_with_statuses_nesting_times_and_counters(runner, site, tmp_path):
    draft = item("13", link=f"{ORIGIN}/?p=13", comments=comment("20", "Brouillon")).replace(
        "<![CDATA[publish]]>", "<![CDATA[draft]]>")
    result = run_import(runner, export(tmp_path, THREAD + draft))
    assert result.exit_code == 0, result.output

    thread, found = comments_of()
    assert sorted(found) == ["1", "2", "3", "4", "5", "7", "8"]
    assert [found[k].status for k in "12345"] == [
        CommentStatus.APPROVED, CommentStatus.APPROVED, CommentStatus.PENDING,
        CommentStatus.SPAM, CommentStatus.REJECTED]
    assert found["3"].held_reason == "imported" and found["1"].held_reason is None
    assert (found["2"].parent_id, found["3"].parent_id, found["3"].root_id, found["3"].depth) == (
        found["1"].id, found["2"].id, found["1"].id, 2)
    assert found["7"].parent_id is None  # its parent is not in the file
    assert found["1"].created_at == dt.datetime(2024, 1, 5, 9, 0, tzinfo=dt.UTC)  # GMT wins
    assert found["2"].created_at == dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.UTC)  # local, Paris
    assert found["8"].created_at == dt.datetime(2024, 1, 5, 8, 0, tzinfo=dt.UTC)  # its post's date
    assert found["1"].body_html == "<p>Premier, <strong>gras</strong></p>"
    assert found["1"].email == "lea@example.fr" and found["1"].ip_hash not in (None, "192.0.2.7")
    assert thread.comment_count == 4  # approved: 1, 2, 7, 8
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 1  # the draft: none
    for line in ("threads created", "comments created", "pingback", "made top level",
                 "not published (draft)", "post's"):
        assert line in result.output


def test_importing_again_creates_nothing_and_a_grown_export_adds_only_the_new(runner, site,
                                                                             tmp_path):
    assert run_import(runner, export(tmp_path, THREAD)).exit_code == 0
    again = run_import(runner, export(tmp_path, THREAD))
    assert again.exit_code == 0 and "comments created" not in again.output
    assert "already imported" in again.output

    grown = THREAD.replace("</item>", comment("9", "Nouvelle", comment_approved="1",
                                              comment_parent="1") + "</item>")
    assert run_import(runner, export(tmp_path, grown)).exit_code == 0
    thread, found = comments_of()
    assert len(found) == 8 and found["9"].parent_id == found["1"].id
    assert thread.comment_count == 5


def test_a_dry_run_or_a_truncated_file_writes_nothing(runner, site, tmp_path):
    dry = run_import(runner, export(tmp_path, THREAD), "--dry-run")
    assert dry.exit_code == 0 and "dry run" in dry.output and "comments created" in dry.output
    path = tmp_path / "cut.xml"
    path.write_text(wxr(THREAD * 3)[:-300], encoding="utf-8")
    cut = run_import(runner, path)
    assert cut.exit_code != 0 and "not well-formed XML" in cut.output

    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 0


def test_the_next_read_shows_what_was_imported(runner, site, client, tmp_path):
    query = {"site": SITE_KEY, "article": "/2024/01/ete/"}
    before = client.get("/api/v1/thread", query_string=query)
    assert before.status_code == 200 and before.json["comments"] == []

    assert run_import(runner, export(tmp_path, THREAD)).exit_code == 0

    after = client.get("/api/v1/thread", query_string=query)
    assert [c["author"] for c in after.json["comments"]] == ["Léa", "Anonyme", "Anonyme"]
    counts = client.get("/api/v1/counts", query_string=query).json
    assert counts["counts"]["/2024/01/ete/"]["comments"] == 4


def test_unknown_site_or_time_zone_is_one_clear_line(runner, site, tmp_path):
    path = export(tmp_path, THREAD)
    assert "No site" in runner.invoke(args=["import", "wordpress", str(path),
                                            "--site", "nope"]).output
    assert "unknown time zone" in run_import(runner, path, "--timezone", "Mars/Olympus").output


def test_chunks_of_many_posts_keep_every_thread_nesting_and_counter(app, site, tmp_path):
    """Comments are written a generation at a time across a chunk of posts: with chunks of a
    few comments, each post's chains still hang from the right parents in the right thread."""
    from engage.importers.load import import_posts
    from tests.importers.test_wxr import posts_of

    def chain(post: int) -> str:  # 1 <- 2 <- 3, and 4 at the top, in reverse file order
        return "".join(comment(str(n), f"n{n} p{post}", comment_approved="1",
                               comment_parent=str(n - 1 if n in (2, 3) else 0))
                       for n in (3, 2, 1, 4))

    items = "".join(item(str(post), link=f"{ORIGIN}/a/{post}/", comments=chain(post))
                    for post in range(7))
    posts = posts_of(tmp_path, wxr(items))
    summary = import_posts(site, posts, zone=dt.UTC, dry_run=False, batch=6, workers=1)
    db.session.commit()
    assert summary.total("comments", "created") == 28 and summary.total("threads", "created") == 7
    for post in range(7):
        thread, found = comments_of(f"/a/{post}/")
        assert thread.comment_count == 4 and thread.version > 1
        assert {k: c.body_source for k, c in found.items()}["3"] == f"n3 p{post}"
        assert (found["2"].parent_id, found["3"].parent_id, found["3"].root_id,
                found["3"].depth, found["4"].depth) == (found["1"].id, found["2"].id,
                                                       found["1"].id, 2, 0)


def test_items_of_one_permalink_are_one_thread_and_ids_missing_are_each_counted(runner, site,
                                                                                tmp_path):
    first = item("12", link=LINK, comments=comment("1", "Premier", comment_approved="1"))
    second = item("12", link=LINK, comments="".join([
        comment("1", "Premier", comment_approved="1"),
        comment("2", "Réponse au premier", comment_approved="1", comment_parent="1"),
        comment("", "Sans id"), comment("", "Sans id non plus")]))
    result = run_import(runner, export(tmp_path, first + second))
    assert result.exit_code == 0, result.output
    thread, found = comments_of()
    assert sorted(found) == ["1", "2"] and found["2"].parent_id == found["1"].id
    assert thread.comment_count == 2
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 1
    table = [line.split() for line in result.output.splitlines()]
    assert ["comments", "skipped", "2", "no", "comment", "id"] in table, result.output
    assert ["comments", "unchanged", "1", "already", "imported"] in table, result.output
