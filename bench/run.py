"""Benchmark engage's hot paths over HTTP against the stack's own limit, interleaved.

Run: python3 bench/run.py [--backend sqlite|postgresql|both] [--duration 8] [--repeat 3]

It seeds a site (a hot article with 100 comments and 100 replies, 50 other articles with
comments, reactions and shares), starts `engage serve` and, with the same gunicorn settings,
a minimal Flask app answering engage's own recorded bytes (bench/baseline_app.py). Both are
driven by wrk (a Python load generator when wrk is missing) at 50 connections, one after the
other, alternating which goes first, --repeat times. It prints medians with [min-max] ranges:
requests per second, p50 and p99 latency, and the ratio to the baseline. PostgreSQL runs
use ENGAGE_BENCH_DATABASE_URL (default: the local server) and ENGAGE_BENCH_REDIS_URL.

python3 bench/run.py --scale measures something else (bench/scale.py): on a fresh PostgreSQL
database it bulk-loads 1,000,000 comments over 20,000 articles with COPY (one article holds
10,000), starts engage serve with Redis, and prints the single-request p50 and p90 of one
client, one request after the other: pages 1 and 20 of the big thread, counts for 100 articles
and a comment post, with the read cache off (the database path) and on, next to their targets,
then the PostgreSQL plans of those reads. --backend, --duration, --repeat and --connections do
not apply; ENGAGE_BENCH_SCALE_REDIS_URL picks its Redis (default db 13, flushed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
POSTGRES = os.environ.get("ENGAGE_BENCH_DATABASE_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("ENGAGE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
ORIGIN = "https://bench.example"
OTHER_ARTICLES = [f"2026/12/article-{n:02d}" for n in range(50)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- seeding ------------------------------------------------------------------------------


def seed(url: str) -> None:
    """Create the schema and the benchmark's site, in-process (no API, no rate limits)."""
    from flask_migrate import upgrade

    from engage import create_app
    from engage.extensions import db
    from engage.models import Comment, CommentStatus, Site, SiteOrigin, Thread, utcnow
    from engage.sanitize import render_markdown

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        site = Site(key="bench", name="Bench", settings={})
        site.origins = [SiteOrigin(origin=ORIGIN)]
        db.session.add(site)
        db.session.flush()
        html = render_markdown("Un commentaire **assez** long, « avec » des accents et un lien "
                               "https://example.org/article — pour que le rendu pèse son poids.")

        def thread_with(article: str, roots: int, replies: int) -> None:
            thread = Thread(site_id=site.id, article=article, url=f"{ORIGIN}/{article}",
                            title=f"Article {article}", comment_count=roots + replies,
                            reactions_like=7, reactions_wow=2, shares_whatsapp=5, shares_x=1)
            db.session.add(thread)
            db.session.flush()
            top = []
            for n in range(roots):
                comment = Comment(thread_id=thread.id, depth=0, author=f"Lecteur {n}",
                                  body_source="…", body_html=html, like_count=n % 7,
                                  status=CommentStatus.APPROVED, created_at=utcnow())
                db.session.add(comment)
                top.append(comment)
            db.session.flush()
            for n in range(replies):
                parent = top[(n * 7) % len(top)]
                db.session.add(Comment(thread_id=thread.id, parent_id=parent.id,
                                       root_id=parent.id, depth=1, author=f"Réponse {n}",
                                       body_source="…", body_html=html,
                                       status=CommentStatus.APPROVED, created_at=utcnow()))

        thread_with("hot", 100, 100)
        for article in OTHER_ARTICLES:
            thread_with(article, 5, 2)
        db.session.commit()
        db.engine.dispose()


# --- servers ------------------------------------------------------------------------------


class Server:
    def __init__(self, argv: list[str], env: dict[str, str], root: Path) -> None:
        self.port = free_port()
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.env = env
        self.log = (root / f"server-{self.port}.log").open("wb")

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=self.log,
                                        stderr=self.log, cwd=HERE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1).read()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"server exited: see {self.log.name}") from None
                time.sleep(0.2)
        raise SystemExit(f"server did not start: see {self.log.name}")

    def __exit__(self, *exc: Any) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def engage_server(database_url: str, redis_url: str | None, root: Path) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGE_")}
    env.update({"ENGAGE_SECRET_KEY": "bench-secret", "ENGAGE_DATABASE_URL": database_url,
                "ENGAGE_INSTANCE_PATH": str(root / "instance"), "ENGAGE_ACCESS_LOG": "",
                "PYTHONPATH": str(REPO),
                # Limits stay on (their cost is part of a write), just out of reach.
                "ENGAGE_LIMIT_COMMENTS": "100000000 per minute",
                "ENGAGE_LIMIT_ENGAGEMENT": "100000000 per minute",
                # post.lua writes as many readers, each behind its own X-Forwarded-For.
                "ENGAGE_TRUSTED_PROXIES": "1"})
    if redis_url:
        env["ENGAGE_REDIS_URL"] = redis_url
    argv = [sys.executable, "-c", "from engage.cli import main; main()", "serve",
            "--bind", "127.0.0.1:{port}"]
    return Server(argv, env, root)


