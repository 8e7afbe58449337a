"""Reply notifications end to end: the API, the outbox, a local SMTP sink, the links."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from engage.extensions import db
from engage.models import OutboxMessage, OutboxState, Subscriber
from engage.services import moderation
from engage.services.sites import set_options
from tests.api.helpers import assert_error, post_comment
from tests.factories import make_moderator, make_site

AWA = "awa.diallo@exemple.fr"


@pytest.fixture
def app_config(smtp):
    return {"ENGAGE_SMTP_URL": smtp[1], "ENGAGE_BASE_URL": "https://engage.lejourpile.fr",
            "ENGAGE_MAIL_FROM": "Le Jour pile <engage@lejourpile.fr>"}


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def notify(runner):
    result = runner.invoke(args=["notify"])
    assert result.exit_code == 0, result.output
    return result.output


def link_in(message, path):
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"https://engage\.lejourpile\.fr{path}\?token=[\w.\-]+", text).group(0)


def local(url):
    return url.removeprefix("https://engage.lejourpile.fr")


def post_and_confirm(client, runner, sink, email=AWA, **overrides):
    response = post_comment(client, author="Awa", email=email, notify_replies=True, **overrides)
    assert response.status_code == 201, response.get_data(as_text=True)
    notify(runner)
    to, confirmation = sink.messages[-1]
    assert to == [email]
    url = local(link_in(confirmation, "/notifications/confirm"))
    page = client.get(url)
    assert page.status_code == 200 and "Confirm" in page.get_data(as_text=True)
    token = url.split("token=")[1]
    assert client.post("/notifications/confirm", data={"token": token}).status_code == 200
    return response.get_json()["comment"]["id"]


def an_hour_later():
    """Move every message an hour back in time rather than wait for the hour."""
    for message in db.session.scalars(select(OutboxMessage)):
        message.due_at -= dt.timedelta(hours=1)
        if message.sent_at:
            message.sent_at -= dt.timedelta(hours=1)
    db.session.commit()


def reply(client, parent_id, author="Karim", **overrides):
    response = post_comment(client, author=author, parent_id=parent_id,
                            body=overrides.pop("body", "Je ne suis pas d’accord « du tout » !"),
                            **overrides)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["comment"]["id"]


def test_notify_replies_without_an_email_is_ignored_and_a_non_boolean_refused(client, site):
    posted = post_comment(client, notify_replies=True)
    assert posted.status_code == 201
    assert db.session.scalar(select(Subscriber)) is None
    assert_error(post_comment(client, email=AWA, notify_replies="oui"), 400, "validation_error")


def test_nothing_is_sent_before_the_address_is_confirmed(client, runner, smtp, site):
    sink, _ = smtp
    parent = post_comment(client, email=AWA, notify_replies=True).get_json()["comment"]["id"]
    reply(client, parent)

    notify(runner)

    ((to, message),) = sink.messages  # the confirmation only, no reply
    assert to == [AWA]
    assert "Confirm" in message["Subject"] and "lejourpile" in message["Subject"].lower()
    assert message.get_body(("html",)) is not None


def test_a_confirmed_reader_gets_the_approved_reply_in_a_multipart_mail(
        client, runner, smtp, site):
    sink, _ = smtp
    parent = post_and_confirm(client, runner, sink)
    reply_id = reply(client, parent)

    notify(runner)

    to, mail = sink.messages[-1]
    assert to == [AWA] and len(sink.messages) == 2
    assert "Mali" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "« du tout »" in text and "Karim" in text
    assert f"#comment-{reply_id}" in text and f"#comment-{reply_id}" in html
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https://engage\.lejourpile\.fr/notifications/unsubscribe\?token=\S+>",
                        mail["List-Unsubscribe"])


def test_a_french_site_writes_its_mails_in_french(client, runner, smtp, site):
    sink, _ = smtp
    set_options(site, {"language": "fr"})
    db.session.commit()
    parent = post_and_confirm(client, runner, sink)
    assert "Confirmez" in sink.messages[0][1]["Subject"]
    reply(client, parent)
    notify(runner)
    assert "réponse" in sink.messages[-1][1]["Subject"]


def test_a_held_reply_is_sent_only_once_approved(client, runner, smtp, site):
    sink, _ = smtp
    parent = post_and_confirm(client, runner, sink)
    set_options(site, {"moderation": "pre"})
    db.session.commit()
    held = reply(client, parent)
    notify(runner)
    assert len(sink.messages) == 1  # the confirmation only

    moderator = make_moderator(sites=(site,))
    moderation.act(moderator, moderation.comment_for(moderator, held), moderation.Action.APPROVE)
    db.session.commit()
    notify(runner)

    assert len(sink.messages) == 2


def test_a_rejected_reply_is_never_sent(client, runner, smtp, site):
    sink, _ = smtp
    parent = post_and_confirm(client, runner, sink)
    set_options(site, {"moderation": "pre"})
    db.session.commit()
    held = reply(client, parent)
    moderator = make_moderator(sites=(site,))
    moderation.act(moderator, moderation.comment_for(moderator, held), moderation.Action.REJECT)
    db.session.commit()
    notify(runner)
    assert len(sink.messages) == 1


def test_the_authors_own_reply_sends_nothing(client, runner, smtp, site):
    sink, _ = smtp
    parent = post_and_confirm(client, runner, sink)
    reply(client, parent, author="Awa", email=AWA.upper())
    notify(runner)
    assert len(sink.messages) == 1


def test_replies_are_batched_to_one_mail_per_thread_an_hour(client, runner, smtp, site):
    sink, _ = smtp
    parent = post_and_confirm(client, runner, sink)
    reply(client, parent, body="Première réponse")
    notify(runner)
    assert len(sink.messages) == 2

    reply(client, parent, body="Deuxième réponse", author="Léa")
    reply(client, parent, body="Troisième réponse", author="Yann")
    notify(runner)
    assert len(sink.messages) == 2  # within the hour: waits

    an_hour_later()
    notify(runner)

    assert len(sink.messages) == 3
    text = sink.messages[-1][1].get_body(("plain",)).get_content()
    assert "Deuxième réponse" in text and "Troisième réponse" in text
    assert "Première" not in text


def test_the_confirmation_mail_is_sent_at_most_once_a_day(client, runner, smtp, site):
    sink, _ = smtp
    for _ in range(5):  # someone typing a victim's address again and again
        post_comment(client, email=AWA, notify_replies=True)
    notify(runner)
    assert len(sink.messages) == 1


@pytest.mark.parametrize("scope", ["thread", "site"])
def test_the_unsubscribe_page_stops_the_thread_or_everything(client, runner, smtp, site, scope):
    sink, _ = smtp
    parent = post_and_confirm(client, runner, sink)
    other = post_comment(client, email=AWA, notify_replies=True, article="2026/12/autre",
                         url="https://lejourpile.fr/2026/12/autre").get_json()["comment"]["id"]
    reply(client, parent)
    notify(runner)
    url = local(link_in(sink.messages[-1][1], "/notifications/unsubscribe"))
    assert client.get(url).status_code == 200

    done = client.post("/notifications/unsubscribe",
                       data={"token": url.split("token=")[1], "scope": scope})
    assert done.status_code == 200
    reply(client, parent, body="Encore une")
    reply(client, other, body="Ailleurs", article="2026/12/autre",
          url="https://lejourpile.fr/2026/12/autre")
    an_hour_later()
    notify(runner)

    texts = [m.get_body(("plain",)).get_content() for _, m in sink.messages[2:]]
    assert not any("Encore une" in t for t in texts)
    assert any("Ailleurs" in t for t in texts) == (scope == "thread")


def test_the_one_click_unsubscribe_post_stops_everything(client, runner, smtp, site):
    sink, _ = smtp
    parent = post_and_confirm(client, runner, sink)
    reply(client, parent)
    notify(runner)
    header = sink.messages[-1][1]["List-Unsubscribe"].strip("<>")

    response = client.post(local(header), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    subscriber = db.session.scalar(select(Subscriber))
    db.session.refresh(subscriber)
    assert subscriber.unsubscribed_at is not None


@pytest.mark.parametrize("token", ["", "abc", "W1sxLDJdXQ.forged", "x" * 300])
def test_a_bad_link_gets_a_clear_page(client, site, token):
    for path in ("/notifications/confirm", "/notifications/unsubscribe"):
        page = client.get(path, query_string={"token": token})
        assert page.status_code == 400 and "link" in page.get_data(as_text=True).lower()
        assert client.post(path, data={"token": token}).status_code == 400


def test_a_site_can_turn_reply_notifications_off(client, runner, smtp, site):
    sink, _ = smtp
    set_options(site, {"notify_replies": "false"})
    db.session.commit()
    post_comment(client, email=AWA, notify_replies=True)
    notify(runner)
    assert sink.messages == []
    assert db.session.scalar(select(Subscriber)) is None


def test_a_rolled_back_comment_leaves_nothing_in_the_outbox(client, app, site):
    from engage.services import comments
    from engage.services.comments import NewComment
    from engage.services.threads import ArticleRef

    comments.post_comment(site, NewComment(
        article=ArticleRef(site.key, "2026/11/x", "https://lejourpile.fr/2026/11/x", "X"),
        parent_id=None, author="Awa", email=AWA, body="Bonjour", notify_replies=True),
        reader_hash=None, ip_hash=None)
    assert db.session.scalar(select(OutboxMessage)) is not None
    db.session.rollback()
    assert db.session.scalar(select(OutboxMessage)) is None
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.state == OutboxState.PENDING)) is None


def test_reader_export_erase_and_purge_cover_subscriptions(client, runner, smtp, site):
    sink, _ = smtp
    post_and_confirm(client, runner, sink)
    exported = runner.invoke(args=["reader", "export", AWA])
    assert '"subscriptions"' in exported.output and "confirmed_at" in exported.output

    runner.invoke(args=["reader", "erase", AWA, "--yes"])

    assert db.session.scalar(select(Subscriber)) is None


def test_an_old_link_does_not_reach_a_new_address_given_the_same_id(client, runner, smtp, site):
    sink, _ = smtp
    parent = post_and_confirm(client, runner, sink)
    reply(client, parent)
    notify(runner)
    old_link = local(link_in(sink.messages[-1][1], "/notifications/unsubscribe"))
    old_id = db.session.scalar(select(Subscriber)).id
    runner.invoke(args=["reader", "erase", AWA, "--yes"])
    # SQLite gives the highest id again once its row is gone: the next address gets it
    # (PostgreSQL's sequence does not; the row is given the old id by hand there).
    post_comment(client, email="karim@example.org", notify_replies=True)
    newcomer = db.session.scalar(select(Subscriber))
    if newcomer.id != old_id:
        db.session.execute(update(Subscriber).values(id=old_id))
        db.session.commit()
        db.session.expire_all()
        newcomer = db.session.scalar(select(Subscriber))
    assert newcomer.id == old_id and newcomer.email == "karim@example.org"

    page = client.get(old_link)
    done = client.post("/notifications/unsubscribe",
                       data={"token": old_link.split("token=")[1], "scope": "site"})

    assert page.status_code == 400 and done.status_code == 400
    db.session.refresh(newcomer)
    assert newcomer.unsubscribed_at is None
