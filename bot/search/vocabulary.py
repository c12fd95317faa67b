"""The index's own vocabulary, for correcting misspelt query words."""

from __future__ import annotations

import copy
from collections import ChainMap, defaultdict
from collections.abc import Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

COMMON_SHARE = 0.03  # a term in more than 3% of segments says little about which one is meant
COMMON_FLOOR = 50  # ...but in a small index every word is in a large share
MAX_SPELLINGS = 4_000  # one-edit spellings to look up before scanning the buckets is the cheaper way


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
        letters: set[str] = set()
        for term in self._counts:
            if len(term) > 2 and not term.isdigit():
                self._by_first[term[0], len(term)].append(term)
                self._by_last[term[-1], len(term)].append(term)
                letters.update(term)
        self._alphabet = "".join(sorted(letters))

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
        one_edit = self._one_edit(term)
        if one_edit is None or (not one_edit and len(term) >= 8):
            return self._scanned(term, limit)
        return tuple(sorted(one_edit, key=lambda t: (-self.documents(t), t))[:limit])

    def _one_edit(self, term: str) -> set[str] | None:
        """The known terms one edit from `term` (a letter dropped, added or changed, two swapped),
        each spelling looked up; None when the vocabulary's alphabet makes that dearer than a scan."""
        letters = self._alphabet
        if (2 * len(term) + 1) * len(letters) > MAX_SPELLINGS:
            return None
        splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
        spellings = {head + tail[1:] for head, tail in splits if tail}
        spellings.update(head + tail[1] + tail[0] + tail[2:] for head, tail in splits if len(tail) > 1)
        spellings.update(head + letter + tail[1:] for head, tail in splits if tail for letter in letters)
        spellings.update(head + letter + tail for head, tail in splits for letter in letters)
        spellings.discard(term)
        return {t for t in spellings if len(t) > 2 and t in self._counts and not t.isdigit()}

    def _scanned(self, term: str, limit: int) -> tuple[str, ...]:
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