def baseline_server(recorded: Path, workers: int, threads: int, root: Path) -> Server:
    env = {**os.environ, "ENGAGE_BENCH_RECORDED": str(recorded)}
    argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
            "--workers", str(workers), "--threads", str(threads), "--bind", "127.0.0.1:{port}",
            "--no-control-socket", "baseline_app:app"]
    return Server(argv, env, root)


# --- load ---------------------------------------------------------------------------------


CASES: dict[str, dict[str, Any]] = {
    "thread (hot, 200 comments)": {"path": "/api/v1/thread?site=bench&article=hot&limit=100"},
    "304 revalidation": {"path": "/api/v1/thread?site=bench&article=hot&limit=100",
                         "etag": True},
    "counts (50 articles)": {"path": "/api/v1/counts?site=bench&" + "&".join(
        f"article={a}" for a in OTHER_ARTICLES)},
    "comment post": {"path": "/api/v1/comments", "script": "post.lua", "record": "post"},
    "reaction": {"path": "/api/v1/reaction", "script": "reaction.lua", "record": "reaction"},
    # The latency one writer sees on an otherwise idle server (the post target is a p50).
    "comment post, 1 connection": {"path": "/api/v1/comments", "script": "post.lua",
                                   "connections": 1},
}


def record(base: str, path: Path) -> dict[str, Any]:
    """Record engage's answers, for the baseline to answer the very same bytes."""
    def fetch(url: str, method: str = "GET", body: Any = None, headers: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base + url, data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  **(headers or {})})
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode(), response.headers.get("ETag")

    answers: dict[str, Any] = {}
    # Writes go to their own article, so that the hot thread's answer and ETag stay the same.
    article = {"site": "bench", "article": "writes", "url": f"{ORIGIN}/writes", "title": "B"}
    status, body, _ = fetch("/api/v1/comments", "POST",
                            {**article, "author": "Rec", "body": f"rec {uuid.uuid4()}"})
    answers["post"] = {"status": status, "body": body}
    status, body, _ = fetch("/api/v1/reaction", "PUT", {**article, "reaction": "love"},
                            {"X-Engage-Reader": f"recording-reader-{uuid.uuid4().hex}"})
    answers["reaction"] = {"status": status, "body": body}
    for name, path_key in (("thread", "thread (hot, 200 comments)"),
                           ("counts", "counts (50 articles)")):
        status, body, etag = fetch(CASES[path_key]["path"])
        answers[name] = {"status": status, "body": body, "etag": etag}
    path.write_text(json.dumps(answers), encoding="utf-8")
    return answers


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise SystemExit(f"cannot read wrk's latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(base: str, case: dict[str, Any], etag: str | None, args: argparse.Namespace) -> dict:
    connections = case.get("connections", args.connections)
    argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{args.duration}s",
            "--latency"]
    if case.get("script"):
        argv += ["-s", str(HERE / case["script"])]
    if etag:
        argv += ["-H", f"If-None-Match: {etag}"]
    out = subprocess.run(argv + [base + case["path"]], capture_output=True, text=True).stdout
    if "Requests/sec" not in out or not re.search(r"50%\s+\S+", out):
        raise SystemExit(f"wrk said:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": int(errors.group(1)) if errors else 0}


