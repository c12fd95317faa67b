"""Passages (two or three consecutive segments) and their vectors, made after indexing.

`embed_pending` embeds the episodes that have no passages yet, one episode at a time in a worker
thread, and stores each episode's vectors in one transaction only if its segments are unchanged
(a reindex during the embedding wins; the new text is embedded on the next pass). Then each
embedded episode's title and notes get one vector too, for topic questions.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence

import numpy as np

from bot.ports import Vectors
from bot.semantic.embedder import Embedder
from models.vectors import EpisodeNotes

log = logging.getLogger(__name__)

PASSAGE_WORDS = 40  # a passage closes at this many words once it has two segments
LONG_SEGMENT_WORDS = 80  # a segment this long is a passage on its own
MAX_SEGMENTS = 3
EPISODES_A_ROUND = 50
_MARKUP = re.compile(r"<[^>]*>|https?://\S+|&\w+;")


def windows(texts: Sequence[str]) -> list[tuple[int, int]]:
    """Split an episode's segment texts into passages: (first, last) indexes, inclusive."""
    found: list[tuple[int, int]] = []
    start, words = 0, 0
    for i, text in enumerate(texts):
        words += len(text.split())
        size = i - start + 1
        if size >= MAX_SEGMENTS or words >= LONG_SEGMENT_WORDS or (size >= 2 and words >= PASSAGE_WORDS):
            found.append((start, i))
            start, words = i + 1, 0
    if start < len(texts):
        if found and found[-1][1] - found[-1][0] + 1 < MAX_SEGMENTS and words < PASSAGE_WORDS / 2:
            found[-1] = (found[-1][0], len(texts) - 1)  # a short tail joins the passage before it
        else:
            found.append((start, len(texts) - 1))
    return found


def quantize(vectors: np.ndarray) -> np.ndarray:
    """Unit float vectors as int8 (times 127): a quarter of the bytes, no measurable recall lost."""
    return np.clip(np.rint(vectors * 127.0), -127, 127).astype(np.int8)


EmbedProgress = Callable[[int, int], None]  # episodes embedded so far, episodes to embed in all


async def embed_pending(store: Vectors, embedder: Embedder | None, progress: EmbedProgress | None = None) -> int:
    """Embed every episode that has no passages yet (or only passages from before segment
    vectors); return the passages stored. `progress` hears after each episode."""
    if embedder is None:
        return 0
    stored, tried = 0, set()
    started = time.perf_counter()
    total = await store.count_unembedded()
    while pending := [e for e in await store.unembedded_episodes(EPISODES_A_ROUND + len(tried)) if e not in tried]:
        total = max(total, len(tried) + len(pending))  # episodes indexed meanwhile
        for episode_id in pending:
            tried.add(episode_id)
            stored += await embed_episode(store, embedder, episode_id)
            if progress is not None:
                progress(len(tried), total)
        log.info("embedded %d passages in %.0f s", stored, time.perf_counter() - started)
    await embed_notes(store, embedder)
    return stored


def notes_text(title: str, notes: str) -> str:
    """What an episode's notes vector is made of: its title, then its notes without markup or links."""
    return " ".join(f"{title}. {_MARKUP.sub(' ', notes)}".split())


async def embed_notes(store: Vectors, embedder: Embedder) -> int:
    """Give every embedded episode without one a vector of its title and notes; return how many."""
    stored, tried = 0, set()
    while pending := [e for e in await store.unnoted_episodes(EPISODES_A_ROUND + len(tried)) if e[0] not in tried]:
        for notes in pending:
            tried.add(notes[0])
            stored += await _embed_notes(store, embedder, notes)
    return stored


async def _embed_notes(store: Vectors, embedder: Embedder, notes: EpisodeNotes) -> bool:
    vector = await asyncio.to_thread(embedder.embed, [notes_text(notes[1], notes[2])])
    return await store.save_notes_vector(notes, quantize(vector[0]).tobytes())


async def embed_episode(store: Vectors, embedder: Embedder, episode_id: int) -> int:
    """Embed one episode's passages and store them; return how many were stored."""
    segments = await store.episode_segments(episode_id)
    spans = windows([text for _, text in segments])
    rows = await asyncio.to_thread(_embed_spans, embedder, [text for _, text in segments], spans)
    found = [(segments[first][0], segments[last][0], *row) for (first, last), row in zip(spans, rows, strict=True)]
    return len(found) if await store.save_passages(episode_id, segments, found) else 0


def _embed_spans(embedder: Embedder, texts: list[str], spans: list[tuple[int, int]]) -> list[tuple[bytes, bytes]]:
    """Each passage's int8 vector and its segments' int8 vectors, as bytes."""
    rows = []
    for first, last in spans:
        whole, parts = embedder.embed_parts(texts[first : last + 1])
        rows.append((quantize(whole).tobytes(), quantize(parts).tobytes()))
    return rows
