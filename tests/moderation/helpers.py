"""Small helpers shared by the moderation page tests."""

from __future__ import annotations

from typing import Any

from engage.extensions import db
from tests.moderation.conftest import ARTICLE


def fresh(model: Any, ident: int) -> Any:
    """Read a row as the requests left it (end the test's own snapshot first)."""
    db.session.rollback()
    return db.session.get(model, ident)


def public_thread(client, article=ARTICLE, site="lejourpile") -> dict[str, Any]:
    response = client.get("/api/v1/thread", query_string={"site": site, "article": article})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def public_ids(client, article=ARTICLE) -> set[int]:
    return {c["id"] for c in public_thread(client, article)["comments"]}


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]
