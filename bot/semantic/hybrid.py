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

from rapidfuzz import fuzz

from bot.semantic.embedder import Embedder
from bot.semantic.scan import Near, VectorIndex
from models.episodes import Candidate
from models.search import SegmentFilter
from storage import Store

RRF_K = 60  # reciprocal-rank fusion's damping constant (the value of the original paper)
T = TypeVar("T")
MIN_SIMILARITY = 0.25  # passages less similar than this are not shown
SAME_MOMENT_SECONDS = 45.0  # a passage starting this close to a literal hit is that hit
_TOPIC = re.compile(
    r"""^\W*(?:(?:what|which|find|show\ me|there\ was|remember)\s+)?(?:(?:was|is)\s+)?(?:the|that|an?)?\s*
    (?:episode|ep|show|one|podcast)s?\s+
    (?:(?:(?:that|which|where|when|in\ which)\s+(?:\w+\s+){0,2}?)?
       (?:talk(?:ed|s)?|discuss(?:ed|es)?|cover(?:ed|s)?|went\ (?:over|into)|dove\ into|got\ into|was)
       (?:\s+(?:about|on|into))?
     |about|on|discussing|covering|talking\ about|with)\s+
    (?P<subject>.+?)\W*$""",
    re.IGNORECASE | re.VERBOSE,
)


def topic_subject(text: str) -> str | None:
    """What a topic question asks about ("which episode talked about X" -> "X"), else None."""
    found = _TOPIC.match(text)
    return found.group("subject") if found else None


class MeaningSearch:
    """Passages nearest in meaning, from vectors loaded into memory and reloaded when the index changes."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._index: VectorIndex | None = None

    async def reload(self) -> None:
        """Read every passage vector again (called when the index has changed)."""
        snapshot = await self.store.vector_snapshot()
        self._index = await asyncio.to_thread(VectorIndex, snapshot, self.embedder.dimension)

    @property
    def ready(self) -> bool:
        return self._index is not None and len(self._index) > 0

    async def moments(self, text: str, where: SegmentFilter, limit: int) -> list[tuple[Candidate, float]]:
        """The passages nearest to `text` as candidates (their first segment), with their similarity."""
        if not self.ready:
            return []
        index = self._index
        assert index is not None
        query = (await asyncio.to_thread(self.embedder.embed, [text]))[0]
        found = await asyncio.to_thread(index.nearest, query, limit * 4, where.episode_ids)
        return await self._candidates(text, found, where, limit)

    async def topics(self, text: str, where: SegmentFilter, limit: int) -> list[tuple[Candidate, float]]:
        """Episodes that discussed `text`, best first, each as its closest passage."""
        if not self.ready:
            return []
        index = self._index
        assert index is not None
        query = (await asyncio.to_thread(self.embedder.embed, [text]))[0]
        found = await asyncio.to_thread(index.topics, query, limit * 4)
        return await self._candidates(text, found, where, limit)

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
