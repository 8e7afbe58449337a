"""Print the widget's weight: every byte of JS and CSS that embed.js loads (budget: 12 KB gzipped).

Run: python3 bench/widget_size.py
The CSS is bundled inside embed.js, and the widget loads nothing else.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

BUDGET = 12 * 1024
EMBED = Path(__file__).resolve().parent.parent / "static" / "embed.js"


def main() -> int:
    raw = EMBED.read_bytes()
    compressed = len(gzip.compress(raw, compresslevel=9))
    print(f"static/embed.js: {len(raw):,} bytes raw, {compressed:,} bytes gzipped (-9)")
    print(
        f"budget: {BUDGET:,} bytes gzipped -> {'OK' if compressed <= BUDGET else 'OVER BUDGET'}"
        f" ({compressed / BUDGET:.0%} used)"
    )
    return 0 if compressed <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
