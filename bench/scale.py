"""bench/run.py --scale: engage's single-request latency on a million-comment PostgreSQL database.

It bulk-loads 1,000,000 comments over 20,000 articles (COPY, not the API; one article holds
10,000 of them), starts `engage serve` on that database with Redis, and times one client
sending requests one after the other over a keep-alive connection: pages 1 and 20 of the big
thread, page 1 in the other sorts, counts for 100 articles, and a comment post. It measures
once with the read cache off (the database path: what the first read after a write costs)
and once with it on (as engage runs: a miss, then hits), then prints the PostgreSQL plans of
the page and counts queries.
The database is dropped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from flask_migrate import upgrade
from psycopg import sql as pgsql
from run import REPO, _fresh_postgres_database, engage_server  # bench/run.py
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from engage import create_app
from engage.extensions import db
from engage.models import CommentStatus, Site, SiteOrigin
from engage.sanitize import render_markdown
from engage.services import threads
from engage.serving.settings import pick

# A db number nothing else uses (run.py: 14, the tests: 15): it is flushed before each server.
REDIS = os.environ.get("ENGAGE_BENCH_SCALE_REDIS_URL", "redis://127.0.0.1:6379/13")
SITE = "scale"
ORIGIN = "https://scale.example"
ARTICLES = 20_000
COMMENTS = 1_000_000
BIG = 10_000  # comments of the one big thread
BIG_INDEX = ARTICLES // 2  # where it sits among the threads: not first, nothing is special
REPLY_SHARE = 0.20
MAX_REPLY_DEPTH = 3
FEATURED_SHARE = 0.001  # of approved top-level comments
WARMUP, REQUESTS = 20, 200
TARGETS = {"page": 6.0, "counts": 4.0}  # ms, p50 (issue 10)

COMMENT_COLUMNS = ("id", "thread_id", "parent_id", "root_id", "depth", "author", "body_source",
                   "body_html", "status", "held_reason", "featured", "like_count", "flag_count",
                   "created_at", "reader_hash", "ip_hash")
REACTIONS = ("like", "love", "haha", "wow", "sad", "angry")
NETWORKS = ("facebook", "x", "whatsapp", "linkedin", "telegram", "email", "copy")
THREAD_COLUMNS = ("id", "site_id", "article", "url", "title", "is_open", "created_at",
                  "version", "comment_count", *(f"reactions_{r}" for r in REACTIONS),
                  *(f"shares_{n}" for n in NETWORKS))


def say(text: str) -> None:
    print(text, flush=True)


# --- the data -----------------------------------------------------------------------------


def article_name(index: int) -> str:
    if index == BIG_INDEX:
        return "2026/12/big-thread"
    return f"2026/{1 + index % 12:02d}/article-{index:05d}"


def thread_sizes(rng: random.Random) -> list[int]:
    """Comments per article: the big one, the others skewed (lognormal) as readership is."""
    weights = [rng.lognormvariate(0, 1) for _ in range(ARTICLES - 1)]
    share = (COMMENTS - BIG) / sum(weights)
    sizes = [int(w * share) for w in weights]  # floors: the sum falls short by < ARTICLES
    for index in rng.sample(range(len(sizes)), COMMENTS - BIG - sum(sizes)):
        sizes[index] += 1
    sizes.insert(BIG_INDEX, BIG)
    return sizes


def comment_times(rng: random.Random, sizes: list[int], now: float) -> list[tuple[float, int]]:
    """(time, thread index) of every comment, oldest first.

    Ids follow time, as in production, so a thread's rows are spread over the table between
    other threads' rather than packed together, which would flatter the reads.
    """
    events = []
    for index, size in enumerate(sizes):
        if index == BIG_INDEX:  # a story that took off two days ago
            start, spread = now - 2 * 86400, 12 * 3600
        else:
            start, spread = now - rng.uniform(2, 365) * 86400, 8 * 3600
        events += [(start + min(rng.expovariate(1 / spread), 2 * 86400), index)
                   for _ in range(size)]
    events.sort()
    return events


SENTENCES = [
    "Merci pour cet article, très **clair** sur un sujet qu’on comprend mal.",
    "Je ne suis pas d’accord avec la conclusion : les chiffres de 2024 disent l’inverse.",
    "> les chiffres de 2024\nLesquels ? La source est ici https://example.org/rapport-2024",
    "Enfin quelqu’un qui pose les bonnes questions. *Bravo* à la rédaction.",
    "Et les régions rurales, on en parle quand ? Rien sur les routes, rien sur l’eau.",
    "C’est exactement ce que vivent les commerçants du marché depuis des mois.",
    "Petite correction : ce n’est pas le ministre mais son directeur de cabinet.",
    "Article intéressant mais un peu court, j’aurais aimé plus de témoignages.",
    "- le prix du carburant\n- les coupures\n- les salaires qui ne suivent pas",
    "Qui a lu le texte de loi en entier ? Moi oui, et l’article 12 change tout.",
]


def bodies(rng: random.Random, count: int = 64) -> list[tuple[str, str]]:
    """(source, html) pairs of one to four sentences, rendered once: rendering a million
    bodies would take longer than loading them."""
    pairs = []
    for _ in range(count):
        source = "\n\n".join(rng.sample(SENTENCES, rng.randint(1, 4)))
        pairs.append((source, render_markdown(source)))
    return pairs


@dataclasses.dataclass
class ThreadTally:
    comments: int = 0
    approved: int = 0
    roots: int = 0
    featured: int = 0
    # Approved comments with room below them: (id, depth, root id), what a reply may answer.
    answerable: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)


def draw_status(rng: random.Random) -> CommentStatus:
    roll = rng.random()
    if roll < 0.95:
        return CommentStatus.APPROVED
    if roll < 0.97:
        return CommentStatus.PENDING
    return CommentStatus.REJECTED if roll < 0.985 else CommentStatus.SPAM


def comment_rows(rng: random.Random, events: list[tuple[float, int]],
                 tallies: list[ThreadTally]) -> Iterator[tuple[Any, ...]]:
    """The comment table's rows in COMMENT_COLUMNS order, ids 1.. in time order; fills tallies.

    Replies answer an earlier approved comment of their thread (nobody sees the others), so
    parent_id and root_id are known as each row is made.
    """
    texts = bodies(rng)
    names = [f"{first} {last}" for first in ("Awa", "Moussa", "Fatou", "Ibrahim", "Mariam",
                                             "Oumar", "Aïcha", "Seydou", "Kadiatou", "Bakary")
             for last in ("T.", "D.", "K.", "S.", "C.", "Traoré", "Diallo", "Keïta")]
    readers = [uuid.UUID(int=rng.getrandbits(128)).hex * 2 for _ in range(100_000)]
    ips = [uuid.UUID(int=rng.getrandbits(128)).hex * 2 for _ in range(40_000)]
    for comment_id, (moment, index) in enumerate(events, 1):
        tally = tallies[index]
        parent: tuple[int, int, int] | None = None
        if tally.answerable and rng.random() < REPLY_SHARE:
            parent = rng.choice(tally.answerable)
        status = draw_status(rng)
        approved = status == CommentStatus.APPROVED
        depth = parent[1] + 1 if parent else 0
        featured = approved and not parent and rng.random() < FEATURED_SHARE
        likes = min(int(rng.paretovariate(1.3)) - 1, 5000) if approved else 0
        source, html = rng.choice(texts)
        tally.comments += 1
        tally.approved += approved
        tally.roots += parent is None
        tally.featured += featured
        if approved and depth < MAX_REPLY_DEPTH:
            tally.answerable.append((comment_id, depth, parent[2] if parent else comment_id))
        yield (comment_id, index + 1, parent[0] if parent else None,
               parent[2] if parent else None, depth, rng.choice(names), source, html,
               status.value, "first comment" if status == CommentStatus.PENDING else None,
               featured, likes, int(rng.random() < 0.003),
               dt.datetime.fromtimestamp(moment, dt.UTC), rng.choice(readers), rng.choice(ips))


def thread_rows(rng: random.Random, site_id: int, events: list[tuple[float, int]],
                tallies: list[ThreadTally]) -> Iterator[tuple[Any, ...]]:
    first_seen: dict[int, float] = {}
    for moment, index in events:
        first_seen.setdefault(index, moment)
    now = time.time()
    for index, tally in enumerate(tallies):
        article = article_name(index)
        created = first_seen.get(index, now - rng.uniform(2, 365) * 86400) - 600
        reactions = [int(rng.expovariate(1) * tally.comments / 4) for _ in REACTIONS]
        shares = [int(rng.expovariate(1) * tally.comments / 8) for _ in NETWORKS]
        yield (index + 1, site_id, article, f"{ORIGIN}/{article}", f"Article {index}", True,
               dt.datetime.fromtimestamp(created, dt.UTC),
               # Every published comment, reaction and share bumped the version once.
               1 + tally.approved + sum(reactions) + sum(shares), tally.approved,
               *reactions, *shares)


# --- loading ------------------------------------------------------------------------------


def create_schema(url: str) -> int:
    """Migrate the fresh database and create the site through the ORM; return its id."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "ENGAGE_CACHE": "off"})
    with app.app_context():
        upgrade()
        site = Site(key=SITE, name="Scale", settings={})
        site.origins = [SiteOrigin(origin=ORIGIN)]
        db.session.add(site)
        db.session.commit()
        site_id = site.id
        db.engine.dispose()
    return site_id


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load(url: str, site_id: int) -> tuple[list[ThreadTally], dict[str, float]]:
    """COPY the threads and comments in one transaction, then VACUUM ANALYZE."""
    rng = random.Random(20261201)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    events = comment_times(rng, thread_sizes(rng), time.time())
    tallies = [ThreadTally() for _ in range(ARTICLES)]
    seconds["plan the rows"] = time.perf_counter() - started
    with psycopg.connect(libpq_url(url)) as connection:
        with connection.cursor() as cursor:
            # Foreign keys unchecked while loading, as pg_restore --disable-triggers does (it
            # needs a superuser): the rows are consistent by construction and checked below
            # in two scans, while row-by-row checks add some 40% to the COPY (14 s of 43).
            # It also lets comments go first, before the threads' counters are known.
            cursor.execute("SET session_replication_role = replica")
            started = time.perf_counter()
            copy_rows(cursor, "comment", COMMENT_COLUMNS, comment_rows(rng, events, tallies))
            seconds["COPY comments"] = time.perf_counter() - started
            started = time.perf_counter()
            copy_rows(cursor, "thread", THREAD_COLUMNS,
                      thread_rows(rng, site_id, events, tallies))
            for table in ("comment", "thread"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
            cursor.execute("SET session_replication_role = DEFAULT")
            check_consistency(cursor)
            seconds["COPY threads, check"] = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        # VACUUM too, not just ANALYZE: it sets the visibility map as autovacuum would on a
        # live table (index-only scans), and autovacuum then does not start mid-measurement.
        connection.execute("VACUUM (ANALYZE)")
    seconds["VACUUM ANALYZE"] = time.perf_counter() - started
    return tallies, seconds


def copy_rows(cursor: psycopg.Cursor[Any], table: str, columns: tuple[str, ...],
              rows: Iterator[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def check_consistency(cursor: psycopg.Cursor[Any]) -> None:
    """What the foreign keys and the counters would have guaranteed, in two scans."""
    cursor.execute("""
        SELECT count(*) FROM comment c LEFT JOIN comment p ON p.id = c.parent_id
        LEFT JOIN comment r ON r.id = c.root_id
        WHERE c.parent_id IS NOT NULL AND (p.thread_id IS DISTINCT FROM c.thread_id
              OR r.thread_id IS DISTINCT FROM c.thread_id OR p.status <> 'approved')""")
    orphans = cursor.fetchone()
    cursor.execute("""
        SELECT count(*) FROM thread t LEFT JOIN (
            SELECT thread_id, count(*) AS n FROM comment WHERE status = 'approved'
            GROUP BY thread_id) a ON a.thread_id = t.id
        WHERE t.comment_count <> coalesce(a.n, 0)""")
    miscounted = cursor.fetchone()
    if orphans != (0,) or miscounted != (0,):
        raise SystemExit(f"inconsistent load: {orphans} bad replies, {miscounted} bad counts")


# --- timing over HTTP ---------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    name: str
    target: float | None  # ms, p50
    make: Callable[[int], tuple[str, str, bytes | None]]  # n -> method, path, body


@dataclasses.dataclass
class Timing:
    cold: float  # the first request, before any warm-up
    p50: float
    p90: float
    fastest: float
    size: int  # bytes of the last answer, as sent (compressed when the cache compressed it)
    errors: int


HEADERS = {"Origin": ORIGIN, "Accept-Encoding": "gzip, br", "Content-Type": "application/json",
           "X-Engage-Reader": "scale-bench-reader-0001"}


def time_case(base: str, case: Case) -> Timing:
    """One keep-alive connection: the first request, WARMUP more, then REQUESTS timed.

    A fresh connection per case: gunicorn drops idle ones after 5 s, and a case sticks to
    one worker process, whose read cache is its own.
    """
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    latencies: list[float] = []
    errors = size = 0
    try:
        for n in range(1 + WARMUP + REQUESTS):
            method, path, body = case.make(n)
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=HEADERS)
            response = connection.getresponse()
            answer = response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status >= 400
            size = len(answer)
    finally:
        connection.close()
    timed = sorted(latencies[1 + WARMUP:])
    return Timing(cold=latencies[0], p50=statistics.median(timed),
                  p90=timed[int(len(timed) * 0.9)], fastest=timed[0], size=size, errors=errors)


def get_json(base: str, path: str) -> Any:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path, headers={"Origin": ORIGIN})
        response = connection.getresponse()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status} {response.read()[:300]!r}")
        return json.loads(response.read())
    finally:
        connection.close()


