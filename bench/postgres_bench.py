"""Both stores in one run: the same catalogue in SQLite and in PostgreSQL, the same quotes searched
through Rewind's own Searcher on each, interleaved query by query.

    python bench/postgres_bench.py [--segments 200000] [--queries 200] [--db FILE] [--postgres URL]

Builds (or reuses --db) a generated SQLite catalogue, copies it into a new PostgreSQL database with
`rewind migrate`'s copier (its rate is printed), then for exact, dropped-word and misspelt quotes
prints p50/p99, recall@1/@5 and hit@10 on each store, searches per second with 8 concurrent clients, and
the rate of indexing new files into an empty and into each live index. The PostgreSQL server is --postgres (an admin
URL; the bench makes and drops its own database there) or a throwaway one started by
tests/postgres_server.sh. Anchor (issue 20, 1.14M segments): PostgreSQL at 0.40x SQLite's exact p50
and 0.51x its p99, 0.45-0.47x for dropped and misspelt words, hit@10 within 0.02.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_catalogue import generate_catalogue  # noqa: E402
from search_eval import DISTORTIONS, _correct, sample_quotes  # noqa: E402

from bot.config import default_workers  # noqa: E402
from bot.ingest.indexer import index_paths  # noqa: E402
from bot.search.engine import Searcher  # noqa: E402
from bot.search.query import QueryError  # noqa: E402
from models.text import tokens  # noqa: E402
from storage import Store  # noqa: E402
from storage.postgres import PostgresStore  # noqa: E402
from storage.postgres.copy import copy_sqlite_into  # noqa: E402
from tests.scratch_database import fresh_database  # noqa: E402

PER_EPISODE = 500
SHAPES = {"exact": None, "drop a word": DISTORTIONS["drop a word"], "misspell one": DISTORTIONS["misspell one"]}
CLIENTS = 8


@contextlib.asynccontextmanager
async def server(given: str | None) -> AsyncIterator[str]:
    """An admin URL: --postgres, or a throwaway server for this run."""
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="rewind-pg-") as folder:
        script = str(REPO / "tests" / "postgres_server.sh")
        started = await asyncio.to_thread(
            subprocess.run, ["bash", script, "start", folder], capture_output=True, text=True, check=False
        )
        if started.returncode != 0:
            raise SystemExit(f"postgres_bench: no PostgreSQL: {started.stderr.strip()} (pass --postgres URL)")
        try:
            yield started.stdout.strip()
        finally:
            await asyncio.to_thread(subprocess.run, ["bash", script, "stop", folder], check=False)


def ms(latencies: list[float], q: float) -> float:
    return 1000 * statistics.quantiles(latencies, n=100)[int(q) - 1] if len(latencies) > 1 else 1000 * latencies[0]


async def timed_search(searcher: Searcher, query: str) -> tuple[float, list]:
    started = time.perf_counter()
    try:
        hits = await searcher.search(query, limit=10)
    except QueryError:
        hits = []
    return time.perf_counter() - started, hits


async def compare(searchers: dict[str, Searcher], quotes: list[tuple[int, int, str]], seed: int) -> None:
    rng = random.Random(seed)
    print(f"{'shape':<14} {'store':<11} {'p50 ms':>8} {'p99 ms':>8} {'recall@1':>9} {'recall@5':>9} {'hit@10':>7}")
    for shape, distort in SHAPES.items():
        queries = [(s, e, q if distort is None else " ".join(distort(tokens(q), rng)), q) for s, e, q in quotes]
        latencies: dict[str, list[float]] = {name: [] for name in searchers}
        right: dict[str, list[tuple[bool, bool, bool]]] = {name: [] for name in searchers}
        for turn, (segment_id, episode_id, query, original) in enumerate(queries):
            order = list(searchers) if turn % 2 == 0 else list(reversed(searchers))  # interleaved, alternating
            for name in order:
                seconds, hits = await timed_search(searchers[name], query)
                latencies[name].append(seconds)
                at1, at5 = _correct(hits, segment_id, episode_id, original)
                at10 = at5 or _correct(hits[5:], segment_id, episode_id, original)[1]  # hits 6-10
                right[name].append((at1, at5, at10))
        for name in searchers:
            at1 = sum(r[0] for r in right[name]) / len(queries)
            at5 = sum(r[1] for r in right[name]) / len(queries)
            at10 = sum(r[2] for r in right[name]) / len(queries)
            p50, p99 = ms(latencies[name], 50), ms(latencies[name], 99)
            print(f"{shape:<14} {name:<11} {p50:>8.1f} {p99:>8.1f} {at1:>9.3f} {at5:>9.3f} {at10:>7.3f}")


async def throughput(searcher: Searcher, queries: list[str]) -> float:
    """Searches per second with CLIENTS concurrent clients, each going through every query."""
    started = time.perf_counter()
    await asyncio.gather(*(asyncio.gather(*(timed_search(searcher, q) for q in queries)) for _ in range(CLIENTS)))
    return CLIENTS * len(queries) / (time.perf_counter() - started)


async def index_into_empty(admin: str, folder: Path, db: Path) -> None:
    """`rewind index`'s rate for `folder` into an empty index on each engine."""
    async with fresh_database(admin, "rewind_bench_empty") as url:
        for name, store in (("sqlite", await Store.open(db)), ("postgresql", await PostgresStore.open(url))):
            try:
                report = await index_paths(store, [folder], workers=default_workers())
            finally:
                await store.close()
            rate = report.segments / report.seconds
            print(f"{name}: indexed {report.segments:,} segments into an empty index at {rate:,.0f}/s")


