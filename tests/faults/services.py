"""Private PostgreSQL and Redis servers, and an engage server, for the fault tests.

Each runs on a free port in its own temporary folder, so that stopping, freezing (SIGSTOP) or
killing it never touches the machine's shared services.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _as_postgres_user(argv: list[str]) -> list[str]:
    # initdb and pg_ctl refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class PrivatePostgres:
    """A throw-away PostgreSQL cluster of our own."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="engage-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            _as_postgres_user([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                               "--auth=trust", "-E", "UTF8", "--no-sync"]),
            check=True, capture_output=True,
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(
            _as_postgres_user([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                               "-l", str(self.log), "-w", "-t", "30", "start"]),
            check=True, capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            _as_postgres_user([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                               "-w", "stop"]),
            capture_output=True,
        )

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def processes(self) -> list[int]:
        """The postmaster and every backend it started."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        pids = [postmaster]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == postmaster:
                    pids.append(int(entry.name))
        return pids

    def freeze(self) -> None:
        for pid in self.processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.processes():
            os.kill(pid, signal.SIGCONT)

    def destroy(self) -> None:
        if self.is_running():
            self.thaw()
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A throw-away Redis server of our own, that can be killed, frozen and restarted."""

    def __init__(self, *options: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="engage-redis-"))
        self.port = free_port()
        self.options = options  # more redis-server arguments
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root), *self.options],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, "the private Redis")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def destroy(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.thaw()
            self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    seconds: float


def call(
    url: str,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Answer:
    """Send one HTTP request on a new connection; never raises for an HTTP status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), error.headers
    seconds = time.monotonic() - started
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Answer(status, {k.lower(): v for k, v in got.items()}, parsed, seconds)


@dataclass
class EngageServer:
    """`engage serve` in a subprocess, with its own instance folder and environment."""

    env: dict[str, str]
    args: list[str] = field(default_factory=list)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="engage-srv-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGE_")}
        env.update({
            "ENGAGE_SECRET_KEY": "fault-test-secret",
            "ENGAGE_INSTANCE_PATH": str(self.root / "instance"),
            "PYTHONPATH": str(REPO),
            **self.env,
        })
        return env

    def engage(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """Run an `engage` command with the server's environment."""
        return subprocess.run(
            [sys.executable, "-c", "from engage.cli import main; main()", *argv],
            env=self.environment(), capture_output=True, text=True, timeout=120,
        )

    def start(self) -> None:
        done = self.engage("init")
        assert done.returncode == 0, done.stderr
        self.engage("site", "add", "fault", "--name", "Fault", "--origin", "http://site.example")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from engage.cli import main; main()", "serve",
             "--bind", f"127.0.0.1:{self.port}", *self.args],
            env=self.environment(), stdout=log, stderr=log,
        )
        wait_until(self._healthy, 30, f"engage serve (log: {self.log_path})")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"engage serve exited:\n{self.log_path.read_text()}")
        try:
            return call(self.base + "/healthz", timeout=2).status == 200
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


ORIGIN = "http://site.example"


def comment_body(article: str, n: int) -> dict[str, str]:
    return {"site": "fault", "article": article, "url": f"{ORIGIN}/{article}",
            "title": "Panne « test »", "author": "Awa", "body": f"Commentaire n° {n}"}


def listed_ids(base: str, article: str) -> set[int]:
    """Every comment id listed in a thread, all pages."""
    ids: set[int] = set()
    cursor = None
    while True:
        url = f"{base}/api/v1/thread?site=fault&article={article}&limit=100&sort=oldest"
        answer = call(url + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status == 200, answer
        for comment in answer.body["comments"]:
            ids.add(comment["id"])
            ids.update(reply["id"] for reply in comment["replies"])
        cursor = answer.body["next_cursor"]
        if not cursor:
            return ids
