"""Spam signals: honeypot, too-fast form, duplicates, Akismet-compatible check."""

from __future__ import annotations

import threading
import urllib.parse

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from engage.extensions import db
from engage.models import Comment, CommentStatus
from tests.api.helpers import assert_error, post_comment
from tests.factories import make_site


def stored():
    db.session.expire_all()
    return list(db.session.scalars(select(Comment).order_by(Comment.id)))


def setup_site(**settings):
    make_site(**settings)
    db.session.commit()


def fresh_token(client, site="lejourpile"):
    return client.get("/api/v1/form-token", query_string={"site": site}).get_json()["form_token"]


def test_form_token_endpoint_is_never_cached(client, app):
    setup_site()

    response = client.get("/api/v1/form-token", query_string={"site": "lejourpile"})

    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["min_seconds"] == 3


def test_honeypot_filled_is_refused_by_default(client, app):
    setup_site()

    assert (
        "website"
        in assert_error(post_comment(client, website="http://spam"), 400, "validation_error")[
            "fields"
        ]
    )
    assert stored() == []


def test_honeypot_can_hold_instead(client, app):
    setup_site(spam_honeypot="hold")

    body = post_comment(client, website="http://spam").get_json()

    assert body["status"] == "pending"
    assert stored()[0].held_reason == "honeypot filled"


def test_form_sent_too_fast_is_held(client, app):
    setup_site()

    body = post_comment(client, form_token=fresh_token(client)).get_json()

    assert body["status"] == "pending"
    # Second precision (the token's timestamp): "sent 0.4 s…" or "sent 1.2 s…".
    assert stored()[0].held_reason.endswith("after the form was shown")


def test_form_sent_too_fast_can_be_refused(client, app):
    setup_site(spam_too_fast="reject")

    assert_error(post_comment(client, form_token=fresh_token(client)), 400, "validation_error")


def test_form_sent_at_human_speed_passes(client, app, monkeypatch):
    setup_site(spam_min_seconds=0)

    body = post_comment(client, form_token=fresh_token(client)).get_json()

    assert body["status"] == "approved"


@pytest.mark.parametrize("token", ["forged.token.value", "", None])
def test_missing_or_forged_form_token_rejects_nothing(client, app, token):
    setup_site()

    assert post_comment(client, form_token=token).get_json()["status"] == "approved"


def test_form_token_of_another_site_proves_nothing(client, app):
    setup_site()
    make_site("autre", origins=("https://autre.fr",))
    db.session.commit()

    body = post_comment(client, form_token=fresh_token(client, "autre")).get_json()

    assert body["status"] == "approved"


def test_same_body_twice_from_same_ip_is_refused(client, app):
    setup_site()
    post_comment(client, body="Copié-collé")

    response = post_comment(
        client,
        body="Copié-collé",
        article="autre/article",
        url="https://lejourpile.fr/autre/article",
    )

    assert "body" in assert_error(response, 400, "validation_error")["fields"]
    assert len(stored()) == 1


def test_same_body_from_another_reader_and_ip_passes(app):
    setup_site()
    first, second = app.test_client(), app.test_client()
    second.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    post_comment(first, body="Bravo !")

    assert post_comment(second, body="Bravo !").status_code == 201


@pytest.mark.parametrize(("action", "status"), [("hold", "pending"), ("off", "approved")])
def test_duplicate_action_is_a_site_setting(client, app, action, status):
    setup_site(spam_duplicate=action)
    post_comment(client, body="Encore")

    assert post_comment(client, body="Encore").get_json()["status"] == status


class FakeAkismet:
    """A local Akismet-compatible service: says spam when the body contains "viagra"."""

    def __init__(self):
        self.seen = []
        self.server = make_server("127.0.0.1", 0, self)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __call__(self, environ, start_response):
        request = Request(environ)
        form = dict(urllib.parse.parse_qsl(request.get_data(as_text=True)))
        self.seen.append((request.path, form))
        verdict = "true" if "viagra" in form.get("comment_content", "") else "false"
        return Response(verdict)(environ, start_response)


@pytest.fixture
def akismet():
    service = FakeAkismet()
    yield service
    service.server.shutdown()


def test_akismet_spam_is_held(client, app, akismet):
    setup_site(akismet_key="cle-secrete", akismet_url=akismet.url)

    spam = post_comment(client, body="Achetez du viagra").get_json()
    ham = post_comment(client, body="Article intéressant").get_json()

    assert spam["status"] == "pending" and ham["status"] == "approved"
    path, form = akismet.seen[0]
    assert path == "/1.1/comment-check"
    assert form["api_key"] == "cle-secrete" and form["blog"] == "https://lejourpile.fr"
    assert form["user_ip"] == "127.0.0.1" and form["comment_author"] == "Awa"


def test_akismet_is_off_without_key(client, app, akismet):
    setup_site(akismet_url=akismet.url)

    post_comment(client, body="Achetez du viagra")

    assert akismet.seen == []


def test_akismet_unreachable_lets_comment_through(client, app):
    setup_site(akismet_key="k", akismet_url="http://127.0.0.1:1")

    assert post_comment(client, body="Achetez du viagra").get_json()["status"] == "approved"


def test_spam_signal_never_overrides_a_rejection(client, app):
    setup_site(banned_words=["viagra"], spam_honeypot="hold")

    post_comment(client, body="viagra", website="x")

    assert stored()[0].status == CommentStatus.REJECTED