async def run(args: argparse.Namespace, work: Path) -> None:
    db = args.db or work / "bench.db"
    if not db.exists():
        folder = work / "catalogue"
        folder.mkdir()
        generate_catalogue(folder, max(1, args.segments // PER_EPISODE), PER_EPISODE)
        sqlite = await Store.open(db)
        report = await index_paths(sqlite, [folder], workers=default_workers())
        rate = report.segments / report.seconds
        print(f"sqlite: indexed {report.segments:,} segments into an empty index at {rate:,.0f}/s")
        await sqlite.close()
    async with server(args.postgres) as admin, fresh_database(admin, "rewind_bench") as url:
        sqlite, postgresql = await Store.open(db), await PostgresStore.open(url)
        try:
            started = time.perf_counter()
            copied = await copy_sqlite_into(db, postgresql)
            seconds = time.perf_counter() - started
            rate = copied["segments"] / seconds
            print(f"postgresql: copied {copied['segments']:,} segments into an empty index at {rate:,.0f}/s")
            searchers = {"sqlite": Searcher(sqlite, embedder=None), "postgresql": Searcher(postgresql, embedder=None)}
            quotes = await sample_quotes(sqlite, args.queries, random.Random(args.seed))
            await compare(searchers, quotes, args.seed)
            some = [q for _, _, q in quotes[:25]]
            for name, searcher in searchers.items():
                print(f"{name}: {await throughput(searcher, some):.1f} searches/s with {CLIENTS} concurrent clients")
            extra = work / "new"
            extra.mkdir()
            generate_catalogue(extra, max(1, args.live // PER_EPISODE), PER_EPISODE, seed=11)
            await index_into_empty(admin, extra, work / "empty.db")
            for name, store in (("sqlite", sqlite), ("postgresql", postgresql)):
                report = await index_paths(store, [extra], workers=default_workers())
                rate = report.segments / report.seconds
                print(f"{name}: indexed {report.segments:,} new segments into the live index at {rate:,.0f}/s")
        finally:
            await sqlite.close()
            await postgresql.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--live", type=int, default=20_000, help="segments indexed into each live index")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--db", type=Path, help="reuse this SQLite catalogue (built there when missing)")
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server (default: start a throwaway one)")
    args = parser.parse_args()
    os.environ.setdefault("REWIND_SEMANTIC", "off")
    with tempfile.TemporaryDirectory() as work:
        asyncio.run(run(args, Path(work)))


if __name__ == "__main__":
    main()
