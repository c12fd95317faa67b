"""Quote search on a large generated catalogue: recall@5 beside latency, per query shape.

    python bench/search_bench.py [--segments 1000000] [--queries 300] [--cache DIR] [--db FILE]
        [--words sentences|zipf] [--rewind-only] [--build-only]

Builds the catalogue with Rewind's own indexer (or reuses --db, or the one --cache kept), then, in a
fresh process, asks every engine the same queries of each shape: exact spans of a line, the same
with a word dropped or one or two words misspelt, runs of only common words, and 30-word quotes
spanning three segments. A hit is right when it is the line (or a neighbour) the query came from,
or says the very same words. Engines: Rewind (through aiosqlite, as the bot runs it, literal search
only), bare FTS5 (every word quoted and ANDed, bm25, LIMIT 5: the floor), and tantivy with fuzzy
terms when it is installed (`pip install -e '.[bench]'`): the anchor. Then `/quote random`'s latency.
Speed is never to be bought with wrong answers: read each p99 beside its recall.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_catalogue import generate_catalogue, generate_sentence_catalogue, real_lines  # noqa: E402
from search_eval import DISTORTIONS  # noqa: E402

from bot.config import default_workers  # noqa: E402
from bot.ingest.indexer import index_paths  # noqa: E402
from bot.search.engine import Searcher  # noqa: E402
from bot.search.query import QueryError  # noqa: E402
from bot.search.vocabulary import Vocabulary  # noqa: E402
from models.episodes import Candidate  # noqa: E402
from models.search import SearchFilters, SegmentFilter  # noqa: E402
from models.text import tokens  # noqa: E402
from storage import Store  # noqa: E402
from storage.fts import quote_term  # noqa: E402

PER_EPISODE = 2250
SHARED = REPO.parent / "shared"


def rss_mb() -> float:
    """The current resident set size, from /proc (peak from getrusage where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True, slots=True)
class Probe:
    """A query and the moment it was taken from: any segment in `first..last` of the episode is
    right, and so is any hit saying `words` (the same words said elsewhere cannot be told apart)."""

    query: str
    episode_id: int
    first: int
    last: int
    words: str


@dataclass(frozen=True, slots=True)
class Found:
    """A hit as the recall check sees it."""

    episode_id: int
    segment_id: int
    context: str  # the hit's text with its neighbours, as FTS tokens


def is_right(found: list[Found], probe: Probe) -> bool:
    """Whether one of the first five hits is the probe's moment or says its words."""
    return any(
        (f.episode_id == probe.episode_id and probe.first - 1 <= f.segment_id <= probe.last + 1)
        or probe.words in f.context
        for f in found[:5]
    )


async def runs(store: Store, count: int, rng: random.Random) -> list[list[Candidate]]:
    """`count` runs of consecutive segments from random points of random episodes."""
    found = []
    while len(found) < count:
        run = await store.random_candidates(SegmentFilter(), 3, rng.random())
        if len(run) == 3 and len({c.episode_id for c in run}) == 1:
            found.append(run)
    return found


def probe(words: list[str], segments: list[Candidate], query: list[str] | None = None) -> Probe:
    first, last = segments[0].segment_id, segments[-1].segment_id
    return Probe(" ".join(query or words), segments[0].episode_id, first, last, " ".join(words))


def common_run(words: list[str], vocabulary: Vocabulary) -> list[str] | None:
    """The longest run of 5-8 words each in 3%+ of segments ("and then you know what i mean")."""
    best: list[str] = []
    current: list[str] = []
    for word in words:
        current = [*current, word] if vocabulary.is_common(word) else []
        best = max(best, current[-8:], key=len)
    return best if len(best) >= 5 else None


async def query_shapes(store: Store, vocabulary: Vocabulary, count: int, rng: random.Random) -> dict[str, list[Probe]]:
    """Per shape, `count` probes taken from random lines of the catalogue."""
    shapes: dict[str, list[Probe]] = {name: [] for name in SHAPES}
    distort = {"word dropped": "drop a word", "one misspelt": "misspell one", "two misspelt": "misspell two"}
    for segments in await runs(store, count * 6, rng):
        line = tokens(segments[0].text)
        if len(line) >= 8 and len(shapes["exact"]) < count:
            size = rng.randint(6, min(14, len(line)))
            start = rng.randrange(len(line) - size + 1)
            span = line[start : start + size]
            shapes["exact"].append(probe(span, segments[:1]))
            for shape, name in distort.items():
                shapes[shape].append(probe(span, segments[:1], DISTORTIONS[name](span, rng)))
        common = common_run(line, vocabulary)
        if common and len(shapes["common words only"]) < count:
            shapes["common words only"].append(probe(common, segments[:1]))
        a, b, c = (tokens(s.text) for s in segments)
        fewest, most = max(3, 30 - len(b) - len(c)), min(len(a), 27 - len(b))  # words of a, leaving 3+ of c
        if fewest <= most and len(shapes["30 words, three segments"]) < count:
            head = rng.randint(fewest, most)
            quote = a[-head:] + b + c[: 30 - head - len(b)]
            shapes["30 words, three segments"].append(probe(quote, segments))
    return shapes


