"""Extractive summaries: a gist that covers the episode's topics, keywords, chapters and quotes.

Terms are weighted by how often the episode says them and how rare they are in the whole index
(segment document frequency, the same counts search uses), so the episode's own subject outweighs
words every episode says. The gist greedily picks sentences that cover the most weight not yet
covered per word spoken, which spreads it over the topics instead of repeating the main one.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.search.text import tokens
from bot.summary.units import HOUSEKEEPING_CUES, Unit, content_words, is_boilerplate, is_content, stem, tidy

GIST_WORDS = 120
GIST_SENTENCES = (3, 5)
GIST_UNIT_WORDS = (12, 45)
QUOTE_WORDS = (12, 45)
KEYWORDS = 10
LENGTH_PENALTY = 0.7  # gain per word**this: favours dense sentences without only picking short ones
IDF_POWER = 0.5
COMMON_SHARE, COMMON_FLOOR = 0.02, 50  # "und", "das", "python" in a Python show: never keywords
TITLE_BOOST = 3.0  # the title's words name the episode's subject
COLD_OPEN_SHARE = 0.1  # a cold open ends before the show's stock intro, within this share of the episode


@dataclass(frozen=True, slots=True)
class Weights:
    """Content stems of one episode with their weights, and each stem's most used spelling."""

    weight: dict[str, float]
    spelling: dict[str, str]
    common: frozenset[str] = frozenset()  # in too many segments of the index to be a keyword

    @classmethod
    def of(cls, units: Sequence[Unit], documents: Callable[[str], int], total: int, min_count: int = 2) -> Weights:
        """Weigh stems said at least `min_count` times by tf * sqrt(idf), the idf from the rarest
        spelling's document count (measured: full idf buries the main topic's everyday words)."""
        counts = Counter(s for unit in units for s in unit.stems)
        spellings: dict[str, Counter[str]] = defaultdict(Counter)
        for unit in units:
            for word in content_words(unit.text):
                spellings[stem(word)][word] += 1
        weight, common = {}, set()
        for term, count in counts.items():
            if count < min_count:
                continue  # said once in an hour: not a topic
            df = min((documents(w) for w in spellings[term]), default=0)
            weight[term] = count * math.log((total + 1) / (df + 1)) ** IDF_POWER
            if df > max(COMMON_FLOOR, COMMON_SHARE * total):
                common.add(term)
        spelling = {term: forms.most_common(1)[0][0] for term, forms in spellings.items()}
        return cls(weight, spelling, frozenset(common))

    def boosted(self, title: str) -> Weights:
        """These weights with the title's terms counted TITLE_BOOST times."""
        named = {stem(word) for word in content_words(title)}
        weight = {term: w * TITLE_BOOST if term in named else w for term, w in self.weight.items()}
        return Weights(weight, self.spelling)

    def unit_weight(self, unit: Unit, covered: set[str] | frozenset[str] = frozenset()) -> float:
        return sum(self.weight.get(s, 0.0) for s in set(unit.stems) - covered)


def gist_candidates(units: Sequence[Unit], show_words: frozenset[str]) -> list[Unit]:
    """Units fit to stand in a gist: complete, not too short or long, not boilerplate."""
    low, high = GIST_UNIT_WORDS
    return [u for u in units if low <= u.words <= high and not is_boilerplate(u, show_words)]


def cold_open(units: Sequence[Unit], show_words: frozenset[str]) -> list[Unit]:
    """The host's own preview of the episode: what is said before the show's stock intro
    ("This is Talk Python to Me, episode 91"), when that intro comes early; else nothing."""
    early = units[: max(1, int(len(units) * COLD_OPEN_SHARE))]
    intro = next((u.index for u in early if HOUSEKEEPING_CUES.search(u.text)), None)
    if intro is None or intro < 2:
        return []
    opening = list(units[:intro])
    return opening if sum(u.words for u in opening) >= 25 else []


