"""Redis killed or frozen under a 2-worker `engage serve`: writes keep answering 201 or 429
(limits fall back to per-process memory), /healthz says "redis": "down", and the log says so
once, not per request."""

from __future__ import annotations

import time
import uuid

import pytest

from .services import ORIGIN, call, comment_body, wait_until

QUICK = 1.5  # seconds: Redis calls time out well under a second


def _write(base: str, article: str, n: int):
    reader = {"X-Engage-Reader": f"reader-{uuid.uuid4().hex}", "Origin": ORIGIN}
    if n % 2:
        return call(f"{base}/api/v1/comments", "POST", comment_body(article, n), reader)
    return call(f"{base}/api/v1/reaction", "PUT", {
        "site": "fault", "article": article, "url": f"{ORIGIN}/{article}", "title": "T",
        "reaction": "love"}, reader)


@pytest.mark.parametrize("fault", ["kill", "freeze"])
def test_redis_fault_never_fails_a_write(fault, private_redis, make_server, tmp_path):
    server = make_server({"ENGAGE_DATABASE_URL": f"sqlite:///{tmp_path}/engage.db",
                          "ENGAGE_REDIS_URL": private_redis.url}, ["--workers", "2"])
    for n in range(4):
        assert _write(server.base, "redis", n).status in {200, 201}
    health = call(server.base + "/healthz")
    assert health.status == 200 and health.body == {"status": "ok", "redis": "ok"}

    private_redis.kill() if fault == "kill" else private_redis.freeze()
    answers = [_write(server.base, "redis", n) for n in range(100, 130)]
    statuses = {a.status for a in answers}
    assert statuses <= {200, 201, 429}, answers
    assert 201 in statuses
    assert max(a.seconds for a in answers) < QUICK, [a.seconds for a in answers]
    health = call(server.base + "/healthz")
    assert health.status == 200, health
    assert health.body == {"status": "ok", "redis": "down"}
    assert health.seconds < QUICK

    # Limits still hold while Redis is away: each process counts in its own memory.
    limited = [call(f"{server.base}/api/v1/comments", "POST", comment_body("limite", n),
                    {"X-Engage-Reader": "one-reader-for-the-limit-test"}) for n in range(12)]
    assert 429 in {a.status for a in limited}

    if fault == "kill":
        private_redis.start()
    else:
        private_redis.thaw()
    wait_until(lambda: call(server.base + "/healthz").body.get("redis") == "ok", 10, "Redis back")

    log = server.log()
    assert "Traceback" not in log, log
    fallbacks = log.count("falling back to in-memory storage")
    assert 1 <= fallbacks <= 2, log  # once per worker that met the fault, not once per request


def test_redis_down_from_the_start_still_serves(make_server, tmp_path):
    from .services import free_port

    server = make_server({"ENGAGE_DATABASE_URL": f"sqlite:///{tmp_path}/engage.db",
                          "ENGAGE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"},
                         ["--workers", "2"])
    started = time.monotonic()
    posted = call(f"{server.base}/api/v1/comments", "POST", comment_body("absent", 1))
    assert posted.status == 201 and time.monotonic() - started < QUICK
    assert call(server.base + "/healthz").body == {"status": "ok", "redis": "down"}


def versions_of(server, track):
    import redis

    from engage.serving.versions import RedisVersions

    client = redis.Redis.from_url(server.url, socket_timeout=0.25, socket_connect_timeout=0.25,
                                  health_check_interval=0)
    return RedisVersions(client, track=track)


def test_tokens_known_in_memory_are_not_trusted_once_a_bump_can_have_failed(private_redis):
    # A frozen Redis sends no invalidation: a worker must stop using the tokens it knows
    # before a write that cannot bump them has given up (and answered its reader).

    from engage.serving.versions import StoreDown

    keys = ["t:fault\x00article"]
    reader, writer = versions_of(private_redis, True), versions_of(private_redis, False)
    wait_until(lambda: reader.tokens(keys) and reader.invalidations.stamp() is not None, 5,
               "tokens known in memory")
    known = reader.tokens(keys)

    private_redis.freeze()
    writer.bump(keys)  # gives up after its timeout, and owes an epoch
    with pytest.raises(StoreDown):
        reader.tokens(keys)

    private_redis.thaw()

    def trusted_again():
        try:
            reader.tokens(keys)
        except StoreDown:
            return False
        return reader.invalidations.stamp() is not None

    wait_until(trusted_again, 5, "the listener back")
    writer.bump(keys)  # pays the epoch it owed: every cached answer is dropped
    current = writer._mget([writer.EPOCH, f"engage:v:{keys[0]}"])
    assert reader.tokens(keys)[1:] == current and current[0] != known[1]
    assert reader.tokens(keys)[0] != known[0]  # the listener's lapse: nothing cached survives


def test_a_redis_refusing_tracking_leaves_every_read_to_the_round_trip(caplog):
    # Redis before 6, or an ACL that denies CLIENT: tokens are asked for on every read.
    import redis

    from engage.serving.versions import RedisVersions

    from .services import PrivateRedis

    server = PrivateRedis("--rename-command", "CLIENT", "")
    server.start()
    try:
        client = redis.Redis.from_url(server.url, socket_timeout=0.25, health_check_interval=0)
        versions = RedisVersions(client)
        versions.bump(["t:fault\x00article"])
        wait_until(lambda: versions.tokens(["t:fault\x00article"])
                   and versions.invalidations.refused, 5, "tracking refused")
        asked = []
        mget = versions._mget
        versions._mget = lambda names: asked.append(names) or mget(names)

        reads = {versions.tokens(["t:fault\x00article"]) for _ in range(5)}

        assert len(asked) == 5 and len(reads) == 1 and next(iter(reads))[-1] is not None
        assert "cache invalidations unavailable" in caplog.text
    finally:
        server.destroy()


def test_a_redis_that_answers_but_refuses_writes_is_not_trusted(private_redis):
    # MISCONF, OOM, READONLY, NOREPLICAS: PING works, every bump fails. Here: NOREPLICAS.
    import redis

    from engage.serving.versions import StoreDown

    keys = ["t:fault\x00article"]
    reader, writer = versions_of(private_redis, True), versions_of(private_redis, False)
    admin = redis.Redis.from_url(private_redis.url)
    wait_until(lambda: reader.tokens(keys) and reader.invalidations.stamp() is not None, 5,
               "tokens known in memory")
    before = reader.tokens(keys)

    admin.config_set("min-replicas-to-write", 1)
    try:
        writer.bump(keys)  # refused at once: the write will be acknowledged unannounced
        time.sleep(0.2)  # engage's own writers wait this long (trust) before answering
        assert reader.invalidations.stamp() is None
        try:
            after = reader.tokens(keys)
        except StoreDown:  # as good: the database answers, nothing cached is used
            after = None
        assert after != before
    finally:
        admin.config_set("min-replicas-to-write", 0)
