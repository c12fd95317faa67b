"""Quote-search speed on a large generated catalogue, through aiosqlite as the bot uses it.

    python bench/search_bench.py [--segments 1000000] [--queries 300] [--db FILE]

Builds the catalogue with Rewind's own indexer (or reuses --db), then times each query shape,
Rewind's search beside a bare FTS5 query of the same words (all words ANDed, bm25, LIMIT 5),
and prints p50/p99/max per shape and the process's memory; then `/quote random`'s latency, unfiltered
and for one show.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_catalogue import generate_catalogue  # noqa: E402
from search_eval import DISTORTIONS  # noqa: E402

from bot.config import default_workers  # noqa: E402
from bot.ingest.indexer import index_paths  # noqa: E402
from bot.search.engine import Searcher  # noqa: E402
from bot.search.query import QueryError, SearchFilters, parse_query  # noqa: E402
from bot.search.text import tokens  # noqa: E402
from storage import SegmentFilter, Store  # noqa: E402

PER_EPISODE = 2250


def rss_mb() -> float:
    """The current resident set size, from /proc (peak from getrusage where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def query_shapes(store: Store, count: int, rng: random.Random) -> dict[str, list[str]]:
    lines = []
    while len(lines) <= count:
        lines += [c.text for c in await store.random_candidates(SegmentFilter(), 50, rng.random())]
    spans = []
    for text in lines[:count]:
        words = text.split()
        size = min(len(words), rng.randint(6, 14))
        start = rng.randrange(len(words) - size + 1)
        spans.append(words[start : start + size])
    combined = DISTORTIONS["drop + swap + misspell"]
    vocabulary = sorted({w for line in lines for w in tokens(line)})
    common = ["the", "and", "of", "to", "a", "in", "that", "is", "it", "you", "for", "was", "on", "are"]
    return {
        "exact quote": [" ".join(s) for s in spans],
        "distorted quote": [" ".join(combined(tokens(" ".join(s)), rng)) for s in spans],
        "common words only": [" ".join(rng.sample(common, rng.randint(2, 6))) for _ in range(count)],
        "long phrase (30-40 words)": [" ".join((lines[i] + " " + lines[i + 1]).split()[:40]) for i in range(count)],
        "prefixes": [" ".join(w[: max(3, len(w) // 2)] for w in rng.sample(vocabulary, 3)) for _ in range(count)],
    }


async def timed(call, queries: list[str]) -> list[float]:
    latencies = []
    for query in queries:
        started = time.perf_counter()
        with contextlib.suppress(QueryError):
            await call(query)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def summary(latencies: list[float]) -> str:
    p99 = statistics.quantiles(latencies, n=100)[98]
    return f"{statistics.median(latencies):7.2f} {p99:7.2f} {max(latencies):7.2f}"


async def run(db: Path, queries: int, seed: int) -> None:
    store = await Store.open(db)
    try:
        searcher = Searcher(store)
        started = time.perf_counter()
        vocabulary = await searcher.vocabulary()
        print(
            f"{vocabulary.segments:,} segments, {len(vocabulary):,} terms; vocabulary loaded in "
            f"{time.perf_counter() - started:.2f} s; memory {rss_mb():.0f} MB"
        )
        shapes = await query_shapes(store, queries, random.Random(seed))

        async def bare(query: str) -> None:
            await store.candidates(parse_query(query).fts_expression(), SegmentFilter(), 5, time_limit=5.0)

        ours = {name: await timed(lambda q: searcher.search(q, limit=5), texts) for name, texts in shapes.items()}
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"memory after Rewind's queries: {rss_mb():.0f} MB (peak so far {peak:.0f} MB)")
        rng = random.Random(seed)
        randoms = await timed(lambda _: searcher.random_quote(rng=rng), [""] * queries)
        shown = await store.show_titles()
        show = SearchFilters(show=shown[0][1]) if shown else SearchFilters()
        by_show = await timed(lambda _: searcher.random_quote(show, rng=rng), [""] * queries)
        theirs = {name: await timed(bare, texts) for name, texts in shapes.items()}
        print(f"{'shape':<26} {'rewind p50/p99/max ms':>24} {'bare FTS5 p50/p99/max ms':>26}")
        for name in shapes:
            print(f"{name:<26} {summary(ours[name]):>24} {summary(theirs[name]):>26}")
        print(f"{'random quote':<26} {summary(randoms):>24}   (anchor: p99 < 20 ms at 1M segments)")
        print(f"{'random quote, one show':<26} {summary(by_show):>24}")
    finally:
        await store.close()


async def build(db: Path, segments: int, folder: Path) -> None:
    episodes = max(1, segments // PER_EPISODE)
    generate_catalogue(folder, episodes, PER_EPISODE)
    store = await Store.open(db)
    try:
        report = await index_paths(store, [folder], workers=default_workers())
        print(f"built {report.segments:,} segments in {report.seconds:.1f} s")
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--db", type=Path, help="reuse this catalogue database (built there when missing)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or Path(scratch) / "catalogue.db"
        if not db.exists():
            folder = Path(scratch) / "catalogue"
            folder.mkdir()
            asyncio.run(build(db, args.segments, folder))
            # Measure in a fresh process, as the bot would run: the indexer's memory is not the searcher's.
            command = [
                sys.executable,
                __file__,
                "--db",
                str(db),
                "--queries",
                str(args.queries),
                "--seed",
                str(args.seed),
            ]
            sys.exit(subprocess.run(command, check=False).returncode)
        asyncio.run(run(db, args.queries, args.seed))


if __name__ == "__main__":
    main()
