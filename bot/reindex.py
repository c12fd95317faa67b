"""Reindexing the configured folders while the bot keeps serving: one run at a time, reported."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import UserError
from bot.ingest.indexer import Embedding, IndexReport, Progress, index_paths
from storage.opening import open_store  # noqa: TID251 (a composition root)

log = logging.getLogger(__name__)


class ReindexBusy(UserError, RuntimeError):
    """A reindex is already running; the message says since when."""


@dataclass(frozen=True, slots=True)
class RunState:
    """Where the current (or last) run stands."""

    started: dt.datetime
    done: int = 0
    total: int = 0
    rejected: int = 0
    finished: dt.datetime | None = None
    report: IndexReport | None = None
    error: str | None = None
    embedding: Embedding | None = None  # the last phase: passages embedded for search by meaning


class Reindexer:
    """Indexes `folders` into the database through a connection of its own: searches keep reading
    the last committed index (WAL) meanwhile, and never run inside the indexer's transactions."""

    def __init__(self, database: Path | str, folders: Sequence[Path], workers: int) -> None:
        self.database, self.folders, self.workers = database, tuple(folders), workers
        self.state: RunState | None = None
        self._lock = asyncio.Lock()  # runs, feed downloads and uploads write one at a time

    @property
    def running(self) -> bool:
        return self.state is not None and self.state.finished is None

    async def run(self, *, full: bool = False, progress: Progress | None = None) -> IndexReport:
        """Index the folders once; ReindexBusy if a run is under way. A failure leaves the previous
        index searchable and is kept in `state.error`."""
        if self.running:
            assert self.state is not None
            raise ReindexBusy(f"a reindex has been running since {self.state.started:%H:%M:%S} UTC")
        self.state = RunState(dt.datetime.now(dt.UTC))

        def track(done: int, total: int, report: IndexReport) -> None:
            assert self.state is not None
            self.state = RunState(self.state.started, done, total, len(report.rejects), embedding=report.embedding)
            if progress is not None:
                progress(done, total, report)

        try:
            async with self._lock:
                report = await self._index(self.folders, self.workers, progress=track, full=full)
        except BaseException as error:
            self.state = RunState(self.state.started, self.state.done, self.state.total, self.state.rejected,
                                  dt.datetime.now(dt.UTC), error=f"{type(error).__name__}: {error}")  # fmt: skip
            log.exception("indexing %s failed; the previous index stays searchable", self.folders)
            raise
        self.state = RunState(self.state.started, report.files, report.files, len(report.rejects),
                              dt.datetime.now(dt.UTC), report)  # fmt: skip
        log.info(
            "indexed %d files (%d unchanged, %d rejected) in %.1f s",
            report.indexed,
            report.unchanged,
            len(report.rejects),
            report.seconds,
        )
        return report

    async def index(self, paths: Sequence[Path]) -> IndexReport:
        """Index a few files or folders now (a feed's downloads, an upload), after any run under way;
        in threads, since starting worker processes would take longer than the parsing."""
        async with self._lock:
            return await self._index(paths, 0)

    async def _index(self, paths: Sequence[Path], workers: int, **options: Any) -> IndexReport:
        writer = await open_store(self.database)
        try:
            return await index_paths(writer, paths, workers=workers, **options)
        finally:
            await writer.close()
