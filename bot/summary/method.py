"""Term weights, keywords and quotes of an episode.

Terms are weighted by how often the episode says them and how rare they are in the whole index
(segment document frequency, the same counts search uses), so the episode's own subject outweighs
words every episode says.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.summary.units import Unit, chapter_of, is_boilerplate, is_content, names_any, stands_alone, stem, tidy

GIST_UNIT_WORDS = (10, 45)
QUOTE_WORDS = (12, 45)
KEYWORDS = 10
IDF_POWER = 0.5
COMMON_SHARE, COMMON_FLOOR = 0.02, 50  # "und", "das", "python" in a Python show: never keywords


@dataclass(frozen=True, slots=True)
class Weights:
    """Content stems of one episode with their weights, and each stem's most used spelling."""

    weight: dict[str, float]
    spelling: dict[str, str]
    common: frozenset[str] = frozenset()  # in too many segments of the index to be a keyword
    idf: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, units: Sequence[Unit], documents: Callable[[str], int], total: int, min_count: int = 2) -> Weights:
        """Weigh stems said at least `min_count` times by tf * sqrt(idf), the idf from the rarest
        spelling's document count (measured: full idf buries the main topic's everyday words)."""
        counts = Counter(s for unit in units for s in unit.stems)
        spellings: dict[str, Counter[str]] = defaultdict(Counter)
        for unit in units:
            for word in filter(is_content, unit.said):
                spellings[stem(word)][word] += 1
        weight, common, idf = {}, set(), {}
        for term, count in counts.items():
            if count < min_count:
                continue  # said once in an hour: not a topic
            df = min((documents(w) for w in spellings[term]), default=0)
            idf[term] = math.log((total + 1) / (df + 1))
            weight[term] = count * idf[term] ** IDF_POWER
            if df > max(COMMON_FLOOR, COMMON_SHARE * total):
                common.add(term)
        spelling = {term: forms.most_common(1)[0][0] for term, forms in spellings.items()}
        return cls(weight, spelling, frozenset(common), idf)

    def unit_weight(self, unit: Unit) -> float:
        """The summed weight of a unit's distinct terms."""
        return sum(self.weight.get(s, 0.0) for s in set(unit.stems))


def gist_candidates(
    units: Sequence[Unit], show_words: frozenset[str], sponsors: frozenset[str] = frozenset()
) -> list[Unit]:
    """Units fit to stand in a gist: not too short or long, readable on their own, not boilerplate
    and not naming a sponsor."""
    low, high = GIST_UNIT_WORDS
    return [
        u
        for u in units
        if low <= u.words <= high
        and not is_boilerplate(u, show_words)
        and stands_alone(u.text)
        and not names_any(u, sponsors)
    ]


def keywords(units: Sequence[Unit], weights: Weights, banned: frozenset[str], limit: int = KEYWORDS) -> list[str]:
    """The episode's key terms and two-word phrases, heaviest first."""
    pairs: Counter[tuple[str, str]] = Counter()
    said_as: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)  # a phrase's spellings, as said
    for unit in units:
        for first, second in itertools.pairwise(unit.said):  # adjacent as spoken
            if is_content(first) and is_content(second) and (key := (stem(first), stem(second)))[0] != key[1]:
                pairs[key] += 1
                said_as[key][f"{first} {second}"] += 1
    usable = {
        term
        for term in weights.weight
        if term not in weights.common and weights.spelling.get(term, term) not in banned and term not in banned
    }
    # Keywords name what sets the episode apart: full tf * idf, where the gist's weights damp idf.
    distinct = {term: weights.weight[term] * weights.idf.get(term, 1.0) ** (1 - IDF_POWER) for term in usable}
    scored: dict[tuple[str, ...], float] = {(term,): distinct[term] for term in usable}
    for (a, b), count in pairs.items():
        if count >= 3 and a in usable and b in usable:
            scored[a, b] = (distinct[a] + distinct[b]) * min(1.0, count / 4)
    ranked = sorted(scored, key=lambda key: (-scored[key], key))  # ties in stem order, the same on every run
    picked: list[tuple[str, ...]] = []
    for key in ranked:
        if any(set(key) & set(other) for other in picked):
            continue  # one mention of each term: "machine learning" leaves "learning model" out
        picked.append(key)
        if len(picked) == limit:
            break
    return [
        said_as[key].most_common(1)[0][0] if key in said_as else weights.spelling.get(key[0], key[0]) for key in picked
    ]


def pick_quotes(candidates: Sequence[Unit], weights: Weights, sections: Sequence[int], count: int = 3) -> list[Unit]:
    """Standout sentences, at most one per chapter: dense in the episode's terms, not questions."""
    low, high = QUOTE_WORDS
    fit = [u for u in candidates if low <= u.words <= high and not u.is_question and _ends_sentence(u.text, cut=False)]
    ranked = sorted(fit, key=lambda u: -weights.unit_weight(u) / u.words**0.5)
    chosen: list[Unit] = []
    used_sections: set[int] = set()
    for unit in ranked:
        section = chapter_of(unit.index, sections)
        if section in used_sections or any(unit.text.casefold() == c.text.casefold() for c in chosen):
            continue
        chosen.append(unit)
        used_sections.add(section)
        if len(chosen) == count:
            break
    return sorted(chosen, key=lambda u: u.index)


def readable(units: Sequence[Unit], shortest: int = 8) -> list[tuple[Unit, str]]:
    """Units as a summary shows them, tidied; runs of neighbouring units join while one of them
    is a fragment ("Developer time?"), so no shown sentence is a stub; an unfinished one ends in …"""
    blocks: list[list[Unit]] = []
    for unit in units:
        last = blocks[-1][-1] if blocks else None
        if last is not None and last.index == unit.index - 1 and min(last.words, unit.words) < shortest:
            blocks[-1].append(unit)
        else:
            blocks.append([unit])
    return [(block[0], _ended(" ".join(tidy(u.text) for u in block))) for block in blocks]


def _ends_sentence(text: str, cut: bool = True) -> bool:
    """Whether `text` ends a sentence (`cut`: or stops with an ellipsis, as a caption trails off)."""
    return text.rstrip("\"”')]").endswith((".", "!", "?", "…") if cut else (".", "!", "?"))


def _ended(text: str) -> str:
    """Text that stops mid-sentence (captions without punctuation) ends with an ellipsis."""
    return text if not text or _ends_sentence(text) else f"{text}…"
