"""The house lint (Pallets' ruff set) holds on the whole tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "engage", "tests", "bench"],
        cwd=ROOT, capture_output=True, text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
