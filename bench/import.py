"""Benchmark `engage import wordpress`: comments per second and peak memory.

Run: python3 bench/import.py [--comments 100000] [--backend sqlite|postgresql|both]
                             [--repeat 3]

It writes a WordPress export (WXR 1.2) of N comments (20 per post, a fifth of them replies,
French text: 70 % plain, 20 % with HTML and entities, 10 % with a link; some pending, spam)
to a temporary folder, imports it with the real command into a fresh database, and prints
the time, comments per second and the peak resident memory of the importing process; with
--repeat, each backend's runs alternate and the median and range are printed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from run import _fresh_postgres_database  # noqa: E402

PER_POST = 20
# As old comments are: most plain text, some with WordPress's HTML, some with a link.
BODIES = [
    "Je ne suis pas d’accord : « vraiment » pas.\n\nLa suite de l’article le montre bien, "
    "relisez le troisième paragraphe avant de conclure !",
    "Je ne suis pas d&rsquo;accord, <b>vraiment</b> pas.\n\nRelisez <i>le troisième "
    "paragraphe</i> avant de conclure.",
    "Voir https://example.org/source et « la suite » avant de conclure.",
]


def write_export(path: Path, comments: int) -> None:
    rng = random.Random(11)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                  'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                  'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n')
        for post in range(comments // PER_POST):
            out.write(f"<item><title><![CDATA[L&#039;article n° {post} « en direct »]]></title>"
                      f"<link>https://bench.example/2024/{post % 12 + 1:02d}/article-{post}/</link>"
                      f"<wp:post_id>{post + 1}</wp:post_id>"
                      "<wp:post_date_gmt>2024-01-05 08:00:00</wp:post_date_gmt>"
                      "<wp:post_type>post</wp:post_type><wp:status>publish</wp:status>\n")
            for n in range(PER_POST):
                cid = post * PER_POST + n + 1
                parent = cid - rng.randint(1, n) if n and rng.random() < 0.2 else 0
                approved = rng.choices(["1", "0", "spam"], [90, 7, 3])[0]
                out.write(
                    f"<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
                    f"<wp:comment_author><![CDATA[Lectrice {cid % 997}]]></wp:comment_author>"
                    f"<wp:comment_author_email>l{cid % 997}@example.fr</wp:comment_author_email>"
                    f"<wp:comment_author_IP>10.{cid % 250}.{n}.7</wp:comment_author_IP>"
                    f"<wp:comment_date_gmt>2024-01-05 {n % 24:02d}:{n:02d}:00</wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[{rng.choices(BODIES, [70, 20, 10])[0]}]]>"
                    "</wp:comment_content>"
                    f"<wp:comment_approved>{approved}</wp:comment_approved>"
                    "<wp:comment_type></wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n")
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")


def run_import(url: str, export: Path, root: Path) -> tuple[float, float]:
    env = {**os.environ, "ENGAGE_SECRET_KEY": "bench-secret-" + "x" * 30,
           "ENGAGE_DATABASE_URL": url, "ENGAGE_INSTANCE_PATH": str(root / "instance"),
           "PYTHONPATH": str(REPO)}
    engage = [sys.executable, "-c", "from engage.cli import main; main()"]
    subprocess.run([*engage, "init"], env=env, check=True, capture_output=True)
    subprocess.run([*engage, "site", "add", "bench", "--name", "Bench", "--origin",
                    "https://bench.example"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    # The import in a child of its own, so that its peak memory is its own (RUSAGE_CHILDREN
    # is the largest child so far: the import is the largest by far).
    done = subprocess.run([*engage, "import", "wordpress", str(export), "--site", "bench"],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="engage-import-bench-"))
    try:
        export = root / "export.xml"
        write_export(export, args.comments)
        print(f"export: {args.comments:,} comments, {export.stat().st_size / 1e6:.1f} MB")
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
        rates: dict[str, list[float]] = {backend: [] for backend in backends}
        for run in range(args.repeat):
            for backend in backends:  # interleaved: the machine's noise falls on both
                if backend == "sqlite":
                    database = root / f"{backend}-{run}.db"
                    url, drop = f"sqlite:///{database}", database.unlink
                else:
                    url, drop = _fresh_postgres_database()
                try:
                    seconds, peak = run_import(url, export, root)
                finally:
                    drop()
                rates[backend].append(args.comments / seconds)
                print(f"{backend:10} {seconds:7.1f} s  {args.comments / seconds:8,.0f} comments/s"
                      f"  peak RSS {peak:6.0f} MB (of the largest child so far)")
        if args.repeat > 1:
            for backend, values in rates.items():
                print(f"{backend:10} median {statistics.median(values):8,.0f} comments/s "
                      f"(range {min(values):,.0f}-{max(values):,.0f}, {args.repeat} runs)")
    finally:
        shutil.rmtree(root, ignore_errors=True)  # a million comments' export is 600 MB

if __name__ == "__main__":
    main()
