"""Search by meaning beside the literal search: a second candidate source, and how the two meet.

The literal hits stand alone when the best of them is a close match (the engine's CONFIDENT
score): a quote typed nearly right is never pushed down by a passage of similar meaning. Otherwise
the literal hits and the passages nearest in meaning are fused by reciprocal rank, so a paraphrase
still finds its moment, and a query with no literal candidate at all still finds the passages
closest to it. A topic question ("the episode about X") ranks whole episodes instead.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from rapidfuzz import fuzz

from bot.ports import MeaningStore
from bot.semantic.embedder import Embedder
from bot.semantic.resources import one_blas_thread, release_freed_memory
from bot.semantic.scan import Near, VectorIndex
from bot.summary.units import STOPWORDS
from models.episodes import Candidate
from models.errors import QueryTimeout
from models.search import SegmentFilter, TermQuery
from models.text import tokens

RERANK = 40  # passages nearest the query that are ranked again by their best line
RRF_K = 60  # reciprocal-rank fusion's damping constant (the value of the original paper)
T = TypeVar("T")
MIN_SIMILARITY = 0.25  # passages less similar than this are not shown
WORDS_WEIGHT = 0.15  # a moment's similarity gains this times the share of the idea's words it says
STEM = 5  # words are compared by their first letters: "designed" says "design", "privacy" "private"
SAME_MOMENT_SECONDS = 45.0  # a passage starting this close to a literal hit is that hit
NEAR_SECONDS = 20.0  # meaning hits closer than this in one episode are one moment (as literal ones)
RARE_LINES = 30  # lines holding one of the idea's rarest words whose passages are ranked too
RARE_SECONDS = 0.1  # that query's time limit: it only adds candidates
# A question about an episode opens by naming one ("the episode...", "which ep...", "is there an
# episode...", "the one about..."); whatever it then says of it, the words that only link the
# episode to its subject ("where they talked about", "that explained", "comparing") are left out.
_TOPIC = re.compile(
    r"""^\W*(?:
        (?:what|which|find|show\ me|there\ was|remember|looking\ for|(?:is|was)\ there|any
         |did\ (?:they|you)\ (?:ever\ )?(?:do|have|make))\s+
        (?:(?:was|is)\s+)?(?:(?:the|that|an?|any)\s+)?(?:(?:podcast|show)\s+)?(?:episode|ep|podcast|show)s?
      | (?:the|that|an?|any)\s+(?:(?:podcast|show)\s+)?(?:episode|ep|podcast|show)s?
      | (?P<bare>(?:episode|ep)s?)
      | (?:the|that)\s+one(?=\s+(?:about|on|with|where|when|that|which|covering|discussing)\b)
    )\b(?!\s*\d|\s+me\b)(?=\s+\w)(?P<rest>.*)$""",
    re.IGNORECASE | re.VERBOSE,
)
_LINKING = frozenset(
    """that which where when in with about on of into over through they we he she you someone somebody guest
    guests host hosts it was were is are had has have did do does get got went dove dug go talk talks talked
    talking discuss discusses discussed discussing cover covers covered covering explain explains explained
    explaining feature features featured featuring""".split()
)
_SAID = frozenset("said says saying mentioned joked compared claimed argued ranted quoted".split())


# How members frame a remembered moment ("the bit where they said X", "remember when someone
# compared X", "X or something"): words of the question, not of the idea, that pull its vector
# towards every other question.
_OPENING = re.compile(
    r"""^\W*(?:
        (?:do\ you\ |i\ )?(?:remember|recall)(?:\ when|\ that|\ the\ (?:bit|part|time|moment)\ (?:where|when))?
      | (?:there\ was\ |wasnt\ there\ |what\ was\ |where\ was\ |find\ |looking\ for\ )?
        (?:the|that|a|an)\ (?:bit|part|moment|time|segment|section|story|quote|clip|rant|joke|discussion|conversation
           |episode|ep|show|podcast)
        (?:\ (?:where|when|in\ which|about|that|on)|(?=\ (?:someone|somebody|they|he|she)\b))
      | (?:what|where|when)\ (?:did|was)\ (?:they|he|she|someone|somebody)
      | (?:who|someone|somebody)\ (?:said|says|talked|mentioned)
    )\b\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_SAYING = re.compile(
    r"""^(?:(?:someone|somebody|they|he|she|the\ (?:guest|host|hosts|guests|speaker)|one\ of\ (?:them|the\ hosts)
           |\w+)\s+)?
    (?:was\ |were\ )?(?:said|says|saying|say|talked|talking|talks|mentioned|mentioning|explained|explaining|described
       |compared|comparing|joked|joking|argued|arguing|claimed|claiming|made\ the\ point|went\ on|ranted)
    (?:\ (?:about|on|that|how|like))?\b\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_CLOSING = re.compile(
    r"""\s*\b(?:or\ something(?:\ like\ that)?|(?:in|on)\ (?:some|one|an|that|the)\ (?:episode|show|podcast)(?:\ once)?
      |i\ think|iirc)\W*$""",
    re.IGNORECASE | re.VERBOSE,
)


def remembered_idea(text: str) -> str:
    """The idea of a question about a moment, without the member's framing words ("the bit where
    they said X or something" -> "X"); the text itself when little else would be left."""
    idea = _OPENING.sub("", text, count=1)
    if idea != text:
        idea = _SAYING.sub("", idea, count=1)
    idea = _CLOSING.sub("", idea)
    return idea if len(idea.split()) >= 2 else text


def topic_subject(text: str) -> str | None:
    """What a question about an episode asks about ("which episode talked about X" -> "X"), else
    None: for a quote, or for a moment framed by its episode ("the episode where he said X")."""
    found = _TOPIC.match(text)
    if found is None:
        return None
    words = found["rest"].split()
    linking = next((i for i, word in enumerate(words) if _word(word) not in _LINKING), len(words))
    asked = words[linking:]
    if not asked or _word(asked[0]) in _SAID or (found["bare"] and not linking):
        return None  # nothing asked; a moment; or a line opening with the word ("Episode: ...")
    return " ".join(asked).strip(" ?!.,;:")


def _word(text: str) -> str:
    return " ".join(tokens(text))


class MeaningSearch:
    """Passages nearest in meaning, from vectors loaded into memory and reloaded when the index changes."""

    def __init__(self, store: MeaningStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self.index: VectorIndex | None = None
        one_blas_thread()

    async def reload(self) -> None:
        """Read every passage vector again (called when the index has changed)."""
        snapshot = await self.store.vector_snapshot()
        self.index = await asyncio.to_thread(VectorIndex, snapshot, self.embedder.dimension)
        del snapshot  # the old index goes too: give back what building the new one freed
        await asyncio.to_thread(release_freed_memory)

    @property
    def ready(self) -> bool:
        return self.index is not None and len(self.index) > 0

    def start(
        self, text: str, where: SegmentFilter, limit: int, *, topic: bool = False, rare: tuple[str, ...] = ()
    ) -> asyncio.Future[list[tuple[Candidate, float]]]:
        """Begin finding the moments nearest in meaning to `text` (the episodes, for a topic), to
        overlap with the literal search: the model and the scan run in a worker thread, and
        numpy and onnxruntime let go of the GIL. `rare` are the idea's rarest words (see `moments`)."""
        if topic:
            return asyncio.ensure_future(self.topics(text, where, limit))
        return asyncio.ensure_future(self.moments(text, where, limit, rare))

    async def moments(
        self, text: str, where: SegmentFilter, limit: int, rare: tuple[str, ...] = ()
    ) -> list[tuple[Candidate, float]]:
        """The segments nearest in meaning to `text` (through their passages) as candidates, with
        their similarity, best first and each a moment of its own (none within NEAR_SECONDS of a
        better one in its episode). The passages of up to RARE_LINES lines holding one of the
        `rare` words are ranked with the nearest: the model does not know every name ("Scrapy",
        "Taproot"), and a line naming one may lie far down the nearest passages."""
        index = self.index
        if index is None or not len(index):
            return []
        idea = remembered_idea(text)
        lines = asyncio.ensure_future(self._rare_lines(rare, where))  # overlaps the model and the scan
        try:
            query, found = await asyncio.to_thread(
                self._nearest, index, idea, max(RERANK, limit * 4), where.episode_ids
            )
            named = index.containing(await lines, query)
        finally:
            lines.cancel()
        seen = {near.passage_id for near in found}
        found += [near for near in named if near.passage_id not in seen]
        scored = await self._best_lines(idea, query, found, where)
        chosen: list[tuple[Candidate, float]] = []
        for candidate, similarity in scored:
            if not any(_same_moment(candidate, other) for other, _ in chosen):
                chosen.append((candidate, similarity))
            if len(chosen) >= limit:
                break
        return chosen

    async def _rare_lines(self, rare: tuple[str, ...], where: SegmentFilter) -> list[int]:
        """Ids of up to RARE_LINES lines holding one of `rare`, best bm25 first (none past the time limit)."""
        if not rare:
            return []
        plan = TermQuery(alternatives=tuple(((word,),) for word in rare))
        try:
            return [c.segment_id for c in await self.store.candidates(plan, where, RARE_LINES, time_limit=RARE_SECONDS)]
        except QueryTimeout:
            return []

    def _nearest(
        self, index: VectorIndex, text: str, count: int, episodes: tuple[int, ...] | None
    ) -> tuple[np.ndarray, list[Near]]:
        query = self.embedder.embed([text])[0]
        return query, index.nearest(query, count, episodes)

    async def _best_lines(
        self, idea: str, query: np.ndarray, found: Sequence[Near], where: SegmentFilter
    ) -> list[tuple[Candidate, float]]:
        """Each passage as its line closest to `query`, with that similarity, best first: the
        passage vector finds the neighbourhood, the line vectors the moment, and among close lines
        the one saying more of the idea's words (WORDS_WEIGHT times their share) ranks first. A
        passage embedded before line vectors existed gives each line its own similarity, and its
        line is the one sharing most words with the idea."""
        parts = await self.store.segment_vectors([near.passage_id for near in found])
        ids = [i for near in found for i in range(near.first_segment, near.last_segment + 1)]
        candidates = {c.segment_id: c for c in await self.store.segment_candidates(ids, where)}
        wanted = _stems(idea)
        ranked = []
        for near in found:
            lines = [candidates.get(i) for i in range(near.first_segment, near.last_segment + 1)]
            if near.passage_id in parts:
                vectors = np.frombuffer(parts[near.passage_id], dtype=np.int8).reshape(-1, self.embedder.dimension)
                similarity = vectors.astype(np.float32) @ query.astype(np.float32) / 127.0
            else:
                similarity = np.full(len(lines), near.similarity, dtype=np.float32)
            options = [
                (float(similarity[k]) + WORDS_WEIGHT * _share(wanted, line.text), float(similarity[k]), line)
                for k, line in enumerate(lines[: len(similarity)])
                if line is not None
            ]
            if len(options) > 1 and near.passage_id not in parts:  # one similarity: the line closest in letters
                options = [max(options, key=lambda o: (o[0], fuzz.token_set_ratio(idea, o[2].text)))]
            if options:
                score, value, line = max(options, key=lambda o: o[0])  # the first of equals
                if value >= MIN_SIMILARITY:
                    ranked.append((score, value, line))
        ranked.sort(key=lambda row: (-row[0], row[2].segment_id))
        return [(line, value) for _, value, line in ranked]

    async def topics(self, text: str, where: SegmentFilter, limit: int) -> list[tuple[Candidate, float]]:
        """Episodes that discussed `text`, best first, each as its closest passage."""
        index = self.index
        if index is None or not len(index):
            return []
        found = await asyncio.to_thread(self._topics, index, text, limit * 4, where.episode_ids)
        return await self._candidates(text, found, where, limit)

    def _topics(self, index: VectorIndex, text: str, count: int, episodes: tuple[int, ...] | None) -> list[Near]:
        return index.topics(self.embedder.embed([text])[0], count, episodes)

    async def _candidates(
        self, text: str, found: Sequence[Near], where: SegmentFilter, limit: int
    ) -> list[tuple[Candidate, float]]:
        """Each passage as its segment sharing most words with `text` (its first on a tie)."""
        found = [near for near in found if near.similarity >= MIN_SIMILARITY][:limit]
        ids = [i for near in found for i in range(near.first_segment, near.last_segment + 1)]
        candidates = {c.segment_id: c for c in await self.store.segment_candidates(ids, where)}
        chosen = []
        for near in found:
            inside = [candidates[i] for i in range(near.first_segment, near.last_segment + 1) if i in candidates]
            if inside:
                best = max(inside, key=lambda c: (fuzz.token_set_ratio(text, c.text), -c.segment_id))
                chosen.append((best, near.similarity))
        return chosen


def shared_words(idea: str, text: str) -> float:
    """The share of the idea's words (less the commonest) that `text` says too, by their stems: the
    vectors find the neighbourhood of a paraphrase, and among close moments the one that keeps
    some of the member's words is likelier the one meant than a short line on the same theme."""
    return _share(_stems(idea), text)


def _stems(idea: str) -> frozenset[str]:
    """The stems of the idea's words, less the commonest."""
    return frozenset(word[:STEM] for word in tokens(idea) if word not in STOPWORDS)


def _share(wanted: frozenset[str], text: str) -> float:
    """The share of the stems `wanted` that `text` says."""
    said = {word[:STEM] for word in tokens(text)}
    return len(wanted & said) / len(wanted) if wanted else 0.0


def fuse(literal: Sequence[T], meaning: Sequence[T], same: Callable[[T, T], bool], limit: int) -> list[T]:
    """Reciprocal-rank fusion of two rankings; an item of `meaning` that `same(item, literal_item)`
    calls the same moment adds its rank to that literal item instead of standing on its own."""
    scores: dict[int, float] = {}
    items: list[T] = []
    for rank, item in enumerate(literal):
        scores[len(items)] = 1.0 / (RRF_K + rank + 1)
        items.append(item)
    for rank, item in enumerate(meaning):
        twin = next((i for i, other in enumerate(items[: len(literal)]) if same(item, other)), None)
        if twin is None:
            twin = len(items)
            items.append(item)
            scores[twin] = 0.0
        scores[twin] += 1.0 / (RRF_K + rank + 1)
    order = sorted(scores, key=lambda i: (-scores[i], i))
    return [items[i] for i in order[:limit]]


def _same_moment(a: Candidate, b: Candidate) -> bool:
    """Whether two lines of one episode lie within NEAR_SECONDS (within a line when untimed)."""
    if a.episode_id != b.episode_id:
        return False
    if a.start_seconds is None or b.start_seconds is None:
        return abs(a.segment_id - b.segment_id) <= 1
    return abs(a.start_seconds - b.start_seconds) < NEAR_SECONDS
