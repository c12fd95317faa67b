"""Passage vectors for search by meaning, as storage hands them to the in-memory scan."""

from __future__ import annotations

from dataclasses import dataclass

PassageSegments = list[tuple[int, str]]  # (segment id, text) in order
PassageRow = tuple[int, int, bytes, bytes]  # first and last segment id, vector, its segments' vectors (int8)


@dataclass(frozen=True, slots=True)
class VectorSnapshot:
    """Every passage vector, read in one go for the in-memory scan."""

    passage_ids: list[int]
    episode_ids: list[int]
    first_segments: list[int]
    last_segments: list[int]
    vectors: bytes  # the int8 vectors back to back
