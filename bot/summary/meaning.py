"""Meaning for summaries: the vectors search by meaning stored at index time, spread over an
episode's sentence units, so a summary needs no model to compare its parts by meaning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.summary.units import Unit


@dataclass(frozen=True, slots=True)
class Passage:
    """A run of segments (first and last index into the episode's segments), its int8 vector and
    its segments' int8 vectors back to back (None when embedded before segments had their own)."""

    first: int
    last: int
    vector: bytes
    segment_vectors: bytes | None = None


def unit_vectors(units: Sequence[Unit], passages: Sequence[Passage]) -> np.ndarray | None:
    """Each unit's vector, that of its segment (or of the passage holding it), unit length; a zero
    row for a unit outside every passage; None when the episode has no passages."""
    if not passages or not units:
        return None
    dimension = len(passages[0].vector)
    segments = np.zeros((max(max(p.last for p in passages), max(u.segment for u in units)) + 1, dimension))
    for passage in passages:
        count = passage.last - passage.first + 1
        own = passage.segment_vectors
        if own is not None and len(own) == count * dimension:
            segments[passage.first : passage.last + 1] = np.frombuffer(own, dtype=np.int8).reshape(count, dimension)
        else:
            segments[passage.first : passage.last + 1] = np.frombuffer(passage.vector, dtype=np.int8)
    found = segments[[u.segment for u in units]].astype(np.float32)
    found /= np.maximum(np.linalg.norm(found, axis=1, keepdims=True), 1e-6)
    return found
