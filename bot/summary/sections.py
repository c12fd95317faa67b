"""Topic segmentation: where the conversation turns to something else (TextTiling, Hearst 1997).

The vocabulary of a window of units before each gap is compared with the window after it; a gap
where similarity dips deeply below the peaks on either side is a topic boundary. The deepest dips,
kept apart by a minimum chapter length, become chapter starts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.summary.method import Weights, keywords
from bot.summary.units import Unit, stands_alone, stem, tidy
from models.text import tokens

MINUTES_PER_CHAPTER = 8.0
CHAPTERS = (2, 10)
LABEL_TERMS = 3
OPENING_UNITS = 3  # a question this early in a chapter is what the chapter is about
QUESTION_WORDS = (4, 14)


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


def boundaries(units: Sequence[Unit], count: int) -> list[int]:
    """Indexes of the units that start each chapter after the first, at most `count - 1` of them."""
    if len(units) < 12 or count < 2:
        return []
    window = max(3, len(units) // 40)
    similarity = [
        (gap, _cosine(_bag(units[gap - window : gap]), _bag(units[gap : gap + window])))
        for gap in range(window, len(units) - window + 1)
    ]
    values = [value for _, value in similarity]
    depth = [(_depth(values, i), gap) for i, (gap, _) in enumerate(similarity)]
    spacing = len(units) // (2 * count)
    chosen: list[int] = []
    for _, gap in sorted(depth, reverse=True):
        if all(abs(gap - other) >= spacing for other in chosen) and spacing <= gap <= len(units) - spacing:
            chosen.append(gap)
        if len(chosen) == count - 1:
            break
    return sorted(chosen)


def sections(units: Sequence[Unit], weights: Weights, banned: frozenset[str] = frozenset()) -> list[Section]:
    """The episode's chapters with labels from their most distinctive terms."""
    if not units:
        return []
    starts = [0, *boundaries(units, chapter_count(units))]
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


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[term] for term, count in a.items() if term in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


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
