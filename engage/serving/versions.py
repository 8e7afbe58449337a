"""Where every worker learns that what a reader sees has changed: one token per thread.

A write changes the token of each thread it touched (and of its site, for a site's
settings), after its transaction commits. A cached answer is served only while the tokens
it was built under are still the current ones, and those tokens are read before the
database is, so no answer built from older data can ever pass for current.

Two stores, chosen by create_app:
- Redis (ENGAGE_REDIS_URL): shared by every process of every host; one MGET per read.
- A memory-mapped file in the instance folder, for a single box without Redis (SQLite): the
  processes of one host share it, and a read costs a memory load, no system call.
Tokens are fresh random numbers, not counters: two writers can never write the same one, so
no lock is needed and a lost race still changes the token.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import secrets
import struct
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

log = logging.getLogger(__name__)

Token = bytes | int | None


class StoreDown(Exception):
    """The version store cannot be read: serve from the database, cache nothing."""


class VersionStore(Protocol):
    def tokens(self, keys: Sequence[str]) -> tuple[Token, ...]: ...

    def bump(self, keys: Sequence[str]) -> None: ...


def thread_key(site_key: str, article: str) -> str:
    return f"t:{site_key}\x00{article}"


def site_key_token(site_key: str) -> str:
    return f"s:{site_key}"


class FileVersions:
    """Tokens in a memory-mapped file: 2^16 slots of 8 bytes, a key hashed to its slot.

    Two keys sharing a slot only ever cost an extra cache miss.
    """

    SLOTS = 1 << 16

    def __init__(self, path: str) -> None:
        size = self.SLOTS * 8
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
            self._map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self._words = memoryview(self._map).cast("Q")
        # A new process starts from whatever the file holds: tokens outlive restarts, and
        # nothing cached survives one, so stale file contents are harmless.

    @staticmethod
    def _slot(key: str) -> int:
        digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        return struct.unpack("<Q", digest)[0] % FileVersions.SLOTS

    def tokens(self, keys: Sequence[str]) -> tuple[Token, ...]:
        words = self._words
        return tuple(words[self._slot(key)] for key in keys)

    def bump(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._words[self._slot(key)] = secrets.randbits(64)


class RedisVersions:
    """Tokens in Redis, under ENGAGE_REDIS_URL, with an epoch that a failed bump moves on.

    A write whose bump could not reach Redis leaves some token unchanged: the first time
    Redis answers again, this process moves the epoch, which every cached answer also
    depends on, so nothing cached anywhere outlives the outage.
    """

    EPOCH = "engage:v:epoch"
    RETRY_AFTER = 1.0  # seconds without trying a Redis that just failed

    def __init__(self, client: Any) -> None:
        self._client = client
        self._owed_epoch = False
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._local = threading.local()

    def _thread_connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # Made like the pool's, outside its count: the pool's limit is for its own.
            pool = self._client.connection_pool
            connection = self._local.connection = pool.connection_class(**pool.connection_kwargs)
        return connection

    def _call(self, action: Any) -> Any:
        import redis

        if self._down_until > time.monotonic():
            raise StoreDown("Redis failed a moment ago")
        try:
            if self._owed_epoch:
                self._client.incr(self.EPOCH)
                self._owed_epoch = False
            return action()
        except (redis.RedisError, OSError) as exc:
            self._down_until = time.monotonic() + self.RETRY_AFTER
            raise StoreDown(str(exc)) from exc

    def tokens(self, keys: Sequence[str]) -> tuple[Token, ...]:
        names = [self.EPOCH, *(f"engage:v:{key}" for key in keys)]

        def read() -> Any:
            import redis

            # Every cached read asks this: on the thread's own connection, straight to the
            # socket. The client's pool would check the connection out and in (a lock and a
            # readiness syscall) and wrap the call in retries: twice the CPU of the MGET itself.
            connection = self._thread_connection()
            for attempt in (1, 2):
                try:
                    connection.send_command("MGET", *names)
                    return connection.read_response()
                except redis.ConnectionError:
                    # Closed by Redis (idle timeout, restart): once more on a new socket. A
                    # timeout is not retried: a frozen Redis must cost one short wait.
                    connection.disconnect()
                    if attempt == 2:
                        raise
                except BaseException:
                    connection.disconnect()  # half a conversation: start the next one afresh
                    raise

        return tuple(self._call(read))

    def bump(self, keys: Sequence[str]) -> None:
        def write() -> None:
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.set(f"engage:v:{key}", secrets.token_hex(8))
            pipe.execute()

        try:
            self._call(write)
        except StoreDown as exc:
            with self._lock:
                self._owed_epoch = True
            log.warning("cache versions not bumped (Redis down: %s); cached answers will be "
                        "dropped everywhere once it is back", exc)
