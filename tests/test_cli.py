"""The `engage` command line (CONTRACT §4)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import ApiToken, Moderator, ModeratorRole, Site
from engage.services.accounts import check_password, hash_token
from tests.factories import make_site


def test_init_migrates_the_database(runner):
    result = runner.invoke(args=["init"])

    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_site_add_creates_site_with_origins(runner):
    result = runner.invoke(
        args=[
            "site",
            "add",
            "lejourpile",
            "--name",
            "Le Jour Pile",
            "--origin",
            "https://www.lejourpile.fr/",
            "--origin",
            "http://localhost:8000",
        ]
    )

    assert result.exit_code == 0, result.output
    site = db.session.scalar(select(Site).where(Site.key == "lejourpile"))
    assert site.name == "Le Jour Pile"
    assert site.origin_set == {"https://www.lejourpile.fr", "http://localhost:8000"}


@pytest.mark.parametrize(
    "args",
    [
        ["site", "add", "Bad Key", "--name", "x", "--origin", "https://a.fr"],
        ["site", "add", "ok", "--name", "x", "--origin", "ftp://a.fr"],
        ["site", "add", "ok", "--name", "x"],
    ],
)
def test_site_add_with_bad_input_fails_and_creates_nothing(runner, args):
    result = runner.invoke(args=args)

    assert result.exit_code != 0
    assert db.session.scalar(select(Site)) is None


def test_site_add_twice_fails(runner):
    make_site()
    db.session.commit()

    result = runner.invoke(
        args=["site", "add", "lejourpile", "--name", "x", "--origin", "https://a.fr"]
    )

    assert result.exit_code != 0
    assert "exists already" in result.output


def test_site_set_changes_options_and_adds_origins(runner):
    make_site()
    db.session.commit()

    result = runner.invoke(
        args=[
            "site",
            "set",
            "lejourpile",
            "moderation=pre",
            "edit_window=30",
            "origin=https://amp.lejourpile.fr",
        ]
    )

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    site = db.session.scalar(select(Site))
    assert site.settings == {"moderation": "pre", "edit_window": 30}
    assert "https://amp.lejourpile.fr" in site.origin_set


@pytest.mark.parametrize(
    "option", ["moderation=parfois", "edit_window=-1", "couleur=bleu", "moderation"]
)
def test_site_set_with_bad_option_fails_and_changes_nothing(runner, option):
    make_site(moderation="post")
    db.session.commit()

    result = runner.invoke(args=["site", "set", "lejourpile", option])

    assert result.exit_code != 0
    db.session.expire_all()
    assert db.session.scalar(select(Site)).settings == {"moderation": "post"}


def test_site_set_unknown_site_fails(runner):
    result = runner.invoke(args=["site", "set", "inconnu", "moderation=pre"])

    assert result.exit_code != 0


def test_moderator_add_with_password_stdin_hashes_it(runner):
    make_site()
    db.session.commit()

    result = runner.invoke(
        args=[
            "moderator",
            "add",
            "Modo@Example.org",
            "--role",
            "moderator",
            "--site",
            "lejourpile",
            "--password-stdin",
        ],
        input="un mot de passe très long\n",
    )

    assert result.exit_code == 0, result.output
    moderator = db.session.scalar(select(Moderator))
    assert moderator.email == "modo@example.org"
    assert moderator.role == ModeratorRole.MODERATOR
    assert [s.key for s in moderator.sites] == ["lejourpile"]
    assert "très long" not in moderator.password_hash
    assert check_password(moderator, "un mot de passe très long")


def test_moderator_add_prompts_for_password(runner):
    result = runner.invoke(
        args=["moderator", "add", "admin@example.org", "--role", "admin"],
        input="motdepasse-solide\nmotdepasse-solide\n",
    )

    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Moderator)).role == ModeratorRole.ADMIN


@pytest.mark.parametrize(
    ("args", "password"),
    [
        (["not-an-email", "--role", "admin"], "motdepasse-solide"),
        (["a@example.org", "--role", "admin"], "court"),
        (["a@example.org", "--role", "moderator", "--site", "inconnu"], "motdepasse-solide"),
        (["a@example.org", "--role", "chef"], "motdepasse-solide"),
    ],
)
def test_moderator_add_with_bad_input_fails(runner, args, password):
    result = runner.invoke(
        args=["moderator", "add", *args, "--password-stdin"], input=password + "\n"
    )

    assert result.exit_code != 0
    assert db.session.scalar(select(Moderator)) is None


def test_moderator_token_prints_token_stored_only_as_hash(runner):
    runner.invoke(
        args=["moderator", "add", "a@example.org", "--role", "admin", "--password-stdin"],
        input="motdepasse-solide\n",
    )

    result = runner.invoke(args=["moderator", "token", "a@example.org"])

    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert len(token) >= 40
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash


def test_moderator_token_for_unknown_email_fails(runner):
    result = runner.invoke(args=["moderator", "token", "personne@example.org"])

    assert result.exit_code != 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_engage_demo_creates_everything_and_serves(tmp_path: Path):
    """Run the real console script: it prints what it did and answers on its port."""
    port = _free_port()
    engage = Path(sys.executable).with_name("engage")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGE_")}
    env["ENGAGE_INSTANCE_PATH"] = str(tmp_path / "instance")  # not the developer's own demo
    process = subprocess.Popen(
        [str(engage), "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    assert json.load(answer) == {"status": "ok"}
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "demo did not start"
                time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/", timeout=5) as page:
            assert "engage" in page.read().decode()
        thread_url = f"{base}/api/v1/thread?site=demo&article=2026/11/budget-municipal"
        with urllib.request.urlopen(thread_url, timeout=5) as answer:
            assert json.load(answer)["thread"]["comment_count"] >= 1
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "Created site 'demo'" in output
    assert (tmp_path / "instance" / "engage-demo.db").exists()
    assert f"http://127.0.0.1:{port}" in output
