"""The indexer lock: held by the one process that runs index jobs, and gone when that process dies.

SQLite: `flock` on a file beside the database (`rewind.db.indexer-lock`), which holds the pid.
PostgreSQL: `pg_try_advisory_lock` on a connection of its own, held as long as that session lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from pathlib import Path
from typing import Any

from storage.postgres.store import PostgresStore, asyncpg
from storage.store import Store

INDEXER_LOCK = 0x5265_7769_6E64_0002  # the advisory lock key (0001 is the migrations')
PROBE_TRIES, PROBE_PAUSE = 5, 0.01  # a lock held only to see whether it is free is let go within this
_HOLDERS = """
    SELECT l.pid FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND ((l.classid::bigint << 32) | l.objid::bigint) = $1
"""


class FileLock:
    """An exclusive `flock` on `path`; the kernel drops it when the holder exits, however it exits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self, *, tries: int = PROBE_TRIES) -> bool:
        """Take the lock unless another process holds it (tried again for a moment, as `holder`
        holds it for a moment too)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        for attempt in range(tries):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == tries - 1:
                    os.close(fd)
                    return False
                await asyncio.sleep(PROBE_PAUSE)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    async def release(self) -> None:
        """Let the lock go."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    async def holder(self) -> str | None:
        """Who holds the lock (`pid N`), or None when nobody does."""
        if self._fd is None and await self.acquire(tries=1):
            await self.release()
            return None
        with contextlib.suppress(OSError):
            pid = self.path.read_text().strip()
            return f"pid {pid}" if pid else "another process"
        return "another process"


class AdvisoryLock:
    """`pg_try_advisory_lock` held by a connection of its own; the server drops it with the session."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self._connection: Any = None
        self.lost = asyncio.Event()  # set when the session holding the lock ended

    async def acquire(self) -> bool:
        """Take the lock unless another session holds it."""
        connection = await asyncpg.connect(self.store.url)
        if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", INDEXER_LOCK):
            await connection.close()
            return False
        connection.add_termination_listener(lambda _: self.lost.set())
        self._connection = connection
        return True

    async def release(self) -> None:
        """End the session holding the lock."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()

    async def holder(self) -> str | None:
        """Who holds the lock (`pid N`, the server process of its session), or None."""
        if self._connection is not None:
            return f"pid {self._connection.get_server_pid()}"
        pid = await self.store._pool.fetchval(_HOLDERS, INDEXER_LOCK)
        return None if pid is None else f"server pid {pid}"


def indexer_lock(store: Store | PostgresStore) -> FileLock | AdvisoryLock:
    """The indexer lock of the database `store` is open on."""
    if isinstance(store, PostgresStore):
        return AdvisoryLock(store)
    return FileLock(Path(f"{store.path}.indexer-lock"))
