"""Request helpers shared by the API tests."""

from __future__ import annotations

import itertools
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import ORIGIN, SITE_KEY

ARTICLE = "2026/11/mali-russie"
READER = "reader-token-0123456789abcdef"
BODY = "Très bon article, merci !"
# Each default body differs: the same body twice within 10 minutes is refused as a duplicate.
_serial = itertools.count(1)


def comment_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "site": SITE_KEY,
        "article": ARTICLE,
        "url": f"{ORIGIN}/{ARTICLE}",
        "title": "Mali : la Russie renforce sa présence",
        "author": "Awa",
        "body": f"{BODY} (n°{next(_serial)})",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def post_comment(
    client: FlaskClient, headers: dict[str, str] | None = None, **overrides: Any
) -> TestResponse:
    return client.post("/api/v1/comments", json=comment_payload(**overrides), headers=headers)


def get_thread(client: FlaskClient, article: str = ARTICLE, **params: Any) -> TestResponse:
    query = {"site": SITE_KEY, "article": article, **params}
    return client.get("/api/v1/thread", query_string=query)


def assert_error(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]
