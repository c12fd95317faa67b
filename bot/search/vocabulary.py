"""The index's own vocabulary, for correcting misspelt query words."""

from __future__ import annotations

import copy
from collections import ChainMap, defaultdict
from collections.abc import Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

COMMON_SHARE = 0.03  # a term in more than 3% of segments says little about which one is meant
COMMON_FLOOR = 50  # ...but in a small index every word is in a large share


class Vocabulary:
    """Terms with their document counts, bucketed by length and first or last letter.

    Distances are optimal string alignment (swapping two letters is one edit). One edit can change
    the first letter or the last, not both, so looking in the two buckets a term could have come
    from finds every term one edit away without scanning the whole vocabulary.
    """

    def __init__(self, document_counts: Mapping[str, int], segments: int) -> None:
        self._counts: Mapping[str, int] = dict(document_counts)
        self.segments = max(1, segments)
        self._by_first: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._by_last: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._corrections: dict[tuple[str, int], tuple[str, ...]] = {}
        for term in self._counts:
            if len(term) > 2 and not term.isdigit():
                self._by_first[term[0], len(term)].append(term)
                self._by_last[term[-1], len(term)].append(term)

    def with_counts(self, document_counts: Mapping[str, int]) -> Vocabulary:
        """This vocabulary with these terms' counts added or updated; no new spellings to correct to."""
        extended = copy.copy(self)
        extended._counts = ChainMap(dict(document_counts), self._counts)
        extended._corrections = {}
        return extended

    def __contains__(self, term: str) -> bool:
        return term in self._counts

    def __len__(self) -> int:
        return len(self._counts)

    def is_common(self, term: str) -> bool:
        """Whether `term` is in too many segments to fetch candidates by (or to highlight)."""
        return self.documents(term) > max(COMMON_FLOOR, COMMON_SHARE * self.segments)

    def documents(self, term: str) -> int:
        """How many segments contain `term`."""
        return self._counts.get(term, 0)

    def corrections(self, term: str, limit: int = 3) -> tuple[str, ...]:
        """Known terms at the smallest distance from `term` (one edit, two for long words),
        most frequent first; empty when none is that close or the word is too short to guess."""
        if len(term) < 4 or term.isdigit():
            return ()
        key = (term, limit)
        if key not in self._corrections:
            if len(self._corrections) > 10_000:
                self._corrections.clear()
            self._corrections[key] = self._closest(term, limit)
        return self._corrections[key]

    def _closest(self, term: str, limit: int) -> tuple[str, ...]:
        edits = 1 if len(term) < 8 else 2
        choices: set[str] = set()
        for length in range(len(term) - edits, len(term) + edits + 1):
            choices.update(self._by_first.get((term[0], length), ()))
            choices.update(self._by_last.get((term[-1], length), ()))
        found = process.extract(term, list(choices), scorer=OSA.distance, score_cutoff=edits, limit=None)
        if not found:
            return ()
        closest = min(distance for _, distance, _ in found)
        best = sorted((t for t, distance, _ in found if distance == closest), key=lambda t: (-self.documents(t), t))
        return tuple(best[:limit])
