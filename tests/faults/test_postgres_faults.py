"""PostgreSQL stopped or frozen under a 4-worker `engage serve`: quick 503s with CORS, no 500,
no hang, no acknowledged comment lost, and recovery without a restart."""

from __future__ import annotations

import itertools
import threading
import time

from .services import ORIGIN, Answer, call, comment_body, listed_ids, wait_until

UNLIMITED = {"ENGAGE_LIMIT_COMMENTS": "100000 per minute"}
QUICK = 3.0  # seconds: the longest a fault may make anyone wait


def _stream(base: str, article: str, stop: threading.Event, answers: list[tuple[str, bool,
            Answer]], worker: int) -> None:
    for n in itertools.count():
        if stop.is_set():
            return
        with_origin = n % 2 == 0
        headers = {"Origin": ORIGIN} if with_origin else {}
        kind = ("post", "read", "preflight")[n % 3]
        if kind == "post":
            answer = call(f"{base}/api/v1/comments", "POST",
                          comment_body(article, worker * 100000 + n), headers)
        elif kind == "read":
            answer = call(f"{base}/api/v1/thread?site=fault&article={article}", headers=headers)
        else:
            answer = call(f"{base}/api/v1/comments", "OPTIONS", headers={
                "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, x-engage-reader"})
            with_origin = True
        answers.append((kind, with_origin, answer))


def _check_fault_answers(answers: list[tuple[str, bool, Answer]]) -> None:
    for kind, with_origin, answer in answers:
        assert answer.status in {200, 201, 503}, (kind, answer)
        assert answer.seconds < QUICK, (kind, answer)
        if answer.status == 503:
            assert answer.body["error"]["code"] == "unavailable", answer
            assert answer.headers.get("retry-after"), answer
        if with_origin and answer.status in {200, 201, 503}:
            # The widget must be able to read the answer, the 503 included.
            assert answer.headers.get("access-control-allow-origin") == ORIGIN, (kind, answer)


def test_postgres_stopped_mid_stream_answers_503_with_cors_and_loses_no_comment(
    postgres, private_postgres, make_server
):
    server = make_server({"ENGAGE_DATABASE_URL": postgres, **UNLIMITED},
                         ["--workers", "4", "--allow-per-process-limits"])
    stop = threading.Event()
    answers: list[tuple[str, bool, Answer]] = []
    clients = [threading.Thread(target=_stream, args=(server.base, "panne", stop, answers, w))
               for w in range(4)]
    for client in clients:
        client.start()
    try:
        time.sleep(2)
        private_postgres.stop()
        time.sleep(0.5)
        health = call(server.base + "/healthz")
        assert health.status == 503 and health.seconds < QUICK, health
        time.sleep(2.5)
        private_postgres.start()
        wait_until(lambda: call(server.base + "/healthz").status == 200, 15, "recovery")
        time.sleep(2)
    finally:
        stop.set()
        for client in clients:
            client.join()

    _check_fault_answers(answers)
    statuses = [a.status for _, _, a in answers]
    assert 503 in statuses, "the outage was not seen"
    acknowledged = {a.body["comment"]["id"] for kind, _, a in answers if a.status == 201}
    assert acknowledged <= listed_ids(server.base, "panne"), "an acknowledged comment was lost"
    # Recovery by itself: the last answers of the stream are all successes again.
    assert all(a.status in {200, 201} for _, _, a in answers[-8:]), answers[-8:]
    assert "Traceback" not in server.log(), server.log()


def test_postgres_frozen_answers_503_within_3_seconds_then_recovers(
    postgres, private_postgres, make_server
):
    server = make_server({"ENGAGE_DATABASE_URL": postgres, **UNLIMITED},
                         ["--workers", "4", "--allow-per-process-limits"])
    assert call(f"{server.base}/api/v1/comments", "POST", comment_body("gel", 1)).status == 201

    private_postgres.freeze()
    try:
        answers: list[tuple[str, bool, Answer]] = []
        for n in range(6):
            answers.append(("read", True, call(
                f"{server.base}/api/v1/thread?site=fault&article=gel",
                headers={"Origin": ORIGIN}, timeout=15)))
            answers.append(("post", True, call(
                f"{server.base}/api/v1/comments", "POST", comment_body("gel", n),
                {"Origin": ORIGIN}, timeout=15)))
            health = call(server.base + "/healthz", timeout=15)
            assert health.status == 503 and health.seconds < QUICK, health
            embed = call(server.base + "/embed.js", timeout=15)
            assert embed.status == 200 and embed.seconds < QUICK, "embed.js waited on the database"
        assert all(a.status == 503 for _, _, a in answers), answers
        _check_fault_answers(answers)
    finally:
        private_postgres.thaw()

    # Each of the 4 workers recovers on its own, within about a second of its breaker's
    # last trip (meanwhile it answers a quick 503 with Retry-After): wait for all of them.
    def recovered() -> bool:
        return all(call(server.base + "/healthz").status == 200 for _ in range(12))

    wait_until(recovered, 20, "recovery of every worker after thaw")
    # Twelve probes need not reach all four workers: a write that meets a worker whose
    # breaker is still open gets its quick 503 and Retry-After, and a reader's widget retries.
    for attempt in range(4):
        posted = call(f"{server.base}/api/v1/comments", "POST", comment_body("gel", 99 + attempt))
        if posted.status != 503:
            break
        assert posted.body["error"]["retry_after"] == 1, posted
        time.sleep(1)
    assert posted.status == 201, posted
