"""Searches and the event loop while a full reindex runs, through the bot's own code paths.

    python bench/reindex_load.py [--mode child|inline] [--seconds S] [--seconds-between 0] [--workers N]
                                 [--segments 1000000 [--cache DIR]]

Indexes ../shared/seeds and ../shared/corpus (or, with --segments, a generated catalogue of that
many segments; --cache keeps it and its index between runs), then runs a full reindex (every file parsed and
written again) while, on the same event loop, members keep searching through the bot's `Searcher`
and a ticker measures how late the loop wakes it (what would delay the gateway heartbeat). Prints
searches per second, search latency, errors, the event-loop lag and the load average.

--mode child (the default) runs the reindex as `/admin reindex` does: a job the `Reindexer` runs in
a child process (`rewind indexer --once`). --mode inline runs `index_paths` in this process through
a connection of its own, as the bot did before; alternate the two for a paired comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_catalogue import generate_catalogue  # noqa: E402
from loop_probe import LoopProbe  # noqa: E402

from bot.config import default_workers  # noqa: E402
from bot.ingest.indexer import IndexReport, index_paths  # noqa: E402
from bot.reindex import Reindexer  # noqa: E402
from bot.search.engine import Searcher  # noqa: E402
from bot.search.query import QueryError  # noqa: E402
from models.errors import QueryTimeout  # noqa: E402
from storage import Store  # noqa: E402

SHARED = REPO.parent / "shared"
TICK = 0.01
RELOADS: list[float] = []  # how long each vocabulary snapshot the searcher took lasted
TIMEOUTS: list[float] = []  # when a candidate query was stopped at its time limit


def count_reloads(store: Store) -> None:
    """Time every vocabulary snapshot the searcher reads (each reload after the index changed), and
    count the candidate queries stopped at their time limit."""
    snapshot = store.vocabulary_snapshot

    async def timed() -> tuple[dict[str, int], int]:
        began = time.perf_counter()
        try:
            return await snapshot()
        finally:
            RELOADS.append(time.perf_counter() - began)

    store.vocabulary_snapshot = timed  # type: ignore[method-assign]
    candidates = store.candidates

    async def counted(*args: object, **kwargs: object) -> list:
        try:
            return await candidates(*args, **kwargs)  # type: ignore[arg-type]
        except QueryTimeout:
            TIMEOUTS.append(time.perf_counter())
            raise

    store.candidates = counted  # type: ignore[method-assign]


PER_EPISODE = 2250


async def cached_catalogue(cache: Path, segments: int, workers: int, database: Path) -> Path:
    """A generated catalogue of `segments` in `cache`, indexed once there; its index copied to `database`."""
    folder, indexed = cache / f"catalogue-{segments}", cache / f"catalogue-{segments}.db"
    if not indexed.exists():
        folder.mkdir(parents=True, exist_ok=True)
        generate_catalogue(folder, max(1, segments // PER_EPISODE), PER_EPISODE)
        store = await Store.open(indexed)
        began = time.perf_counter()
        await index_paths(store, [folder], workers=workers)
        await store.close()
        print(f"first index: {time.perf_counter() - began:.1f} s")
    shutil.copyfile(indexed, database)
    return folder


async def sample_queries(store: Store, count: int, rng: random.Random) -> list[str]:
    """Spans of real lines, a few words each, as members would type them: the same ones every run."""
    ((last,),) = await store._db.execute_fetchall("SELECT max(id) FROM segments")  # a bench may peek
    ids = json.dumps([rng.randint(1, last) for _ in range(4 * count)])
    rows = await store._db.execute_fetchall(
        "SELECT text FROM segments WHERE id IN (SELECT value FROM json_each(?)) AND length(text) > 60 "
        "ORDER BY id LIMIT ?",
        (ids, count),
    )
    queries = []
    for (text,) in rows:
        words = text.split()
        start = rng.randrange(max(1, len(words) - 8))
        queries.append(" ".join(words[start : start + rng.randint(4, 8)]))
    return queries


def watch_collections(pauses: list[float]) -> None:
    """Record how long each full (generation 2) garbage collection stops this process."""
    began = 0.0

    def callback(phase: str, info: dict) -> None:
        nonlocal began
        if info["generation"] == 2 and phase == "start":
            began = time.perf_counter()
        elif info["generation"] == 2:
            pauses.append(time.perf_counter() - began)

    gc.callbacks.append(callback)


async def measure_lag(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append(time.perf_counter() - asked - TICK)


async def search_loop(searcher: Searcher, queries: list[str], stop: asyncio.Event, pause: float, out: dict) -> None:
    index = 0
    while not stop.is_set():
        query = queries[index % len(queries)]
        index += 1
        began, kind = time.perf_counter(), "latencies"
        try:
            await searcher.search(query, limit=10)
        except QueryError:  # a member is told the words are too common: an answer too
            kind = "refused"
        except Exception as error:  # what a member would see as a failure
            out["errors"].append(repr(error))
        out[kind].append(time.perf_counter() - began)
        if pause:
            await asyncio.sleep(pause)


async def full_reindex(mode: str, database: Path, folders: list[Path], workers: int, phase: Phase) -> IndexReport:
    """Every file parsed and written again: in a child process as the bot does, or in this one."""
    if mode == "child":
        reindexer = Reindexer(database, folders, workers)
        try:
            return await reindexer.run(full=True, requested_by="bench")
        finally:
            await reindexer.close()
            job = (await reindexer.recent(1))[0]
            phase.progress = f"{job.done} of {job.total} files"
            await reindexer.close()
    writer = await Store.open(database)
    try:
        return await index_paths(writer, folders, workers=workers, full=True)
    finally:
        await writer.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


@dataclass
class Phase:
    """Searches and the loop's lag over one stretch: the baseline, or the reindex."""

    seconds: float = 0.0
    load_before: str = ""
    load_after: str = ""
    report: object = None
    results: dict = field(default_factory=lambda: {"latencies": [], "refused": [], "errors": []})
    lags: list[float] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)
    probe: LoopProbe | None = None
    progress: str = ""
    cpu: float = 0.0  # this process's CPU seconds (the bot's side)
    reloads: list[float] = field(default_factory=list)
    timeouts: int = 0
    wal_mb: float = 0.0  # the write-ahead log's size at the end

    def lines(self, explain: bool) -> list[str]:
        answered = [1000 * v for v in self.results["latencies"]]
        refused = [1000 * v for v in self.results["refused"]]
        ms = answered + refused
        lag = [1000 * v for v in self.lags]
        lines = [
            f"this process's CPU: {self.cpu:.1f} s ({100 * self.cpu / self.seconds:.0f}% of a core)",
            f"searches: {len(ms)} in {self.seconds:.1f} s = {len(ms) / self.seconds:.0f}/s; "
            f"p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms; "
            f"errors {len(self.results['errors'])}, refused (too common) {len(refused)}",
            f"answered: p50 {percentile(answered, 0.5):.1f} ms, p99 {percentile(answered, 0.99):.1f} ms, "
            f"max {max(answered):.1f} ms; refused: p50 {percentile(refused, 0.5):.1f} ms, "
            f"max {max(refused, default=0):.1f} ms",
            f"event-loop lag: p50 {percentile(lag, 0.5):.1f} ms, p99 {percentile(lag, 0.99):.1f} ms, "
            f"max {max(lag):.1f} ms; over 50 ms: {sum(v > 50 for v in lag)}, over 100 ms: {sum(v > 100 for v in lag)}",
            f"full garbage collections: {len(self.pauses)}, longest {1000 * max(self.pauses, default=0.0):.0f} ms; "
            f"vocabulary reloads: {len(self.reloads)}, longest snapshot {max(self.reloads, default=0.0):.1f} s; "
            f"write-ahead log at the end: {self.wal_mb:.0f} MB; candidate queries stopped at their time limit: "
            f"{self.timeouts}",
        ]
        if self.results["errors"]:
            lines.append(f"first errors: {self.results['errors'][:3]}")
        if explain and self.probe is not None:
            lines += self.probe.report()
        return lines


