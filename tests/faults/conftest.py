"""Fixtures for the fault tests: private servers that the tests may stop, freeze and kill."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from ..conftest import IN_CI
from .services import PG_BIN, EngageServer, PrivatePostgres, PrivateRedis


def _require(available: bool, what: str) -> None:
    if not available:
        if IN_CI:
            pytest.fail(f"CI=true but {what} is missing: the fault tests must run in CI")
        pytest.skip(f"fault tests need {what}")


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the tests' own, on a free port; running at each test's start."""
    _require((PG_BIN / "initdb").exists(), f"PostgreSQL's server binaries in {PG_BIN}")
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def postgres(private_postgres: PrivatePostgres) -> Iterator[str]:
    """A fresh database on the private cluster, its URL; the cluster is thawed and restarted
    after the test, whatever the test did to it."""
    name = f"engage_fault_{uuid.uuid4().hex[:8]}"
    admin_url = private_postgres.url
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        if private_postgres.is_running():
            private_postgres.thaw()
        else:
            private_postgres.start()
        admin.dispose()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    _require(shutil.which("redis-server") is not None, "redis-server")
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def make_server() -> Iterator[type[EngageServer]]:
    """Start engage servers with make_server(env={...}, args=[...]); all stopped at the end."""
    started: list[EngageServer] = []

    def make(env: dict[str, str], args: list[str] | None = None) -> EngageServer:
        server = EngageServer(env=env, args=args or [])
        started.append(server)
        server.start()
        return server

    yield make  # type: ignore[misc]
    for server in started:
        server.stop()
