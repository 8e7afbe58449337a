"""Signing in and out: passwords, inactive accounts, session fixation, rate limits, CSRF."""

from __future__ import annotations

import re

import pytest

from engage.extensions import db
from engage.models import Comment, CommentStatus, Moderator
from engage.services import accounts
from tests.moderation.conftest import PASSWORD, sign_in
from tests.moderation.helpers import fresh, text

PENDING = "/moderate/sites/lejourpile/pending"
EN = {"Accept-Language": "en"}


def test_sign_in_with_right_password_opens_the_first_queue(client, world):
    response = sign_in(client)

    assert response.status_code == 302 and response.headers["Location"] == "/moderate/"
    assert client.get(client.get("/moderate/").headers["Location"]).status_code == 200


def test_sign_in_page_is_a_form_with_email_and_password(client, world):
    page = text(client.get("/moderate/login", headers=EN))

    assert 'name="email"' in page and 'type="password"' in page and "Sign in" in page


@pytest.mark.parametrize(("email", "password"), [
    ("modo@lejourpile.fr", "pas le bon mot de passe"),
    ("inconnu@lejourpile.fr", PASSWORD),
    ("modo@lejourpile.fr", ""),
])
def test_sign_in_with_wrong_credentials_stays_anonymous(client, world, email, password):
    response = sign_in(client, email, password, headers=EN)

    assert response.status_code == 200
    assert "Wrong email or password" in text(response) or "required" in text(response)
    assert client.get(PENDING).status_code == 302


def test_sign_in_ignores_case_and_spaces_of_the_email(client, world):
    assert sign_in(client, "  MODO@LeJourPile.fr ").status_code == 302


def test_sign_in_of_inactive_moderator_is_refused(client, world):
    world["moderator"].is_active = False
    db.session.commit()

    response = sign_in(client, headers=EN)

    assert response.status_code == 200 and "Wrong email or password" in text(response)
    assert client.get(PENDING).status_code == 302


def test_deactivated_moderator_is_signed_out_at_the_next_page(moderator_client, world):
    moderator = fresh(Moderator, world["moderator"].id)
    moderator.is_active = False
    db.session.commit()

    response = moderator_client.get(PENDING)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/moderate/login")


def test_new_password_ends_the_sessions_opened_before(moderator_client, world):
    accounts.set_password(fresh(Moderator, world["moderator"].id), "un tout nouveau mot de passe")
    db.session.commit()

    assert moderator_client.get(PENDING).status_code == 302


def test_sign_in_starts_a_fresh_session(client, world):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"

    sign_in(client)

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{world['moderator'].id}.")


def test_page_without_session_redirects_to_sign_in_and_back(client, world):
    response = client.get(f"{PENDING}?order=newest")
    target = response.headers["Location"]
    form = text(client.get(target))
    next_value = re.search(r'name="next"[^>]*value="([^"]*)"', form) or re.search(
        r'value="([^"]*)"[^>]*name="next"', form)

    assert response.status_code == 302 and target.startswith("/moderate/login?next=")
    assert next_value.group(1).replace("&amp;", "&") == f"{PENDING}?order=newest"
    signed_in = client.post("/moderate/login", data={
        "email": "modo@lejourpile.fr", "password": PASSWORD, "next": next_value.group(1)})
    assert signed_in.headers["Location"].replace("&amp;", "&") == f"{PENDING}?order=newest"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/api/v1/thread",
                                    "javascript:alert(1)", "/moderate/\\\\evil.example"])
def test_sign_in_never_sends_elsewhere_than_the_moderation_pages(client, world, target):
    response = client.post("/moderate/login", data={
        "email": "modo@lejourpile.fr", "password": PASSWORD, "next": target})

    assert response.headers["Location"] == "/moderate/"


def test_action_without_session_changes_nothing(client, world):
    response = client.post(f"/moderate/comments/{world['pending'].id}/approve")

    assert response.status_code == 302
    assert response.headers["Location"] == "/moderate/login"
    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING


def test_sign_out_by_post_ends_the_session(moderator_client, world):
    response = moderator_client.post("/moderate/logout")

    assert response.status_code == 302 and response.headers["Location"] == "/moderate/login"
    assert moderator_client.get(PENDING).status_code == 302


def test_sign_out_by_get_is_refused(moderator_client, world):
    assert moderator_client.get("/moderate/logout").status_code == 405
    assert moderator_client.get(PENDING).status_code == 200


def test_session_cookie_is_http_only_and_lax(client, world):
    cookie = sign_in(client).headers["Set-Cookie"]

    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- rate limits ------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_sign_in_sixth_attempt_from_one_ip_gets_a_friendly_429_page(client, world):
    answers = [sign_in(client, f"essai{n}@lejourpile.fr", "faux", headers=EN) for n in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    last = answers[-1]
    assert last.mimetype == "text/html" and "Too many attempts" in text(last)
    assert int(last.headers["Retry-After"]) > 0
    assert "default-src 'self'" in last.headers["Content-Security-Policy"]


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_sign_in_sixth_attempt_on_one_account_from_many_ips_gets_429(client, world):
    answers = [sign_in(client, "modo@lejourpile.fr", "faux",
                       environ_base={"REMOTE_ADDR": f"203.0.113.{n}"}) for n in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_sign_in_form_itself_is_not_limited(client, world):
    assert {client.get("/moderate/login").status_code for _ in range(8)} == {200}


# --- CSRF -------------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_post_without_csrf_token_is_refused(client, world):
    client.get("/moderate/login")
    signed_in = sign_in(client, headers=EN)
    refused_action = client.post(f"/moderate/comments/{world['pending'].id}/approve", headers=EN)

    assert signed_in.status_code == 400 and "expired" in text(signed_in)
    assert refused_action.status_code == 400
    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_post_with_csrf_token_is_accepted_and_without_is_refused(client, world):
    login = text(client.get("/moderate/login"))
    client.post("/moderate/login", data={"email": "modo@lejourpile.fr", "password": PASSWORD,
                                         "csrf_token": _token(login)})
    queue = text(client.get(PENDING))
    url = f"/moderate/comments/{world['pending'].id}/approve"

    without = client.post(url, data={"back": PENDING})
    assert without.status_code == 400 and without.mimetype == "text/html"
    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING

    with_token = client.post(url, data={"back": PENDING, "csrf_token": _token(queue)})
    assert with_token.status_code == 302
    assert fresh(Comment, world["pending"].id).status == CommentStatus.APPROVED

    assert client.post("/moderate/logout").status_code == 400
    assert client.get(PENDING).status_code == 200
