"""A plain `pip install .` ships the templates, static files and migrations."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_templates_static_and_migrations(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("engage-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    for template in (ROOT / "templates").rglob("*.html"):
        assert f"engage/templates/{template.relative_to(ROOT / 'templates')}" in names
    for asset in (ROOT / "static").rglob("*"):
        if asset.is_file() and not {"node_modules", "screenshots"} & set(asset.parts):
            assert f"engage/static/{asset.relative_to(ROOT / 'static')}" in names
    assert not any("node_modules" in n for n in names)
    assert "engage/translations/fr/LC_MESSAGES/messages.mo" in names
    assert "engage/migrations/env.py" in names
    assert "engage/migrations/alembic.ini" in names
    assert any(n.startswith("engage/migrations/versions/") for n in names)
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_wheel_serves_its_own_templates_and_static(tmp_path):
    """Install the wheel (not editable) beside the checkout and use it from there."""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("engage-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    script = """
import engage, pathlib, sys
assert pathlib.Path(engage.__file__).is_relative_to(sys.argv[1]), engage.__file__
app = engage.create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
assert app.template_folder.startswith(sys.argv[1]) and app.static_folder.startswith(sys.argv[1])
client = app.test_client()
for path in ("/embed.js", "/embed/fr.js", "/embed/en.js", "/embed/panels.js"):
    assert client.get(path).status_code == 200, path
with app.test_request_context():
    from flask import render_template
    assert "500" in render_template("errors/error.html", status=500)
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )

    assert result.stdout.strip() == "ok", result.stderr
