"""Index jobs: `/admin reindex` (and the bot's start-up) enqueue one from any process, and one
indexer works through them, writing each job's progress and result to its row.

The indexer is `rewind indexer` when one runs (it holds the indexer lock for its life). When none
does, the bot starts `rewind indexer --once` as a child process for each job, so that parsing,
writing and embedding never hold the bot's event loop or its GIL: searches and the gateway's
heartbeat wait for neither. A child that dies leaves its job failed with the reason; each file
keeps its previous or its new version, all searchable.

Uploads and feed downloads are not jobs: they are a few files the admin (or the feed's new
episode post) waits for, indexed at once through a connection of the bot's own (`index`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.errors import UserError
from bot.ingest.indexer import IndexReport, index_paths
from bot.jobs import report_of
from models.jobs import IndexJob
from storage.locks import AdvisoryLock, FileLock, indexer_lock  # noqa: TID251 (a composition root)
from storage.opening import open_store  # noqa: TID251 (a composition root)
from storage.postgres import PostgresStore  # noqa: TID251 (a composition root)
from storage.store import Store  # noqa: TID251 (a composition root)

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # how often a waiting process reads its job's row, and an idle indexer the queue
PROGRESS_SECONDS = 0.5  # how often the indexer writes a running job's progress
EXIT_LOCKED = 3  # `rewind indexer`: another indexer holds the lock
CHILD_NICENESS = 10  # the child indexer's (and its parse workers') nice value: below the bot for the CPU
STOP_SECONDS = 10.0  # a child asked to stop gets this long before it is killed
STOPPED = "the indexer was stopped before it finished; each file keeps its previous or its new version"

AnyStore = Store | PostgresStore


class ReindexBusy(UserError, RuntimeError):
    """A reindex is already pending or running; the message says since when and who asked."""


class ReindexFailed(RuntimeError):
    """A job ended failed; the message is its recorded reason."""


def runner_name(pid: int | None = None) -> str:
    """How a job's row names the indexer process that claimed it."""
    return f"pid {pid or os.getpid()} on {socket.gethostname()}"


def busy_text(job: IndexJob) -> str:
    """Why a second reindex is not started."""
    state = "running" if job.status == "running" else "waiting for the indexer"
    return f"a reindex is already {state} (asked by {job.requested_by} at {job.created_at[11:19]} UTC)"


async def run_job(store: AnyStore, job: IndexJob, folders: Sequence[Path], workers: int) -> IndexJob:
    """Index `folders` for a claimed job, its progress written to its row, then its end: done with
    the report, or failed with the reason (the index keeps what was committed)."""
    writes: set[asyncio.Task[None]] = set()
    last = 0.0

    def progress(done: int, total: int, report: IndexReport) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_SECONDS:
            return
        last = time.monotonic()
        e = report.embedding
        write = store.jobs.record_progress(job.id, done, total, len(report.rejects), e and e.done, e and e.total)
        task = asyncio.create_task(write)
        writes.add(task)
        task.add_done_callback(writes.discard)

    error: str | None = None
    report: IndexReport | None = None
    try:
        report = await index_paths(store, folders, workers=workers, progress=progress, full=job.kind == "full")
    except asyncio.CancelledError:
        error = STOPPED
        raise
    except Exception as failure:
        error = f"{type(failure).__name__}: {failure}"
        log.exception("index job %d failed; the previous index stays searchable", job.id)
    finally:
        await asyncio.gather(*writes, return_exceptions=True)
        if report is not None:
            await store.jobs.record_progress(job.id, report.files, report.files, len(report.rejects), None, None)
        summary = json.dumps(report.as_json()) if report is not None else None
        await asyncio.shield(store.jobs.finish_job(job.id, error, summary))
    finished = await store.jobs.job(job.id)
    assert finished is not None
    return finished


