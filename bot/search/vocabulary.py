"""The index's own vocabulary, for correcting misspelt query words."""

from __future__ import annotations

from collections import defaultdict
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
        self._counts = dict(document_counts)
        self.segments = max(1, segments)
        self._by_first: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._by_last: dict[tuple[str, int], list[str]] = defaultdict(list)
        for term in self._counts:
            if len(term) > 2 and not term.isdigit():
                self._by_first[term[0], len(term)].append(term)
                self._by_last[term[-1], len(term)].append(term)

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

    def correct(self, term: str) -> str | None:
        """The most frequent known term within one edit (two for long words), or None."""
        if len(term) < 4 or term.isdigit():
            return None
        edits = 1 if len(term) < 8 else 2
        choices: list[str] = []
        for length in range(len(term) - edits, len(term) + edits + 1):
            choices += self._by_first.get((term[0], length), [])
            choices += self._by_last.get((term[-1], length), [])
        found = process.extract(term, choices, scorer=OSA.distance, score_cutoff=edits, limit=8)
        if not found:
            return None
        return min(found, key=lambda match: (match[1], -self.documents(match[0]), match[0]))[0]
