"""Fixtures: a fresh app per test on SQLite and, when configured, PostgreSQL (required in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from engage import create_app
from engage.extensions import db

# Fixtures shared by several test folders: the SMTP sink (e-mail digests, reply notifications).
pytest_plugins = ["tests.smtp_sink"]

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("ENGAGE_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("ENGAGE_TEST_REDIS_URL", "")


def _own_redis_database(url: str) -> str:
    """Under pytest-xdist, one Redis database per worker (15, 14, … down from the one given):
    tests flush theirs and count its keys, which another worker's tests must not see.
    (PostgreSQL needs nothing of the kind: each session creates a database of its own.)"""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    given = int(parts.path.strip("/") or 0)
    own = given - int(worker[2:])
    if own < 0:
        raise pytest.UsageError(f"no Redis database left below {given} for worker {worker}")
    return urlunsplit(parts._replace(path=f"/{own}"))


REDIS_URL = _own_redis_database(REDIS_URL)

BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError(
            "CI=true but ENGAGE_TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI."
        )
    if IN_CI and not REDIS_URL:
        raise pytest.UsageError(
            "CI=true but ENGAGE_TEST_REDIS_URL is not set: the Redis tests must run in CI."
        )


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis server's URL; fails (not skips) in CI when it does not answer."""
    if not REDIS_URL:
        pytest.skip("Redis tests need ENGAGE_TEST_REDIS_URL (CI sets it)")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
    return REDIS_URL


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'engage.db'}"
    _migrate(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """Create a database of our own on the test server, migrated; drop it at the end."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need ENGAGE_TEST_DATABASE_URL (CI sets it)")
    server = make_url(POSTGRES_URL)
    name = f"engage_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the run must fail loudly, not skip, when the server is down
        pytest.fail(f"PostgreSQL at {server.render_as_string()} is unreachable: {exc}")
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


def make_test_app(database_url: str, **config: Any) -> Flask:
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
    }
    if REDIS_URL and database_url.startswith("postgresql"):
        # PostgreSQL runs as in production, with a shared Redis: the read cache keeps its
        # versions there (on SQLite, in a file), so every test exercises it on both.
        settings["ENGAGE_REDIS_URL"] = REDIS_URL
        settings["RATELIMIT_STORAGE_URI"] = "memory://"
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a module or test to change the app's configuration."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_test_app(database_url, **app_config)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Iterator[QueryCounter]:
    """Count the SQL statements the app sends while the test runs."""
    counter = QueryCounter()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Transaction control (SQLite's explicit BEGIN) is not a query.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            counter.statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


# Chromium for the browser tests (tests/browser, tests/wordpress): one per session, here at the
# root, since Playwright's sync API allows a single running instance per thread.
CHROMIUM = os.environ.get("ENGAGE_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"CI=true but Chromium is missing at {CHROMIUM}: .ci/run installs it.")
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def receiver() -> Iterator[Any]:
    """A local HTTP server standing for a site's webhook receiver (tests/webhook_receiver.py)."""
    from tests.webhook_receiver import Receiver

    receiver = Receiver()
    yield receiver
    receiver.close()
