"""Rewind's SQLite store: one object over one connection, its queries split by concern."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from storage.catalogue import CatalogueReads
from storage.feeds import FeedStore
from storage.index import IndexWrites
from storage.jobs import JobStore
from storage.search import SearchReads
from storage.state import StateTables
from storage.vectors import VectorTables


class Store(IndexWrites, CatalogueReads, SearchReads, StateTables, VectorTables):
    """Rewind's database. Open with `await Store.open(path)`; close with `await store.close()`.

    Each base holds one concern's SQL over the shared connection (bot/ports.py lists the calls);
    the feed tables, whose names overlap the schedules', are `store.feeds`; the index jobs `store.jobs`.
    """

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        super().__init__(connection, path)
        self.feeds = FeedStore(self, item_id="rowid")
        self.jobs = JobStore(self)