def pick_gist(
    candidates: Sequence[Unit], weights: Weights, budget: int = GIST_WORDS, opening: Sequence[Unit] = ()
) -> list[Unit]:
    """The cold open (within budget), then greedy weighted coverage, returned in episode order."""
    chosen: list[Unit] = []
    used = 0
    for unit in opening:  # a written preview: kept whole, short sentences and all, within budget
        if used + unit.words > budget:
            break
        chosen.append(unit)
        used += unit.words
    most = max(GIST_SENTENCES[1], len(chosen) + 1)
    covered: set[str] = {s for unit in chosen for s in unit.stems}
    pool = [u for u in candidates if u not in chosen and u.index > (chosen[-1].index if chosen else -1)]
    while pool and used < budget and len(chosen) < most:
        best = max(pool, key=lambda u: weights.unit_weight(u, covered) / u.words**LENGTH_PENALTY)
        if weights.unit_weight(best, covered) <= 0:
            break
        pool.remove(best)
        chosen.append(best)
        covered.update(best.stems)
        used += best.words
    return sorted(chosen, key=lambda u: u.index)


def keywords(units: Sequence[Unit], weights: Weights, banned: frozenset[str], limit: int = KEYWORDS) -> list[str]:
    """The episode's key terms and two-word phrases, heaviest first."""
    pairs: Counter[tuple[str, str]] = Counter()
    for unit in units:
        stems = [stem(w) if is_content(w) else None for w in tokens(unit.text)]  # adjacent as spoken
        pairs.update((a, b) for a, b in itertools.pairwise(stems) if a and b and a != b)
    usable = {
        term
        for term in weights.weight
        if term not in weights.common and weights.spelling.get(term, term) not in banned and term not in banned
    }
    scored: dict[tuple[str, ...], float] = {(term,): weights.weight[term] for term in usable}
    for (a, b), count in pairs.items():
        if count >= 3 and a in usable and b in usable:
            scored[a, b] = (weights.weight[a] + weights.weight[b]) * min(1.0, count / 4)
    ranked = sorted(scored, key=lambda key: -scored[key])
    picked: list[tuple[str, ...]] = []
    for key in ranked:
        if any(set(key) & set(other) for other in picked):
            continue  # one mention of each term: "machine learning" leaves "learning model" out
        picked.append(key)
        if len(picked) == limit:
            break
    return [" ".join(weights.spelling.get(part, part) for part in key) for key in picked]


def pick_quotes(candidates: Sequence[Unit], weights: Weights, sections: Sequence[int], count: int = 3) -> list[Unit]:
    """Standout sentences, at most one per chapter: dense in the episode's terms, not questions."""
    low, high = QUOTE_WORDS
    fit = [u for u in candidates if low <= u.words <= high and not u.is_question]
    ranked = sorted(fit, key=lambda u: -weights.unit_weight(u) / u.words**0.5)
    chosen: list[Unit] = []
    used_sections: set[int] = set()
    for unit in ranked:
        section = _section_of(unit.index, sections)
        if section in used_sections or any(unit.text.casefold() == c.text.casefold() for c in chosen):
            continue
        chosen.append(unit)
        used_sections.add(section)
        if len(chosen) == count:
            break
    return sorted(chosen, key=lambda u: u.index)


def _section_of(index: int, starts: Sequence[int]) -> int:
    return sum(1 for start in starts if start <= index)


def readable(units: Sequence[Unit], shortest: int = 8) -> list[tuple[Unit, str]]:
    """Units as a summary shows them, tidied; runs of neighbouring units join while one of them
    is a fragment ("Developer time?"), so no shown sentence is a stub."""
    blocks: list[list[Unit]] = []
    for unit in units:
        last = blocks[-1][-1] if blocks else None
        if last is not None and last.index == unit.index - 1 and min(last.words, unit.words) < shortest:
            blocks[-1].append(unit)
        else:
            blocks.append([unit])
    return [(block[0], " ".join(tidy(u.text) for u in block)) for block in blocks]
