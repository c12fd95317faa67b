"""Nearest passages by brute force over vectors held in memory.

Two stages: Hamming distance over the vectors' sign bits (48 bytes a passage) picks about
`RESCORE` candidates, then their int8 vectors are scored exactly. numpy has no fast int8 product,
and a float32 copy of every vector would take 1.5 KB a passage; the sign bits keep the first stage
to a few milliseconds at a million segments (see bench/semantic_eval.py --scale). The bits are
kept as six rows of 64-bit words (one row per word, not per passage) so each step runs over one
contiguous array, and the candidates are cut at a distance read off a histogram of the distances
(they are small integers) instead of a partial sort: each of these halved its stage's time.

Topic questions rank whole episodes by three signals: their best passages, the mean of all their
passages (what the episode is about overall) and the vector of their title and notes (what it says
it is about). The three rankings are fused by reciprocal rank, so an episode first by one signal is
not sunk by another that misses it (notes that only list links, a German episode's English terms),
as it was when their standardised values were summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.semantic.passages import quantize
from models.vectors import VectorSnapshot

RESCORE = 1500
EXACT_BELOW = 4 * RESCORE  # a small index is scored exactly
SLICE = 65_536  # rows made into sign bits at a time (a bool copy of every vector would be as big as they are)
ROWS_AT_ONCE = 4_096  # int8 rows made float32 at a time for episode means (6 MB, not the heap's for good)
TOPIC_PASSAGES = 3  # an episode's topic score: the mean of its best three passages
TOPIC_RRF_K = 8  # small: a topic ranking's first few places count most (the literal fusion's 60 spreads them)


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
        self.by_first = np.argsort(self.first, kind="stable").astype(np.int32)  # rows by first segment
        self.topic_episodes = np.unique(self.episodes)
        rows = np.searchsorted(self.topic_episodes, self.episodes)
        self.by_episode = np.argsort(rows, kind="stable").astype(np.int32)  # rows grouped by episode
        self.bounds = np.searchsorted(rows[self.by_episode], np.arange(len(self.topic_episodes) + 1))
        self.centroids = self._centroids(dimension)  # int8 like the passages: a quarter of float32's bytes
        self.notes = np.zeros_like(self.centroids)
        found = [(i, snapshot.notes[int(e)]) for i, e in enumerate(self.topic_episodes) if int(e) in snapshot.notes]
        self.has_notes = np.zeros(len(self.topic_episodes), dtype=bool)
        for i, vector in found:
            self.notes[i] = np.frombuffer(vector, dtype=np.int8)
            self.has_notes[i] = True

    def _centroids(self, dimension: int) -> np.ndarray:
        """Each episode's mean passage vector, made unit and int8, in slices of rows (grouped by episode)."""
        sums = np.zeros((len(self.topic_episodes), dimension), dtype=np.float32)
        owner = np.repeat(np.arange(len(self.topic_episodes)), np.diff(self.bounds))
        for at in range(0, len(self), ROWS_AT_ONCE):
            rows, owners = self.by_episode[at : at + ROWS_AT_ONCE], owner[at : at + ROWS_AT_ONCE]
            starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
            sums[owners[starts]] += np.add.reduceat(self.vectors[rows].astype(np.float32), starts, axis=0)
        return quantize(sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12))

    def __len__(self) -> int:
        return len(self.episodes)

    def nearest(self, query: np.ndarray, limit: int, episodes: tuple[int, ...] | None = None) -> list[Near]:
        """The `limit` passages most similar to the unit vector `query`, best first."""
        rows, similarity = self._scored(query.astype(np.float32), limit, episodes)
        return [self._near(r, float(value)) for r, value in zip(rows, similarity, strict=True)]

    def containing(self, segment_ids: list[int], query: np.ndarray) -> list[Near]:
        """The passages holding these segments (each once, in the order first met), with their
        similarity to the unit vector `query`."""
        if not segment_ids or not len(self):
            return []
        wanted = np.asarray(segment_ids, dtype=np.int64)
        at = np.searchsorted(self.first[self.by_first], wanted, side="right") - 1
        rows = self.by_first[np.maximum(at, 0)]
        held = (at >= 0) & (self.first[rows] <= wanted) & (wanted <= self.last[rows])
        rows = np.asarray(list(dict.fromkeys(int(r) for r in rows[held])), dtype=np.int64)
        if not len(rows):
            return []
        similarity = self.vectors[rows].astype(np.float32) @ query.astype(np.float32) / 127.0
        return [self._near(r, float(value)) for r, value in zip(rows, similarity, strict=True)]

    def _near(self, row: int, similarity: float) -> Near:
        r = int(row)
        return Near(int(self.episodes[r]), int(self.first[r]), int(self.last[r]), similarity, int(self.ids[r]))

    def _scored(
        self, query: np.ndarray, limit: int, episodes: tuple[int, ...] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the `limit` passages most similar to `query`, best first, and their similarities."""
        rows = self._candidates(query, episodes)
        similarity = (self.vectors[rows].astype(np.float32) @ query) / 127.0
        order = np.argsort(-similarity)[:limit]
        return rows[order], similarity[order]

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
        arrays = (
            self.vectors,
            self.signs,
            self.episodes,
            self.first,
            self.last,
            self.ids,
            self.by_episode,
            self.by_first,
        )
        return sum(a.nbytes for a in (*arrays, self.bounds, self.centroids, self.notes))

    def topics(self, query: np.ndarray, limit: int, episodes: tuple[int, ...] | None = None) -> list[Near]:
        """Episodes ranked by three similarities fused by reciprocal rank: the mean of their best
        passages (among the RESCORE nearest), their mean passage and their title and notes (the
        mean passage where an episode has no notes vector). Each is shown as its best passage, with
        the higher of that passage's and the notes' similarity."""
        query = query.astype(np.float32)
        rows, similarity = self._scored(query, RESCORE)
        owners = np.searchsorted(self.topic_episodes, self.episodes[rows])
        order = np.lexsort((-similarity, owners))  # by episode, each episode's best first
        first = np.r_[True, owners[order][1:] != owners[order][:-1]]
        place = np.arange(len(order)) - np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
        kept = order[place < TOPIC_PASSAGES]
        passages = np.bincount(owners[kept], similarity[kept], len(self.topic_episodes)) / TOPIC_PASSAGES
        best = {int(owners[i]): int(i) for i in order[first]}  # each episode's best passage, by index into rows
        overall = _similarity(self.centroids, query)
        notes = np.where(self.has_notes, _similarity(self.notes, query), overall)
        score = _rank_fused(passages, overall, notes)
        if episodes is not None:
            score[~np.isin(self.topic_episodes, episodes)] = -np.inf
        shown = []
        for at in (int(at) for at in np.argsort(-score)[:limit] if np.isfinite(score[at])):
            i = best.get(at)
            passage = self._best_passage(at, query) if i is None else self._near(rows[i], float(similarity[i]))
            shown.append(_shown(passage, float(notes[at])))
        return shown

    def _best_passage(self, at: int, query: np.ndarray) -> Near:
        rows = self.by_episode[self.bounds[at] : self.bounds[at + 1]]
        similarity = self.vectors[rows].astype(np.float32) @ query / 127.0
        best = int(np.argmax(similarity))
        return self._near(rows[best], float(similarity[best]))


def _shown(passage: Near, notes: float) -> Near:
    similarity = max(passage.similarity, notes)
    return Near(passage.episode_id, passage.first_segment, passage.last_segment, similarity, passage.passage_id)


def _similarity(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Each int8 row's cosine similarity to the unit `query`, ROWS_AT_ONCE rows at a time."""
    out = np.empty(len(vectors), dtype=np.float32)
    for at in range(0, len(vectors), ROWS_AT_ONCE):
        out[at : at + ROWS_AT_ONCE] = vectors[at : at + ROWS_AT_ONCE].astype(np.float32) @ query
    return out / 127.0


def _rank_fused(*signals: np.ndarray) -> np.ndarray:
    """The sum over `signals` of 1 / (TOPIC_RRF_K + rank): rank 1 for the highest value, and equal
    values (the episodes with no passage among the nearest) the same rank."""
    fused = np.zeros(len(signals[0]), dtype=np.float64)
    for values in signals:
        higher = len(values) - np.searchsorted(np.sort(values), values, side="right")
        fused += 1.0 / (TOPIC_RRF_K + 1 + higher)
    return fused


def _closest(distance: np.ndarray, count: int) -> np.ndarray:
    """Indexes of about `count` of the smallest distances (all below the cut, then ties up to
    twice `count`), in no particular order."""
    cut = int(np.searchsorted(np.cumsum(np.bincount(distance)), count))
    below = np.flatnonzero(distance < cut)
    return np.concatenate([below, np.flatnonzero(distance == cut)[: max(0, 2 * count - len(below))]])
