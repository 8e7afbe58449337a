"""The read cache's version tokens in Redis (engage/serving/versions.py): a dropped or
stale connection costs one reconnect, never the cache; tokens known in memory are used only
while Redis tells of every change, so a change made anywhere shows in the very next read."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from engage.serving.versions import RedisVersions, StoreDown

KEYS = ["t:site\x00article"]


def versions_on(redis_url, *, track=True):
    client = redis.Redis.from_url(redis_url, socket_timeout=0.25, health_check_interval=0)
    return RedisVersions(client, track=track), client


def wait_for(predicate, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


class CountingMget:
    """Counts the round trips a store makes for tokens (its MGETs)."""

    def __init__(self, versions):
        self.calls = 0
        self._mget = versions._mget
        versions._mget = self

    def __call__(self, names):
        self.calls += 1
        return self._mget(names)


def trusted(versions):
    """Read once so the listener runs, and say whether known tokens are in use yet."""
    versions.tokens(KEYS)
    return versions.invalidations.stamp() is not None


def kill_connections_of(client, name):
    killed = 0
    for info in client.client_list():
        if info.get("name") == name:
            killed += client.client_kill_filter(_id=info["id"])
    return killed


# --- the round trip (the path when no token is known) --------------------------------------


def test_tokens_survive_their_connection_being_closed_by_redis(redis_url):
    versions, admin = versions_on(redis_url, track=False)
    versions._thread_connection().client_name = "engage-versions-test"
    versions.bump(["t:site:article"])
    first = versions.tokens(["t:site:article"])

    for _ in range(150):  # more than the client pool's connection limit (100)
        assert kill_connections_of(admin, "engage-versions-test") == 1
        assert versions.tokens(["t:site:article"]) == first


def test_tokens_come_from_one_connection_per_thread_outside_the_pool(redis_url):
    versions, client = versions_on(redis_url, track=False)
    for _ in range(20):
        versions.tokens(["t:site:article"])

    assert versions._thread_connection() is versions._thread_connection()
    assert client.connection_pool._created_connections <= 1  # bump's, at most


def test_tokens_of_an_unreachable_redis_say_store_down_quickly():
    client = redis.Redis(host="127.0.0.1", port=1, socket_timeout=0.25,
                         socket_connect_timeout=0.25, health_check_interval=0)
    versions = RedisVersions(client)

    with pytest.raises(StoreDown):
        versions.tokens(["t:site:article"])


# --- tokens known in memory, kept current by Redis's invalidations ---------------------------


def test_known_tokens_cost_no_round_trip(redis_url):
    versions, _ = versions_on(redis_url)
    wait_for(lambda: trusted(versions), "the listener trusted")
    first = versions.tokens(KEYS)
    mgets = CountingMget(versions)

    reads = [versions.tokens(KEYS) for _ in range(2000)]

    assert set(reads) == {first}
    assert mgets.calls < 20  # only while a PONG sits unread on the listener's socket


def test_a_change_made_elsewhere_shows_in_the_very_next_read(redis_url):
    reader, _ = versions_on(redis_url)
    writer, _ = versions_on(redis_url, track=False)  # another process, another host
    wait_for(lambda: trusted(reader), "the listener trusted")
    mgets = CountingMget(reader)

    from_memory = 0
    for _ in range(300):
        before = reader.tokens(KEYS)
        writer.bump(KEYS)
        assert reader.tokens(KEYS) != before
        # Once the listener has taken the push, a read costs one MGET to learn the new token,
        # and the next comes from memory. (How soon it takes it is the scheduler's business:
        # on a busy machine a read or two may come first, and ask Redis.)
        wait_for(lambda: reader.invalidations.stamp() is not None, "the push taken")
        reader.tokens(KEYS)
        calls = mgets.calls
        reader.tokens(KEYS)
        from_memory += mgets.calls == calls

    assert from_memory > 300 * 0.9  # a heartbeat's answer may sit unread on a few of them


def test_changes_from_many_threads_are_never_missed(redis_url):
    reader, _ = versions_on(redis_url)
    wait_for(lambda: trusted(reader), "the listener trusted")
    errors = []
    done = threading.Event()

    def hammer():
        while not done.is_set():
            reader.tokens(KEYS)

    def write(n):
        writer, _ = versions_on(redis_url, track=False)
        for _ in range(100):
            writer.bump(KEYS)
            current = writer._mget([writer.EPOCH, f"engage:v:{KEYS[0]}"])
            seen = reader.tokens(KEYS)[1:]  # after the reader's lapse count
            # Tokens are random, never the same twice: the one this bump replaced is stale.
            if seen == previous.get(n):
                errors.append(seen)
            previous[n] = current

    previous = {}
    hammers = [threading.Thread(target=hammer) for _ in range(4)]
    writers = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in hammers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in hammers:
        thread.join()
    assert errors == []


def test_flushing_redis_forgets_every_known_token(redis_url):
    versions, admin = versions_on(redis_url)
    versions.bump(KEYS)
    wait_for(lambda: trusted(versions), "the listener trusted")
    known = versions.tokens(KEYS)

    admin.flushdb()

    # Redis queues the flush's push to the listener while it runs FLUSHDB, but may write the
    # OK to the flusher first: the flush shows within `trust`, not always in the next read
    # (bumps, pushed after the command, do; see the other tests).
    wait_for(lambda: versions.tokens(KEYS) != known, "the flush seen",
             timeout=versions.invalidations.trust)
    assert versions.tokens(KEYS)[1:] == (None, None)
    assert versions.tokens(KEYS)[0] != known[0]  # a lapse: nothing cached before matches


def test_a_killed_listener_connection_stops_the_trust_until_it_is_back(redis_url):
    versions, admin = versions_on(redis_url)
    wait_for(lambda: trusted(versions), "the listener trusted")
    tracking = [c for c in admin.client_list() if "t" in c.get("flags", "")
                and c.get("id") != str(admin.client_id())]
    killed = sum(admin.client_kill_filter(_id=c["id"]) for c in tracking)
    assert killed >= 1
    versions_elsewhere, _ = versions_on(redis_url, track=False)

    versions_elsewhere.bump(KEYS)  # while nobody may be listening

    assert versions.tokens(KEYS)[1:] == versions_elsewhere._mget(
        [versions.EPOCH, f"engage:v:{KEYS[0]}"])
    wait_for(lambda: trusted(versions), "the listener back")


def test_the_listener_stops_when_idle_and_starts_again_on_the_next_read(redis_url,
                                                                          monkeypatch):
    versions, admin = versions_on(redis_url)
    monkeypatch.setattr(versions.invalidations, "IDLE", 0.2)
    wait_for(lambda: trusted(versions), "the listener trusted")

    wait_for(lambda: versions.invalidations._running_in == 0, "the idle listener stopped")
    assert versions.invalidations.stamp() is None
    wait_for(lambda: trusted(versions), "the listener started again")



def test_a_url_asking_for_decoded_responses_still_forgets_changed_tokens(redis_url):
    client = redis.Redis.from_url(redis_url + "?decode_responses=true", socket_timeout=0.25,
                                  health_check_interval=0)
    reader = RedisVersions(client)
    writer, _ = versions_on(redis_url, track=False)
    wait_for(lambda: trusted(reader), "the listener trusted")
    for _ in range(50):
        before = reader.tokens(KEYS)
        writer.bump(KEYS)
        assert reader.tokens(KEYS) != before


def test_a_bump_tries_redis_even_right_after_a_failed_read(redis_url):
    versions, admin = versions_on(redis_url, track=False)
    versions._down_until = time.monotonic() + 60  # as after one slow MGET
    admin.delete(f"engage:v:{KEYS[0]}")

    versions.bump(KEYS)

    assert admin.get(f"engage:v:{KEYS[0]}") is not None


def test_a_closed_listener_socket_is_not_trusted_and_fails_no_read(redis_url):
    versions, _ = versions_on(redis_url)
    wait_for(lambda: trusted(versions), "the listener trusted")
    invalidations = versions.invalidations

    class Closed:
        def fileno(self):
            return -1

    invalidations._socket = Closed()
    invalidations._generation += 1
    assert invalidations.stamp() is None
    assert versions.tokens(KEYS)  # through the round trip, no exception


def test_the_listener_of_an_unreachable_redis_stops_once_idle(monkeypatch):
    client = redis.Redis(host="127.0.0.1", port=1, socket_timeout=0.25,
                         socket_connect_timeout=0.25, health_check_interval=0)
    versions = RedisVersions(client)
    monkeypatch.setattr(versions.invalidations, "IDLE", 0.3)
    with pytest.raises(StoreDown):
        versions.tokens(KEYS)
    wait_for(lambda: versions.invalidations._running_in == 0, "the listener gave up")
