"""Print the widget's weight: all the JS and CSS a page downloads for it (budget: 12 KB gzipped).

Run: python3 bench/widget_size.py
A page loads embed.js (the code, with its CSS bundled in) and the strings of its own language
(embed/fr.js or embed/en.js); the report form, the edit form, the delete confirmation and
the "more replies" loader (embed/panels.js) come only when a reader first uses one. What is
weighed is what the server sends: the gzip copies the build writes beside each file (zopfli),
checked here to hold the same bytes; the budget holds for the heavier language. Brotli,
which most browsers take, is shown too.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

BUDGET = 12 * 1024
LANGUAGES = ("fr", "en")
# Fetched only when a reader first uses one of its parts (the report, edit and delete panels,
# the "more replies" loader): shown, not part of what every page downloads.
ON_DEMAND = ("embed/panels.js",)
STATIC = Path(__file__).resolve().parent.parent / "static"


def served(name: str) -> tuple[int, int, int]:
    """Return (raw, gzip, brotli) bytes of a built file, as the server hands it out."""
    path = STATIC / name
    raw = path.read_bytes()
    packed = Path(f"{path}.gz").read_bytes()
    if gzip.decompress(packed) != raw:
        raise SystemExit(f"static/{name}.gz is stale: rebuild (cd static/src && npm run build)")
    return len(raw), len(packed), Path(f"{path}.br").stat().st_size


def report() -> tuple[list[str], int]:
    """Return the lines to print and the bytes a page downloads, gzipped."""
    languages = [f"embed/{lang}.js" for lang in LANGUAGES]
    names = ["embed.js", *languages, *ON_DEMAND]
    sizes = {name: served(name) for name in names}
    lines = [f"static/{name}: {raw:,} bytes raw, {gz:,} gzip, {br:,} brotli"
             + (" (on demand)" if name in ON_DEMAND else "")
             for name, (raw, gz, br) in sizes.items()]
    heaviest = max(sizes[name][1] for name in languages)
    total = sizes["embed.js"][1] + heaviest
    verdict = "OK" if total <= BUDGET else "OVER BUDGET"
    lines.append(f"a page downloads {total:,} bytes gzipped; budget {BUDGET:,} -> {verdict}"
                 f" ({total / BUDGET:.0%} used)")
    return lines, total


def main() -> int:
    lines, total = report()
    print("\n".join(lines))
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
