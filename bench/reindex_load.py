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
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_catalogue import generate_catalogue  # noqa: E402

from bot.config import default_workers  # noqa: E402
from bot.ingest.indexer import IndexReport, index_paths  # noqa: E402
from bot.reindex import Reindexer  # noqa: E402
from bot.search.engine import Searcher  # noqa: E402
from bot.search.query import QueryError  # noqa: E402
from storage import Store  # noqa: E402

SHARED = REPO.parent / "shared"
TICK = 0.01
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
    """Spans of real lines, a few words each, as members would type them."""
    rows = await store._db.execute_fetchall(  # a bench may peek: the store has no sampling query
        "SELECT text FROM segments WHERE length(text) > 60 ORDER BY random() LIMIT ?", (count,)
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
        began = time.perf_counter()
        try:
            await searcher.search(query, limit=10)
        except QueryError:
            out["refused"] += 1
        except Exception as error:  # what a member would see as a failure
            out["errors"].append(repr(error))
        out["latencies"].append(time.perf_counter() - began)
        if pause:
            await asyncio.sleep(pause)


async def full_reindex(mode: str, database: Path, folders: list[Path], workers: int) -> IndexReport:
    """Every file parsed and written again: in a child process as the bot does, or in this one."""
    if mode == "child":
        reindexer = Reindexer(database, folders, workers)
        try:
            return await reindexer.run(full=True, requested_by="bench")
        finally:
            await reindexer.close()
    writer = await Store.open(database)
    try:
        return await index_paths(writer, folders, workers=workers, full=True)
    finally:
        await writer.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds-between", type=float, default=0.0, help="pause between one member's searches")
    parser.add_argument("--members", type=int, default=4, help="members searching at once")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--segments", type=int, help="a generated catalogue of this many segments, not ../shared")
    parser.add_argument("--cache", type=Path, help="keep the generated catalogue and its first index here")
    parser.add_argument("--seconds", type=float, help="measure this long into the reindex, then stop it")
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
        searcher = Searcher(store)
        queries = await sample_queries(store, 300, random.Random(7))
        for query in queries[:20]:  # warm the vocabulary as a running bot has
            with contextlib.suppress(QueryError):  # a sampled span of only common words
                await searcher.search(query)

        stop = asyncio.Event()
        lags: list[float] = []
        results = {"latencies": [], "errors": [], "refused": 0}
        baseline = {"latencies": [], "errors": [], "refused": 0}
        calm = asyncio.Event()
        calm_tasks = [asyncio.create_task(search_loop(searcher, queries, calm, args.seconds_between, baseline))]
        await asyncio.sleep(5)
        calm.set()
        await asyncio.gather(*calm_tasks)

        pauses: list[float] = []
        watch_collections(pauses)
        ticker = asyncio.create_task(measure_lag(stop, lags))
        members = [
            asyncio.create_task(search_loop(searcher, queries[i :: args.members], stop, args.seconds_between, results))
            for i in range(args.members)
        ]
        load_before = os.getloadavg()
        began = time.perf_counter()
        reindex = asyncio.create_task(full_reindex(args.mode, database, folders, args.workers))
        await asyncio.wait({reindex}, timeout=args.seconds)
        reindex_seconds = time.perf_counter() - began
        if not reindex.done():  # measured long enough: stop it (the child is asked to stop)
            reindex.cancel()
        report = (await asyncio.gather(reindex, return_exceptions=True))[0]
        stop.set()
        await asyncio.gather(ticker, *members)
        await store.close()

    def line(name: str, data: dict, seconds: float) -> str:
        ms = [1000 * v for v in data["latencies"]]
        return (
            f"{name}: {len(ms)} searches in {seconds:.1f} s = {len(ms) / seconds:.0f}/s; "
            f"p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms; "
            f"errors {len(data['errors'])}, refused (too common) {data['refused']}"
        )

    if isinstance(report, IndexReport):
        done = f"{report.files} files, {report.segments} segments"
        print(f"full reindex ({args.mode}): {done} in {reindex_seconds:.1f} s")
    else:
        print(f"full reindex ({args.mode}): measured for its first {reindex_seconds:.1f} s, then stopped")
    print(
        "load average before / after: {:.2f} {:.2f} {:.2f} / {:.2f} {:.2f} {:.2f}".format(
            *load_before, *os.getloadavg()
        )
    )
    print(line("searches, idle index (1 member)", baseline, 5.0))
    print(line(f"searches during the reindex ({args.members} members)", results, reindex_seconds))
    lag_ms = [1000 * v for v in lags]
    p50, p99 = percentile(lag_ms, 0.5), percentile(lag_ms, 0.99)
    print(f"event-loop lag during the reindex: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(lag_ms):.1f} ms")
    longest = max(pauses, default=0.0) * 1000
    print(f"full garbage collections during the reindex: {len(pauses)}, longest {longest:.0f} ms")
    if results["errors"]:
        print("first errors:", results["errors"][:3])


if __name__ == "__main__":
    asyncio.run(main())
