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
_UNKNOWN: Any = object()  # a token this process has not read yet (None is a real one)


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
    - the listener's heartbeat, a write (SET with an expiry, outside the prefix), was
      acknowledged less than `trust` seconds after it was sent (one every trust / 4): a
      frozen Redis, or one refusing writes (MISCONF, OOM, READONLY, a paused client), stops
      being trusted before a write that could not bump its tokens has given up and answered
      (its socket timeout is longer, and a failed bump waits `trust` before answering);
    - no byte from Redis waits unread on the listener's socket (one poll(0) per read): an
      invalidation counts at once, even while the listener thread still waits for the GIL;
    - the listener is waiting, with everything it read applied, and did not wake while the
      reader looked (a sequence number, checked before and after, as in a seqlock).
    Every lapse of that trust (a reconnection, a late heartbeat, a flush) moves `lapses`,
    which RedisVersions puts in every token tuple: an answer cached before a lapse never
    matches after it, whatever Redis holds once it is back. What this cannot see: Redis
    writing a push later than the writer's acknowledgement (io-threads, a lost packet to
    another host, or a FLUSHDB, whose OK may leave before its push) leaves a window of at
    most `trust`.
    The listener needs hiredis ≥ 3.2 (redis-py's pure-Python parser reads ahead of the
    checks above), and stops after IDLE seconds without a read; the next read restarts it.
    """

    PREFIX = "engage:v:"
    HEARTBEAT = "engage:heartbeat:"
    MAX_KNOWN = 100_000  # tokens kept per process; beyond, the memory starts afresh
    IDLE = 5.0

    def __init__(self, client: Any, trust: float) -> None:
        self._client = client
        self.trust = trust
        self._lock = threading.RLock()
        self.known: dict[str, Token] = {}
        self._changes = 0  # moves with every invalidation and every (dis)connection
        self.lapses = 0  # moves whenever trust lapsed: part of every token tuple
        self._heard_at = -1e9  # monotonic: when the last acknowledged heartbeat was sent
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
            self._reset(lapse=False)
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
        try:
            if getattr(local, "generation", None) != self._generation:
                sock = self._socket
                if sock is None:
                    return True
                # One poll object per thread: CPython refuses concurrent calls on one.
                local.poll = select.poll()
                local.poll.register(sock.fileno(), select.POLLIN)
                local.generation = self._generation
            return bool(local.poll.poll(0))  # a closed socket answers POLLNVAL or POLLHUP
        except (OSError, ValueError):  # closed meanwhile (fileno -1): nothing to trust
            local.generation = None
            return True

    # -- the listener ----------------------------------------------------------------------

    def _reset(self, *, lapse: bool) -> None:
        """Stop trusting known tokens; with lapse, also every answer cached until now (Redis
        failed or was flushed: bumps may have been lost meanwhile)."""
        with self._lock:
            self._idle, self._socket, self._heard_at = False, None, -1e9
            self._generation += 1
            if lapse:
                self.lapses += 1
            self._forget(None)

    def _forget(self, names: Sequence[bytes | str] | None) -> None:
        with self._lock:
            self._changes += 1
            if names is None:  # a new connection: nothing known is known any more
                self.known.clear()
                return
            for name in names:
                key = name if isinstance(name, str) else name.decode("utf-8", "surrogateescape")
                self.known.pop(key, None)

    def _pushed(self, message: Any) -> None:
        try:
            if message[1] is None:  # FLUSHDB, FLUSHALL: tokens are gone, answers with them
                self._reset(lapse=True)
                return
            self._forget(message[1])
        except Exception:  # noqa: BLE001 - whatever it was, nothing known stays trusted
            with self._lock:
                self._changes += 1
                self.lapses += 1
                self.known.clear()
            log.exception("cache invalidations: unreadable push %r", message)

    def _connect(self) -> Any:
        import redis
        from redis._parsers.hiredis import _HiredisParser
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        pool = self._client.connection_pool
        # One try per round, whatever the client's retry: redis-py's default backs off
        # exponentially for seconds inside connect(), while readers wait on this listener
        # and its own loop already paces the reconnections.
        kwargs = {**pool.connection_kwargs, "protocol": 3, "decode_responses": False,
                  "retry": Retry(NoBackoff(), 0)}
        kwargs.pop("maint_notifications_config", None)
        connection = pool.connection_class(**kwargs)
        parser = connection._parser
        if not isinstance(parser, _HiredisParser):
            raise redis.ResponseError("the listener needs hiredis (redis-py's C parser)")
        connection.connect()
        if getattr(parser, "_hiredis_PushNotificationType", None) is None:
            connection.disconnect()
            raise redis.ResponseError("the listener needs hiredis >= 3.2 (push messages)")
        # As redis-py's own client-side cache does.
        parser.set_invalidation_push_handler(self._pushed)
        connection.send_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self.PREFIX)
        connection.read_response()
        return connection

    def _listen(self) -> None:
        import redis

        pid = os.getpid()
        failures = 0
        try:
            while self._running_in == pid and time.monotonic() - self._used_at <= self.IDLE:
                connection = None
                lapse = False  # a connection never made lost nothing
                try:
                    try:
                        connection = self._connect()
                    except redis.ResponseError as exc:
                        # Refused (Redis before 6, an ACL without CLIENT, no hiredis): every
                        # cached read will ask Redis.
                        log.warning("cache invalidations unavailable, every cached read will "
                                    "ask Redis: %s", exc)
                        self.refused = True
                        return
                    self._socket = connection._sock
                    self._generation += 1
                    self._forget(None)  # whatever changed while nobody listened
                    failures = 0
                    lapse = True  # unless it ends because it is idle, below
                    if not self._serve(connection):
                        lapse = False
                        return
                except (redis.RedisError, OSError) as exc:
                    log.debug("cache invalidations: %s", exc)
                except Exception:  # a bug must not leave a thread restarting at every read
                    failures += 1
                    log.exception("cache invalidations: listener failed")
                    if failures >= 3:
                        self.refused = True
                        return
                finally:
                    self._reset(lapse=lapse)
                    if connection is not None:
                        connection.disconnect()
                time.sleep(self.trust)  # no busy loop against a Redis that is down
        finally:
            with self._lock:
                if self._running_in == pid:
                    self._running_in = 0

    def _serve(self, connection: Any) -> bool:
        """Read pushes and keep the heartbeat; False once no reader needed it for IDLE s."""
        every = self.trust / 4
        beat = f"{self.HEARTBEAT}{os.getpid()}:{secrets.token_hex(4)}"
        sent_at: float | None = None
        next_beat = time.monotonic()
        while True:
            now = time.monotonic()
            if now - self._used_at > self.IDLE:
                return False
            if sent_at is None and now >= next_beat:
                # A write, not a PING: a Redis that answers but refuses writes must not be
                # trusted, since the bumps of writers fail there too.
                connection.send_command("SET", beat, "1", "PX", str(int(self.trust * 5000)))
                sent_at = now
            if sent_at is not None and now - sent_at > self.trust:
                raise OSError("Redis did not acknowledge the heartbeat in time")
            deadline = next_beat if sent_at is None else sent_at + self.trust
            self._idle = True
            ready = connection.can_read(timeout=max(0.0, deadline - now))
            self._wakeups += 1
            self._idle = False
            answered = None
            while ready:
                answer = connection.read_response(push_request=True, timeout=self.trust)
                if answer in (b"OK", "OK", True) and sent_at is not None:
                    answered, sent_at = sent_at, None
                    next_beat = answered + every
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
        self._owed_epoch: object = False  # a debt: the epoch must move once Redis answers
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

    def _call(self, action: Any, *, reading: bool = True) -> Any:
        import redis

        # Reads skip a Redis that just failed; a bump always tries, or a write made during
        # one slow moment of this process's would go unannounced to every other.
        if reading and self._down_until > time.monotonic():
            raise StoreDown("Redis failed a moment ago")
        try:
            with self._lock:
                owed = self._owed_epoch
            if owed:
                # Random, like every token: a counter could come back to a value an answer was
                # cached under (a restart from an old snapshot, a lagging replica).
                self._client.set(self.EPOCH, secrets.token_hex(8))
                with self._lock:
                    if self._owed_epoch is owed:
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
                tokens = tuple([known.get(name, _UNKNOWN) for name in names])
                # Some not known yet: the MGET below reads them, and keeps them under stamp.
                if _UNKNOWN not in tokens:
                    if invalidations.still(stamp):
                        return (invalidations.lapses, *tokens)
                    stamp = None  # the listener moved meanwhile: keep nothing read now
        values = self._mget(names)
        if invalidations is None:
            return values
        invalidations.remember(stamp, names, values)
        return (invalidations.lapses, *values)

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
            self._call(write, reading=False)
        except StoreDown as exc:
            with self._lock:
                self._owed_epoch = object()  # a new debt: one paid meanwhile is not this one
            log.warning("cache versions not bumped (Redis down: %s); cached answers will be "
                        "dropped everywhere once it is back", exc)
            if self.invalidations is not None:
                # Before this write is acknowledged, every process stops trusting the tokens
                # it knows (their listeners' heartbeats fail within `trust` too).
                time.sleep(self.invalidations.trust)
