"""Summary quality: every goal of issue 19, beside the first 120 words ("lead") and an oracle.

    python bench/summary_eval.py [--keep DIR]

Needs `pip install -e '.[bench]'` (rouge-score). Indexes ../shared/seeds and ../shared/corpus into a
scratch database (or into DIR, which a later run with the same --keep reuses), with the
bitcointranscripts files copied first with their front-matter `summary:` line and their `##`
and `###` heading lines removed, so neither the gist nor the chapters can copy them.

- Talk Python (../shared/eval/summaries): 120-word gists against the human show notes, "full" on the
  whole transcript, "body" with the first 10% and last 5% of cues cut (hosts read the notes aloud
  there), the title kept. The generated gist is scored (the feed's notes are withheld from it).
- Chaincode: the 20 bitcointranscripts episodes whose front matter has a human `summary:`.
- Scores are F1: ROUGE-1/2 (rouge-score, stemmed) and content-word ROUGE-1 ("cR1": NLTK's English
  stop words removed, then Porter-stemmed). The oracle is the greedy extract of the episode's own
  sentences that maximises each metric against the reference: the extractive ceiling.
- Chapters: timed bitcointranscripts episodes with 4+ `##` headings; a boundary is a hit when it is
  within 30 s of a heading's time (the first timestamp after it). Random: as many uniform positions.
- Reader checks over every summarised episode: sponsor names (from the transcript's own
  "brought to you by X") in gist, keywords, labels or quotes; quotes ending mid-sentence or pointing
  back or housekeeping (a web address, a course, "friends of the show", the host's preview: the bench's
  own pattern, not the code's); label length and neighbour overlap.
- Time: each summary's wall and CPU seconds; the goal (0.5 s an hour-long episode) is judged on CPU
  per hour of talk (9,000 words, a shorter episode counted as an hour), which a busy machine does
  not stretch; the load average is printed beside the wall.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rouge_score import rouge_scorer
from rouge_score import tokenize as rouge_tokenize

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.ingest.indexer import index_paths  # noqa: E402
from bot.search.engine import Searcher  # noqa: E402
from bot.semantic.embedder import default_embedder  # noqa: E402
from bot.semantic.passages import embed_episode  # noqa: E402
from bot.summary import EpisodeText, Summary, summarize  # noqa: E402
from bot.summary.method import Weights  # noqa: E402
from bot.summary.service import episode_text  # noqa: E402
from bot.summary.units import Unit, sponsor_names, units_of  # noqa: E402
from storage import Store  # noqa: E402

SHARED = REPO.parent / "shared"
WORDS = 120
WINDOW_SECONDS = 30
SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
STEMMER = SCORER._tokenizer._stemmer  # the Porter stemmer rouge-score itself uses
# NLTK's English stop-word list (nltk.corpus.stopwords, which needs a download).
NLTK_STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he
    him his himself she she's her hers herself it it's its itself they them their theirs themselves what which
    who whom this that that'll these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own same so than
    too very s t can will just don don't should should've now d ll m o re ve y ain aren aren't couldn couldn't
    didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't
    needn needn't shan shan't shouldn shouldn't wasn wasn't weren weren't won won't wouldn wouldn't""".split()
)
POINTS_BACK = re.compile(
    r"^(?:and |but |so )?(?:that'?s|this is|those|these|it'?s|it |they|them|he |she |his |her |that |this |"
    r"which|there'?s)",
    re.IGNORECASE,
)

# The bench's own reading of housekeeping (the code's cues are not used, so they cannot grade themselves):
# a web address or a spoken one, the show's friends or courses, a call to subscribe, a host's preview.
HOUSEKEEPING = re.compile(
    r"\b\w+\.(?:com|fm|org|io|net)\b|\bslash \w+|friends? of the show|\b(?:my|our)\b[^.]{0,60}\bcourses?\b|"
    r"\bnewsletter|\bsubscrib|\bpatreon\b|\byou'?ll (?:meet|hear)\b|\bjoin (?:\w+ ){1,3}and me\b|"
    r"\b(?:this|today'?s) episode\b",
    re.IGNORECASE,
)

Metric = Callable[[Counter, Counter], float]


# -- metrics ---------------------------------------------------------------------------------------


def clip_words(texts: Iterable[str], budget: int = WORDS) -> str:
    return " ".join(" ".join(texts).split()[:budget])