SHAPES = ("exact", "word dropped", "one misspelt", "two misspelt", "common words only", "30 words, three segments")
DISTORTED = ("word dropped", "one misspelt", "two misspelt")


class Engine:
    """One search engine under test: `search` returns what the recall check needs."""

    name = ""

    async def search(self, query: str) -> list[Found]:
        raise NotImplementedError


class Rewind(Engine):
    name = "Rewind"

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    async def search(self, query: str) -> list[Found]:
        try:
            hits = await self.searcher.search(query, limit=5)
        except QueryError:
            return []
        return [Found(h.episode_id, h.segment_id, _context(h.context_before, h.text, h.context_after)) for h in hits]


class BareFts5(Engine):
    """Every word quoted and ANDed, bm25, LIMIT 5: FTS5 with nothing of Rewind's around it."""

    name = "bare FTS5 AND"

    def __init__(self, db: Path) -> None:
        self.connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)

    async def search(self, query: str) -> list[Found]:
        expression = " ".join(quote_term(word) for word in tokens(query))
        rows = self.connection.execute(BARE_MATCH, (expression,)).fetchall()
        return context_of(self.connection, [row[0] for row in rows])


BARE_MATCH = "SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? ORDER BY rank LIMIT 5"
CONTEXT = """
    SELECT s.id, s.episode_id,
        coalesce((SELECT text FROM segments WHERE episode_id = s.episode_id AND position = s.position - 1), ''),
        s.text,
        coalesce((SELECT text FROM segments WHERE episode_id = s.episode_id AND position = s.position + 1), '')
    FROM segments s WHERE s.id = ?
"""


def context_of(connection: sqlite3.Connection, ids: list[int]) -> list[Found]:
    rows = [connection.execute(CONTEXT, (i,)).fetchone() for i in ids]
    return [Found(row[1], row[0], _context(*row[2:])) for row in rows if row]


def _context(*texts: str | None) -> str:
    return " ".join(tokens(" ".join(filter(None, texts))))


