"""Blueprint "notifications": the confirmation and unsubscribe links of readers' e-mails."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from . import views  # noqa: E402,F401