def scores(candidate: str, reference: str) -> tuple[float, float, float]:
    result = SCORER.score(reference, candidate)
    return tuple(100 * result[k].fmeasure for k in ("rouge1", "rouge2", "rougeL"))  # type: ignore[return-value]


def content_terms(text: str) -> list[str]:
    words = [w for w in rouge_tokenize.tokenize(text, None) if w not in NLTK_STOPWORDS]
    return [STEMMER.stem(w) if len(w) > 3 else w for w in words]


def f1(candidate: Counter, reference: Counter) -> float:
    shared = sum((candidate & reference).values())
    size = sum(candidate.values()) + sum(reference.values())
    return 200 * shared / size if size else 0.0


def all_metrics(candidate: str, reference: str) -> dict[str, float]:
    r1, r2, _ = scores(candidate, reference)
    return {"R1": r1, "R2": r2, "cR1": f1(Counter(content_terms(candidate)), Counter(content_terms(reference)))}


def rouge1_terms(text: str) -> list[str]:
    return SCORER._tokenizer.tokenize(text)


def oracle(units: list[Unit], reference: str, terms: Callable[[str], list[str]]) -> str:
    """Greedy extract: add the sentence that most raises unigram F1 against the reference, while it does."""
    wanted = Counter(terms(reference))
    pool = [(u, Counter(terms(" ".join(u.text.split()[:WORDS])))) for u in units if 5 <= u.words <= 60]
    chosen: list[Unit] = []
    bag: Counter = Counter()
    used = 0
    while used < WORDS:
        best = max(
            ((f1(bag + c, wanted), u, c) for u, c in pool if u not in chosen and used + u.words <= WORDS + 15),
            key=lambda x: x[0],
            default=None,
        )
        if best is None or best[0] <= f1(bag, wanted):
            break
        chosen.append(best[1])
        bag += best[2]
        used += best[1].words
    return clip_words(u.text for u in sorted(chosen, key=lambda u: u.index))


def lead(units: list[Unit]) -> str:
    return clip_words(u.text for u in units)


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
    return clip_words(u.text for u in sorted(chosen, key=lambda u: u.index))


def body(text: EpisodeText) -> EpisodeText:
    """The episode without its first 10% and last 5% of cues (and the passages over them)."""
    segments = list(text.segments)
    first, end = len(segments) // 10, len(segments) - len(segments) // 20
    inside = [p for p in text.passages if first <= p.first <= p.last < end]
    passages = tuple(replace(p, first=p.first - first, last=p.last - first) for p in inside)
    return replace(text, segments=segments[first:end], passages=passages)


# -- the evaluation sets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Headed:
    """A bitcointranscripts file as copied for the evaluation: its removed summary and headings."""

    source: Path
    summary: str | None
    headings: tuple[tuple[float, str], ...]  # time of the first timestamp after each heading


_SUMMARY_LINE = re.compile(r"^summary:.*\n(?:[ \t]+\S.*\n)*", re.MULTILINE)
_STAMP = re.compile(r"^[^\n#]{0,60}?\b(\d{1,2}):(\d{2}):(\d{2})\s*$")


def strip_file(text: str) -> tuple[str, str | None, list[tuple[float, str]]]:
    """The text without its `summary:` line and `##` headings, the summary, and each heading's time."""
    summary = None
    if text.startswith("---") and (found := _SUMMARY_LINE.search(text.split("\n---", 1)[0])):
        summary = " ".join(found[0].split(":", 1)[1].split()).strip("'\"")
        text = text.replace(found[0], "", 1)
    kept, headings, pending = [], [], []
    for line in text.split("\n"):
        if line.startswith(("## ", "### ")):  # `###` subheadings are removed too, but are not scored
            if line.startswith("## "):
                pending.append(line[3:].strip())
            continue
        if pending and (stamp := _STAMP.match(line.strip())):
            seconds = int(stamp[1]) * 3600 + int(stamp[2]) * 60 + int(stamp[3])
            headings.extend((seconds, title) for title in pending)
            pending = []
        kept.append(line)
    return "\n".join(kept), summary, headings


def copy_stripped(target: Path) -> dict[str, Headed]:
    """Copy bitcointranscripts under `target` without summaries and headings; keyed by relative path."""
    found = {}
    origin = SHARED / "corpus" / "bitcointranscripts"
    for path in sorted(origin.rglob("*")):
        if path.is_dir():
            continue
        copy = target / "bitcointranscripts" / path.relative_to(origin)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".md":
            shutil.copy(path, copy)
            continue
        text, summary, headings = strip_file(path.read_text(encoding="utf-8"))
        copy.write_text(text, encoding="utf-8")
        found[str(path.relative_to(origin))] = Headed(copy, summary, tuple(headings))
    return found


