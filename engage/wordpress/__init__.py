"""Blueprint "wordpress": the WordPress plugin (engage-comments/, PHP), served as a zip."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("wordpress", __name__, url_prefix="/wordpress")

from . import views  # noqa: E402,F401
