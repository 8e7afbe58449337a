"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document that matches the app's routes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from engage import create_app
from engage.api.schemas import comment_json, thread_json
from engage.errors import ApiError
from engage.models import Comment
from engage.services.sites import SiteSettings

IGNORED_METHODS = {"HEAD", "OPTIONS"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def openapi_app() -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture(scope="module")
def spec(openapi_app: Flask) -> dict[str, Any]:
    response = openapi_app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _documented(rule: str) -> bool:
    return rule.startswith("/api/") or rule == "/healthz"


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def _routes(app: Flask) -> dict[tuple[str, str], str]:
    """(OpenAPI path, lowercase method) -> endpoint, for the routes the document describes."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not _documented(rule.rule):
            continue
        for method in (rule.methods or set()) - IGNORED_METHODS:
            routes[(_openapi_path(rule.rule), method.lower())] = rule.endpoint
    return routes


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def _schema_validator(spec: dict[str, Any], name: str) -> Draft202012Validator:
    # The components travel with the schema so that its $refs resolve.
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_openapi_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_openapi_describes_every_route(openapi_app: Flask, spec: dict[str, Any]) -> None:
    routes = set(_routes(openapi_app))
    documented = set(_operations(spec))
    assert routes, "no API routes found"
    assert routes - documented == set(), "routes missing from the document"
    assert documented - routes == set(), "documented operations that do not exist"


def test_openapi_operation_ids_match_endpoints(openapi_app: Flask, spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    for key, endpoint in _routes(openapi_app).items():
        assert operations[key]["operationId"] == endpoint.rpartition(".")[2], key


def test_openapi_error_codes_match_error_classes(spec: dict[str, Any]) -> None:
    codes = {cls.code for cls in {ApiError, *_all_subclasses(ApiError)}}
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    documented = error["properties"]["code"]["enum"]
    assert len(documented) == len(set(documented))
    assert set(documented) == codes


def test_openapi_comment_schema_matches_serialised_comment(spec: dict[str, Any]) -> None:
    created = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
    comment = Comment(
        id=18, parent_id=17, author="Awa", body_html="<p>Hi</p>", created_at=created,
        edited_at=None, like_count=3, featured=False, moderator_id=None,
    )  # fmt: skip
    reply = comment_json(comment)
    answers = [
        comment_json(comment, [reply]),
        comment_json(comment, [reply], tombstone=True),
    ]
    validator = _schema_validator(spec, "Comment")
    for answer in answers:
        validator.validate(answer)
        assert set(answer) == set(spec["components"]["schemas"]["Comment"]["properties"])


def test_openapi_thread_schema_matches_thread_without_comments(spec: dict[str, Any]) -> None:
    answer = thread_json("lejourpile", "2026/11/mali-russie", None, True,
                         SiteSettings(comments="both", login_url="https://lejourpile.fr/login"))
    _schema_validator(spec, "Thread").validate(answer)
    assert set(answer) == set(spec["components"]["schemas"]["Thread"]["properties"])
