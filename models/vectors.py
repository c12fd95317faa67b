"""Passage vectors for search by meaning, as storage hands them to the in-memory scan."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

PassageSegments = list[tuple[int, str]]  # (segment id, text) in order
PassageRow = tuple[int, int, bytes, bytes]  # first and last segment id, vector, its segments' vectors (int8)
EpisodePassage = tuple[int, int, bytes, bytes | None]  # the same by segment position in its episode
EpisodeNotes = tuple[int, str, str]  # episode id, title, description ('' when none)


@dataclass(frozen=True, slots=True)
class VectorSnapshot:
    """Every passage vector, read in one go for the in-memory scan."""

    passage_ids: Sequence[int]  # lists, or compact arrays from `of_rows`
    episode_ids: Sequence[int]
    first_segments: Sequence[int]
    last_segments: Sequence[int]
    vectors: bytes | bytearray  # the int8 vectors back to back
    notes: dict[int, bytes] = field(default_factory=dict)  # episode id -> int8 vector of its title and notes

    @classmethod
    def of_rows(cls, rows: Iterable[Sequence[Any]], notes: Iterable[Sequence[Any]] = ()) -> VectorSnapshot:
        """The snapshot of (passage id, episode id, first segment, last segment, vector) rows, read
        one by one into compact arrays: a list of the rows would briefly take ~500 bytes a passage
        more (~200 MB at a million segments) beside the index being replaced; `notes` are (episode
        id, vector) rows."""
        ids, episodes, firsts, lasts, vectors = array("q"), array("q"), array("q"), array("q"), bytearray()
        for passage_id, episode_id, first, last, vector in rows:
            ids.append(passage_id)
            episodes.append(episode_id)
            firsts.append(first)
            lasts.append(last)
            vectors += vector
        return cls(ids, episodes, firsts, lasts, vectors, {row[0]: bytes(row[1]) for row in notes})
