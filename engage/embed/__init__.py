"""Blueprint "embed": the widget script and the demo pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("embed", __name__)

from . import views  # noqa: E402,F401
