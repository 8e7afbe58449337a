"""axe-core (the accessibility engine behind Lighthouse), run inside the page under test.

It comes from the npm registry, pinned in static/src/package.json; .ci/run installs it
(`npm ci`), and in CI a missing copy fails the run instead of skipping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

NODE_MODULES = Path(__file__).resolve().parents[2] / "static" / "src" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
# WCAG 2.1, levels A and AA: what the European accessibility rules (EN 301 549) ask for.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any, include: str | None = None) -> list[str]:
    """Return one line per WCAG 2.1 A/AA violation on the page (or under `include`)."""
    if not AXE.exists():
        if IN_CI:
            pytest.fail(f"CI=true but axe-core is missing at {AXE}: .ci/run runs npm ci.")
        pytest.skip("accessibility tests need axe-core: cd static/src && npm ci")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async ([include, tags]) => {
            const context = include ? { include: [[include]] } : document;
            const result = await axe.run(context, { runOnly: { type: "tag", values: tags } });
            return result.violations.flatMap((v) => v.nodes.map((n) =>
                `${v.id} (${v.impact}) at ${JSON.stringify(n.target)}: ${n.failureSummary}`));
        }""",
        [include, WCAG_21_AA],
    )
    return list(found)
