"""Passage vectors for search by meaning, as storage hands them to the in-memory scan."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PassageSegments = list[tuple[int, str]]  # (segment id, text) in order
PassageRow = tuple[int, int, bytes, bytes]  # first and last segment id, vector, its segments' vectors (int8)
EpisodePassage = tuple[int, int, bytes, bytes | None]  # the same by segment position in its episode


@dataclass(frozen=True, slots=True)
class VectorSnapshot:
    """Every passage vector, read in one go for the in-memory scan."""

    passage_ids: list[int]
    episode_ids: list[int]
    first_segments: list[int]
    last_segments: list[int]
    vectors: bytes  # the int8 vectors back to back

    @classmethod
    def of_rows(cls, rows: Iterable[Sequence[Any]]) -> VectorSnapshot:
        """The snapshot of (passage id, episode id, first segment, last segment, vector) rows."""
        rows = list(rows)
        return cls(
            passage_ids=[row[0] for row in rows],
            episode_ids=[row[1] for row in rows],
            first_segments=[row[2] for row in rows],
            last_segments=[row[3] for row in rows],
            vectors=b"".join(row[4] for row in rows),
        )
