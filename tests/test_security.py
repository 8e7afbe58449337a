"""Security headers, trusted proxies and cookies."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.models import Comment
from tests.api.helpers import post_comment
from tests.factories import make_site


@pytest.mark.parametrize(
    "path",
    ["/api/v1/thread?site=x&article=a", "/healthz", "/embed.js", "/api/v1/openapi.json", "/nope"],
)
def test_every_answer_has_nosniff_and_referrer_policy(client, path):
    response = client.get(path)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_api_answers_forbid_framing_and_loading(client):
    response = client.get("/api/v1/openapi.json")

    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    )


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://engage.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def ip_hash_of(app, address):
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        from engage.identity import ip_hash

        return ip_hash()


def test_spoofed_forwarded_for_changes_nothing_by_default(app):
    make_site()
    db.session.commit()

    post_comment(app.test_client(), headers={"X-Forwarded-For": "203.0.113.50"})

    stored = db.session.query(Comment).one().ip_hash
    assert stored == ip_hash_of(app, "127.0.0.1") != ip_hash_of(app, "203.0.113.50")


@pytest.mark.parametrize("app_config", [{"ENGAGE_TRUSTED_PROXIES": 1}])
def test_one_trusted_proxy_uses_its_forwarded_for_hop(app):
    make_site()
    db.session.commit()

    # The client forged the first hop; our proxy appended the real address.
    post_comment(app.test_client(), headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.50"})

    assert db.session.query(Comment).one().ip_hash == ip_hash_of(app, "203.0.113.50")


def test_session_cookie_is_httponly_and_samesite(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
