"""Catalogue reads: episodes, their text and chapters, the names filters match, and where a segment sits."""

from __future__ import annotations

import json
from collections.abc import Sequence

from models.episodes import EpisodeRow
from storage.common import EPISODES, EpisodeLookups, episode_row
from storage.connection import Connection


class CatalogueReads(Connection, EpisodeLookups):
    """Reading what the index holds."""

    async def _episode_rows(self, episode_id: int | None) -> list[EpisodeRow]:
        visible = """
            WHERE e.merged_into IS NULL AND (:id IS NULL OR e.id = :id)
            ORDER BY sh.title COLLATE NOCASE, e.published, e.number, e.id
        """
        async with self._db.execute(EPISODES + visible, {"id": episode_id}) as cursor:
            return [episode_row(row, json.loads(row[7])) async for row in cursor]

    async def chapters_of(self, episode_id: int) -> list[tuple[float, str]]:
        """An episode's chapters from its chapters file (start seconds, title); empty when it has none."""
        rows = await self._db.execute_fetchall(
            "SELECT json_extract(document, '$.chapters') FROM episodes WHERE id = ?", (episode_id,)
        )
        marks = json.loads(rows[0][0]) if rows and rows[0][0] else []
        return [(float(start), str(title)) for start, title in marks]

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

    async def segment_anchors(self, segment_ids: list[int]) -> dict[int, tuple[str, str, int]]:
        """Where each segment sits, in terms a reindex keeps: source path, item key, position."""
        query = """
            SELECT s.id, e.source_path, e.item_key, s.position
            FROM segments s JOIN episodes e ON e.id = s.episode_id
            WHERE s.id IN (SELECT value FROM json_each(:ids))
        """
        rows = await self._db.execute_fetchall(query, {"ids": json.dumps(segment_ids)})
        return {row[0]: (row[1], row[2], row[3]) for row in rows}
