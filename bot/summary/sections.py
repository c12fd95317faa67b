"""Topic segmentation: where the conversation turns to something else (TextTiling, Hearst 1997).

A window of units before each gap is compared with the window after it, by meaning (the passage
vectors stored for search, when the episode has them, averaged over windows of half, one and two
times the base size) or else by vocabulary; a gap where similarity dips deeply below the peaks on
either side is a topic boundary. The deepest dips, kept apart by a minimum chapter length, become
chapter starts, moved to the nearest turn of a speaker. Measured on 27 timed bitcointranscripts
episodes (`bench/summary_eval.py`), boundaries within 30 s of a human heading: 66% by meaning
(57.5% with one window size; 59-66% for other sets of sizes), 50% by vocabulary.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.summary.method import Weights, keywords
from bot.summary.units import Unit, stands_alone, stem, tidy
from models.text import tokens

MINUTES_PER_CHAPTER = 8.0
CHAPTERS = (2, 10)
LABEL_TERMS = 3
OPENING_UNITS = 3  # a question this early in a chapter is what the chapter is about
QUESTION_WORDS = (4, 14)
SNAP_UNITS = 3
WINDOW_SCALES = (0.5, 1.0, 2.0)


@dataclass(frozen=True, slots=True)
class Section:
    """A chapter: the index of its first unit and a short label."""

    first: int
    title: str


def chapter_count(units: Sequence[Unit]) -> int:
    """About one chapter per eight minutes (or 80 units when there are no times), within bounds."""
    times = [u.start for u in units if u.start is not None]
    timed = bool(times) and times[-1] > times[0]
    wanted = (times[-1] - times[0]) / 60 / MINUTES_PER_CHAPTER if timed else len(units) / 80
    return max(CHAPTERS[0], min(CHAPTERS[1], round(wanted)))


def boundaries(units: Sequence[Unit], count: int, vectors: np.ndarray | None = None) -> list[int]:
    """Indexes of the units that start each chapter after the first, at most `count - 1` of them;
    `vectors` (one a unit) compare windows by meaning, else by their words."""
    if len(units) < 12 or count < 2:
        return []
    window = max(3, len(units) // 40)
    gaps = range(window, len(units) - window + 1)
    values = _word_similarity(units, window) if vectors is None else _similarity_at_scales(vectors, window)
    depth = [(_depth(values, i), gap) for i, gap in enumerate(gaps)]
    spacing = len(units) // (2 * count)
    chosen: list[int] = []
    for _, gap in sorted(depth, reverse=True):
        if all(abs(gap - other) >= spacing for other in chosen) and spacing <= gap <= len(units) - spacing:
            chosen.append(gap)
        if len(chosen) == count - 1:
            break
    return sorted(chosen if vectors is None else (_turn_start(units, gap) for gap in chosen))


def _similarity_at_scales(vectors: np.ndarray, window: int) -> list[float]:
    """For each gap from `window` to `len - window`: the mean of `_window_similarity` over windows
    of half, one and two times `window` (those that fit at that gap), as a topic's length is unknown."""
    total, fitted = np.zeros(len(vectors) + 1), np.zeros(len(vectors) + 1)
    for scale in WINDOW_SCALES:
        size = max(2, round(window * scale))
        if len(vectors) >= 2 * size:
            total[size : len(vectors) - size + 1] += _window_similarity(vectors, size)
            fitted[size : len(vectors) - size + 1] += 1
    gaps = slice(window, len(vectors) - window + 1)
    return list(total[gaps] / np.maximum(fitted[gaps], 1))


def _word_similarity(units: Sequence[Unit], window: int) -> list[float]:
    """For each gap from `window` to `len - window`: the cosine of the content-stem counts of the
    `window` units before it and of those after it, both windows slid one unit at a time."""
    pair = _SlidingPair()
    for unit in units[:window]:
        pair.add(unit, before=True)
    for unit in units[window : 2 * window]:
        pair.add(unit, before=False)
    values = [pair.cosine]
    for gap in range(window + 1, len(units) - window + 1):
        pair.remove(units[gap - 1 - window], before=True)
        pair.remove(units[gap - 1], before=False)
        pair.add(units[gap - 1], before=True)
        pair.add(units[gap + window - 1], before=False)
        values.append(pair.cosine)
    return values