def python_load(base: str, case: dict[str, Any], etag: str | None,
                args: argparse.Namespace) -> dict:
    """The same measurement without wrk: keep-alive connections from threads."""
    import http.client

    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + args.duration

    def run(worker: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        n = 0
        while time.monotonic() < stop:
            n += 1
            headers = {"Content-Type": "application/json"}
            body = None
            method = "GET"
            if etag:
                headers["If-None-Match"] = etag
            if case.get("script") == "post.lua":
                method, body = "POST", json.dumps({
                    "site": "bench", "article": "writes", "url": f"{ORIGIN}/writes",
                    "title": "B", "author": "L", "body": f"py {worker}-{n}-{uuid.uuid4().hex[:6]}"})
            elif case.get("script") == "reaction.lua":
                method, body = "PUT", json.dumps({
                    "site": "bench", "article": "writes", "url": f"{ORIGIN}/writes",
                    "title": "B", "reaction": "wow"})
                headers["X-Engage-Reader"] = f"py-reader-{worker}-{n}-{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            connection.request(method, case["path"], body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status >= 400:
                errors[0] += 1

    connections = case.get("connections", args.connections)
    workers = [threading.Thread(target=run, args=(w,)) for w in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    latencies.sort()
    return {"rps": len(latencies) / args.duration, "p50": latencies[len(latencies) // 2],
            "p99": latencies[int(len(latencies) * 0.99)], "errors": errors[0]}


def measure(label: str, database_url: str, redis_url: str | None,
            args: argparse.Namespace) -> list[str]:
    root = Path(tempfile.mkdtemp(prefix="engage-bench-"))
    load = wrk if shutil.which("wrk") else python_load
    cases = {name: case for name, case in CASES.items() if args.only in name}
    results: dict[str, dict[str, list[dict]]] = {name: {"engage": [], "baseline": []}
                                                 for name in cases}
    try:
        seed(database_url)
        from engage.serving.settings import pick

        engage = engage_server(database_url, redis_url, root)
        backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        shape = pick({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI":
                      redis_url or "memory://"})
        with engage:
            answers = record(engage.base, root / "recorded.json")
            baseline = baseline_server(root / "recorded.json", shape.workers, shape.threads, root)
            with baseline as base:
                # Warm both up (caches filled, pools open, code paths hot); not recorded.
                warm = argparse.Namespace(**{**vars(args), "duration": 2})
                for case in cases.values():
                    etag = answers["thread"]["etag"] if case.get("etag") else None
                    for server in (engage, base):
                        load(server.base, case, etag, warm)
                for repeat in range(args.repeat):
                    for name, case in cases.items():
                        etag = answers["thread"]["etag"] if case.get("etag") else None
                        order = [("engage", engage), ("baseline", base)]
                        for who, server in order if repeat % 2 == 0 else order[::-1]:
                            results[name][who].append(load(server.base, case, etag, args))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    lines = [f"\n{label}: {backend}, engage serve = {shape.workers} process(es) x "
             f"{shape.threads} threads, {args.connections} connections, {args.duration} s x "
             f"{args.repeat}, load: {load.__name__}",
             f"{'':28} {'engage req/s':>22} {'p50 ms':>7} {'p99 ms':>7} "
             f"{'baseline req/s':>16} {'ratio':>18}"]
    for name, runs in results.items():
        mine, theirs = runs["engage"], runs["baseline"]
        ratios = [m["rps"] / t["rps"] for m, t in zip(mine, theirs, strict=True)]
        rps = [m["rps"] for m in mine]
        errors = sum(m["errors"] for m in mine)
        lines.append(
            f"{name:28} {statistics.median(rps):>8,.0f} [{min(rps):,.0f}-{max(rps):,.0f}]"
            f" {statistics.median(m['p50'] for m in mine):>7.1f}"
            f" {statistics.median(m['p99'] for m in mine):>7.1f}"
            f" {statistics.median(t['rps'] for t in theirs):>16,.0f}"
            f" {statistics.median(ratios):>6.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
            + (f"  ({errors} errors)" if errors else ""))
    return lines


def widget_sizes() -> str:
    from widget_size import report  # bench/widget_size.py, beside this script

    return "widget: " + "; ".join(report()[0])


def _fresh_postgres_database() -> tuple[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(POSTGRES)
    name = f"engage_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--only", default="",
                        help="run only the cases whose name contains this text (e.g. 'post')")
    parser.add_argument("--scale", action="store_true",
                        help="single-request latency on 1 M comments (PostgreSQL); see above")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}")
    if args.scale:
        import scale

        scale.main(args)
        return
    print(widget_sizes())
    lines: list[str] = []
    if args.backend in ("sqlite", "both"):
        folder = tempfile.mkdtemp(prefix="engage-bench-db-")
        lines += measure("SQLite alone", f"sqlite:///{folder}/bench.db", None, args)
        shutil.rmtree(folder, ignore_errors=True)
    if args.backend in ("postgresql", "both"):
        url, drop = _fresh_postgres_database()
        try:
            lines += measure("PostgreSQL + Redis", url, REDIS, args)
        finally:
            drop()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
