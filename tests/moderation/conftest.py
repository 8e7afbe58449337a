"""Fixtures of the moderation pages: a client whose requests each get their own app context,
two sites with comments, and signed-in clients."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engage.extensions import db
from engage.models import Ban, CommentStatus, Flag, FlagReason
from tests.factories import make_comment, make_moderator, make_site, make_thread

ARTICLE = "2026/11/mali-russie"
PASSWORD = "un mot de passe solide"


class OwnContextClient(FlaskClient):
    """Run each request in an app context of its own, as in production.

    The `app` fixture holds one app context for the whole test; requests would otherwise
    share its `g`, where Flask-Login keeps the signed-in user and Flask-Babel the language.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = OwnContextClient
    return app.test_client()


@pytest.fixture
def world(app):
    """Two sites; a moderator of the first, an admin; held, published, reported comments."""
    home, other = make_site(), make_site("autre", origins=("https://autre.fr",))
    thread = make_thread(home, ARTICLE)
    other_thread = make_thread(other, "ailleurs", title="Ailleurs")
    reported = make_comment(thread, "Un commentaire signalé", author="Bruno", flag_count=2)
    db.session.add_all([
        Flag(comment_id=reported.id, reader_hash="r1", reason=FlagReason.SPAM, note="pub"),
        Flag(comment_id=reported.id, reader_hash="r2", reason=FlagReason.ILLEGAL,
             note="appel à la haine"),
    ])
    world = {
        "home": home, "other": other, "thread": thread, "other_thread": other_thread,
        "moderator": make_moderator(sites=(home,)),
        "admin": make_moderator("admin@engage.fr", role="admin"),
        "pending": make_comment(thread, "En **attente** de modération",
                                status=CommentStatus.PENDING, held_reason="suspect word: idiot",
                                email="awa@example.org"),
        "approved": make_comment(thread, "Déjà publié", author="Chloé", reader_hash="c" * 64),
        "reported": reported,
        "foreign": make_comment(other_thread, "Ailleurs", status=CommentStatus.PENDING),
        "foreign_ban": Ban(site_id=other.id, reader_hash="z" * 64, reason="ailleurs"),
    }
    db.session.add(world["foreign_ban"])
    db.session.commit()
    return world


def sign_in(client, email="modo@lejourpile.fr", password=PASSWORD, **kwargs):
    return client.post("/moderate/login", data={"email": email, "password": password}, **kwargs)


@pytest.fixture
def moderator_client(client, world):
    """A client signed in as the moderator of the first site only."""
    assert sign_in(client).status_code == 302
    return client


@pytest.fixture
def admin_client(client, world):
    assert sign_in(client, "admin@engage.fr").status_code == 302
    return client
