"""The database connection: opening and migrating it, one write transaction at a time, the change
marker, and read-only connections whose statements stop at a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

from models.errors import StoreError
from models.search import IndexVersion
from storage.errors import database_problem
from storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000  # how long one statement waits in SQLite for another process's write lock
# How long a write keeps trying, BUSY_TIMEOUT_MS at a time, before it fails: a niced indexer holding
# a batch's transaction on a busy machine can keep the lock for many seconds.
WRITE_WAIT_SECONDS = 120.0


class Connection:
    """The one long-lived aiosqlite connection; `Store` builds its queries on it."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self.writes = 0  # bumped on every committed write, so caches know to refresh
        self._write_lock = asyncio.Lock()
        self._readers: list[TimedReader] = []  # idle search connections, each with its own time limit
        self._closed = False
        self.read_only = False  # set by open(); a read-only store keeps no summary cache

    async def _rows(self, query: str, parameters: Mapping[str, object]) -> Sequence[Sequence[Any]]:
        """The rows of a statement written for both engines (storage.common)."""
        return await self._outlasting_locks(lambda: self._db.execute_fetchall(query, parameters))

    async def _execute(self, query: str, parameters: Mapping[str, object]) -> None:
        await self._outlasting_locks(lambda: self._db.execute(query, parameters))

    async def _outlasting_locks(self, statement: Callable[[], Awaitable[T]]) -> T:
        """Run `statement`, again while another process holds the write lock, for up to
        WRITE_WAIT_SECONDS; then a StoreError saying the database is locked. Inside a transaction
        it runs once: the transaction already holds the lock, or must be rolled back whole."""
        started = time.monotonic()
        while True:
            try:
                return await statement()
            except sqlite3.OperationalError as error:
                waited = time.monotonic() - started
                if not _locked(error) or self._db.in_transaction:
                    raise
                if waited >= WRITE_WAIT_SECONDS:
                    raise StoreError(database_problem(self.path, error)) from error
                log.warning("%s is locked by another writer; still waiting after %.0f s", self.path, waited)

    async def _execute_many(self, query: str, parameters: Sequence[Mapping[str, object]]) -> None:
        async with self._write():  # one transaction, not one a row: the indexer writes meanwhile
            await self._db.executemany(query, parameters)

    @classmethod
    async def open(cls, path: Path | str, *, check: bool = False, create: bool = True, read_only: bool = False) -> Self:
        """Open and migrate the database at `path`, creating it (and its folder) unless `create` is
        false or `read_only`; with `check`, also verify its pages (`PRAGMA quick_check`, ~0.15 s
        for 140k segments) so damage shows at start-up. StoreError says what to do."""
        path = Path(path)
        if path.is_dir():
            raise StoreError(database_problem(path, sqlite3.OperationalError("a folder")))
        if (read_only or not create) and not path.is_file():
            raise StoreError(f"no index at {path}: run `rewind index FOLDER` first")
        target = f"{path.resolve().as_uri()}?mode=ro" if read_only else path
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: every write transaction below is an explicit BEGIN ... COMMIT.
            connection = await aiosqlite.connect(target, isolation_level=None, uri=read_only)
        except OSError as error:
            raise StoreError(f"cannot create {path}: {error.strerror or error}") from error
        except sqlite3.Error as error:
            raise StoreError(database_problem(path, error)) from error
        try:
            if not read_only:
                await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA cache_size = -32000")  # 32 MB: FTS merges touch many pages
            store = cls(connection, path)
            store.read_only = read_only
            await store._migrate()
            if check:
                problems = [row[0] for row in await connection.execute_fetchall("PRAGMA quick_check(5)")]
                if problems != ["ok"]:
                    raise sqlite3.DatabaseError("quick_check: " + "; ".join(problems))
        except sqlite3.DatabaseError as error:
            await connection.close()
            raise StoreError(database_problem(path, error)) from error
        return store

    async def close(self) -> None:
        """Close the connection and the search connections."""
        self._closed = True
        while self._readers:
            self._readers.pop().close()
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            (version,) = await cursor.fetchone()
        if version > len(MIGRATIONS):
            raise StoreError(f"database schema {version} is newer than this Rewind ({len(MIGRATIONS)})")
        if self.read_only and version < len(MIGRATIONS):
            raise StoreError(f"{self.path} has schema {version}: run `rewind index` once to upgrade it")
        level = logging.DEBUG if version == 0 else logging.INFO  # a new database is no news
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
            log.log(level, "database migrated to schema %d", number)

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[None]:
        """One write transaction: committed whole or rolled back whole. A full disk becomes a
        StoreError saying so; the index stays as it was before the transaction."""
        async with self._write_lock:  # two tasks on this one connection: one transaction at a time
            await self._outlasting_locks(lambda: self._db.execute("BEGIN IMMEDIATE"))
            try:
                yield
                await self._db.execute("COMMIT")
                self.writes += 1
            except BaseException as error:
                if self._db.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
                    await self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.OperationalError) and "full" in str(error):
                    message = f"no room left for {self.path} ({error}); the index is as it was before this write"
                    raise StoreError(message) from error
                raise

    async def change_marker(self) -> IndexVersion:
        """Changes whenever the index changes, through this connection or another."""
        async with self._db.execute("PRAGMA data_version") as cursor:
            (version,) = await cursor.fetchone()
        return IndexVersion(self.writes, int(version))


class TimedReader:
    """A read-only connection whose progress handler stops the one statement it runs past its limit."""

    def __init__(self, path: Path) -> None:
        uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        self._connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        self._connection.execute("PRAGMA busy_timeout = 5000")
        self._connection.execute("PRAGMA cache_size = -32000")
        self._deadline = math.inf
        self._connection.set_progress_handler(self._past_deadline, 2000)

    def fetch(self, query: str, parameters: dict[str, object], time_limit: float) -> list[tuple[object, ...]]:
        """All rows of `query`, interrupted (sqlite3.OperationalError) after `time_limit` seconds."""
        self._deadline = time.monotonic() + time_limit
        try:
            return self._connection.execute(query, parameters).fetchall()
        finally:
            self._deadline = math.inf

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def _past_deadline(self) -> bool:
        return time.monotonic() > self._deadline


def _locked(error: sqlite3.OperationalError) -> bool:
    """Whether `error` is SQLite's "database is locked": another connection holds the write lock."""
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or "database is locked" in str(error)
