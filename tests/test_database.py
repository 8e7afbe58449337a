"""Database timeouts and pool settings: sensible defaults, ENGAGE_DB_* overrides, and the
operator's own URL parameters left as they are."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from engage.database import DB_DEFAULTS, engine_options
from engage.extensions import db

PG = "postgresql+psycopg://engage@db.example/engage"


def _options(url: str, **config):
    return engine_options({**DB_DEFAULTS, "SQLALCHEMY_DATABASE_URI": url, **config})


def test_postgresql_gets_connect_and_statement_timeouts_and_a_bounded_pool():
    options = _options(PG)
    assert options["pool_pre_ping"] is True
    assert options["connect_args"]["connect_timeout"] == 2
    assert "-c statement_timeout=2000" in options["connect_args"]["options"]
    assert "idle_in_transaction_session_timeout" in options["connect_args"]["options"]
    assert (options["pool_size"], options["max_overflow"], options["pool_timeout"]) == (10, 10, 2)


def test_url_parameters_win_over_engage_defaults():
    options = _options(PG + "?connect_timeout=9&options=-c%20statement_timeout%3D60000")
    assert "connect_timeout" not in options["connect_args"]
    assert "options" not in options["connect_args"]


def test_engage_db_variables_override_defaults(monkeypatch):
    from engage import create_app

    monkeypatch.setenv("ENGAGE_DB_STATEMENT_TIMEOUT", "750")
    monkeypatch.setenv("ENGAGE_DB_POOL_SIZE", "3")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": PG})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "-c statement_timeout=750" in options["connect_args"]["options"]
    assert options["pool_size"] == 3


def test_bad_engage_db_value_stops_start_up_in_one_line(monkeypatch):
    from engage import create_app
    from engage.config import ConfigError

    monkeypatch.setenv("ENGAGE_DB_POOL_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="ENGAGE_DB_POOL_TIMEOUT"):
        create_app({"TESTING": True})


def test_sqlite_lock_wait_follows_the_statement_timeout():
    assert _options("sqlite:////tmp/e.db")["connect_args"]["timeout"] == 2.0
    assert _options("sqlite:////tmp/e.db", ENGAGE_DB_STATEMENT_TIMEOUT=500)[
        "connect_args"]["timeout"] == 0.5


def test_operators_commands_have_no_statement_timeout(monkeypatch):
    from engage.cli import _create_cli_app

    monkeypatch.delenv("ENGAGE_DB_STATEMENT_TIMEOUT", raising=False)
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "x")
    monkeypatch.setenv("ENGAGE_DATABASE_URL", PG)
    options = _create_cli_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "options" not in options["connect_args"]  # migrations and imports may run long


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_session_runs_with_the_statement_timeout(app):
    assert db.session.execute(text("SHOW statement_timeout")).scalar() == "2s"


def test_client_deadline_follows_the_statement_timeout_in_force():
    from engage.database import _client_deadline

    assert _client_deadline({**DB_DEFAULTS, "SQLALCHEMY_DATABASE_URI": PG}) == 2.5
    url_timeout = PG + "?options=-c%20statement_timeout%3D5000"
    assert _client_deadline({**DB_DEFAULTS, "SQLALCHEMY_DATABASE_URI": url_timeout}) == 5.5
    url_other = PG + "?options=-c%20search_path%3Dengage"
    assert _client_deadline({**DB_DEFAULTS, "SQLALCHEMY_DATABASE_URI": url_other}) is None
    assert _client_deadline({**DB_DEFAULTS, "SQLALCHEMY_DATABASE_URI": PG,
                             "ENGAGE_DB_STATEMENT_TIMEOUT": 0}) is None


def test_operators_commands_ignore_a_web_statement_timeout_in_the_environment(monkeypatch):
    from engage.cli import _create_cli_app

    monkeypatch.setenv("ENGAGE_DB_STATEMENT_TIMEOUT", "2000")
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "x")
    monkeypatch.setenv("ENGAGE_DATABASE_URL", PG)
    assert _create_cli_app().config["ENGAGE_DB_STATEMENT_TIMEOUT"] == 0


def test_tracebacks_carry_no_statement_parameters():
    assert _options(PG)["hide_parameters"] is True


def test_unmigrated_schema_is_a_bug_not_an_outage():
    from sqlalchemy.exc import OperationalError

    from engage.database import is_database_fault

    missing = OperationalError("SELECT", {}, Exception("no such table: site"))
    assert not is_database_fault(missing)
    assert is_database_fault(OperationalError("SELECT", {}, Exception("database is locked")))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_runs_in_wal_mode_without_a_sync_per_commit(app):
    # WAL with synchronous=NORMAL: a commit is not an fsync (a post costs ~1 ms less); the
    # database cannot be corrupted by a crash, only the last commits lost on power failure.
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_public_reads_run_in_autocommit_and_writes_after_them_in_a_transaction(app, client):
    # BEGIN and ROLLBACK would be two of the four round trips of a counts read.
    from sqlalchemy import event

    from tests.factories import ORIGIN, SITE_KEY, make_site

    make_site()
    db.session.commit()
    seen: list[tuple[str, bool]] = []

    def note(conn, cursor, statement, *args):
        seen.append((statement.split()[0], conn.connection.dbapi_connection.autocommit))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        client.get("/api/v1/counts", query_string={"site": SITE_KEY, "article": "a"})
        reads = list(seen)
        seen.clear()
        posted = client.post("/api/v1/comments", json={
            "site": SITE_KEY, "article": "a", "url": f"{ORIGIN}/a",
            "title": "A", "author": "Lectrice", "body": "Après la lecture « en direct »"})
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert reads and all(autocommit for _, autocommit in reads), reads
    assert posted.status_code == 201, posted.json
    assert seen and not any(autocommit for _, autocommit in seen), seen
