"""Readers the site signs in (X-Engage-SSO, issue 16) over the API: comments under the account
with its badge, edits from any device, likes and reactions once per account, the site's
comments=guests|accounts|both policy on every write path, bans and history by account."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Comment, CommentLike
from engage.services import sites, sso
from tests.api.helpers import ARTICLE, assert_error, get_thread, post_comment
from tests.api.test_mod import auth
from tests.factories import ORIGIN, SITE_KEY, make_moderator, make_site, make_token

URL = f"{ORIGIN}/{ARTICLE}"
PHONE = "phone-reader-0000000000"
LAPTOP = "laptop-reader-000000000"


@pytest.fixture
def secret(app):
    site = make_site()
    secret = sso.rotate_secret(site)
    db.session.commit()
    return secret


def signed(secret, sub="wp-42", *, name="Awa Diallo", reader=PHONE, **claims):
    """The headers of a browser whose page the site signed for its user `sub`."""
    now = int(time.time())
    token = jwt.encode({"sub": sub, "name": name, "iat": now, "exp": now + 3600, **claims},
                       secret, algorithm="HS256")
    return {"X-Engage-SSO": token, "X-Engage-Reader": reader}


def set_policy(**options):
    site = db.session.scalar(select(sites.Site).where(sites.Site.key == SITE_KEY))
    sites.set_options(site, options)
    db.session.commit()


def posted(response):
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_a_signed_in_readers_comment_carries_the_accounts_name_and_badge(client, secret):
    body = posted(post_comment(
        client, author=..., headers=signed(secret, email="awa@example.org", badge="Abonnée")))

    public = body["comment"]
    assert (public["author"], public["account"], public["badge"]) == ("Awa Diallo", True,
                                                                      "Abonnée")
    listed = get_thread(client).get_json()["comments"][0]
    assert (listed["author"], listed["account"], listed["badge"]) == ("Awa Diallo", True,
                                                                      "Abonnée")
    assert "awa@example.org" not in get_thread(client).get_data(as_text=True)
    stored = db.session.scalar(select(Comment))
    assert stored.email == "awa@example.org"  # private, like any e-mail
    assert stored.account_hash == stored.reader_hash and "wp-42" not in stored.account_hash


def test_the_tokens_name_wins_over_a_name_the_form_sent(client, secret):
    body = posted(post_comment(client, author="Quelqu'un d'autre", headers=signed(secret)))

    assert body["comment"]["author"] == "Awa Diallo"


def test_a_guests_comment_says_account_false_and_no_badge(client, secret):
    body = posted(post_comment(client, headers={"X-Engage-Reader": PHONE}))

    assert (body["comment"]["account"], body["comment"]["badge"]) == (False, None)


@pytest.mark.parametrize("write", ["comment", "like", "reaction", "share", "report", "edit"])
def test_a_token_that_cannot_be_trusted_answers_401_and_changes_nothing(client, secret, write):
    comment_id = posted(post_comment(client, headers=signed(secret)))["comment"]["id"]
    forged = signed("not-the-sites-secret-but-long-enough-00")
    before = get_thread(client).get_json()

    response = {
        "comment": lambda: post_comment(client, author=..., headers=forged),
        "like": lambda: client.post(f"/api/v1/comments/{comment_id}/like", headers=forged),
        "reaction": lambda: client.put("/api/v1/reaction", headers=forged, json={
            "site": SITE_KEY, "article": ARTICLE, "url": URL, "reaction": "love"}),
        "share": lambda: client.post("/api/v1/shares", headers=forged, json={
            "site": SITE_KEY, "article": ARTICLE, "url": URL, "network": "x"}),
        "report": lambda: client.post(f"/api/v1/comments/{comment_id}/flag", headers=forged,
                                      json={"reason": "spam"}),
        "edit": lambda: client.patch(f"/api/v1/comments/{comment_id}", headers=forged,
                                     json={"body": "Réécrit par un faussaire"}),
    }[write]()

    error = assert_error(response, 401, "bad_token")
    assert "not signed by this site" in error["message"]
    after = get_thread(client).get_json()
    assert after["thread"] == before["thread"] and after["comments"] == before["comments"]


def test_an_author_edits_and_deletes_from_another_device_while_signed_in(client, secret):
    first = posted(post_comment(client, headers=signed(secret, reader=PHONE)))
    comment_id = first["comment"]["id"]

    # On the laptop: another browser, no edit token, a new token for the same user.
    edited = client.patch(f"/api/v1/comments/{comment_id}", json={"body": "Corrigé depuis"
                          " l'ordinateur « portable »"}, headers=signed(secret, reader=LAPTOP))
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert "« portable »" in edited.get_json()["comment"]["body_html"]

    # Someone else signed in, or a guest without the edit token, may not.
    other = signed(secret, "wp-7", name="Marc", reader=LAPTOP)
    assert_error(client.delete(f"/api/v1/comments/{comment_id}", headers=other), 403,
                 "bad_token")
    assert_error(client.delete(f"/api/v1/comments/{comment_id}",
                               headers={"X-Engage-Reader": LAPTOP}), 403, "bad_token")

    deleted = client.delete(f"/api/v1/comments/{comment_id}", headers=signed(secret,
                                                                              reader=LAPTOP))
    assert deleted.status_code == 204
    assert get_thread(client).get_json()["comments"] == []


def test_an_account_edits_only_within_the_sites_edit_window(client, secret):
    set_policy(edit_window="0")
    comment_id = posted(post_comment(client, headers=signed(secret)))["comment"]["id"]

    response = client.patch(f"/api/v1/comments/{comment_id}", json={"body": "Trop tard"},
                            headers=signed(secret, reader=LAPTOP))

    assert "edit window" in assert_error(response, 403, "bad_token")["message"]


def test_likes_and_reactions_count_once_per_account_on_every_device(client, secret):
    comment_id = posted(post_comment(client, headers={"X-Engage-Reader": "x" * 20}))[
        "comment"]["id"]

    for reader in (PHONE, LAPTOP):
        liked = client.post(f"/api/v1/comments/{comment_id}/like",
                            headers=signed(secret, reader=reader))
        assert liked.get_json() == {"likes": 1}
        reacted = client.put("/api/v1/reaction", headers=signed(secret, reader=reader),
                             json={"site": SITE_KEY, "article": ARTICLE, "url": URL,
                                   "reaction": "love"})
        assert reacted.get_json()["reactions"]["love"] == 1
    # The same browser, signed out, is another reader.
    liked = client.post(f"/api/v1/comments/{comment_id}/like", headers={"X-Engage-Reader": PHONE})
    assert liked.get_json() == {"likes": 2}
    # Withdrawn from the laptop, the phone's like by the account is gone.
    unliked = client.delete(f"/api/v1/comments/{comment_id}/like",
                            headers=signed(secret, reader=LAPTOP))
    assert unliked.get_json() == {"likes": 1}
    assert db.session.scalar(select(db.func.count()).select_from(CommentLike)) == 1


def test_a_report_counts_once_per_account(client, secret):
    comment_id = posted(post_comment(client, headers={"X-Engage-Reader": "x" * 20}))[
        "comment"]["id"]

    for reader in (PHONE, LAPTOP):
        response = client.post(f"/api/v1/comments/{comment_id}/flag", json={"reason": "spam"},
                               headers=signed(secret, reader=reader))
        assert response.status_code == 200

    assert db.session.get(Comment, comment_id).flag_count == 1


def test_accounts_policy_refuses_guests_words_on_every_path_but_lets_them_react(client, secret):
    guest = {"X-Engage-Reader": PHONE}
    before_policy = posted(post_comment(client, headers=guest))
    set_policy(comments="accounts", login_url="https://www.lejourpile.fr/connexion")

    thread = get_thread(client).get_json()["thread"]
    assert (thread["commenting"], thread["login_url"]) == (
        "accounts", "https://www.lejourpile.fr/connexion")
    assert_error(post_comment(client, headers=guest), 401, "login_required")
    assert_error(post_comment(client, headers=guest, parent_id=before_policy["comment"]["id"]),
                 401, "login_required")
    edit = client.patch(f"/api/v1/comments/{before_policy['comment']['id']}", json={
        "body": "Changé"}, headers={**guest, "X-Engage-Edit-Token": before_policy["edit_token"]})
    assert_error(edit, 401, "login_required")
    assert len(get_thread(client).get_json()["comments"]) == 1  # nothing was stored

    # Guests may still react, share and like; a signed-in reader comments and replies.
    assert client.put("/api/v1/reaction", headers=guest, json={
        "site": SITE_KEY, "article": ARTICLE, "url": URL, "reaction": "wow"}).status_code == 200
    assert client.post("/api/v1/shares", headers=guest, json={
        "site": SITE_KEY, "article": ARTICLE, "url": URL, "network": "whatsapp"}).status_code == 200
    reply = post_comment(client, author=..., headers=signed(secret),
                         parent_id=before_policy["comment"]["id"])
    assert posted(reply)["comment"]["account"] is True


def test_both_and_guests_take_either_kind_of_comment(client, secret):
    for policy in ("both", "guests"):
        set_policy(comments=policy)
        assert get_thread(client).get_json()["thread"]["commenting"] == policy
        posted(post_comment(client, headers={"X-Engage-Reader": PHONE}))
        posted(post_comment(client, author=..., headers=signed(secret)))


def test_a_guest_without_a_name_is_told_to_give_one(client, secret):
    response = post_comment(client, author=..., headers={"X-Engage-Reader": PHONE})

    assert "author" in assert_error(response, 400, "validation_error")["fields"]


def test_a_policy_change_shows_in_the_cached_thread_at_once(client, secret):
    first = get_thread(client)
    etag = first.headers["ETag"]

    set_policy(comments="accounts")

    again = get_thread(client, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert again.get_json()["thread"]["commenting"] == "accounts"


def test_bad_policy_options_are_refused(client, secret):
    site = db.session.scalar(select(sites.Site))
    for options in ({"comments": "subscribers"}, {"login_url": "javascript:alert(1)"}):
        with pytest.raises(sites.ValidationError):
            sites.set_options(site, options)


def test_banning_a_signed_in_author_bans_the_account_on_every_device(client, secret):
    token = make_token(make_moderator(sites=(db.session.scalar(select(sites.Site)),)))
    db.session.commit()
    comment_id = posted(post_comment(client, author=..., headers=signed(
        secret, reader=PHONE)))["comment"]["id"]

    banned = client.post("/api/v1/mod/bans", headers=auth(token), json={
        "site": SITE_KEY, "comment_id": comment_id, "identifiers": ["reader"]})
    assert banned.status_code == 201, banned.get_data(as_text=True)

    assert_error(post_comment(client, author=..., headers=signed(secret, reader=LAPTOP)), 403,
                 "banned")
    # Another account on the same laptop is not banned.
    posted(post_comment(client, author=..., headers=signed(secret, "wp-7", name="Marc",
                                                           reader=LAPTOP)))


def test_moderators_see_account_or_guest_and_the_accounts_history(client, secret):
    token = make_token(make_moderator(sites=(db.session.scalar(select(sites.Site)),)))
    set_policy(moderation="pre")
    for reader in (PHONE, LAPTOP):
        posted(post_comment(client, author=..., headers=signed(secret, reader=reader,
                                                               badge="Abonnée")))
    posted(post_comment(client, headers={"X-Engage-Reader": PHONE}))

    queue = client.get("/api/v1/mod/queue", query_string={"site": SITE_KEY},
                       headers=auth(token)).get_json()
    items = {(item["account"], item["badge"], item["author"]) for item in queue["items"]}
    assert items == {(True, "Abonnée", "Awa Diallo"), (False, None, "Awa")}
    signed_in_item = next(item for item in queue["items"] if item["account"])
    # The account's two comments (two devices) are one author's history.
    assert signed_in_item["author_history"]["pending"] == 2


def test_a_signed_in_readers_data_is_exported_and_erased_by_their_user_id(
        client, runner, secret):
    posted(post_comment(client, author=..., headers=signed(
        secret, email="awa@example.org", badge="Abonnée"), body="Mon avis « tranché »"))
    posted(post_comment(client, author=..., headers=signed(secret, "wp-7", name="Marc"),
                        body="Celui de Marc"))
    before = get_thread(client).headers["ETag"]

    exported = runner.invoke(args=["reader", "export", "--site", SITE_KEY, "--account", "wp-42"])

    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert [(c["body"], c["email"], c["badge"]) for c in data["comments"]] == [
        ("Mon avis « tranché »", "awa@example.org", "Abonnée")]
    assert data["account"] is True and "wp-42" not in exported.output.replace(
        '"--account"', "")

    erased = runner.invoke(args=["reader", "erase", "--site", SITE_KEY, "--account", "wp-42",
                                 "--yes"])

    assert erased.exit_code == 0, erased.output
    db.session.expire_all()
    assert [c.author for c in db.session.scalars(select(Comment).order_by(Comment.id))] == [
        "", "Marc"]
    assert db.session.scalar(select(Comment).where(Comment.author == "")).account_hash is None
    after = get_thread(client, headers={"If-None-Match": before})
    assert after.status_code == 200  # the cached thread let go of the erased words
    assert [c["author"] for c in after.get_json()["comments"]] == ["Marc"]


@pytest.mark.parametrize("args, message", [
    (["--account", "wp-42"], "go together"),
    ([], "Give an EMAIL"),
    (["--site", "inconnu", "--account", "wp-42"], "No site has this key"),
])
def test_reader_commands_say_what_is_missing(runner, secret, args, message):
    result = runner.invoke(args=["reader", "export", *args])

    assert result.exit_code != 0 and message in result.output
