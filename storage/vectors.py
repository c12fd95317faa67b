"""Passages and their vectors (search by meaning).

Passages are derived data: they are made for episodes that have none, from the segments committed
at the time, and saved only if those segments are still the same when the vectors are written.
Deleting an episode (every reindex of its file does) deletes its passages in the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from models.vectors import EpisodeNotes, EpisodePassage, PassageRow, PassageSegments, VectorSnapshot
from storage.connection import Connection

# Episodes with no passages yet, or with passages from before migration 9 (no segment vectors).
UNEMBEDDED_EPISODES = """
    SELECT e.id FROM episodes e
    WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.episode_id = e.id AND p.segment_vectors IS NOT NULL)
      AND EXISTS (SELECT 1 FROM segments s WHERE s.episode_id = e.id)
    ORDER BY e.id LIMIT :limit
"""
COUNT_UNEMBEDDED = """
    SELECT count(*) FROM episodes e
    WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.episode_id = e.id AND p.segment_vectors IS NOT NULL)
      AND EXISTS (SELECT 1 FROM segments s WHERE s.episode_id = e.id)
"""
EPISODE_SEGMENTS = "SELECT id, text FROM segments WHERE episode_id = ? ORDER BY position"
INSERT_PASSAGE = """
    INSERT INTO passages (episode_id, first_segment, last_segment, vector, segment_vectors) VALUES (?, ?, ?, ?, ?)
"""
SEGMENT_VECTORS = """
    SELECT id, segment_vectors FROM passages
    WHERE id IN (SELECT value FROM json_each(:ids)) AND segment_vectors IS NOT NULL
"""
# Embedded episodes whose title and notes have no vector yet.
UNNOTED_EPISODES = """
    SELECT e.id, e.title, coalesce(e.description, '') FROM episodes e
    WHERE e.merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM episode_vectors v WHERE v.episode_id = e.id)
      AND EXISTS (SELECT 1 FROM passages p WHERE p.episode_id = e.id)
    ORDER BY e.id LIMIT :limit
"""
SAVE_NOTES = """
    INSERT OR REPLACE INTO episode_vectors (episode_id, vector)
    SELECT id, :vector FROM episodes WHERE id = :episode AND title = :title AND coalesce(description, '') = :notes
"""
EPISODE_PASSAGES = """
    WITH ordered AS (
        SELECT id, ROW_NUMBER() OVER (ORDER BY position) - 1 AS n FROM segments WHERE episode_id = :episode
    )
    SELECT f.n, l.n, p.vector, p.segment_vectors FROM passages p
    JOIN ordered f ON f.id = p.first_segment JOIN ordered l ON l.id = p.last_segment
    WHERE p.episode_id = :episode ORDER BY f.n
"""


async def unembedded_episodes(db: aiosqlite.Connection, limit: int) -> list[int]:
    """Episodes with segments but no passages yet."""
    return [row[0] for row in await db.execute_fetchall(UNEMBEDDED_EPISODES, {"limit": limit})]


async def count_unembedded(db: aiosqlite.Connection) -> int:
    """How many episodes `unembedded_episodes` has left."""
    async with db.execute(COUNT_UNEMBEDDED) as cursor:
        (count,) = await cursor.fetchone()
    return int(count)


async def segment_vectors(db: aiosqlite.Connection, passage_ids: Sequence[int]) -> dict[int, bytes]:
    """These passages' segment vectors (int8, one a segment, back to back), where they have them."""
    rows = await db.execute_fetchall(SEGMENT_VECTORS, {"ids": json.dumps(list(passage_ids))})
    return {row[0]: row[1] for row in rows}


async def episode_segments(db: aiosqlite.Connection, episode_id: int) -> PassageSegments:
    return [(row[0], row[1]) for row in await db.execute_fetchall(EPISODE_SEGMENTS, (episode_id,))]


async def episode_passages(db: aiosqlite.Connection, episode_id: int) -> list[EpisodePassage]:
    """An episode's passages in order: first and last segment as positions in the episode's
    segment list (0-based, as `segments_of` returns them), the int8 vector and segment vectors."""
    rows = await db.execute_fetchall(EPISODE_PASSAGES, {"episode": episode_id})
    return [(row[0], row[1], row[2], row[3]) for row in rows]


