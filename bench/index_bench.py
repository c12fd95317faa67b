"""Indexing throughput and memory: Rewind's `index` against a bare sqlite3 bulk insert into a plain FTS5 table.

    python bench/index_bench.py [--segments 1000000 | 3000000 | --episodes 450] [--segments-per-episode 2250]
                                [--skip-corpus] [--cache DIR]

Prints segments per second for the shared corpus (when ../shared is present) and for a generated
catalogue, each beside its anchor: the bare insert of the very same segment texts into a plain
FTS5 table with the same pragmas, measured in the same run, with the load average beside them (on
a shared machine only ratios from one run compare), and the CPU seconds of each side: Rewind's
database thread, the rest of its process, its parse workers. Linux shares a busy machine's cores
between sessions, not threads (autogroup scheduling): on a loaded machine the wall ratio tends to
the CPU ratio, while on idle cores the parse workers run beside the writer. Then the indexing process's resident memory
per phase: while parsing and writing (at every 250,000 segments written, to show whether it grows
with the catalogue), while relinking, and while merging the FTS index. With --cache the generated
catalogue's files are kept in (and read again from) DIR/index-catalogue-N/. Search by meaning is
off unless --with-meaning (its embedding costs minutes per 100k segments: see the README); its
time is then printed apart, as it is not part of the literal index that the anchor compares with.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_catalogue import generate_catalogue  # noqa: E402

from bot.config import default_workers  # noqa: E402
from bot.ingest.indexer import IndexReport, index_paths  # noqa: E402
from storage import Store  # noqa: E402

SHARED = REPO.parent / "shared"
MILESTONE = 250_000  # segments written between two memory readings


def thread_cpu_seconds(native_id: int) -> float:
    """CPU seconds (user + system) one thread of this process has used, from /proc."""
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def writer_cpu_seconds() -> float:
    """CPU seconds of the database's thread (aiosqlite runs each connection on its own thread)."""
    return sum(
        thread_cpu_seconds(t.native_id)
        for t in threading.enumerate()
        if "_connection_worker_thread" in t.name and t.native_id is not None
    )


def children_cpu_seconds() -> float:
    """CPU seconds of the finished child processes (the parse workers), once they are joined."""
    while multiprocessing.active_children():  # joins the workers that have exited
        time.sleep(0.05)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    """This process's resident set size now, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class MemoryWatch:
    """Samples this process's RSS every 50 ms; `mark` closes a phase and keeps its peak."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self.phases: list[tuple[str, float, float]] = []  # name, peak in the phase, RSS at its end
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def mark(self, name: str) -> None:
        now = rss_mb()
        self.phases.append((name, max(self.peak, now), now))
        self.peak = now

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    """One `rewind index`: segments, seconds end to end, of them writing, embedding; memory by phase;
    CPU seconds of the database thread, of the whole indexing process and of its parse workers."""

    segments: int
    seconds: float
    store_seconds: float
    embedding_seconds: float
    watch: MemoryWatch
    writer_cpu: float = 0.0
    process_cpu: float = 0.0
    workers_cpu: float = 0.0


async def rewind_index(paths: list[Path], db: Path, workers: int) -> Run:
    store = await Store.open(db)
    watch = MemoryWatch()
    next_mark = MILESTONE
    literal_end: float | None = None  # the FTS merge done: what follows is the embedding

    def progress(done: int, total: int, report: IndexReport) -> None:
        nonlocal next_mark
        while report.segments >= next_mark:
            watch.mark(f"parse + write, {next_mark:,} segments written")
            next_mark += MILESTONE

    async def episode_facts():  # relinking's first read: parsing and writing are done
        watch.mark("the rest of parse + write")
        return await store_episode_facts()

    async def optimize():
        nonlocal literal_end
        watch.mark("relink")
        await store_optimize()
        watch.mark("FTS optimize")
        literal_end = time.perf_counter()

    store_episode_facts, store_optimize = store.episode_facts, store.optimize
    store.episode_facts, store.optimize = episode_facts, optimize
    try:
        started, cpu_before, writer_before = time.perf_counter(), time.process_time(), writer_cpu_seconds()
        workers_before = children_cpu_seconds()
        report = await index_paths(store, paths, workers=workers, progress=progress)
        ended = time.perf_counter()
        literal_end = literal_end or ended
        if ended - literal_end > 0.5:
            watch.mark("embedding")
        run = Run(report.segments, literal_end - started, report.store_seconds, ended - literal_end, watch)
        run.writer_cpu, run.process_cpu = writer_cpu_seconds() - writer_before, time.process_time() - cpu_before
        run.workers_cpu = await asyncio.to_thread(children_cpu_seconds) - workers_before
        return run
    finally:
        watch.stop()
        await store.close()


