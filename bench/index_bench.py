"""Indexing throughput: Rewind's `index` against a bare sqlite3 bulk insert into a plain FTS5 table.

    python bench/index_bench.py [--episodes 450] [--segments-per-episode 2250] [--skip-corpus]

Prints segments per second for the shared corpus (when ../shared is present) and for a generated
catalogue, each beside the bare insert of the very same segment texts, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_catalogue import generate_catalogue  # noqa: E402

from bot.config import default_workers  # noqa: E402
from bot.ingest.indexer import index_paths  # noqa: E402
from storage import Store  # noqa: E402

SHARED = REPO.parent / "shared"


async def rewind_index(paths: list[Path], db: Path, workers: int) -> tuple[int, float, float]:
    store = await Store.open(db)
    try:
        started = time.perf_counter()
        report = await index_paths(store, paths, workers=workers)
        return report.segments, time.perf_counter() - started, report.store_seconds
    finally:
        await store.close()


def bare_insert(source_db: Path, target: Path) -> tuple[int, float]:
    """Bulk insert the same segment texts into a plain FTS5 table, the fastest sqlite3 way."""
    with sqlite3.connect(source_db) as source:
        texts = [(text,) for (text,) in source.execute("SELECT text FROM segments ORDER BY id")]
    connection = sqlite3.connect(target, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("CREATE VIRTUAL TABLE plain USING fts5(text, tokenize='unicode61 remove_diacritics 2')")
    started = time.perf_counter()
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO plain (text) VALUES (?)", texts)
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return len(texts), elapsed


def report(label: str, rewind: tuple[int, float, float], bare: tuple[int, float]) -> None:
    segments, seconds, store_seconds = rewind
    rewind_rate, store_rate, bare_rate = segments / seconds, segments / store_seconds, bare[0] / bare[1]
    print(f"{label}: {segments:,} segments")
    print(f"  rewind index : {seconds:8.2f} s  {rewind_rate:12,.0f} segments/s (read + parse + store + FTS)")
    print(f"  of it, store : {store_seconds:8.2f} s  {store_rate:12,.0f} segments/s (rows + FTS + relink + optimize)")
    print(f"  bare insert  : {bare[1]:8.2f} s  {bare_rate:12,.0f} segments/s (plain FTS5 executemany)")
    print(f"  ratio        : {bare_rate / rewind_rate:8.2f}x end to end, {bare_rate / store_rate:.2f}x for the store")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=450)
    parser.add_argument("--segments-per-episode", type=int, default=2250)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--skip-corpus", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if not args.skip_corpus and (SHARED / "corpus").is_dir():
            db = work / "corpus.db"
            rewind = asyncio.run(rewind_index([SHARED / "seeds", SHARED / "corpus"], db, args.workers))
            report("shared seeds + corpus", rewind, bare_insert(db, work / "corpus-bare.db"))
        catalogue = work / "catalogue"
        catalogue.mkdir()
        generate_catalogue(catalogue, args.episodes, args.segments_per_episode)
        db = work / "catalogue.db"
        rewind = asyncio.run(rewind_index([catalogue], db, args.workers))
        report(f"generated catalogue ({args.episodes} episodes)", rewind, bare_insert(db, work / "catalogue-bare.db"))


if __name__ == "__main__":
    main()
