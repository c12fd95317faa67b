"""Catalogue reads: episodes, their text and chapters, the names filters match, and where a segment sits."""

from __future__ import annotations

import json
from collections.abc import Sequence

from models.episodes import EpisodeRow, SegmentRow
from storage.common import EpisodeLookups, episode_row
from storage.connection import Connection


class CatalogueReads(Connection, EpisodeLookups):
    """Reading what the index holds."""

    async def _episode_rows(self, episode_id: int | None) -> list[EpisodeRow]:
        query = """
            SELECT e.id, sh.title, e.number, e.title, e.published, e.duration_seconds, e.url, e.speakers,
                   so.shown_path, e.format, (SELECT count(*) FROM segments s WHERE s.episode_id = e.id)
            FROM episodes e
            JOIN sources so ON so.path = e.source_path
            LEFT JOIN shows sh ON sh.id = e.show_id
            WHERE e.merged_into IS NULL AND (:id IS NULL OR e.id = :id)
            ORDER BY sh.title COLLATE NOCASE, e.published, e.number, e.id
        """
        async with self._db.execute(query, {"id": episode_id}) as cursor:
            return [episode_row(row, json.loads(row[7])) async for row in cursor]

    async def description(self, episode_id: int) -> str | None:
        """An episode's show notes or description, if any."""
        rows = await self._db.execute_fetchall("SELECT description FROM episodes WHERE id = ?", (episode_id,))
        return rows[0][0] if rows else None

    async def chapters_of(self, episode_id: int) -> list[tuple[float, str]]:
        """An episode's chapters from its chapters file (start seconds, title); empty when it has none."""
        rows = await self._db.execute_fetchall(
            "SELECT json_extract(document, '$.chapters') FROM episodes WHERE id = ?", (episode_id,)
        )
        marks = json.loads(rows[0][0]) if rows and rows[0][0] else []
        return [(float(start), str(title)) for start, title in marks]

    async def segments_of(self, episode_id: int) -> list[SegmentRow]:
        """An episode's segments in order: start, end, speaker, text."""
        rows = await self._db.execute_fetchall(
            "SELECT start_seconds, end_seconds, speaker, text FROM segments WHERE episode_id = ? ORDER BY position",
            (episode_id,),
        )
        return [tuple(row) for row in rows]

    async def rejected_sources(self, limit: int = 10) -> list[tuple[str, str]]:
        """Files the last runs could not read: path as given and the reason, newest first."""
        rows = await self._db.execute_fetchall(
            "SELECT shown_path, coalesce(detail, 'unreadable') FROM sources WHERE status = 'rejected'"
            " ORDER BY indexed_at DESC, shown_path LIMIT ?",
            (limit,),
        )
        return [tuple(row) for row in rows]

    async def counts(self) -> dict[str, int]:
        """How many shows, episodes, segments and rejected files the index holds."""
        query = """
            SELECT (SELECT count(*) FROM shows),
                   (SELECT count(*) FROM episodes WHERE merged_into IS NULL),
                   (SELECT count(*) FROM segments),
                   (SELECT count(*) FROM sources WHERE status = 'rejected')
        """
        async with self._db.execute(query) as cursor:
            shows, episodes, segments, rejected = await cursor.fetchone()
        return {"shows": shows, "episodes": episodes, "segments": segments, "rejected": rejected}

    async def speaker_names(self) -> list[str]:
        """The real speakers of all visible episodes, by name."""
        query = """
            SELECT DISTINCT value FROM episodes, json_each(episodes.speakers)
            WHERE merged_into IS NULL ORDER BY value COLLATE NOCASE
        """
        async with self._db.execute(query) as cursor:
            return [name async for (name,) in cursor]

    async def show_titles(self) -> list[tuple[int, str]]:
        """Every show's id and title."""
        async with self._db.execute("SELECT id, title FROM shows ORDER BY title") as cursor:
            return [(row_id, title) async for row_id, title in cursor]

    async def episode_ids(self, number: int | None, show_ids: Sequence[int] | None) -> list[int]:
        """Visible episodes with this number (or id when no episode has it), in these shows."""
        query = """
            SELECT id FROM episodes
            WHERE merged_into IS NULL AND (number = :number OR (id = :number AND NOT EXISTS (
                SELECT 1 FROM episodes WHERE number = :number AND merged_into IS NULL)))
              AND (:show_ids IS NULL OR show_id IN (SELECT value FROM json_each(:show_ids)))
        """
        shows = None if show_ids is None else json.dumps(list(show_ids))
        async with self._db.execute(query, {"number": number, "show_ids": shows}) as cursor:
            return [row_id async for (row_id,) in cursor]

    async def episode_titles(self) -> list[tuple[int, str, int | None, str | None]]:
        """Id, title, number and show of every visible episode, for matching by name."""
        query = """
            SELECT e.id, e.title, e.number, sh.title FROM episodes e LEFT JOIN shows sh ON sh.id = e.show_id
            WHERE e.merged_into IS NULL ORDER BY e.id
        """
        async with self._db.execute(query) as cursor:
            return [tuple(row) async for row in cursor]

    async def segment_anchors(self, segment_ids: list[int]) -> dict[int, tuple[str, str, int]]:
        """Where each segment sits, in terms a reindex keeps: source path, item key, position."""
        query = """
            SELECT s.id, e.source_path, e.item_key, s.position
            FROM segments s JOIN episodes e ON e.id = s.episode_id
            WHERE s.id IN (SELECT value FROM json_each(:ids))
        """
        rows = await self._db.execute_fetchall(query, {"ids": json.dumps(segment_ids)})
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    async def context_at(
        self, anchor: tuple[str, str, int], radius: int
    ) -> list[tuple[int, float | None, str | None, str]]:
        """The segment at `anchor` and up to `radius` neighbours each side: position, start, speaker, text."""
        query = """
            SELECT s.position, s.start_seconds, s.speaker, s.text
            FROM episodes e JOIN segments s ON s.episode_id = e.id
            WHERE e.source_path = :source AND e.item_key = :item
              AND s.position BETWEEN :position - :radius AND :position + :radius
            ORDER BY s.position
        """
        source, item, position = anchor
        parameters = {"source": source, "item": item, "position": position, "radius": radius}
        rows = await self._db.execute_fetchall(query, parameters)
        return [tuple(row) for row in rows]
