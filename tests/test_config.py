"""Configuration from the environment (CONTRACT §5) and the start-up checks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engage import create_app
from engage.config import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (
        "ENGAGE_DATABASE_URL",
        "ENGAGE_SECRET_KEY",
        "ENGAGE_RATELIMIT_STORAGE_URI",
        "ENGAGE_RATELIMIT_ENABLED",
        "ENGAGE_REDIS_URL",
        "ENGAGE_TRUSTED_PROXIES",
    ):
        monkeypatch.delenv(name, raising=False)


def test_create_app_without_secret_outside_tests_fails_with_clear_message():
    with pytest.raises(ConfigError) as raised:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert "ENGAGE_SECRET_KEY is not set" in str(raised.value.code)


def test_gunicorn_style_start_without_secret_prints_one_line_not_traceback():
    result = subprocess.run(
        [sys.executable, "-c", "from engage import create_app; create_app()"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == 1
    assert "ENGAGE_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_environment_variables_set_their_config_keys(monkeypatch):
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "s3cret")
    monkeypatch.setenv("ENGAGE_DATABASE_URL", "sqlite:///tmp/engage-env.db")
    monkeypatch.setenv("ENGAGE_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("ENGAGE_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("ENGAGE_REDIS_URL", "redis://127.0.0.1:6379/4")
    monkeypatch.setenv("ENGAGE_TRUSTED_PROXIES", "2")

    config = create_app().config

    assert config["SECRET_KEY"] == "s3cret"
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///tmp/engage-env.db"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert config["RATELIMIT_ENABLED"] is False
    assert config["ENGAGE_REDIS_URL"] == "redis://127.0.0.1:6379/4"
    assert config["ENGAGE_TRUSTED_PROXIES"] == 2


def test_defaults_match_the_contract(monkeypatch, tmp_path):
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "s3cret")

    app = create_app()

    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("engage.db")
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["RATELIMIT_ENABLED"] is True
    assert app.config["ENGAGE_TRUSTED_PROXIES"] == 0
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ENGAGE_TRUSTED_PROXIES", "deux"),
        ("ENGAGE_TRUSTED_PROXIES", "-1"),
        ("ENGAGE_RATELIMIT_ENABLED", "peut-être"),
    ],
)
def test_bad_environment_value_fails_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "s3cret")
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as raised:
        create_app()

    assert variable in str(raised.value.code)


def test_redis_url_also_stores_rate_limits_unless_told_otherwise(monkeypatch):
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "s3cret")
    monkeypatch.setenv("ENGAGE_REDIS_URL", "redis://cache:6379/2")

    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/2"
    monkeypatch.setenv("ENGAGE_RATELIMIT_STORAGE_URI", "redis://limits:6379/0")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://limits:6379/0"


def test_config_argument_overrides_environment(monkeypatch):
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "from-env")

    app = create_app({"SECRET_KEY": "from-arg", "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert app.config["SECRET_KEY"] == "from-arg"


def test_demo_mode_makes_and_keeps_its_own_secret_and_database(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGE_DATABASE_URL", "postgresql+psycopg://prod/db")

    first = create_app({"ENGAGE_DEMO": True})
    second = create_app({"ENGAGE_DEMO": True})

    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["SQLALCHEMY_DATABASE_URI"].endswith("engage-demo.db")
