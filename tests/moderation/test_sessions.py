"""Sessions that really end, and the commands that manage accounts, sites and bans:
a cookie copied before sign-out, revoke-tokens, disabling and a new password each end every
session server-side; a disabled account's API tokens stop working too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Ban, Moderator, Site, Thread
from tests.factories import make_token
from tests.moderation.conftest import PASSWORD, OwnContextClient, sign_in

PENDING = "/moderate/sites/lejourpile/pending"
EMAIL = "modo@lejourpile.fr"


def copy_of(app, client):
    """A second browser holding a copy of the client's session cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    app.test_client_class = OwnContextClient
    thief = app.test_client()
    thief.set_cookie(name, client.get_cookie(name).value)
    assert thief.get(PENDING).status_code == 200  # the copy works while the session lives
    return thief


def signed_out(client) -> bool:
    response = client.get(PENDING)
    return response.status_code == 302 and "/moderate/login" in response.headers["Location"]


def test_a_cookie_copied_before_sign_out_is_worthless_after_it(app, moderator_client):
    thief = copy_of(app, moderator_client)

    assert moderator_client.post("/moderate/logout").status_code == 302

    assert signed_out(thief) and signed_out(moderator_client)


@pytest.mark.parametrize("command", [["moderator", "revoke-tokens", EMAIL],
                                     ["moderator", "disable", EMAIL]])
def test_revoking_tokens_or_disabling_ends_page_sessions(app, runner, moderator_client, command):
    thief = copy_of(app, moderator_client)

    result = runner.invoke(args=command)

    assert result.exit_code == 0, result.output
    assert signed_out(thief) and signed_out(moderator_client)


def test_a_disabled_account_cannot_sign_in_nor_use_its_tokens_until_enabled(
        app, runner, client, world):
    token = make_token(world["moderator"])
    db.session.commit()
    api = {"Authorization": f"Bearer {token}"}

    assert runner.invoke(args=["moderator", "disable", EMAIL]).exit_code == 0
    assert client.get("/api/v1/mod/queue", query_string={"site": "lejourpile"},
                      headers=api).status_code == 401
    assert sign_in(client).status_code == 200  # the form again, with its error
    listing = runner.invoke(args=["moderator", "list"]).output
    assert f"{EMAIL}  moderator  DISABLED  lejourpile" in listing
    assert "admin@engage.fr  admin  active  every site" in listing

    assert runner.invoke(args=["moderator", "enable", EMAIL]).exit_code == 0
    assert sign_in(client).status_code == 302
    assert client.get("/api/v1/mod/queue", query_string={"site": "lejourpile"},
                      headers=api).status_code == 200


def test_a_new_password_ends_sessions_and_a_short_one_is_refused(app, runner, moderator_client):
    thief = copy_of(app, moderator_client)

    short = runner.invoke(args=["moderator", "password", EMAIL, "--password-stdin"],
                          input="court\n")
    assert short.exit_code != 0 and "password" in short.output
    assert not signed_out(thief)

    done = runner.invoke(args=["moderator", "password", EMAIL, "--password-stdin"],
                         input="un tout nouveau mot de passe\n")
    assert done.exit_code == 0, done.output
    assert signed_out(thief) and signed_out(moderator_client)
    assert sign_in(moderator_client, password=PASSWORD).status_code == 200
    assert sign_in(moderator_client, password="un tout nouveau mot de passe").status_code == 302


def test_unknown_moderator_is_one_clear_line(runner, world):
    for command in ("disable", "enable", "password"):
        result = runner.invoke(args=["moderator", command, "personne@nulle.part"])
        assert result.exit_code != 0 and "No moderator" in result.output


def test_site_list_and_a_removal_refused_while_comments_exist(client, runner, world):
    listing = runner.invoke(args=["site", "list"]).output
    assert "lejourpile" in listing and "autre" in listing and "comment(s)" in listing
    # A thread's answer cached before the removal must not outlive the site.
    thread_id, moderator_id = world["thread"].id, world["moderator"].id
    query = {"site": "lejourpile", "article": world["thread"].article}
    assert client.get("/api/v1/thread", query_string=query).status_code == 200

    refused = runner.invoke(args=["site", "remove", "lejourpile", "--yes"])
    assert refused.exit_code != 0 and "--with-comments" in refused.output
    assert db.session.scalar(select(Site).where(Site.key == "lejourpile")) is not None

    unconfirmed = runner.invoke(args=["site", "remove", "lejourpile", "--with-comments"],
                                input="n\n")
    assert unconfirmed.exit_code != 0

    removed = runner.invoke(args=["site", "remove", "lejourpile", "--with-comments", "--yes"])
    assert removed.exit_code == 0, removed.output
    db.session.expire_all()
    assert db.session.scalar(select(Site).where(Site.key == "lejourpile")) is None
    assert db.session.scalar(select(Thread).where(Thread.id == thread_id)) is None
    assert db.session.get(Moderator, moderator_id) is not None
    gone = client.get("/api/v1/thread", query_string=query)
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "unknown_site"


def test_ban_list_and_lift_from_the_command_line(runner, world):
    from engage.services import bans

    ban, _ = bans.ban_author(world["moderator"], world["approved"], days=None,
                             reason="propos haineux")
    db.session.commit()
    comment_id = world["approved"].id

    listing = runner.invoke(args=["ban", "list", "lejourpile"]).output
    assert f"#{ban.id}  reader  permanent" in listing and "propos haineux" in listing
    assert EMAIL in listing and f"comment #{comment_id}" in listing
    assert "ailleurs" in runner.invoke(args=["ban", "list", "autre"]).output
    ban_id = ban.id

    lifted = runner.invoke(args=["ban", "lift", str(ban_id), "--reason", "appel accepté"])
    assert lifted.exit_code == 0, lifted.output
    db.session.expire_all()
    assert db.session.get(Ban, ban_id) is None
    assert "No ban in force" in runner.invoke(args=["ban", "list", "lejourpile"]).output
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lift_ban"))
    assert event.actor == "command line" and event.details["ban_reason"] == "propos haineux"
    again = runner.invoke(args=["ban", "lift", str(ban_id)])
    assert again.exit_code != 0 and "No such ban" in again.output