def load_average() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


async def measure(searcher: Searcher, queries: list[str], args: argparse.Namespace, reindex: tuple | None) -> Phase:
    """Members searching and the loop's lag, for --baseline-seconds with no reindex, or while one runs."""
    phase = Phase(load_before=load_average())
    stop = asyncio.Event()
    watch_collections(phase.pauses)
    if args.explain:
        phase.probe = LoopProbe(TICK, 0.05)
        phase.lags = phase.probe.lags
        ticker = asyncio.create_task(phase.probe.run(stop))
    else:
        ticker = asyncio.create_task(measure_lag(stop, phase.lags))
    pause, count = args.seconds_between, args.members
    members = [
        asyncio.create_task(search_loop(searcher, queries[i::count], stop, pause, phase.results)) for i in range(count)
    ]
    began, cpu, reloads, timeouts = time.perf_counter(), time.process_time(), len(RELOADS), len(TIMEOUTS)
    if reindex is None:
        await asyncio.sleep(args.baseline_seconds)
    else:
        task = asyncio.create_task(full_reindex(args.mode, *reindex, args.workers, phase))
        await asyncio.wait({task}, timeout=args.seconds)
        if not task.done():  # measured long enough: stop it (the child is asked to stop)
            task.cancel()
        phase.report = (await asyncio.gather(task, return_exceptions=True))[0]
    phase.seconds, phase.cpu = time.perf_counter() - began, time.process_time() - cpu
    phase.reloads, phase.timeouts = RELOADS[reloads:], len(TIMEOUTS) - timeouts
    wal = searcher.store.path.with_name(searcher.store.path.name + "-wal")
    phase.wal_mb = wal.stat().st_size / 1e6 if wal.exists() else 0.0
    phase.load_after = load_average()
    stop.set()
    await asyncio.gather(ticker, *members)
    gc.callbacks.clear()
    return phase


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds-between", type=float, default=0.0, help="pause between one member's searches")
    parser.add_argument("--members", type=int, default=4, help="members searching at once")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--segments", type=int, help="a generated catalogue of this many segments, not ../shared")
    parser.add_argument("--cache", type=Path, help="keep the generated catalogue and its first index here")
    parser.add_argument("--seconds", type=float, help="measure this long into the reindex, then stop it")
    parser.add_argument("--baseline-seconds", type=float, default=20.0, help="the same searches with no reindex first")
    parser.add_argument("--explain", action="store_true", help="say where each late wake-up of the loop went")
    parser.add_argument("--mode", choices=("child", "inline"), default="child", help="where the reindex runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "rewind.db"
        folders = [SHARED / "seeds", SHARED / "corpus"]
        if args.segments:
            folders = [await cached_catalogue(args.cache or Path(scratch), args.segments, args.workers, database)]
        store = await Store.open(database)
        if not args.segments:
            began = time.perf_counter()
            await index_paths(store, folders, workers=args.workers)
            print(f"first index: {time.perf_counter() - began:.1f} s")
        count_reloads(store)
        searcher = Searcher(store)
        queries = await sample_queries(store, 300, random.Random(7))
        for query in queries[:20]:  # warm the vocabulary as a running bot has
            with contextlib.suppress(QueryError):  # a sampled span of only common words
                await searcher.search(query)

        baseline = await measure(searcher, queries, args, None)
        during = await measure(searcher, queries, args, (database, folders))
        after = await measure(searcher, queries, args, None)
        await store.close()

    print(f"load average before the baseline: {baseline.load_before}")
    if isinstance(during.report, IndexReport):
        done = f"{during.report.files} files, {during.report.segments} segments"
        print(f"full reindex ({args.mode}): {done} in {during.seconds:.1f} s")
    else:
        done = f" ({during.progress} done)" if during.progress else ""
        print(f"full reindex ({args.mode}): measured for its first {during.seconds:.1f} s{done}, then stopped")
    print(f"load average before / after the reindex: {during.load_before} / {during.load_after}")
    print(f"load average after: {after.load_after}")
    phases = (("no reindex, before (baseline)", baseline), ("during the reindex", during), ("no reindex, after", after))
    for name, phase in phases:
        print(f"{name}, {args.members} members:")
        for text in phase.lines(args.explain):
            print("  " + text)


if __name__ == "__main__":
    asyncio.run(main())
