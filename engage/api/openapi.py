"""GET /openapi.json: the OpenAPI 3.1 description of the public API."""

from __future__ import annotations

from flask import Response, jsonify

from . import bp
from .spec import build_spec


@bp.get("/openapi.json")
def get_openapi() -> Response:
    """Answer the OpenAPI document."""
    return jsonify(build_spec())
