"""Index jobs: one open job however many ask, one indexer per database, and a dead indexer's job
failed with its reason while the previous index keeps serving."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.jobs import report_of
from bot.reindex import EXIT_LOCKED, ReindexBusy, Reindexer
from bot.search.engine import Searcher
from storage import Store
from storage.locks import indexer_lock
from storage.opening import open_store
from storage.postgres import PostgresStore
from tests.conftest import REPO, SAMPLE, fresh_database, write

AnyStore = Store | PostgresStore
DEADLINE = 60.0


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Path | str]:
    """A migrated, empty database on each backend: its path or URL."""
    if request.param == "sqlite":
        target: Path | str = tmp_path / "rewind.db"
        await (await Store.open(target)).close()
        yield target
        return
    async with fresh_database(request.getfixturevalue("postgres")) as url:
        await (await PostgresStore.open(url)).close()
        yield url


async def until(condition, what: str) -> None:
    """Poll `condition` until it holds, failing with `what` past the deadline."""
    deadline = time.monotonic() + DEADLINE
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def indexer(database: Path | str, *paths: Path, once: bool = False) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "bot", "indexer", "--db", str(database), *map(str, paths)]
    env = {**os.environ, "INDEX_WORKERS": "1", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        command + (["--once"] if once else []), cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


async def test_two_connections_asking_at_once_make_one_job(database: Path | str) -> None:
    first, second = await open_store(database), await open_store(database)
    try:
        for _ in range(5):
            asked = await asyncio.gather(
                first.jobs.enqueue("full", "ana"),
                second.jobs.enqueue("incremental", "ben"),
                first.jobs.enqueue("full", "cy"),
            )
            assert [made for _, made in asked].count(True) <= 1
            assert len({job.id for job, _ in asked}) == 1
            job = asked[0][0]
            claimed = await second.jobs.claim_job("pid 1 on here")
            assert claimed is not None and claimed.id == job.id and claimed.status == "running"
            assert await first.jobs.claim_job("pid 2 on here") is None
            again, made = await first.jobs.enqueue("full", "dee")
            assert (again.id, made) == (job.id, False)  # running: nothing new
            await second.jobs.finish_job(job.id, None, None)
        assert len(await first.jobs.recent_jobs(10)) == 5
        assert all(job.status == "done" for job in await second.jobs.recent_jobs(10))
    finally:
        await first.close()
        await second.close()


async def test_a_second_indexer_exits_at_once_saying_so_and_the_first_runs_the_jobs(
    database: Path | str, tmp_path: Path
) -> None:
    folder = tmp_path / "show"
    write(folder, "ep1.txt", "00:01 Ana: The lighthouse keeper counted every wave twice.\n\n00:09 Ben: And then?\n")
    store = await open_store(database)
    first = indexer(database, folder)
    try:
        lock = indexer_lock(store)

        async def held() -> bool:
            return await lock.holder() is not None

        await until(held, "the first indexer to take the lock")
        second = indexer(database, folder, once=True)
        _, err = second.communicate(timeout=DEADLINE)
        assert second.returncode == EXIT_LOCKED
        assert err.strip().splitlines() == [err.strip()]  # one line
        assert err.startswith("rewind: another indexer is already running on this database (")

        job, made = await store.jobs.enqueue("incremental", "test")
        assert made

        async def finished() -> bool:
            row = await store.jobs.job(job.id)
            return row is not None and row.finished

        await until(finished, "the running indexer to finish the job")
        done = await store.jobs.job(job.id)
        assert done is not None and done.status == "done" and done.runner == f"pid {first.pid} on {os.uname()[1]}"
        report = report_of(done)
        assert report is not None and report.indexed == 1
        hits = await Searcher(store, embedder=None).search("the lighthouse keeper counted every wave")
        assert hits and hits[0].title
    finally:
        first.send_signal(signal.SIGTERM)
        out, _ = first.communicate(timeout=DEADLINE)
        await store.close()
    assert first.returncode == 0
    assert out.startswith(f"job {job.id} (incremental, asked by test) done: 1 files")


async def test_a_killed_indexing_child_fails_its_job_and_the_previous_index_keeps_serving(tmp_path: Path) -> None:
    folder, database = tmp_path / "show", tmp_path / "rewind.db"
    for number in range(12):
        lines = [f"{i // 60:02}:{i % 60:02} Line {i} of episode {number} tells of oldword{i % 5}." for i in range(1200)]
        write(folder, f"{number:02}-episode.txt", "\n\n".join(lines))
    reindexer = Reindexer(database, [folder], workers=1)
    watcher = await Store.open(database)
    try:
        await reindexer.run()
        job, made = await reindexer.enqueue(full=True, requested_by="test")
        assert made
        waited = asyncio.create_task(reindexer.wait(job.id))

        async def running() -> bool:
            row = await watcher.jobs.job(job.id)
            return row is not None and (row.status == "running" or row.finished)

        await until(running, "the child to claim the job")
        row = await watcher.jobs.job(job.id)
        assert row is not None and row.status == "running", "the reindex finished before it could be killed"
        os.kill(int(row.runner.split()[1]), signal.SIGKILL)
        failed = await asyncio.wait_for(waited, DEADLINE)
        assert failed.status == "failed"
        assert "was killed by SIGKILL" in failed.error
        hits = await Searcher(watcher, embedder=None).search("line 7 of episode 3 tells of oldword2")
        assert hits and hits[0].text.startswith("Line 7 of episode 3")
        again, made = await reindexer.enqueue(full=False, requested_by="test")  # the failed job blocks nothing
        assert made and again.id != job.id
    finally:
        await watcher.close()
        await reindexer.close()


async def test_a_second_reindex_while_one_is_open_is_refused_and_later_runs(tmp_path: Path) -> None:
    reindexer = Reindexer(tmp_path / "r.db", [SAMPLE], workers=1)
    try:
        outcomes = await asyncio.gather(reindexer.run(), reindexer.run(full=True), return_exceptions=True)
        busy = [o for o in outcomes if isinstance(o, ReindexBusy)]
        reports = [o for o in outcomes if not isinstance(o, BaseException)]
        assert len(busy) == 1 and "already" in str(busy[0])
        assert len(reports) == 1 and reports[0].indexed == 3
        assert (await reindexer.run()).unchanged == 3  # and afterwards it runs again
    finally:
        await reindexer.close()