def thread_path(article: str, **query: str) -> str:
    return "/api/v1/thread?" + urlencode({"site": SITE, "article": article, **query})


def page_path(base: str, article: str, page: int) -> tuple[str, str]:
    """The URL of a page of the thread (oldest first) reached by following next_cursor, and
    that cursor."""
    cursor = ""
    for _ in range(page - 1):
        query = {"cursor": cursor} if cursor else {}
        cursor = get_json(base, thread_path(article, **query))["next_cursor"]
        if not cursor:
            raise SystemExit(f"{article} has fewer than {page} pages")
    return thread_path(article, cursor=cursor), cursor


def cases(big: str, page20: str, articles: list[str], writes: str) -> list[Case]:
    rng = random.Random(7)
    samples = [rng.sample(articles, 100) for _ in range(1 + WARMUP + REQUESTS)]
    same = samples[0]

    def counts(chosen: list[str]) -> str:
        return "/api/v1/counts?" + urlencode({"site": SITE, "article": chosen}, doseq=True)

    def post(n: int) -> tuple[str, str, bytes | None]:
        body = {"site": SITE, "article": writes, "url": f"{ORIGIN}/{writes}", "title": "",
                "author": "Lectrice", "body": f"Commentaire {n} « {uuid.uuid4().hex[:8]} »"}
        return "POST", "/api/v1/comments", json.dumps(body).encode()

    def get(path: str) -> Callable[[int], tuple[str, str, bytes | None]]:
        return lambda n: ("GET", path, None)

    return [
        # The floor under every figure: Flask, a session, one SELECT 1 and a Redis PING.
        Case("GET /healthz (the floor)", None, get("/healthz")),
        Case("thread page 1 (big, oldest)", TARGETS["page"], get(thread_path(big))),
        Case("thread page 20 (big, oldest)", TARGETS["page"], get(page20)),
        Case("thread page 1 (big, newest)", None, get(thread_path(big, sort="newest"))),
        Case("thread page 1 (big, top)", None, get(thread_path(big, sort="top"))),
        Case("counts (100 articles, new set each)", TARGETS["counts"],
             lambda n: ("GET", counts(samples[n]), None)),
        Case("counts (the same 100 articles)", TARGETS["counts"], get(counts(same))),
        # Posts go to an ordinary article, so that both passes read the same big thread. No
        # target here: the post's (5 ms p50) is SQLite's, measured by bench/run.py.
        Case("comment post", None, post),
    ]


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    client.flushdb()
    client.close()