async def save_passages(
    db: aiosqlite.Connection, episode_id: int, embedded_from: PassageSegments, rows: list[PassageRow]
) -> bool:
    """Insert an episode's passages (first segment, last segment, vector, segment vectors) in place
    of any made before migration 9, if its segments are still `embedded_from` and it has no new
    ones yet; False when a reindex changed it meanwhile. Run inside a write transaction."""
    if await episode_segments(db, episode_id) != embedded_from:
        return False
    done = "SELECT 1 FROM passages WHERE episode_id = ? AND segment_vectors IS NOT NULL LIMIT 1"
    async with db.execute(done, (episode_id,)) as cursor:
        if await cursor.fetchone() is not None:
            return False
    await db.execute("DELETE FROM passages WHERE episode_id = ?", (episode_id,))
    await db.executemany(INSERT_PASSAGE, [(episode_id, *row) for row in rows])
    return True


async def unnoted_episodes(db: aiosqlite.Connection, limit: int) -> list[EpisodeNotes]:
    """Embedded episodes without a vector of their title and notes: id, title, notes."""
    return [(row[0], row[1], row[2]) for row in await db.execute_fetchall(UNNOTED_EPISODES, {"limit": limit})]


async def save_notes_vector(db: aiosqlite.Connection, notes: EpisodeNotes, vector: bytes) -> bool:
    """Store the vector of an episode's title and notes if they are still `notes`."""
    episode_id, title, description = notes
    cursor = await db.execute(
        SAVE_NOTES, {"vector": vector, "episode": episode_id, "title": title, "notes": description}
    )
    return cursor.rowcount == 1


def read_vectors(path: Path) -> VectorSnapshot:
    """Every passage's ids and vector and every episode's notes vector, from one snapshot of the
    database at `path`, row by row."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as connection:
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("BEGIN")
        notes = connection.execute(
            "SELECT v.episode_id, v.vector FROM episode_vectors v"
            " JOIN episodes e ON e.id = v.episode_id WHERE e.merged_into IS NULL"
        ).fetchall()
        return VectorSnapshot.of_rows(
            connection.execute(
                "SELECT p.id, p.episode_id, p.first_segment, p.last_segment, p.vector FROM passages p"
                " JOIN episodes e ON e.id = p.episode_id WHERE e.merged_into IS NULL ORDER BY p.id"
            ),
            notes,
        )


class VectorTables(Connection):
    """Passage vectors, through the store's connection."""

    async def unembedded_episodes(self, limit: int) -> list[int]:
        """Episodes whose passages are not embedded yet (search by meaning)."""
        return await unembedded_episodes(self._db, limit)

    async def count_unembedded(self) -> int:
        """How many episodes are waiting for their passage vectors."""
        return await count_unembedded(self._db)

    async def segment_vectors(self, passage_ids: Sequence[int]) -> dict[int, bytes]:
        """Passage id -> its segments' int8 vectors back to back, in order (search by meaning)."""
        return await segment_vectors(self._db, passage_ids)

    async def episode_segments(self, episode_id: int) -> PassageSegments:
        """An episode's segment ids and texts, in order."""
        return await episode_segments(self._db, episode_id)

    async def passages_of(self, episode_id: int) -> list[EpisodePassage]:
        """An episode's passages in order: first and last index into `segments_of`, vector, and
        its segments' vectors (None for passages embedded before migration 9)."""
        return await episode_passages(self._db, episode_id)

    async def save_passages(self, episode_id: int, embedded_from: PassageSegments, rows: list[PassageRow]) -> bool:
        """Store an episode's passage vectors in one transaction, unless its text changed meanwhile."""
        async with self._write():
            return await save_passages(self._db, episode_id, embedded_from, rows)

    async def unnoted_episodes(self, limit: int) -> list[EpisodeNotes]:
        """Embedded episodes whose title and notes have no vector yet: id, title, notes."""
        return await unnoted_episodes(self._db, limit)

    async def save_notes_vector(self, notes: EpisodeNotes, vector: bytes) -> bool:
        """Store the vector of an episode's title and notes, unless they changed meanwhile."""
        async with self._write():
            return await save_notes_vector(self._db, notes, vector)

    async def vector_snapshot(self) -> VectorSnapshot:
        """Every passage vector, read in a worker thread through a read-only connection of its own."""
        return await asyncio.to_thread(read_vectors, self.path)
