"""A write that meets another process's write transaction waits it out (a niced indexer on a busy
machine can hold one for many seconds), and fails with the locked message only past its budget."""

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import storage.connection
from models.errors import StoreError
from storage.store import Store

WRITES: dict[str, Callable[[Store], Awaitable[object]]] = {
    "a schedule": lambda store: store.save_schedule(1, 10, 9, "UTC", True),
    "a pager": lambda store: store.save_pager(7, "quote", "{}"),
    "an index job": lambda store: store.jobs.enqueue("full", "admin"),
    "a feed": lambda store: store.feeds.add("https://example.org/feed.xml", "feeds/example"),
}
TABLES = {"a schedule": ["schedules"], "a pager": ["pagers"], "an index job": ["index_jobs"], "a feed": ["feeds"]}


@pytest.fixture
async def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(storage.connection, "BUSY_TIMEOUT_MS", 20)  # each try gives up fast
    store = await Store.open(tmp_path / "rewind.db")
    yield store
    await store.close()


class Waiting(logging.Handler):
    """Set when a write logs that it is waiting for the lock (logged on the event loop's thread)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "locked by another writer" in record.getMessage():
            self.seen.set()


@pytest.mark.parametrize("write", WRITES, ids=list(WRITES))
async def test_a_write_waits_for_another_writers_transaction_to_end(store: Store, write: str) -> None:
    waiting_logged = Waiting()
    logging.getLogger("storage.connection").addHandler(waiting_logged)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's transaction, outlasting many busy timeouts
    holder.execute("INSERT INTO facts (key, value) VALUES ('other', 'writer')")
    waiting = asyncio.create_task(WRITES[write](store))
    try:
        await asyncio.wait_for(waiting_logged.seen.wait(), timeout=30)
    finally:
        logging.getLogger("storage.connection").removeHandler(waiting_logged)
    assert not waiting.done()
    holder.execute("COMMIT")
    holder.close()
    await asyncio.wait_for(waiting, timeout=30)
    snapshot = sqlite3.connect(store.path)
    try:
        counts = [snapshot.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES[write]]
        other = snapshot.execute("SELECT value FROM facts WHERE key = 'other'").fetchone()
    finally:
        snapshot.close()
    assert counts == [1] and other == ("writer",)  # both writers' rows are there


async def test_a_lock_held_past_the_budget_fails_saying_so_and_the_store_still_serves(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.connection, "WRITE_WAIT_SECONDS", 0.1)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="locked by another process") as raised:
            await store.save_schedule(1, 10, 9, "UTC", True)
    finally:
        holder.close()
    assert "damaged" not in str(raised.value)
    await store.save_schedule(1, 10, 9, "UTC", True)  # the lock gone, the same write goes through
    assert [row.guild_id for row in await store.schedules()] == [1]
