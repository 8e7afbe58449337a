"""E-mail digests to moderators, against a local SMTP sink."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import CommentStatus, Flag, FlagReason, Site
from tests.factories import make_comment, make_moderator, make_site, make_thread


@pytest.fixture
def app_config(smtp):
    return {
        "ENGAGE_SMTP_URL": smtp[1],
        "ENGAGE_BASE_URL": "https://engage.lejourpile.fr",
        "ENGAGE_MAIL_FROM": "engage <engage@lejourpile.fr>",
    }


@pytest.fixture
def busy_site(app):
    site = make_site(notify_moderators=True)
    thread = make_thread(site, title="Budget municipal")
    make_moderator("modo@lejourpile.fr", sites=(site,))
    make_moderator("ailleurs@autre.fr")
    for n in range(30):  # a busy morning: still one mail
        make_comment(
            thread,
            f"À valider {n}",
            status=CommentStatus.PENDING,
            held_reason="pre-moderation",
            author=f"Lecteur {n}",
        )
    reported = make_comment(thread, "Diffamation", flag_count=1)
    db.session.add(Flag(comment_id=reported.id, reader_hash="r" * 64, reason=FlagReason.ILLEGAL))
    db.session.commit()
    return site


def test_notify_sends_one_digest_per_site_to_its_moderators(runner, smtp, busy_site):
    sink, _ = smtp

    result = runner.invoke(args=["notify"])

    assert result.exit_code == 0, result.output
    ((to, message),) = sink.messages
    assert to == ["modo@lejourpile.fr"]
    assert message["Subject"] == "[Lejourpile] 31 comment(s) to moderate"
    body = message.get_payload(decode=True).decode()
    assert "30 comment(s) waiting for approval, 1 reported" in body
    assert "https://engage.lejourpile.fr/moderate/?site=lejourpile" in body
    assert "illegal" in body and "Budget municipal" in body


def test_notify_again_without_news_sends_nothing(runner, smtp, busy_site):
    sink, _ = smtp
    runner.invoke(args=["notify"])

    result = runner.invoke(args=["notify"])

    assert len(sink.messages) == 1
    assert "Nothing new" in result.output


def test_notify_after_a_new_comment_sends_a_new_digest(runner, smtp, busy_site):
    sink, _ = smtp
    runner.invoke(args=["notify"])
    thread = make_thread(busy_site, "autre-article")
    make_comment(thread, "Nouveau", status=CommentStatus.PENDING)
    db.session.commit()

    runner.invoke(args=["notify"])

    assert len(sink.messages) == 2


def test_notify_skips_sites_that_did_not_ask(runner, smtp, app):
    sink, _ = smtp
    make_comment(make_thread(make_site()), status=CommentStatus.PENDING)
    make_moderator(role="admin")
    db.session.commit()

    runner.invoke(args=["notify"])

    assert sink.messages == []


def test_notify_without_smtp_url_fails_clearly(app, busy_site):
    app.config["ENGAGE_SMTP_URL"] = None

    result = app.test_cli_runner().invoke(args=["notify"])

    assert result.exit_code != 0 and "ENGAGE_SMTP_URL" in result.output
    assert db.session.scalar(select(Site)).notified_at is None
