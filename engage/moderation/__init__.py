"""Blueprint "moderation": the moderators' server-rendered pages at /moderate/."""

from __future__ import annotations

from flask import Blueprint

bp: Blueprint = Blueprint("moderation", __name__, url_prefix="/moderate")

from . import auth, pages, views, webhooks  # noqa: E402,F401
from .auth import select_locale  # noqa: E402,F401
