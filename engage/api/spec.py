"""The OpenAPI 3.1 document (placeholder, filled in below)."""

from __future__ import annotations

from typing import Any


def build_spec() -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "engage", "version": "1"}, "paths": {}}
