"""Every answer under /api is JSON in the contract's shape; bad input never gives a 500."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from engage.extensions import db
from tests.api.helpers import assert_error
from tests.factories import make_site


def test_unknown_api_path_is_json_404(client):
    assert_error(client.get("/api/v1/nope"), 404, "not_found")


def test_wrong_method_is_json_405_with_allow(client):
    response = client.put("/api/v1/thread")

    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_json_413(client):
    response = client.post(
        "/api/v1/comments", data="x" * (65 * 1024), content_type="application/json"
    )

    assert_error(response, 413, "payload_too_large")


def test_unexpected_error_is_json_500_without_details(client, monkeypatch):
    make_site()
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("engage.services.threads.find_thread", broken)

    response = client.get("/api/v1/thread", query_string={"site": "lejourpile", "article": "a"})

    assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)


def test_database_down_is_503_unavailable(client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("engage.services.sites.get_site", down)

    response = client.get("/api/v1/thread", query_string={"site": "x", "article": "a"})

    assert_error(response, 503, "unavailable")


@pytest.mark.parametrize("path", ["/healthz"])
def test_healthz_answers_ok_when_database_answers(client, path):
    response = client.get(path)

    assert response.status_code == 200
    # With a Redis configured (the PostgreSQL runs), it says how Redis is too.
    expected = {"status": "ok", "redis": "ok"} if client.application.config.get(
        "ENGAGE_REDIS_URL") else {"status": "ok"}
    assert response.get_json() == expected


def test_healthz_answers_503_when_database_is_unreachable(tmp_path):
    from tests.conftest import make_test_app

    app = make_test_app("postgresql+psycopg://nobody@127.0.0.1:1/none")

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_html_page_404_is_not_json(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert not response.is_json