def reference_of(pair: dict) -> str:
    if pair["summary"]:
        return (SHARED / pair["summary"]).read_text(encoding="utf-8")
    seed = (SHARED / pair["transcript"]).read_text(encoding="utf-8")
    description = seed.split("Description:", 1)[1]
    return description.split("Read more:", 1)[0]


async def evaluated_text(store: Store, episode_id: int, scored: bool = True) -> EpisodeText:
    """An evaluated episode's text with its passage vectors, embedded now if it is `scored` and an
    earlier run (--keep) did not: the rest of the corpus is indexed for its word counts only, which
    keeps runs short (the reader checks of unscored episodes see the method without vectors)."""
    text = await episode_text(store, episode_id)
    assert text is not None
    embedder = default_embedder()
    done = text.passages and all(p.segment_vectors is not None for p in text.passages)
    if not scored or done or embedder is None or not await embed_episode(store, embedder, episode_id):
        return text
    embedded = await episode_text(store, episode_id)
    assert embedded is not None
    return embedded


async def _ids_by_source(store: Store) -> dict[str, int]:
    return {row.source: row.id for row in await store.list_episodes()}


async def pairs_of(store: Store) -> list[tuple[str, EpisodeText, str]]:
    """Each Talk Python (and seed) pair's name, indexed episode text and reference summary."""
    pairs = json.loads((SHARED / "eval" / "summaries" / "pairs.json").read_text(encoding="utf-8"))
    rows = await _ids_by_source(store)
    found = []
    for name, pair in sorted(pairs.items()):
        wanted = Path(pair["transcript"])  # its twin in another format may be the one indexed
        pattern = f"*/{wanted.parent.name}/{wanted.stem}"
        episode_id = next(i for source, i in rows.items() if Path(source).with_suffix("").match(pattern))
        found.append((name, await evaluated_text(store, episode_id), reference_of(pair)))
    return found


async def headed_episodes(store: Store, headed: dict[str, Headed]) -> list[tuple[Headed, EpisodeText]]:
    rows = await _ids_by_source(store)
    found = []
    for item in headed.values():
        episode_id = next((i for source, i in rows.items() if Path(source) == item.source), None)
        if episode_id is not None:
            scored = bool(item.summary) or len(item.headings) >= 4
            found.append((item, await evaluated_text(store, episode_id, scored)))
    return found


# -- scoring ---------------------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[dict[str, float]]] = {}

    def add(self, subset: str, method: str, values: dict[str, float]) -> None:
        self.rows.setdefault((subset, method), []).append(values)

    def mean(self, subset: str, method: str, metric: str) -> float:
        return statistics.mean(v[metric] for v in self.rows[subset, method])

    def print(self) -> None:
        print("| set | method | R1 | R2 | cR1 |\n|---|---|---|---|---|")
        for (subset, method), values in self.rows.items():
            cells = " | ".join(f"{self.mean(subset, method, m):.1f}" for m in ("R1", "R2", "cR1"))
            print(f"| {subset} (n={len(values)}) | {method} | {cells} |")


def score_gists(table: Table, subset: str, text: EpisodeText, made: Summary, reference: str, vocabulary) -> None:
    units = units_of(text.segments)
    weights = Weights.of(units, vocabulary.documents, vocabulary.segments)
    table.add(subset, "lead-120", all_metrics(lead(units), reference))
    table.add(subset, "tf-idf centroid", all_metrics(centroid(units, weights), reference))
    best_r = all_metrics(oracle(units, reference, rouge1_terms), reference)
    best_c = all_metrics(oracle(units, reference, content_terms), reference)
    table.add(subset, "oracle", {"R1": best_r["R1"], "R2": best_r["R2"], "cR1": best_c["cR1"]})
    table.add(subset, "rewind", all_metrics(clip_words(m.text for m in made.gist), reference))


def chapter_hits(made: Summary, headings: tuple[tuple[float, str], ...], seed: int) -> tuple[int, int, int]:
    """Rewind's boundaries near a heading, their count, and the same for random positions."""
    marks = [t for t, _ in headings]
    starts = [c.start_seconds for c in made.chapters[1:] if c.start_seconds is not None]
    near = sum(any(abs(s - m) <= WINDOW_SECONDS for m in marks) for s in starts)
    rng = random.Random(seed)
    end = made.duration_seconds or max(marks)
    guesses = [rng.uniform(0, end) for _ in starts]
    return near, len(starts), sum(any(abs(g - m) <= WINDOW_SECONDS for m in marks) for g in guesses)