async def fail_orphans(store: AnyStore, lock: FileLock | AdvisoryLock, running: Sequence[IndexJob]) -> None:
    """Fail the jobs that were running when `running` was read if no indexer holds the lock now:
    the one that claimed them died (a claim is made, and a job ended, with the lock held)."""
    if running and await lock.holder() is None:
        for job in running:
            reason = f"its indexer ({job.runner}) stopped before finishing; each file keeps its previous or new version"
            if await store.jobs.fail_jobs([job.id], reason):
                log.warning("index job %d failed: %s", job.id, reason)


async def work_through(
    store: AnyStore, folders: Sequence[Path], workers: int, *, once: bool, told: Callable[[IndexJob], None]
) -> int:
    """`rewind indexer`, the lock held: run the jobs as they come (with `once`, until none is
    pending), telling `told` of each finished one; return how many failed."""
    await fail_orphans(store, _Held(), [j for j in await store.jobs.recent_jobs() if j.status == "running"])
    failed = 0
    while True:
        job = await store.jobs.claim_job(runner_name())
        if job is None:
            if once:
                return failed
            await asyncio.sleep(POLL_SECONDS)
            continue
        log.info("index job %d (%s, asked by %s) started", job.id, job.kind, job.requested_by)
        finished = await run_job(store, job, folders, workers)
        failed += finished.status == "failed"
        told(finished)


class _Held:
    """The lock as its holder sees it: no other indexer runs, so a running job is an orphan."""

    async def holder(self) -> None:
        return None


