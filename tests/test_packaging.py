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
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("engage-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    for template in (ROOT / "templates").rglob("*.html"):
        assert f"engage/templates/{template.relative_to(ROOT / 'templates')}" in names
    for asset in (ROOT / "static").rglob("*"):
        if asset.is_file():
            assert f"engage/static/{asset.relative_to(ROOT / 'static')}" in names
    assert "engage/migrations/env.py" in names
    assert "engage/migrations/alembic.ini" in names
    assert any(n.startswith("engage/migrations/versions/") for n in names)
    assert any(n.endswith("entry_points.txt") for n in names)
