"""Summary quality: ROUGE of 120-word gists against human show notes, beside simple baselines.

    python bench/summary_eval.py [--db FILE]

Needs `pip install -e '.[bench]'` (rouge-score). Indexes ../shared/seeds and ../shared/corpus
(unless --db names an indexed database), then for each pair in ../shared/eval/summaries/pairs.json
scores ROUGE-1/2/L F1 (stemmed) of three gists against the reference: the opening sentences
("lead"), a TF-IDF centroid extract, and Rewind's. "full" uses the whole transcript; "body" drops
its first 10% and last 5% of segments, where hosts read the show notes aloud. Times are for
Rewind's whole summary (gist, keywords, chapters, quotes) of each transcript.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from rouge_score import rouge_scorer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.ingest.indexer import index_paths  # noqa: E402
from bot.search.engine import Searcher  # noqa: E402
from bot.summary import EpisodeText, summarize  # noqa: E402
from bot.summary.method import Weights  # noqa: E402
from bot.summary.service import episode_text  # noqa: E402
from bot.summary.units import Unit, units_of  # noqa: E402
from storage import Store  # noqa: E402

SHARED = REPO.parent / "shared"
WORDS = 120
SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)


def clip_words(texts: list[str], budget: int = WORDS) -> str:
    return " ".join(" ".join(texts).split()[:budget])


def lead(units: list[Unit]) -> str:
    return clip_words([u.text for u in units])


def centroid(units: list[Unit], weights: Weights) -> str:
    """The classic TF-IDF centroid extract: sentences closest to the episode's mean vector."""
    mean: Counter[str] = Counter()
    for unit in units:
        mean.update({s: weights.weight.get(s, 0.0) for s in set(unit.stems)})

    def similarity(unit: Unit) -> float:
        terms = set(unit.stems)
        norm = math.sqrt(sum(weights.weight.get(s, 0.0) ** 2 for s in terms)) or 1.0
        return sum(weights.weight.get(s, 0.0) * mean[s] for s in terms) / norm

    ranked = sorted((u for u in units if u.words >= 8), key=similarity, reverse=True)
    chosen, used = [], 0
    for unit in ranked:
        if used >= WORDS:
            break
        chosen.append(unit)
        used += unit.words
    return clip_words([u.text for u in sorted(chosen, key=lambda u: u.index)])


def body(text: EpisodeText) -> EpisodeText:
    segments = list(text.segments)
    return replace(text, segments=segments[len(segments) // 10 : len(segments) - len(segments) // 20])


def scores(candidate: str, reference: str) -> tuple[float, float, float]:
    result = SCORER.score(reference, candidate)
    return tuple(100 * result[k].fmeasure for k in ("rouge1", "rouge2", "rougeL"))  # type: ignore[return-value]


def reference_of(pair: dict) -> str:
    if pair["summary"]:
        return (SHARED / pair["summary"]).read_text(encoding="utf-8")
    seed = (SHARED / pair["transcript"]).read_text(encoding="utf-8")
    description = seed.split("Description:", 1)[1]
    return description.split("Read more:", 1)[0]


async def pairs_of(store: Store) -> list[tuple[str, EpisodeText, str]]:
    """Each evaluation pair's name, indexed episode text and reference summary."""
    pairs = json.loads((SHARED / "eval" / "summaries" / "pairs.json").read_text(encoding="utf-8"))
    rows = {row.source: row.id for row in await store.list_episodes()}
    found = []
    for name, pair in sorted(pairs.items()):
        wanted = Path(pair["transcript"])  # its twin in another format may be the one indexed
        pattern = f"*/{wanted.parent.name}/{wanted.stem}"
        episode_id = next(i for source, i in rows.items() if Path(source).with_suffix("").match(pattern))
        text = await episode_text(store, episode_id)
        assert text is not None
        found.append((name, text, reference_of(pair)))
    return found


async def evaluate(store: Store) -> None:
    vocabulary = await Searcher(store).vocabulary()
    table: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    seconds: list[tuple[float, int]] = []
    for name, text, reference in await pairs_of(store):
        group = "seed-004" if name == "seed-004" else "talkpython"
        for part, variant in (("full", text), ("body", body(text))):
            units = units_of(variant.segments)
            weights = Weights.of(units, vocabulary.documents, vocabulary.segments)
            began = time.perf_counter()
            made = summarize(variant, vocabulary.documents, vocabulary.segments)
            if part == "full":
                seconds.append((time.perf_counter() - began, sum(u.words for u in units)))
            gists = {
                "lead": lead(units),
                "tf-idf centroid": centroid(units, weights),
                "rewind": clip_words([m.text for m in made.gist]),
            }
            for method, gist in gists.items():
                table.setdefault((f"{group} {part}", method), []).append(scores(gist, reference))
    print("| set | method | R1 | R2 | RL |\n|---|---|---|---|---|")
    for (subset, method), values in table.items():
        r1, r2, rl = (statistics.mean(v[i] for v in values) for i in range(3))
        print(f"| {subset} (n={len(values)}) | {method} | {r1:.1f} | {r2:.1f} | {rl:.1f} |")
    slowest, words = max(seconds)
    print(
        f"\nper-episode summary time: mean {statistics.mean(s for s, _ in seconds) * 1000:.0f} ms, "
        f"max {slowest * 1000:.0f} ms ({words} words)"
    )


@contextlib.asynccontextmanager
async def evaluation_store(db: Path | None) -> AsyncIterator[Store]:
    """The given indexed database, or ../shared indexed into a scratch one."""
    with tempfile.TemporaryDirectory() as scratch:
        store = await Store.open(db or Path(scratch) / "eval.db")
        try:
            if db is None:
                await index_paths(store, [SHARED / "seeds", SHARED / "corpus"])
            yield store
        finally:
            await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an already indexed database of ../shared")
    async with evaluation_store(parser.parse_args().db) as store:
        await evaluate(store)


if __name__ == "__main__":
    asyncio.run(main())
