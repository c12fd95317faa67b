"""Quote-search quality: recall@1 and recall@5 for exact and misremembered quotes.

    python bench/search_eval.py [--samples 300] [--db FILE]

Indexes ../shared/seeds and ../shared/corpus (unless --db names an indexed database), samples
spans of real lines, distorts them the way people misremember (a word dropped, neighbours swapped,
one or two words misspelt, punctuation and case stripped), and searches for each. A hit counts when
it is the sampled segment or its neighbour in the right episode. Plain FTS5 (every word ANDed)
is measured on the same queries for reference.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.ingest.indexer import index_paths  # noqa: E402
from bot.search.engine import Searcher  # noqa: E402
from bot.search.query import QueryError, parse_query  # noqa: E402
from models.search import SegmentFilter, TermQuery  # noqa: E402
from models.text import tokens  # noqa: E402
from storage import Store  # noqa: E402

SHARED = REPO.parent / "shared"
Distortion = Callable[[list[str], random.Random], list[str]]


def misspell(word: str, rng: random.Random) -> str:
    """One typing slip: a swapped, dropped, doubled or wrong letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "drop", "double", "replace"])
    if kind == "swap":
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeioustrnl") + word[i + 1 :]


def _misspell_n(count: int) -> Distortion:
    def distort(words: list[str], rng: random.Random) -> list[str]:
        words = list(words)
        long = [i for i, w in enumerate(words) if len(w) >= 4]
        for i in rng.sample(long, min(count, len(long))):
            words[i] = misspell(words[i], rng)
        return words

    return distort


def _drop_word(words: list[str], rng: random.Random) -> list[str]:
    i = rng.randrange(len(words))
    return words[:i] + words[i + 1 :]


def _swap_neighbours(words: list[str], rng: random.Random) -> list[str]:
    i = rng.randrange(len(words) - 1)
    return [*words[:i], words[i + 1], words[i], *words[i + 2 :]]


def _combined(words: list[str], rng: random.Random) -> list[str]:
    return _misspell_n(1)(_swap_neighbours(_drop_word(words, rng), rng), rng)


DISTORTIONS: dict[str, Distortion] = {
    "drop a word": _drop_word,
    "swap neighbours": _swap_neighbours,
    "misspell one": _misspell_n(1),
    "misspell two": _misspell_n(2),
    "drop + swap + misspell": _combined,
}


async def sample_quotes(store: Store, count: int, rng: random.Random) -> list[tuple[int, int, str]]:
    """(segment id, episode id, quote) for spans of 6-14 words of distinct, substantial lines."""
    found = []
    seen = set()
    while len(found) < count:
        for candidate in await store.random_candidates(SegmentFilter(), 50, rng.random()):
            words = candidate.text.split()
            key = " ".join(tokens(candidate.text))
            if len(words) < 8 or key in seen:
                continue
            seen.add(key)
            size = rng.randint(6, min(14, len(words)))
            start = rng.randrange(len(words) - size + 1)
            found.append((candidate.segment_id, candidate.episode_id, " ".join(words[start : start + size])))
            if len(found) >= count:
                break
    return found


def _before(hit: object) -> str | None:
    return getattr(hit, "context_before", None) or getattr(hit, "before", None)


def _after(hit: object) -> str | None:
    return getattr(hit, "context_after", None) or getattr(hit, "after", None)


def _correct(hits: list, segment_id: int, episode_id: int, original: str) -> tuple[bool, bool]:
    """Right when the hit is the sampled line or its neighbour, or when it says the very same
    words elsewhere (a sponsor read or an intro repeated across episodes cannot be told apart)."""
    wanted = " ".join(tokens(original))
    good = [
        (h.episode_id == episode_id and abs(h.segment_id - segment_id) <= 1)
        or wanted in " ".join(tokens(" ".join(filter(None, (_before(h), h.text, _after(h))))))
        for h in hits
    ]
    return bool(good[:1] and good[0]), any(good[:5])


async def evaluate(store: Store, samples: int, seed: int) -> None:
    rng = random.Random(seed)
    searcher = Searcher(store)
    quotes = await sample_quotes(store, samples, rng)
    variants: dict[str, list[tuple[int, int, str, str]]] = {"exact": [(s, e, q, q) for s, e, q in quotes]}
    variants["no punctuation or case"] = [(s, e, " ".join(tokens(q)), q) for s, e, q in quotes]
    for name, distort in DISTORTIONS.items():
        variants[name] = [(s, e, " ".join(distort(tokens(q), rng)), q) for s, e, q in quotes]
    print(f"{samples} sampled quotes of 6-14 words, {len(await searcher.vocabulary()):,} distinct terms indexed")
    print(f"{'variant':<26} {'recall@1':>9} {'recall@5':>9} {'plain FTS5 @5':>14} {'p50 ms':>8} {'p99 ms':>8}")
    distorted_at_5 = []
    for name, queries in variants.items():
        at1 = at5 = plain5 = 0
        latencies = []
        for segment_id, episode_id, quote, original in queries:
            started = time.perf_counter()
            try:
                hits = await searcher.search(quote, limit=5)
            except QueryError:
                hits = []
            latencies.append((time.perf_counter() - started) * 1000)
            one, five = _correct(hits, segment_id, episode_id, original)
            at1, at5 = at1 + one, at5 + five
            try:
                parsed = parse_query(quote)
            except QueryError:  # refused before any search (only common words): plain FTS5 gets none either
                plain = []
            else:
                plain_query = TermQuery(tuple((word,) for word in parsed.words), parsed.phrases)
                plain = await store.candidates(plain_query, SegmentFilter(), 5)
            plain5 += _correct(plain, segment_id, episode_id, original)[1]
            if name not in ("exact", "no punctuation or case"):
                distorted_at_5.append(five)
        n = len(queries)
        p99 = statistics.quantiles(latencies, n=100)[98]
        print(
            f"{name:<26} {at1 / n:>9.3f} {at5 / n:>9.3f} {plain5 / n:>14.3f} {statistics.median(latencies):>8.1f}"
            f" {p99:>8.1f}"
        )
    print(f"{'all distorted':<26} {'':>9} {sum(distorted_at_5) / len(distorted_at_5):>9.3f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--db", type=Path, help="an already indexed database (default: index ../shared now)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or Path(scratch) / "eval.db"
        store = await Store.open(db)
        try:
            if args.db is None:
                if not (SHARED / "corpus").is_dir():
                    sys.exit("../shared is not here: pass --db with an indexed database")
                await index_paths(store, [SHARED / "seeds", SHARED / "corpus"], workers=2)
            await evaluate(store, args.samples, args.seed)
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
