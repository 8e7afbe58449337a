"""Privacy: no personal data in public answers, retention purge, export and erasure."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Ban, Comment, CommentStatus, Flag, FlagReason, utcnow
from tests.api.helpers import get_thread, post_comment
from tests.factories import make_comment, make_site, make_thread


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def test_ip_is_only_stored_as_keyed_hash(client, site):
    post_comment(client, environ_base={}, headers={"X-Forwarded-For": "203.0.113.9"})

    comment = db.session.scalar(select(Comment))
    assert "127.0.0.1" not in comment.ip_hash and len(comment.ip_hash) == 64


def test_purge_drops_old_identifiers_and_keeps_comments(runner, site):
    thread = make_thread(site)
    old = make_comment(
        thread,
        email="a@b.fr",
        reader_hash="r" * 64,
        ip_hash="i" * 64,
        created_at=utcnow() - dt.timedelta(days=400),
    )
    recent = make_comment(thread, email="c@d.fr", reader_hash="s" * 64, ip_hash="j" * 64)
    db.session.add(
        Flag(
            comment_id=old.id,
            reader_hash="f" * 64,
            reason=FlagReason.SPAM,
            created_at=utcnow() - dt.timedelta(days=400),
            resolved_at=utcnow(),
        )
    )
    db.session.commit()

    result = runner.invoke(args=["purge", "--older-than", "365"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    old, recent = db.session.get(Comment, old.id), db.session.get(Comment, recent.id)
    assert (old.email, old.reader_hash, old.ip_hash) == (None, None, None)
    assert old.body_source and old.status == CommentStatus.APPROVED
    assert recent.email == "c@d.fr" and recent.ip_hash == "j" * 64
    assert db.session.scalar(select(Flag)).reader_hash == ""


def test_purge_requires_a_retention(runner, site):
    assert runner.invoke(args=["purge"]).exit_code != 0
    assert runner.invoke(args=["purge", "--older-than", "0"]).exit_code != 0


def test_reader_export_prints_their_comments_as_json(runner, site):
    thread = make_thread(site)
    make_comment(thread, "Mon avis « tranché »", email="Awa@Example.org")
    make_comment(thread, "Pas le mien", email="autre@example.org")
    db.session.commit()

    result = runner.invoke(args=["reader", "export", "awa@example.org"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["body"] for c in data["comments"]] == ["Mon avis « tranché »"]
    assert data["comments"][0]["article"] == thread.article


@pytest.mark.parametrize("mode", ["tombstone", "anonymize"])
def test_reader_erase_keeps_thread_readable(runner, client, app, mode):
    site = make_site(erasure=mode)
    thread = make_thread(site)
    mine = make_comment(
        thread, "À effacer", email="awa@example.org", author="Awa", ip_hash="i" * 64
    )
    make_comment(thread, "Une réponse", parent=mine, author="Bruno")
    db.session.add(Ban(site_id=site.id, email_hash="x"))
    db.session.commit()

    result = runner.invoke(args=["reader", "erase", "awa@example.org", "--yes"])

    assert result.exit_code == 0, result.output
    listed = get_thread(client, article=thread.article).get_json()["comments"][0]
    assert "Awa" not in json.dumps(listed)
    assert listed["replies"][0]["body_html"] == "<p>Une réponse</p>"
    db.session.expire_all()
    erased = db.session.get(Comment, mine.id)
    assert erased.email is None and erased.ip_hash is None
    if mode == "tombstone":
        assert listed["deleted"] is True and erased.body_source == ""
    else:
        assert listed["author"] == "Anonyme" and "effacer" in listed["body_html"]
