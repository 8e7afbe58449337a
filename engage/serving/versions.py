"""Where every worker learns that what a reader sees has changed: one token per thread.

A write changes the token of each thread it touched (and of its site, for a site's
settings), after its transaction commits. A cached answer is served only while the tokens
it was built under are still the current ones, and those tokens are read before the
database is, so no answer built from older data can ever pass for current.

Two stores, chosen by create_app:
- Redis (ENGAGE_REDIS_URL): shared by every process of every host. Each process keeps the
  tokens it has read, and Redis tells it of every change to them (client-side caching,
  CLIENT TRACKING in broadcast mode, see Invalidations): a read then costs no round trip,
  and an MGET only for tokens not known yet or while Redis has not been heard from lately.
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
import select
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


class Invalidations:
    """What Redis says of the tokens this process knows: a listener thread and its socket.

    One connection per process, in RESP3, with `CLIENT TRACKING ON BCAST PREFIX engage:v:`:
    Redis pushes to it the name of every token key that changes, whoever changed it. Known
    tokens are trusted only while all of these hold, so that no reader uses a token Redis
    has already replaced:
    - the listener heard a PONG to a PING sent less than `trust` seconds ago (it pings every
      trust / 4): a frozen or unreachable Redis stops being trusted before a write that could
      not bump its tokens has given up (its socket timeout is longer), so before anyone can
      have been told of that write;
    - no byte from Redis waits unread on the listener's socket (one poll(0) per read): an
      invalidation, which Redis sends before the writer's acknowledgement, counts at once,
      even while the listener thread still waits for the GIL;
    - the listener is waiting, with everything it read applied, and did not wake while the
      reader looked (a sequence number, checked before and after, as in a seqlock).
    The listener stops after IDLE seconds without a read, and the next read starts it again.
    """

    PREFIX = "engage:v:"
    MAX_KNOWN = 100_000  # tokens kept per process; beyond, the memory starts afresh
    IDLE = 5.0

    def __init__(self, client: Any, trust: float) -> None:
        self._client = client
        self.trust = trust
        self._lock = threading.RLock()
        self.known: dict[str, Token] = {}
        self._changes = 0  # moves with every invalidation and every (dis)connection
        self._heard_at = -1e9  # monotonic: when the last answered PING was sent
        self._idle = False  # the listener waits for bytes, all it read applied
        self._wakeups = 0
        self._socket: Any = None
        self._generation = 0  # of the listener's socket, for the readers' poll objects
        self._local = threading.local()
        self._running_in = 0  # the pid whose listener thread runs, 0: none
        self._used_at = 0.0
        self.refused = False

    # -- the readers' side ------------------------------------------------------------------

    def ensure_listening(self) -> None:
        """Start this process's listener when it is not running (after a fork, when idle)."""
        self._used_at = time.monotonic()
        if self._running_in == os.getpid() or self.refused:
            return
        with self._lock:
            if self._running_in == os.getpid():
                return
            self._running_in = os.getpid()
            self._reset()
            threading.Thread(target=self._listen, name="engage-invalidations",
                             daemon=True).start()

    def stamp(self) -> tuple[int, int] | None:
        """Proof that known tokens can be trusted now; None when they cannot."""
        wakeups, changes = self._wakeups, self._changes
        if (not self._idle or time.monotonic() - self._heard_at > self.trust
                or self._bytes_waiting()):
            return None
        return wakeups, changes

    def still(self, stamp: tuple[int, int]) -> bool:
        """Whether the proof holds after the tokens were taken."""
        return self._idle and (self._wakeups, self._changes) == stamp

    def remember(self, stamp: tuple[int, int] | None, names: Sequence[str],
                 values: Sequence[Token]) -> None:
        """Keep tokens just read from Redis, unless a change may have raced the read."""
        if stamp is None:
            return
        with self._lock:
            if self._changes != stamp[1]:
                return
            if len(self.known) > self.MAX_KNOWN:
                self.known.clear()
            self.known.update(zip(names, values, strict=True))

    def _bytes_waiting(self) -> bool:
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            sock = self._socket
            if sock is None:
                return True
            # One poll object per thread: CPython refuses concurrent calls on one.
            local.poll = select.poll()
            local.poll.register(sock.fileno(), select.POLLIN)
            local.generation = self._generation
        return bool(local.poll.poll(0))  # a closed socket answers POLLNVAL or POLLHUP

    # -- the listener ----------------------------------------------------------------------

    def _reset(self) -> None:
        self._idle, self._socket, self._heard_at = False, None, -1e9
        self._generation += 1
        self._forget(None)

    def _forget(self, names: Sequence[bytes] | None) -> None:
        with self._lock:
            self._changes += 1
            if names is None:  # FLUSHDB, FLUSHALL, a new connection: everything
                self.known.clear()
            else:
                for name in names:
                    self.known.pop(name.decode("utf-8", "surrogateescape"), None)

    def _listen(self) -> None:
        import redis

        pid = os.getpid()
        try:
            while self._running_in == pid:
                connection = None
                try:
                    pool = self._client.connection_pool
                    connection = pool.connection_class(
                        **{**pool.connection_kwargs, "protocol": 3})
                    connection.connect()
                    # As redis-py's own client-side cache does.
                    connection._parser.set_invalidation_push_handler(
                        lambda message: self._forget(message[1]))
                    connection.send_command("CLIENT", "TRACKING", "ON", "BCAST",
                                            "PREFIX", self.PREFIX)
                    connection.read_response()
                    self._socket = connection._sock
                    self._generation += 1
                    self._forget(None)  # whatever changed while nobody listened
                    if not self._serve(connection):
                        return
                except redis.ResponseError as exc:
                    # Refused (Redis before 6, an ACL without CLIENT): every read asks Redis.
                    log.warning("cache invalidations unavailable, every cached read will ask "
                                "Redis: %s", exc)
                    self.refused = True
                    return
                except (redis.RedisError, OSError) as exc:
                    log.debug("cache invalidations: %s", exc)
                finally:
                    self._reset()
                    if connection is not None:
                        connection.disconnect()
                time.sleep(self.trust)  # no busy loop against a Redis that is down
        finally:
            with self._lock:
                if self._running_in == pid:
                    self._running_in = 0

    def _serve(self, connection: Any) -> bool:
        """Read pushes and keep pinging; False once no reader needed it for IDLE seconds."""
        every = self.trust / 4
        sent_at: float | None = None
        next_ping = time.monotonic()
        while True:
            now = time.monotonic()
            if now - self._used_at > self.IDLE:
                return False
            if sent_at is None and now >= next_ping:
                connection.send_command("PING")
                sent_at = now
            if sent_at is not None and now - sent_at > self.trust:
                raise OSError("Redis did not answer PING in time")
            deadline = next_ping if sent_at is None else sent_at + self.trust
            self._idle = True
            ready = connection.can_read(timeout=max(0.0, deadline - now))
            self._wakeups += 1
            self._idle = False
            answered = None
            while ready:
                answer = connection.read_response(push_request=True, timeout=self.trust)
                if answer in (b"PONG", "PONG") and sent_at is not None:
                    answered, sent_at = sent_at, None
                    next_ping = answered + every
                ready = connection.can_read(timeout=0)
            if answered is not None:  # and all that came with it applied
                self._heard_at = answered