class Reindexer:
    """The bot's side of the jobs: enqueue, follow a job's row, and run the jobs in a child process
    while no `rewind indexer` runs. Its store is a connection of its own, opened on first use."""

    def __init__(self, database: Path | str, folders: Sequence[Path], workers: int) -> None:
        self.database, self.folders, self.workers = database, tuple(folders), workers
        self._store: AnyStore | None = None
        self._lock: FileLock | AdvisoryLock | None = None
        self._child: asyncio.Task[None] | None = None
        self._stepping = asyncio.Lock()
        self._opening = asyncio.Lock()
        self._direct = asyncio.Lock()  # uploads and feed downloads: one at a time, never beside our child

    async def jobs(self) -> AnyStore:
        """The store the jobs are read and written through."""
        async with self._opening:
            if self._store is None:
                self._store = await open_store(self.database)
                self._lock = indexer_lock(self._store)
        return self._store

    async def close(self) -> None:
        """Stop a child indexer this process started (its job is marked stopped), then disconnect."""
        if self._child is not None:
            self._child.cancel()
            await asyncio.gather(self._child, return_exceptions=True)
        if self._store is not None:
            await self._store.close()
            self._store = None

    async def enqueue(self, *, full: bool, requested_by: str) -> tuple[IndexJob, bool]:
        """A new job, or the one already pending or running (True when this call made it)."""
        store = await self.jobs()
        await self._fail_orphans()
        return await store.jobs.enqueue("full" if full else "incremental", requested_by)

    async def recent(self, limit: int = 2) -> list[IndexJob]:
        """The newest jobs first."""
        return await (await self.jobs()).jobs.recent_jobs(limit)

    async def wait(self, job_id: int, progress: Callable[[IndexJob], None] | None = None) -> IndexJob:
        """Follow a job's row until it ends, telling `progress` what it says; the job is run by
        this process's child when no indexer takes it."""
        store = await self.jobs()
        while True:
            job = await store.jobs.job(job_id)
            assert job is not None
            if progress is not None:
                progress(job)
            if job.finished:
                return job
            await self.step()
            await asyncio.sleep(POLL_SECONDS)

    async def run(self, *, full: bool = False, requested_by: str = "the bot") -> IndexReport:
        """Enqueue a job and wait for its report; ReindexBusy when one is already open,
        ReindexFailed (with the reason) when it fails."""
        job, made = await self.enqueue(full=full, requested_by=requested_by)
        if not made:
            raise ReindexBusy(busy_text(job))
        finished = await self.wait(job.id)
        report = report_of(finished)
        if finished.status == "failed" or report is None:
            raise ReindexFailed(finished.error or "no report")
        return report

    async def serve(self) -> None:
        """The bot's background loop: run the jobs any process enqueues while no indexer runs."""
        while True:
            try:
                await self.step()
            except Exception:
                log.exception("could not look at the index jobs; trying again")
            await asyncio.sleep(POLL_SECONDS * 2)

    async def step(self) -> None:
        """Start a child indexer when a job is pending, none runs, and no indexer holds the lock."""
        async with self._stepping:  # the bot's loop and a waiting admin may both look
            if self._child is not None and not self._child.done():
                return
            store = await self.jobs()
            latest = await store.jobs.recent_jobs(1)
            if not latest or latest[0].finished:
                return
            assert self._lock is not None
            if latest[0].status == "pending" and await self._lock.holder() is None:
                self._child = asyncio.create_task(self._run_child(latest[0].id))
            elif latest[0].status == "running":
                await fail_orphans(store, self._lock, latest)

    async def index(self, paths: Sequence[Path]) -> IndexReport:
        """Index a few files or folders now (a feed's downloads, an upload), after any child run
        this process started; in threads, since starting worker processes would take longer."""
        async with self._direct:
            writer = await open_store(self.database)
            try:
                return await index_paths(writer, paths, workers=0)
            finally:
                await writer.close()

    async def _fail_orphans(self) -> None:
        store = await self.jobs()
        assert self._lock is not None
        await fail_orphans(store, self._lock, [j for j in await store.jobs.recent_jobs(1) if j.status == "running"])

    async def _run_child(self, job_id: int) -> None:
        """`rewind indexer --once` over this bot's folders, its log relayed into ours; a child that
        dies leaves its job failed with the reason."""
        async with self._direct:
            process = await asyncio.create_subprocess_exec(
                *child_command(self.database, self.folders),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "INDEX_WORKERS": str(self.workers)},
            )
            with contextlib.suppress(OSError):  # background work: the bot's searches come first for the CPU
                os.setpriority(os.PRIO_PROCESS, process.pid, CHILD_NICENESS)
            tail: collections.deque[str] = collections.deque(maxlen=3)
            try:
                await _relay(process, tail)
                code = await process.wait()
            except asyncio.CancelledError:
                await _stop(process)
                raise
        if code != EXIT_LOCKED:
            await self._after_child(job_id, process.pid, code, tail)

    async def _after_child(self, job_id: int, pid: int, code: int, tail: Sequence[str]) -> None:
        store = await self.jobs()
        job = await store.jobs.job(job_id)
        if job is None or job.finished:
            return
        reason = exit_reason(pid, code, tail)
        if job.status == "running" and job.runner == runner_name(pid):
            await store.jobs.fail_jobs([job.id], reason)
        elif job.status == "pending" and code != 0:  # it never got as far as claiming the job
            claimed = await store.jobs.claim_job(runner_name())
            if claimed is not None:
                await store.jobs.finish_job(claimed.id, reason, None)
        log.error("index job %d failed: %s", job.id, reason)


def child_command(database: Path | str, folders: Sequence[Path]) -> list[str]:
    """The command line of a child indexer that runs the pending jobs over `folders`."""
    return [sys.executable, "-m", "bot", "indexer", "--once", "--db", str(database), *map(str, folders)]


def exit_reason(pid: int, code: int, tail: Sequence[str]) -> str:
    """Why a child indexer's job did not finish, in a line an admin can act on."""
    if code < 0:
        how = f"was killed by {signal.Signals(-code).name}"
    else:
        how = f"stopped with exit code {code}" + (f": {tail[-1]}" if tail else "")
    return f"the indexing process {pid} {how}; each file keeps its previous or its new version"


async def _relay(process: Any, tail: collections.deque[str]) -> None:
    """The child's log lines into this process's log, the last few kept for a failure's reason."""
    assert process.stderr is not None
    async for raw in process.stderr:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            tail.append(line[-300:])
            log.info("indexer (pid %d): %s", process.pid, line)


async def _stop(process: Any) -> None:
    """Ask a child indexer to stop (it marks its job stopped), killing it if it does not."""
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
