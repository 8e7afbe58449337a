"""`engage serve` and the shipped gunicorn.conf.py against real servers: slow clients, the
daemon's error log, graceful reload, SQLite under concurrent posters."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from engage.serving import CONFIG_FILE

from .services import (
    ORIGIN,
    REPO,
    EngageServer,
    call,
    comment_body,
    free_port,
    listed_ids,
    wait_until,
)


def _slow_body_client(port: int, stop: threading.Event) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /api/v1/comments HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n")
        while not stop.wait(2):
            try:
                sock.sendall(b" ")
            except OSError:
                return


def test_two_slow_body_clients_leave_healthz_answering(make_server, tmp_path):
    server = make_server({"ENGAGE_DATABASE_URL": f"sqlite:///{tmp_path}/engage.db"})
    stop = threading.Event()
    slow = [threading.Thread(target=_slow_body_client, args=(server.port, stop))
            for _ in range(2)]
    for client in slow:
        client.start()
    try:
        time.sleep(1)
        probes = []
        for _ in range(16):
            probes.append(call(server.base + "/healthz", timeout=5))
            time.sleep(0.5)
    finally:
        stop.set()
        for client in slow:
            client.join()
    assert [p.status for p in probes] == [200] * 16
    assert max(p.seconds for p in probes) < 1


def test_sqlite_four_threads_of_fifty_posters_lose_nothing(make_server, tmp_path):
    server = make_server({"ENGAGE_DATABASE_URL": f"sqlite:///{tmp_path}/engage.db",
                          "ENGAGE_RATELIMIT_ENABLED": "false"})
    errors: list[object] = []
    created: list[int] = []

    def patiently(*args: object) -> Any:
        # As the contract asks of clients: a quick 503 ("the database is busy", when the
        # machine is loaded past SQLite's busy wait) is tried again after its Retry-After. A
        # 503 must have stored nothing: a comment tried again would then be a duplicate (400).
        for _ in range(5):
            answer = call(*args)
            if answer.status != 503 or answer.seconds >= 3:  # a slow 503 counts as an error
                return answer
            time.sleep(int(answer.headers.get("retry-after", "1")))
        return answer

    def poster(worker: int) -> None:
        for n in range(50):
            reader = {"X-Engage-Reader": f"reader-{worker}-{n}-{uuid.uuid4().hex[:6]}"}
            posted = patiently(f"{server.base}/api/v1/comments", "POST",
                               comment_body("foule", worker * 1000 + n), reader)
            reacted = patiently(f"{server.base}/api/v1/reaction", "PUT", {
                "site": "fault", "article": "foule", "url": f"{ORIGIN}/foule", "title": "T",
                "reaction": "wow"}, reader)
            if posted.status != 201 or reacted.status != 200:
                errors.append((posted, reacted))
            else:
                created.append(posted.body["comment"]["id"])

    threads = [threading.Thread(target=poster, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    thread = call(f"{server.base}/api/v1/thread?site=fault&article=foule").body["thread"]
    assert thread["comment_count"] == 200
    assert thread["reactions"]["wow"] == 200
    assert listed_ids(server.base, "foule") == set(created)


def test_hup_reloads_workers_gracefully(make_server, tmp_path):
    server = make_server({"ENGAGE_DATABASE_URL": f"sqlite:///{tmp_path}/engage.db"})
    assert server.process is not None
    before = _children(server.process.pid)
    stop = threading.Event()
    statuses: list[int] = []

    def probe() -> None:
        while not stop.is_set():
            statuses.append(call(server.base + "/healthz", timeout=5).status)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        time.sleep(0.5)
        os.kill(server.process.pid, signal.SIGHUP)
        wait_until(lambda: _children(server.process.pid) not in ([], before), 20, "new workers")
        time.sleep(1)
    finally:
        stop.set()
        prober.join()
    assert statuses and set(statuses) == {200}
    assert "Handling signal: hup" in server.log()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return sorted(int(p) for p in out.stdout.split())


def _gunicorn(tmp_path: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGE_")}
    environment.update({"ENGAGE_SECRET_KEY": "fault-test-secret", "PYTHONPATH": str(REPO),
                        "ENGAGE_INSTANCE_PATH": str(tmp_path / "instance"), **env})
    return subprocess.run([sys.executable, "-m", "gunicorn", "--config", CONFIG_FILE, *argv],
                          env=environment, capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)


def test_daemon_error_log_holds_every_500_503_cause_and_fallback(
    tmp_path, postgres, private_postgres
):
    env = {"ENGAGE_DATABASE_URL": postgres,
           "ENGAGE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}  # nobody listens there
    setup = EngageServer(env=env)
    assert setup.engage("init").returncode == 0
    setup.engage("site", "add", "fault", "--name", "Fault", "--origin", ORIGIN)
    port, pid_file, error_log = free_port(), tmp_path / "g.pid", tmp_path / "error.log"
    started = _gunicorn(
        tmp_path, env, "--daemon", "--pid", str(pid_file), "--error-logfile", str(error_log),
        "--access-logfile", str(tmp_path / "access.log"), "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "tests.faults.boom_app:app")
    assert started.returncode == 0, started.stderr
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(base), 20, "the daemon")
        boom = call(base + "/api/v1/boom", headers={"X-Request-Id": "boom-request-0001"})
        assert boom.status == 500 and boom.body["error"]["code"] == "internal_error"
        assert boom.headers["x-request-id"] == "boom-request-0001"
        # Redis is down: the limits fall back to memory, and the comment is taken.
        assert call(base + "/api/v1/comments", "POST", comment_body("a", 1)).status == 201
        private_postgres.stop()
        down = call(base + "/api/v1/thread?site=fault&article=a")
        assert down.status == 503 and down.body["error"]["code"] == "unavailable"

        def logged() -> bool:
            text = error_log.read_text()
            return "boom-request-0001" in text and "503 on GET /api/v1/thread" in text
        wait_until(logged, 10, "the error log")
        text = error_log.read_text()
        assert "Traceback" in text and "RuntimeError: forced failure" in text
        assert f"[{down.headers['x-request-id']}] 503 on GET /api/v1/thread" in text
        assert "falling back to in-memory storage" in text
        assert "boom-request-0001" in (tmp_path / "access.log").read_text()
    finally:
        os.kill(int(pid_file.read_text()), signal.SIGTERM)


def _answers(base: str) -> bool:
    try:
        call(base + "/healthz", timeout=2)
        return True
    except OSError:
        return False


def test_gunicorn_with_shipped_config_refuses_per_process_limits(tmp_path):
    refused = _gunicorn(tmp_path, {"ENGAGE_DATABASE_URL": f"sqlite:///{tmp_path}/e.db"},
                        "--workers", "3", "--bind", f"127.0.0.1:{free_port()}")
    assert refused.returncode != 0
    assert "3 processes would each count the rate limits" in refused.stderr
