"""The read cache's version tokens in Redis (engage/serving/versions.py): a dropped or
stale connection costs one reconnect, never the cache."""

from __future__ import annotations

import pytest
import redis

from engage.serving.versions import RedisVersions, StoreDown


def versions_on(redis_url):
    client = redis.Redis.from_url(redis_url, socket_timeout=0.25, health_check_interval=0)
    return RedisVersions(client), client


def kill_connections_of(client, name):
    killed = 0
    for info in client.client_list():
        if info.get("name") == name:
            killed += client.client_kill_filter(_id=info["id"])
    return killed


def test_tokens_survive_their_connection_being_closed_by_redis(redis_url):
    versions, admin = versions_on(redis_url)
    versions._thread_connection().client_name = "engage-versions-test"
    versions.bump(["t:site:article"])
    first = versions.tokens(["t:site:article"])

    for _ in range(150):  # more than the client pool's connection limit (100)
        assert kill_connections_of(admin, "engage-versions-test") == 1
        assert versions.tokens(["t:site:article"]) == first


def test_tokens_come_from_one_connection_per_thread_outside_the_pool(redis_url):
    versions, client = versions_on(redis_url)
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
