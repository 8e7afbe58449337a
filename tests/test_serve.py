"""`engage serve`: defaults that fit the configuration, and the unsafe combination refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from engage import cli
from engage.serving import CONFIG_FILE
from engage.serving.settings import pick, refusal

SQLITE = {"SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/e.db", "RATELIMIT_STORAGE_URI": "memory://"}
POSTGRES = {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}


def test_sqlite_runs_one_process_with_threads():
    settings = pick(SQLITE, cores=8)
    assert (settings.workers, settings.threads) == (1, 8)


def test_postgresql_runs_a_process_per_core():
    assert pick(POSTGRES, cores=4).workers == 4
    assert pick(POSTGRES, cores=1).workers == 2  # several, even on one core


@pytest.mark.parametrize(("config", "workers", "allow", "refused"), [
    (SQLITE, 1, False, False),
    (SQLITE, 4, False, True),
    (SQLITE, 4, True, False),
    (POSTGRES, 4, False, False),
    ({**POSTGRES, "RATELIMIT_STORAGE_URI": "memory://"}, 2, False, True),
    ({**POSTGRES, "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False}, 2, False,
     False),
])
def test_several_processes_with_memory_limits_are_refused(config, workers, allow, refused):
    assert (refusal(pick(config), workers, allow) is not None) is refused


def test_trusted_proxies_decide_whom_gunicorn_believes():
    assert pick(SQLITE).forwarded_allow_ips == ""
    assert pick({**SQLITE, "ENGAGE_TRUSTED_PROXIES": 1}).forwarded_allow_ips == "*"


@pytest.fixture
def serve_env(monkeypatch, tmp_path):
    for name in ("ENGAGE_DATABASE_URL", "ENGAGE_RATELIMIT_STORAGE_URI", "ENGAGE_REDIS_URL",
                 "ENGAGE_ALLOW_PER_PROCESS_LIMITS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "serve-test")
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path))
    started: list[list[str]] = []
    monkeypatch.setattr(cli, "exec_server", started.append)
    return started


def test_serve_starts_gunicorn_with_the_shipped_config(serve_env):
    result = CliRunner().invoke(cli.cli, ["serve", "--bind", "127.0.0.1:9000", "--threads", "4"])
    assert result.exit_code == 0, result.output
    [argv] = serve_env
    assert argv[1:5] == ["-m", "gunicorn", "--config", CONFIG_FILE]
    assert argv[5:] == ["--bind", "127.0.0.1:9000", "--threads", "4"]
    assert "1 process(es) x 4 threads, sqlite" in result.output


def test_serve_refuses_several_processes_with_memory_limits(serve_env):
    result = CliRunner().invoke(cli.cli, ["serve", "--workers", "4"])
    assert result.exit_code == 1
    assert "4 processes would each count the rate limits in their own memory" in result.output
    assert "ENGAGE_REDIS_URL" in result.output and "--allow-per-process-limits" in result.output
    assert serve_env == []


def test_serve_allows_per_process_limits_when_told(serve_env, monkeypatch):
    result = CliRunner().invoke(cli.cli, ["serve", "--workers", "4", "--allow-per-process-limits"])
    assert result.exit_code == 0, result.output
    assert serve_env[0][-2:] == ["--workers", "4"]


def test_serve_passes_gunicorn_arguments_through(serve_env):
    result = CliRunner().invoke(cli.cli, ["serve", "--", "--daemon", "--pid", "/tmp/e.pid"])
    assert result.exit_code == 0, result.output
    assert serve_env[0][-3:] == ["--daemon", "--pid", "/tmp/e.pid"]


def test_serve_without_secret_says_so_in_one_line(serve_env, monkeypatch):
    monkeypatch.delenv("ENGAGE_SECRET_KEY")
    result = CliRunner().invoke(cli.cli, ["serve"])
    assert result.exit_code == 1
    assert "ENGAGE_SECRET_KEY is not set" in result.output
    assert "Traceback" not in result.output