class Tantivy(Engine):
    """tantivy (the Rust search library) over the same segment texts: each word as a bm25 term
    and as a fuzzy term (one edit, two for words of 8+ letters; none under 4 letters), ORed."""

    name = "tantivy fuzzy"

    def __init__(self, db: Path, folder: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("id", stored=True)
        builder.add_text_field("text")
        self.schema = builder.build()
        fresh = not folder.exists()
        folder.mkdir(exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(folder))
        self.connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        if fresh:
            started = time.perf_counter()
            writer = self.index.writer(heap_size=500_000_000, num_threads=2)
            for segment_id, text in self.connection.execute("SELECT id, text FROM segments ORDER BY id"):
                writer.add_document(tantivy.Document(id=segment_id, text=" ".join(tokens(text))))
            writer.commit()
            writer.wait_merging_threads()
            print(f"tantivy index built in {time.perf_counter() - started:.1f} s")
        self.index.reload()
        self.searcher = self.index.searcher()

    async def search(self, query: str) -> list[Found]:
        query_class, occur = self.tantivy.Query, self.tantivy.Occur
        clauses = []
        for word in dict.fromkeys(tokens(query)):
            clauses.append((occur.Should, query_class.term_query(self.schema, "text", word)))
            if len(word) >= 4:
                fuzzy = query_class.fuzzy_term_query(self.schema, "text", word, distance=1 if len(word) < 8 else 2)
                clauses.append((occur.Should, fuzzy))
        hits = self.searcher.search(query_class.boolean_query(clauses), 5).hits
        ids = [self.searcher.doc(address)["id"][0] for _, address in hits]
        return context_of(self.connection, ids)


async def measure(engine: Engine, probes: list[Probe]) -> tuple[list[float], float]:
    """Latencies in ms and recall@5 of `engine` over `probes`."""
    latencies, right = [], 0
    for item in probes:
        started = time.perf_counter()
        found = await engine.search(item.query)
        latencies.append((time.perf_counter() - started) * 1000)
        right += is_right(found, item)
    return latencies, right / max(1, len(probes))


def summary(latencies: list[float]) -> str:
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
    return f"{statistics.median(latencies):6.1f} {p99:6.1f}"


async def run(db: Path, queries: int, seed: int, with_anchors: bool) -> None:
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    store = await Store.open(db)
    try:
        searcher = Searcher(store, embedder=None)
        started = time.perf_counter()
        vocabulary = await searcher.vocabulary()
        print(
            f"{vocabulary.segments:,} segments, {len(vocabulary):,} terms; vocabulary loaded in "
            f"{time.perf_counter() - started:.2f} s; memory {rss_mb():.0f} MB"
        )
        shapes = await query_shapes(store, vocabulary, queries, random.Random(seed))
        engines: list[Engine] = [Rewind(searcher)] + ([BareFts5(db)] if with_anchors else [])
        if with_anchors and importlib.util.find_spec("tantivy") is not None:
            engines.append(Tantivy(db, db.with_suffix(".tantivy")))
        results = {e.name: {name: await measure(e, probes) for name, probes in shapes.items()} for e in engines}
        print(f"memory after the queries: {rss_mb():.0f} MB")
        header = "".join(f" | {e.name + ' p50 p99 ms, recall@5':>38}" for e in engines)
        print(f"{'shape (queries)':<31}{header}")
        for name, probes in shapes.items():
            cells = "".join(
                f" | {summary(results[e.name][name][0]):>28} {results[e.name][name][1]:>9.3f}" for e in engines
            )
            print(f"{name + f' ({len(probes)})':<31}{cells}")
        cells = "".join(
            f" | {'':>28} {statistics.mean(results[e.name][n][1] for n in DISTORTED):>9.3f}" for e in engines
        )
        print(f"{'distorted (mean of 3 above)':<31}{cells}")
        rng = random.Random(seed)
        randoms, _ = await measure_random(searcher, rng, queries, SearchFilters())
        shown = await store.show_titles()
        by_show, _ = await measure_random(
            searcher, rng, queries, SearchFilters(show=shown[0][1]) if shown else SearchFilters()
        )
        print(f"{'random quote':<31} | {summary(randoms):>28}   (anchor: p99 < 20 ms at 1M segments)")
        print(f"{'random quote, one show':<31} | {summary(by_show):>28}")
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        await store.close()


async def measure_random(
    searcher: Searcher, rng: random.Random, count: int, filters: SearchFilters
) -> tuple[list[float], None]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        with contextlib.suppress(QueryError):
            await searcher.random_quote(filters, rng=rng)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, None


async def build(db: Path, segments: int, folder: Path, words: str) -> None:
    episodes = max(1, segments // PER_EPISODE)
    if words == "sentences":
        generate_sentence_catalogue(folder, episodes, PER_EPISODE, real_lines(SHARED / "corpus"))
    else:
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
    parser.add_argument(
        "--words",
        choices=["sentences", "zipf"],
        default="sentences" if (SHARED / "corpus").is_dir() else "zipf",
        help="lines spliced from ../shared's real captions (default when present), or Zipf-drawn words",
    )
    parser.add_argument("--db", type=Path, help="reuse this catalogue database (built there when missing)")
    parser.add_argument("--cache", type=Path, help="keep built catalogues in this folder, one per size and kind")
    parser.add_argument("--rewind-only", action="store_true", help="leave the anchors out (bare FTS5, tantivy)")
    parser.add_argument("--build-only", action="store_true", help="build the catalogue, measure nothing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.cache) as scratch:
        db = args.db or (args.cache or Path(scratch)) / f"catalogue-{args.words}-{args.segments}.db"
        if not db.exists():
            folder = Path(scratch) / "catalogue"
            folder.mkdir()
            asyncio.run(build(db, args.segments, folder, args.words))
            shutil.rmtree(folder)
            if args.build_only:
                return
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
            command += ["--rewind-only"] if args.rewind_only else []
            sys.exit(subprocess.run(command, check=False).returncode)
        if not args.build_only:
            asyncio.run(run(db, args.queries, args.seed, not args.rewind_only))


if __name__ == "__main__":
    main()