class RedisVersions:
    """Tokens in Redis, under ENGAGE_REDIS_URL, with an epoch that a failed bump moves on.

    A write whose bump could not reach Redis leaves some token unchanged: the first time
    Redis answers again, this process moves the epoch, which every cached answer also
    depends on, so nothing cached anywhere outlives the outage.
    """

    EPOCH = "engage:v:epoch"
    RETRY_AFTER = 1.0  # seconds without trying a Redis that just failed

    def __init__(self, client: Any, *, track: bool = True) -> None:
        self._client = client
        timeout = client.connection_pool.connection_kwargs.get("socket_timeout") or 0.25
        # Trusted for less than a write takes to give up on a frozen Redis (its timeout).
        self.invalidations = Invalidations(client, trust=0.8 * timeout) if track else None
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
        invalidations = self.invalidations
        stamp = None
        # Not while a bump of this process is owed, or Redis failed it a moment ago: the MGET
        # path settles both.
        if invalidations is not None and not self._owed_epoch and (
                self._down_until <= time.monotonic()):
            invalidations.ensure_listening()
            stamp = invalidations.stamp()
            if stamp is not None:
                known = invalidations.known
                try:
                    tokens = tuple([known[name] for name in names])
                except KeyError:
                    pass
                else:
                    if invalidations.still(stamp):
                        return tokens
                    stamp = None
        values = self._mget(names)
        if invalidations is not None:
            invalidations.remember(stamp, names, values)
        return values

    def _mget(self, names: list[str]) -> tuple[Token, ...]:

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