def bare_insert(source_db: Path, target: Path) -> tuple[int, float, float]:
    """Bulk insert the same segment texts into a plain FTS5 table, the fastest sqlite3 way, with
    the pragmas Rewind's store sets: segments, seconds, CPU seconds."""
    with sqlite3.connect(source_db) as source:
        texts = [(text,) for (text,) in source.execute("SELECT text FROM segments ORDER BY id")]
    connection = sqlite3.connect(target, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA cache_size = -32000")
    connection.execute("CREATE VIRTUAL TABLE plain USING fts5(text, tokenize='unicode61 remove_diacritics 2')")
    started, cpu_before = time.perf_counter(), time.process_time()
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO plain (text) VALUES (?)", texts)
    connection.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    connection.close()
    return len(texts), elapsed, cpu


def report(label: str, run: Run, bare: tuple[int, float, float]) -> None:
    segments, seconds, store_seconds = run.segments, run.seconds, run.store_seconds
    rewind_rate, store_rate, bare_rate = segments / seconds, segments / store_seconds, bare[0] / bare[1]
    print(f"{label}: {segments:,} segments (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  rewind index : {seconds:8.2f} s  {rewind_rate:12,.0f} segments/s (read + parse + store + FTS)")
    print(f"  of it, store : {store_seconds:8.2f} s  {store_rate:12,.0f} segments/s (rows + FTS + relink + optimize)")
    print(f"  bare insert  : {bare[1]:8.2f} s  {bare_rate:12,.0f} segments/s (anchor: plain FTS5 executemany)")
    ratio, store_ratio = rewind_rate / bare_rate, store_rate / bare_rate
    print(f"  rewind / bare: {ratio:8.2f}x end to end (goal: 0.5x or more), {store_ratio:.2f}x the store")
    rest, total = run.process_cpu - run.writer_cpu, run.process_cpu + run.workers_cpu
    print(f"  CPU seconds  : database thread {run.writer_cpu:.2f} + rest of the process {rest:.2f}", end="")
    print(f" + parse workers {run.workers_cpu:.2f} = {total:.2f}; bare insert {bare[2]:.2f}")
    print(f"  CPU, bare / rewind: {bare[2] / total:.2f}x (what the wall ratio tends to when the cores are busy)")
    if run.embedding_seconds > 0.5:
        print(f"  embedding    : {run.embedding_seconds:8.2f} s  after the literal index, not counted above")
    print("  memory of the indexing process (RSS, MB): peak in the phase / at its end")
    for name, peak, end in run.watch.phases:
        print(f"    {name:<62} {peak:7.0f} / {end:7.0f}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  largest parse worker so far: {children:.0f} MB peak")


def catalogue_files(folder: Path, episodes: int, per_episode: int) -> Path:
    """The generated catalogue's folder, written unless a finished one is there."""
    catalogue = folder / f"index-catalogue-{episodes * per_episode}"
    done = catalogue / ".complete"
    if not done.exists():
        catalogue.mkdir(parents=True, exist_ok=True)
        generate_catalogue(catalogue, episodes, per_episode)
        done.write_text("")  # the indexer skips dot files
    return catalogue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=450)
    parser.add_argument("--segments", type=int, help="catalogue size in segments (sets --episodes)")
    parser.add_argument("--segments-per-episode", type=int, default=2250)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--with-meaning", action="store_true", help="embed the passages too (slow)")
    parser.add_argument("--cache", type=Path, help="keep the generated catalogue's files in this folder")
    args = parser.parse_args()
    if not args.with_meaning:
        os.environ["REWIND_SEMANTIC"] = "off"
    episodes = max(1, args.segments // args.segments_per_episode) if args.segments else args.episodes
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if not args.skip_corpus and (SHARED / "corpus").is_dir():
            db = work / "corpus.db"
            rewind = asyncio.run(rewind_index([SHARED / "seeds", SHARED / "corpus"], db, args.workers))
            report("shared seeds + corpus", rewind, bare_insert(db, work / "corpus-bare.db"))
        catalogue = catalogue_files(args.cache or work, episodes, args.segments_per_episode)
        db = work / "catalogue.db"
        rewind = asyncio.run(rewind_index([catalogue], db, args.workers))
        report(f"generated catalogue ({episodes} episodes)", rewind, bare_insert(db, work / "catalogue-bare.db"))


if __name__ == "__main__":
    main()