@dataclass
class ReaderChecks:
    sponsored: Counter = field(default_factory=Counter)  # episodes whose part ("gist", "quotes", ...) names a sponsor
    count: Counter = field(default_factory=Counter)  # episodes, quotes (cut, pointing back), labels (words, long, ...)

    def add(self, text: EpisodeText, made: Summary) -> None:
        self.count["episodes"] += 1
        names = sponsor_names(units_of(text.segments))
        parts = {
            "gist": [m.text for m in made.gist],
            "keywords": list(made.keywords),
            "labels": [c.title for c in made.chapters],
            "quotes": [m.text for m in made.quotes],
        }
        for part, texts in parts.items():
            joined = " ".join(texts).casefold()
            if any(re.search(rf"\b{re.escape(n.casefold())}\b", joined) for n in names):
                self.sponsored[part] += 1
        for quote in made.quotes:
            self.count["quotes"] += 1
            self.count["quotes_cut"] += not quote.text.rstrip("\"”')]").endswith((".", "!", "?"))
            self.count["quotes_back"] += bool(POINTS_BACK.match(quote.text))
            self.count["quotes_housekeeping"] += bool(HOUSEKEEPING.search(quote.text))
        previous: set[str] = set()
        for chapter in made.chapters:
            words = set(content_terms(chapter.title))
            self.count["labels"] += 1
            self.count["label_words"] += len(chapter.title.split())
            self.count["labels_long"] += len(chapter.title.split()) > 8
            self.count["labels_overlap"] += bool(words & previous)
            previous = words


@dataclass(frozen=True, order=True)
class Timing:
    """One summary's wall and CPU seconds (CPU is what it costs: a busy machine stretches the wall)."""

    wall: float
    cpu: float
    words: int

    @property
    def cpu_per_hour(self) -> float:
        """CPU seconds per hour of talk (about 9,000 words), an episode shorter than that counted as one."""
        return self.cpu * 9000 / max(self.words, 9000)