class _SlidingPair:
    """Two windows' stem counts with their dot product and squared norms, kept as units come and go."""

    def __init__(self) -> None:
        self.counts: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
        self.squares = [0, 0]
        self.dot = 0

    def add(self, unit: Unit, before: bool) -> None:
        mine, other = self.counts if before else self.counts[::-1]
        for term in unit.stems:
            self.squares[not before] += 2 * mine[term] + 1
            self.dot += other[term]
            mine[term] += 1

    def remove(self, unit: Unit, before: bool) -> None:
        mine, other = self.counts if before else self.counts[::-1]
        for term in unit.stems:
            mine[term] -= 1
            self.squares[not before] -= 2 * mine[term] + 1
            self.dot -= other[term]

    @property
    def cosine(self) -> float:
        norm = math.sqrt(self.squares[0]) * math.sqrt(self.squares[1])
        return self.dot / norm if norm else 0.0


def _window_similarity(vectors: np.ndarray, window: int) -> np.ndarray:
    """For each gap from `window` to `len - window`: the cosine of the summed vectors of the
    `window` units before it and of those after it."""
    sums = np.vstack([np.zeros((1, vectors.shape[1]), dtype=np.float32), np.cumsum(vectors, axis=0)])
    gaps = np.arange(window, len(vectors) - window + 1)
    before, after = sums[gaps] - sums[gaps - window], sums[gaps + window] - sums[gaps]
    norms = np.maximum(np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1), 1e-6)
    return (before * after).sum(axis=1) / norms


def _turn_start(units: Sequence[Unit], gap: int) -> int:
    """The start of a speaker's turn nearest `gap`, within SNAP_UNITS (`gap` when there is none):
    a vector stands for a passage of a few segments, so a dip locates a turn only roughly."""
    near = range(max(1, gap - SNAP_UNITS), min(len(units), gap + SNAP_UNITS + 1))
    turns = [i for i in near if units[i].speaker != units[i - 1].speaker]
    return min(turns, key=lambda i: abs(i - gap), default=gap)


def sections(
    units: Sequence[Unit], weights: Weights, banned: frozenset[str] = frozenset(), vectors: np.ndarray | None = None
) -> list[Section]:
    """The episode's chapters with labels from their most distinctive terms."""
    if not units:
        return []
    starts = [0, *boundaries(units, chapter_count(units), vectors)]
    ends = [*starts[1:], len(units)]
    whole = Counter(s for u in units for s in u.stems)
    found: list[Section] = []
    for first, end in zip(starts, ends, strict=True):
        before = found[-1].title if found else ""
        found.append(Section(first, _label(units[first:end], whole, weights, banned, before)))
    return found


def _label(part: Sequence[Unit], whole: Counter[str], weights: Weights, banned: frozenset[str], before: str) -> str:
    """The question that opens the chapter, else its key phrase (said mostly in this chapter) that
    shares no word with the label before it."""
    opening = next((u for u in part[:OPENING_UNITS] if _is_opening_question(u, weights, banned)), None)
    if opening is not None:
        return tidy(opening.text)
    here = _bag(part)
    local = {
        term: weights.weight[term] * here[term] / whole[term]
        for term in here
        if term in weights.weight and here[term] >= 2
    }
    phrases = keywords(part, Weights(local, weights.spelling, weights.common), banned, limit=LABEL_TERMS)
    taken = {stem(w) for w in tokens(before)}
    label = next((p for p in phrases if not {stem(w) for w in p.split()} & taken), None)
    return label[:1].upper() + label[1:] if label else "Conversation"


def _is_opening_question(unit: Unit, weights: Weights, banned: frozenset[str]) -> bool:
    """A short question about something the chapter's words weigh ("What is package relay?")."""
    low, high = QUESTION_WORDS
    weighty = [s for s in unit.stems if weights.weight.get(s, 0.0) > 0 and s not in banned]
    return unit.is_question and low <= unit.words <= high and len(weighty) >= 2 and stands_alone(unit.text)


def _bag(part: Sequence[Unit]) -> Counter[str]:
    return Counter(s for u in part for s in u.stems)


def _depth(values: Sequence[float], i: int) -> float:
    left = right = values[i]
    for value in reversed(values[:i]):
        if value < left:
            break
        left = value
    for value in values[i + 1 :]:
        if value < right:
            break
        right = value
    return (left - values[i]) + (right - values[i])
