"""Nearest passages by brute force over vectors held in memory.

Two stages: Hamming distance over the vectors' sign bits (48 bytes a passage) picks about
`RESCORE` candidates, then their int8 vectors are scored exactly. numpy has no fast int8 product,
and a float32 copy of every vector would take 1.5 KB a passage; the sign bits keep the first stage
to a few milliseconds at a million segments (see bench/semantic_eval.py --scale). The bits are
kept as six rows of 64-bit words (one row per word, not per passage) so each step runs over one
contiguous array, and the candidates are cut at a distance read off a histogram of the distances
(they are small integers) instead of a partial sort: each of these halved its stage's time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from models.vectors import VectorSnapshot

RESCORE = 1500
EXACT_BELOW = 4 * RESCORE  # a small index is scored exactly
SLICE = 65_536  # rows made into sign bits at a time (a bool copy of every vector would be as big as they are)
TOPIC_PASSAGES = 3  # an episode's topic score: the mean of its best three passages


@dataclass(frozen=True, slots=True)
class Near:
    """A passage close to the query: its episode, its segments and the cosine similarity."""

    episode_id: int
    first_segment: int
    last_segment: int
    similarity: float
    passage_id: int = 0


class VectorIndex:
    """Every passage vector of a snapshot, ready to scan."""

    def __init__(self, snapshot: VectorSnapshot, dimension: int = 384) -> None:
        count = len(snapshot.passage_ids)
        self.vectors = np.frombuffer(snapshot.vectors, dtype=np.int8).reshape(count, dimension)
        bits = [np.packbits(self.vectors[at : at + SLICE] > 0, axis=1) for at in range(0, count, SLICE)]
        self.signs = np.ascontiguousarray(
            np.concatenate(bits or [np.empty((0, dimension // 8), np.uint8)]).view(np.uint64).T
        )
        self.episodes = np.asarray(snapshot.episode_ids, dtype=np.int32)
        self.first = np.asarray(snapshot.first_segments, dtype=np.int32)
        self.last = np.asarray(snapshot.last_segments, dtype=np.int32)
        self.ids = np.asarray(snapshot.passage_ids, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.episodes)

    def nearest(self, query: np.ndarray, limit: int, episodes: tuple[int, ...] | None = None) -> list[Near]:
        """The `limit` passages most similar to the unit vector `query`, best first."""
        rows = self._candidates(query, episodes)
        if not len(rows):
            return []
        similarity = (self.vectors[rows].astype(np.float32) @ query.astype(np.float32)) / 127.0
        order = np.argsort(-similarity)[:limit]
        return [
            Near(int(self.episodes[r]), int(self.first[r]), int(self.last[r]), float(similarity[i]), int(self.ids[r]))
            for i, r in zip(order, rows[order], strict=True)
        ]

    def _candidates(self, query: np.ndarray, episodes: tuple[int, ...] | None) -> np.ndarray:
        rows = None if episodes is None else np.flatnonzero(np.isin(self.episodes, episodes))
        if len(self if rows is None else rows) <= EXACT_BELOW:
            return np.arange(len(self)) if rows is None else rows
        bits = np.packbits(query > 0).view(np.uint64)
        signs = self.signs if rows is None else self.signs[:, rows]
        distance = np.bitwise_count(signs[0] ^ bits[0]).astype(np.uint16)
        for word in range(1, len(bits)):
            distance += np.bitwise_count(signs[word] ^ bits[word])
        best = _closest(distance, RESCORE)
        return best if rows is None else rows[best]

    @property
    def nbytes(self) -> int:
        """The memory its arrays hold."""
        return sum(a.nbytes for a in (self.vectors, self.signs, self.episodes, self.first, self.last, self.ids))

    def topics(self, query: np.ndarray, limit: int) -> list[Near]:
        """Episodes ranked by the mean similarity of their best passages, each as its best passage
        (with that mean as its similarity)."""
        best: dict[int, list[Near]] = defaultdict(list)
        for near in self.nearest(query, RESCORE):
            if len(best[near.episode_id]) < TOPIC_PASSAGES:
                best[near.episode_id].append(near)
        scored = [
            Near(
                episode,
                found[0].first_segment,
                found[0].last_segment,
                sum(n.similarity for n in found) / TOPIC_PASSAGES,
            )
            for episode, found in best.items()
        ]
        return sorted(scored, key=lambda near: near.similarity, reverse=True)[:limit]


def _closest(distance: np.ndarray, count: int) -> np.ndarray:
    """Indexes of about `count` of the smallest distances (all below the cut, then ties up to
    twice `count`), in no particular order."""
    cut = int(np.searchsorted(np.cumsum(np.bincount(distance)), count))
    below = np.flatnonzero(distance < cut)
    return np.concatenate([below, np.flatnonzero(distance == cut)[: max(0, 2 * count - len(below))]])
