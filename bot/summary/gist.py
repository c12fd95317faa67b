"""The gist: the host's own preview when there is one, then the most summary-like sentence of each topic.

What makes a spoken sentence summary-like was measured against 26 pairs of transcripts and human
show notes (13,394 body sentences; correlation with the share of each sentence's words found in
the notes): the share of written-prose function words (+0.38), how typical its words are of this
episode, stop words included (+0.38), how often the episode says its content words (+0.21), and
words of the title (+0.18). A ranking on these four beat weighted term coverage (ROUGE-1 32 vs 30
on transcript bodies), and a linear ranking fitted leave-one-episode-out on more features did no
better (31), so the weights below are round numbers, not fitted ones.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence

from bot.summary.units import HOUSEKEEPING_CUES, Unit, chapter_of, content_words, stem

GIST_WORDS = 120
MOST_SENTENCES = 5
COLD_OPEN_SHARE = 0.1  # a cold open ends before the show's stock intro, within this share of the episode
REPEAT_SHARE = 0.5  # a sentence sharing more of its terms than this with the gist so far adds little
FEATURE_WEIGHTS = (1.0, 1.0, 0.5, 0.3)  # written prose, typical words, topical terms, title words
WRITTEN = frozenset("the of and to a an in is for with as by on from that this which are its can".split())


def cold_open(units: Sequence[Unit]) -> list[Unit]:
    """The host's own preview of the episode: what is said before the show's stock intro
    ("This is Talk Python to Me, episode 91"), when that intro comes early; else nothing."""
    early = units[: max(1, int(len(units) * COLD_OPEN_SHARE))]
    intro = next((u.index for u in early if HOUSEKEEPING_CUES.search(u.text)), None)
    if intro is None or intro < 2:
        return []
    opening = list(units[:intro])
    return opening if sum(u.words for u in opening) >= 25 else []


def summary_likeness(candidates: Sequence[Unit], units: Sequence[Unit], title: str) -> dict[int, float]:
    """Each candidate's score (by unit index): the four measured features, standardised within
    the episode and weighed by FEATURE_WEIGHTS."""
    words = Counter(w for u in units for w in u.said)
    total = sum(words.values()) or 1
    terms = Counter(s for u in units for s in u.stems)
    named = {stem(w) for w in content_words(title)}

    def features(unit: Unit) -> tuple[float, float, float, float]:
        said = unit.said or ("",)
        return (
            sum(1 for w in said if w in WRITTEN) / len(said),
            sum(math.log(words[w] / total) for w in said if w in words) / len(said),
            sum(terms[s] for s in unit.stems) / max(1, len(unit.stems)),
            sum(1 for s in unit.stems if s in named),
        )

    columns = list(zip(*(features(u) for u in candidates), strict=True)) if candidates else []
    standard = [_standardised(column) for column in columns]
    return {
        unit.index: sum(weight * column[i] for weight, column in zip(FEATURE_WEIGHTS, standard, strict=True))
        for i, unit in enumerate(candidates)
    }


def _standardised(values: Sequence[float]) -> list[float]:
    mean, spread = statistics.fmean(values), statistics.pstdev(values) or 1.0
    return [(v - mean) / spread for v in values]


def pick_gist(
    candidates: Sequence[Unit],
    scores: dict[int, float],
    chapter_starts: Sequence[int],
    opening: Sequence[Unit] = (),
    budget: int = GIST_WORDS,
) -> list[Unit]:
    """The cold open (within budget), then the best-scoring sentence of each chapter not yet
    represented, skipping repeats, until about `budget` words; in episode order."""
    chosen: list[Unit] = []
    used = 0
    for unit in opening:  # a written preview: kept whole, short sentences and all, within budget
        if used + unit.words > budget:
            break
        chosen.append(unit)
        used += unit.words
    most = len(chosen) + 1 if chosen else MOST_SENTENCES
    covered = {s for unit in chosen for s in unit.stems}
    chapters = {chapter_of(unit.index, chapter_starts) for unit in chosen}
    after = chosen[-1].index if chosen else -1
    for unit in sorted((u for u in candidates if u.index > after), key=lambda u: -scores[u.index]):
        if used >= budget or len(chosen) >= most:
            break
        terms = set(unit.stems)
        chapter = chapter_of(unit.index, chapter_starts)
        if chapter in chapters or (covered and len(terms & covered) > REPEAT_SHARE * len(terms)):
            continue
        chosen.append(unit)
        used += unit.words
        covered |= terms
        chapters.add(chapter)
    return sorted(chosen, key=lambda u: u.index)
