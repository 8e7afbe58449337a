"""Fixtures the moderation API's tests share."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.models import CommentStatus
from tests.api.helpers import ARTICLE
from tests.factories import make_comment, make_moderator, make_site, make_thread, make_token


@pytest.fixture
def world(app):
    """Two sites; a moderator of the first only, an admin; a thread with comments on each."""
    home, other = make_site(), make_site("autre", origins=("https://autre.fr",))
    moderator = make_moderator(sites=(home,))
    admin = make_moderator("admin@engage.fr", role="admin")
    thread = make_thread(home, ARTICLE)
    other_thread = make_thread(other, "ailleurs")
    world = {
        "home": home,
        "other": other,
        "thread": thread,
        "pending": make_comment(
            thread,
            "En attente",
            status=CommentStatus.PENDING,
            held_reason="pre-moderation",
            email="awa@example.org",
        ),
        "approved": make_comment(thread, "Publié"),
        "foreign": make_comment(other_thread, "Ailleurs", status=CommentStatus.PENDING),
        "token": make_token(moderator),
        "admin_token": make_token(admin),
    }
    db.session.commit()
    return world