def serve_and_time(url: str, cache: str, big: str, tallies: list[ThreadTally],
                   page20: str | None) -> tuple[list[tuple[Case, Timing]], str, str]:
    """Start engage serve with the read cache on or off, time every case; return the
    timings, page 20's URL and its cursor (computed on the first pass, reused after)."""
    root = Path(tempfile.mkdtemp(prefix="engage-scale-"))
    flush_redis()
    server = engage_server(url, REDIS, root)
    server.env["ENGAGE_CACHE"] = cache
    articles = [article_name(i) for i in range(ARTICLES)]
    # A typical article takes the posts: the median size.
    writes = articles[sorted(range(ARTICLES), key=lambda i: tallies[i].comments)[ARTICLES // 2]]
    cursor = ""
    try:
        with server:
            if page20 is None:
                page20, cursor = page_path(server.base, big, 20)
            results = [(case, time_case(server.base, case))
                       for case in cases(big, page20, articles, writes)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results, page20, cursor


def table(title: str, results: list[tuple[Case, Timing]], cold: bool) -> list[str]:
    head = f"{title:40}" + (f"{'cold ms':>8}" if cold else "")
    lines = [head + f"{'p50 ms':>8}{'p90 ms':>8}{'min ms':>8}{'bytes':>9}  target (p50)"]
    for case, t in results:
        verdict = ""
        if case.target is not None:
            verdict = f"<= {case.target:g} ms: {'met' if t.p50 <= case.target else 'MISSED'}"
        lines.append(f"{case.name:40}" + (f"{t.cold:>8.1f}" if cold else "")
                     + f"{t.p50:>8.2f}{t.p90:>8.2f}{t.fastest:>8.2f}{t.size:>9,}  {verdict}"
                     + (f"  ({t.errors} errors)" if t.errors else ""))
    return lines


# --- query plans --------------------------------------------------------------------------


def captured_statements(url: str, big: str, cursor: str) -> list[tuple[str, str, Any]]:
    """Run the read path in-process and keep the SQL it sends: (label, statement, params)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "ENGAGE_CACHE": "off"})
    statements: list[tuple[str, str, Any]] = []
    label = [""]

    def keep(conn: Any, cur: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        statements.append((label[0], statement, params))

    articles = [article_name(i) for i in random.Random(3).sample(range(ARTICLES), 100)]
    read_page = read_page_function()
    with app.app_context():
        site = db.session.scalar(select(Site).where(Site.key == SITE))
        thread = threads.find_thread(site, big)
        event.listen(db.engine, "before_cursor_execute", keep)
        for label[0], sort, position in (("page 1", "oldest", None), ("page 20", "oldest", cursor),
                                         ("newest p1", "newest", None), ("top p1", "top", None)):
            read_page(site, big, thread, sort, position, 50)
        label[0] = "counts 100"
        threads.counts_for(site, articles)
        event.remove(db.engine, "before_cursor_execute", keep)
        db.session.remove()
        db.engine.dispose()
    return statements


def read_page_function() -> Callable[..., Any]:
    # The read path is moving from services.threads to services.listing (work in progress
    # beside this script): time whichever this checkout has, as the server does.
    try:
        from engage.services.listing import read_page
    except ImportError:
        from engage.services.threads import read_page  # type: ignore[attr-defined,no-redef]
    return read_page  # type: ignore[no-any-return]


def kind(statement: str) -> str:
    """What a read-path statement fetches, from its SQL."""
    flat = " ".join(statement.split())
    if "FROM thread" in flat:
        return "threads"
    if "root_id IN" in flat:
        return "replies of the roots"
    if "comment.id IN" in flat:
        return "reply contents"
    if "parent_id IS NULL" in flat:
        return "roots"
    return flat[:30]


EXPLAIN_JSON = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "


def explain(connection: psycopg.Connection[Any], statement: str, params: Any,
            generic: bool) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement as SQLAlchemy sent it.

    generic: the plan PostgreSQL makes for any values, which the server may be running:
    psycopg prepares a statement after its 5th run, and PostgreSQL then switches to a
    generic plan when it looks no costlier. A plain EXPLAIN always plans for the values, so
    this one goes through PREPARE and EXPLAIN EXECUTE (PostgreSQL 16 has GENERIC_PLAN).
    """
    if not generic:
        return first_plan(connection.execute(EXPLAIN_JSON + statement, params))
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return f"${len(names)}"

    connection.execute("PREPARE scale_plan AS " + re.sub(r"%\((\w+)\)s", number, statement))
    try:
        connection.execute("SET plan_cache_mode = force_generic_plan")
        values = pgsql.SQL(", ").join(pgsql.Literal(params[name]) for name in names)
        execute = pgsql.SQL(EXPLAIN_JSON + "EXECUTE scale_plan({})").format(values)
        return first_plan(connection.execute(execute))
    finally:
        connection.execute("RESET plan_cache_mode")
        connection.execute("DEALLOCATE scale_plan")


def first_plan(cursor: psycopg.Cursor[Any]) -> dict[str, Any]:
    row = cursor.fetchone()
    assert row is not None
    return row[0][0]  # type: ignore[no-any-return]


def plan_lines(url: str, big: str, cursor: str) -> list[str]:
    """One line per statement of the read path: the plan for its values and the generic one
    (its shape printed too when it differs), then the full text of page 1's roots plan."""
    lines = [f"{'query':30}{'exec ms':>8}{'rows':>6}{'hit':>7}{'read':>6}{'generic ms':>11}"
             "  plan"]
    roots_page1: tuple[str, Any] | None = None
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        for label, statement, params in captured_statements(url, big, cursor):
            name = f"{label}: {kind(statement)}"
            custom = explain(connection, statement, params, generic=False)
            generic = explain(connection, statement, params, generic=True)
            top = custom["Plan"]
            lines.append(f"{name:30}{custom['Execution Time']:>8.2f}{top['Actual Rows']:>6}"
                         f"{top.get('Shared Hit Blocks', 0):>7}"
                         f"{top.get('Shared Read Blocks', 0):>6}"
                         f"{generic['Execution Time']:>11.2f}  {describe(top)}")
            if describe(generic["Plan"]) != describe(top):
                lines.append(f"{'':30}{'':38}  generic: {describe(generic['Plan'])}")
            if name == "page 1: roots":
                roots_page1 = (statement, params)
        if roots_page1 is not None:
            text = connection.execute("EXPLAIN (ANALYZE, BUFFERS) " + roots_page1[0],
                                      roots_page1[1]).fetchall()
            lines += ["", "page 1: roots, in full:", *(f"  {row[0]}" for row in text)]
    return lines


def describe(node: dict[str, Any]) -> str:
    """A plan's shape on one line: node types, the index or table of each scan, subplans."""
    text = node["Node Type"]
    if "Index Name" in node:
        text += f" {node['Index Name']}"
    elif "Relation Name" in node:
        text += f" {node['Relation Name']}"
    if node.get("Strategy") in ("Sorted", "Hashed"):
        text = f"{node['Strategy']} {text}"
    if node.get("Parent Relationship") in ("SubPlan", "InitPlan"):
        text = f"[{node.get('Subplan Name', node['Parent Relationship'])}: {text}]"
    children = node.get("Plans", [])
    if children:
        text += " > " + (describe(children[0]) if len(children) == 1
                         else "(" + ", ".join(describe(c) for c in children) + ")")
    return text


# --- the run ------------------------------------------------------------------------------


def describe_data(tallies: list[ThreadTally]) -> str:
    big = tallies[BIG_INDEX]
    approved = sum(t.approved for t in tallies)
    replies = sum(t.comments - t.roots for t in tallies)
    featured = sum(t.featured for t in tallies)
    return (f"data: {COMMENTS:,} comments over {ARTICLES:,} articles: {replies / COMMENTS:.1%} "
            f"replies, {1 - approved / COMMENTS:.1%} not approved, {featured:,} featured; "
            f"big thread {big.comments:,} comments ({big.roots:,} top-level, {big.approved:,} "
            f"approved, {big.featured} featured)")


def database_size(url: str) -> str:
    with psycopg.connect(libpq_url(url)) as connection:
        row = connection.execute(
            "SELECT current_setting('server_version'), "
            "pg_size_pretty(pg_total_relation_size('comment')), "
            "pg_size_pretty(pg_indexes_size('comment')), "
            "(SELECT string_agg(indexname, ', ' ORDER BY indexname) FROM pg_indexes "
            " WHERE tablename = 'comment')").fetchone()
    assert row is not None
    return f"PostgreSQL {row[0]}: comment table {row[1]}, of which indexes {row[2]} ({row[3]})"


def checkout() -> str:
    """Which code was measured: the commit, and whether engage/ had uncommitted changes."""
    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=REPO, capture_output=True,
                              text=True).stdout.strip()

    changed = len(git("status", "--porcelain", "--", "engage").splitlines())
    return f"code: {git('rev-parse', '--short', 'HEAD')}" + (
        f" + {changed} uncommitted file(s) in engage/" if changed else "")


def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    # A kill reaches the finally below too, which drops the database and stops the server.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    say(f"{checkout()}; load average {os.getloadavg()[0]:.2f} at the start (a shared machine)")
    url, drop = _fresh_postgres_database()
    try:
        site_id = create_schema(url)
        tallies, seconds = load(url, site_id)
        say(f"load: {sum(seconds.values()):.1f} s ("
            + ", ".join(f"{name} {s:.1f} s" for name, s in seconds.items()) + ")")
        say(describe_data(tallies))
        say(database_size(url))
        big = article_name(BIG_INDEX)
        off, page20, cursor = serve_and_time(url, "off", big, tallies, None)
        on, _, _ = serve_and_time(url, "auto", big, tallies, page20)
        plans = plan_lines(url, big, cursor)
    finally:
        drop()
        flush_redis()
    shape = pick({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_STORAGE_URI": REDIS})
    say(f"\nengage serve = {shape.workers} process(es) x {shape.threads} threads on PostgreSQL + "
        f"Redis ({REDIS}); one client, one request after the other on a keep-alive connection, "
        f"{REQUESTS} timed after {WARMUP} warm-up; bytes as sent (Accept-Encoding: gzip, br: "
        "the cache compresses, Flask does not); load average "
        f"{os.getloadavg()[0]:.2f} at the end")
    say("\n".join(table("read cache off (the database path)", off, cold=False)))
    say("")
    say("\n".join(table("read cache on (cold: the first request)", on, cold=True)))
    say("\nPostgreSQL plans of the read path (big thread; custom = planned for these values, "
        "generic = for any)")
    say("\n".join(plans))
    say(f"\nscale run: {time.perf_counter() - began:.0f} s in all")