def share(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


async def evaluate(store: Store, headed: dict[str, Headed]) -> None:
    vocabulary = await Searcher(store).vocabulary()
    table, checks = Table(), ReaderChecks()
    seconds: list[Timing] = []

    def summary_of(text: EpisodeText) -> Summary:
        began, began_cpu = time.perf_counter(), time.process_time()
        made = summarize(text, vocabulary.documents, vocabulary.segments)
        words = sum(len(row[3].split()) for row in text.segments)
        seconds.append(Timing(time.perf_counter() - began, time.process_time() - began_cpu, words))
        return made

    for name, text, reference in await pairs_of(store):
        group = "seed-004" if name == "seed-004" else "talkpython"
        generated = replace(text, description=None)  # score the generated gist, not the notes
        for part, variant in (("full", generated), ("body", body(generated))):
            made = summary_of(variant)
            score_gists(table, f"{group} {part}", variant, made, reference, vocabulary)
            if part == "full":
                checks.add(variant, summary_of(text))
    hits = total = random_hits = episodes = 0
    for number, (item, text) in enumerate(await headed_episodes(store, headed)):
        made = summary_of(text)
        checks.add(text, made)
        if item.summary and "chaincode" in str(item.source):
            score_gists(table, "chaincode", text, made, item.summary, vocabulary)
        if len(item.headings) >= 4:
            near, count, lucky = chapter_hits(made, item.headings, number)
            hits, total, random_hits, episodes = hits + near, total + count, random_hits + lucky, episodes + 1
    table.print()
    print(
        f"\nchapters (timed bitcointranscripts, 4+ headings, n={episodes}, {total} boundaries): "
        f"{share(hits, total):.0f}% within ±{WINDOW_SECONDS} s of a heading (random positions: "
        f"{share(random_hits, total):.0f}%)"
    )
    c = checks.count
    print(
        f"reader checks over {c['episodes']} summaries: sponsor names in gist {checks.sponsored['gist']}, "
        f"keywords {checks.sponsored['keywords']}, labels {checks.sponsored['labels']}, "
        f"quotes {checks.sponsored['quotes']} episodes; quotes ending mid-sentence "
        f"{share(c['quotes_cut'], c['quotes']):.1f}%, pointing back {share(c['quotes_back'], c['quotes']):.1f}%"
        f" (of {c['quotes']}); labels: {c['label_words'] / max(1, c['labels']):.1f} words on average, "
        f"{share(c['labels_long'], c['labels']):.0f}% over 8 words, "
        f"{share(c['labels_overlap'], c['labels']):.0f}% share a word with the previous one"
    )
    slowest = max(seconds)
    per_hour = max(timing.cpu_per_hour for timing in seconds)
    print(
        f"summary time: mean {statistics.mean(t.wall for t in seconds) * 1000:.0f} ms, max {slowest.wall * 1000:.0f} ms"
        f" wall, {slowest.cpu * 1000:.0f} ms CPU ({slowest.words} words; load average {os.getloadavg()[0]:.1f});"
        f" CPU per hour of talk (9,000 words; a shorter episode counts as an hour) at most {per_hour * 1000:.0f} ms"
    )
    print_goals(table, share(hits, total), checks, per_hour)


def print_goals(table: Table, chapter_share: float, checks: ReaderChecks, per_hour: float) -> None:
    body, full, chain = "talkpython body", "talkpython full", "chaincode"

    def row(goal: str, value: float, anchor: float, met: bool, context: str) -> None:
        print(f"| {goal} | {value:.3g} | {anchor:.3g} | {'met' if met else 'NOT met'} | {context} |")

    print("\n| goal | rewind | anchor | | lead-120 / oracle |\n|---|---|---|---|---|")
    for metric, anchor in (("cR1", 22), ("R1", 32), ("R2", 3.5)):
        value = table.mean(body, "rewind", metric)
        context = f"{table.mean(body, 'lead-120', metric):.1f} / {table.mean(body, 'oracle', metric):.1f}"
        row(f"Talk Python body {metric} >= {anchor}", value, anchor, value >= anchor, context)
    value = table.mean(full, "rewind", "R1")
    context = f"{table.mean(full, 'lead-120', 'R1'):.1f} / {table.mean(full, 'oracle', 'R1'):.1f}"
    row("Talk Python full R1 >= 80", value, 80, value >= 80, context)
    for metric, margin in (("R1", 0), ("cR1", 5)):
        value, first = table.mean(chain, "rewind", metric), table.mean(chain, "lead-120", metric)
        context = f"{first:.1f} / {table.mean(chain, 'oracle', metric):.1f}"
        row(f"Chaincode {metric} >= lead-120 + {margin}", value, first + margin, value >= first + margin, context)
    row("chapter boundaries within 30 s (%) >= 65", chapter_share, 65, chapter_share >= 65, "")
    quotes_back = share(checks.count["quotes_back"], checks.count["quotes"])
    row("quotes pointing back (%) <= 5", quotes_back, 5, quotes_back <= 5, "")
    cut = share(checks.count["quotes_cut"], checks.count["quotes"])
    row("quotes ending mid-sentence (%) = 0", cut, 0, cut == 0, "")
    housekeeping = share(checks.count["quotes_housekeeping"], checks.count["quotes"])
    row("quotes of housekeeping (%) = 0", housekeeping, 0, housekeeping == 0, "web address, course, the show's preview")
    sponsored = sum(checks.sponsored.values())
    row("summaries' parts naming a sponsor = 0", sponsored, 0, sponsored == 0, "")
    row("CPU per hour-long episode (s) < 0.5", per_hour, 0.5, per_hour < 0.5, "")


@contextlib.asynccontextmanager
async def evaluation_store(keep: Path | None = None) -> AsyncIterator[tuple[Store, dict[str, Headed]]]:
    """The corpus (bitcointranscripts stripped) indexed into a scratch database, or into `keep`,
    where a database indexed by an earlier run is used as it is."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or Path(scratch)
        headed = copy_stripped(folder / "stripped")
        indexed = (folder / "eval.db").exists()
        store = await Store.open(folder / "eval.db")
        try:
            if not indexed:
                corpus = [
                    p for p in sorted((SHARED / "corpus").iterdir()) if p.is_dir() and p.name != "bitcointranscripts"
                ]
                paths = [SHARED / "seeds", *corpus, folder / "stripped" / "bitcointranscripts"]
                await index_paths(store, paths, embedder=None)
            yield store, headed
        finally:
            await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="index into DIR and keep it; a later run reuses that index")
    async with evaluation_store(parser.parse_args().keep) as (store, headed):
        await evaluate(store, headed)


if __name__ == "__main__":
    asyncio.run(main())
