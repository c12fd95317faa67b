"""Index writes: files' episodes and segments replaced in one transaction, linking's results, settings
carried over by a rebuild."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from models.clock import now_text
from models.episodes import EpisodeFacts, EpisodeRecord, LinkedEpisode, SourceRecord
from storage.connection import Connection
from storage.documents import decoded_facts, link_columns

# What `rewind rebuild` carries over: set by server admins, not derived from the transcripts.
SETTINGS_TABLES = ("schedules", "feeds", "feed_items", "announce_channels", "announcements")
SETTINGS_COPIES = {  # both databases are at the same schema: open() migrates the old one first
    "schedules": "INSERT OR IGNORE INTO main.schedules SELECT * FROM old.schedules",
    "feeds": "INSERT OR IGNORE INTO main.feeds SELECT * FROM old.feeds",
    "feed_items": "INSERT OR IGNORE INTO main.feed_items SELECT * FROM old.feed_items",
    "announce_channels": "INSERT OR IGNORE INTO main.announce_channels SELECT * FROM old.announce_channels",
    "announcements": "INSERT OR IGNORE INTO main.announcements SELECT * FROM old.announcements",
}
# Pages of merged b-tree a step of `merge_index` writes (~4 kB each, ~4 MB a step): one short transaction.
MERGE_PAGES = 1000


class IndexWrites(Connection):
    """Writing an index run."""

    async def source_hashes(self) -> dict[str, str]:
        """Map every known file path to the content hash it was indexed with."""
        async with self._db.execute("SELECT path, content_hash FROM sources") as cursor:
            return {path: digest async for path, digest in cursor}

    async def indexed_paths(self) -> set[str]:
        """Files whose episodes are in the index now."""
        async with self._db.execute("SELECT path FROM sources WHERE status = 'indexed'") as cursor:
            return {path async for (path,) in cursor}

    async def replace_sources(self, groups: Sequence[tuple[Sequence[SourceRecord], Sequence[EpisodeRecord]]]) -> int:
        """Replace these files' rows and episodes in one transaction; return segments written."""
        records = [record for group, _ in groups for record in group]
        episodes = [episode for _, group in groups for episode in group]
        async with self._write():
            now = now_text()
            await self._delete_sources([record.path for record in records])
            await self._db.executemany(
                "INSERT INTO sources (path, shown_path, content_hash, format, status, detail, indexed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(r.path, r.shown_path, r.content_hash, r.format, r.status, r.detail, now) for r in records],
            )
            rows = []
            for episode in episodes:
                episode_id = await self._insert_episode(episode)
                rows += [(episode_id, position, *row) for position, row in enumerate(episode.segments)]
            # The rows after the last segment left are this write's: indexed in one pass in id order.
            async with self._db.execute("SELECT coalesce(max(id), 0) FROM segments") as cursor:
                (last,) = await cursor.fetchone()
            await self._db.executemany(
                "INSERT INTO segments (episode_id, position, start_seconds, end_seconds, speaker, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            await self._db.execute(
                "INSERT INTO segments_fts(rowid, text) SELECT id, text FROM segments_folded WHERE id > ?", (last,)
            )
        return len(rows)

    async def remove_sources(self, paths: Sequence[str]) -> None:
        """Forget files that are gone, with their episodes, in one transaction."""
        if not paths:
            return
        async with self._write():
            await self._delete_sources(paths)

    async def _delete_sources(self, paths: Iterable[str]) -> None:
        rows = [(path,) for path in paths]
        await self._db.executemany(
            "INSERT INTO segments_fts(segments_fts, rowid, text)"
            " SELECT 'delete', s.id, s.text FROM segments_folded s JOIN episodes e ON e.id = s.episode_id"
            " WHERE e.source_path = ?",
            rows,
        )
        await self._db.executemany(
            "DELETE FROM segments WHERE episode_id IN (SELECT id FROM episodes WHERE source_path = ?)", rows
        )
        await self._db.executemany("DELETE FROM episodes WHERE source_path = ?", rows)
        await self._db.executemany("DELETE FROM sources WHERE path = ?", rows)

    async def _insert_episode(self, episode: EpisodeRecord) -> int:
        cursor = await self._db.execute(
            "INSERT INTO episodes (source_path, item_key, title, format, speakers, from_listing, document)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                episode.source_path,
                episode.item_key,
                episode.facts.title or "",
                episode.format,
                json.dumps(list(episode.speakers)),
                int(episode.facts.from_listing),
                json.dumps(dataclasses.asdict(episode.facts)),
            ),
        )
        return cursor.lastrowid

    async def episode_facts(self) -> list[tuple[int, EpisodeFacts]]:
        """Every episode's id and its documents' own facts, for linking."""
        documents = await self._db.execute_fetchall("SELECT id, document FROM episodes ORDER BY id")
        return await asyncio.to_thread(decoded_facts, documents)  # ~0.1 s a 15k episodes: off the loop

    async def save_links(self, linked: Sequence[LinkedEpisode]) -> None:
        """Show each episode with its linked facts, in one transaction; summaries made before go."""
        parameters = [link_columns(episode) for episode in linked]
        async with self._write():
            await self._db.execute("DELETE FROM summaries")  # they name shows and weigh words by the index
            await self._db.execute("UPDATE episodes SET show_id = NULL, merged_into = NULL")
            await self._db.execute("DELETE FROM shows")
            shows = sorted({row[0] for row in parameters if row[0]}, key=str.casefold)
            await self._db.executemany("INSERT OR IGNORE INTO shows (title) VALUES (?)", [(s,) for s in shows])
            await self._db.executemany(
                "UPDATE episodes SET show_id = (SELECT id FROM shows WHERE title = ?), number = ?, title = ?,"
                " published = ?, duration_seconds = ?, url = ?, description = ?, merged_into = ? WHERE id = ?",
                parameters,
            )

    async def keep_settings_of(self, old: Path) -> list[str]:
        """Copy the servers' settings (schedules, feeds, announcement channels and what they showed)
        from the database at `old` into this new one; return the tables copied."""
        await self._db.execute("ATTACH DATABASE ? AS old", (str(old),))
        try:
            rows = await self._db.execute_fetchall("SELECT name FROM old.sqlite_master WHERE type = 'table'")
            present = {name for (name,) in rows}
            copied = [table for table in SETTINGS_TABLES if table in present]
            async with self._write():
                for table in copied:
                    await self._db.execute(SETTINGS_COPIES[table])
        finally:
            await self._db.execute("DETACH DATABASE old")
        return copied

    async def merge_index(self) -> int:
        """Merge the full-text index's b-trees into one, a step of `MERGE_PAGES` pages at a time, each
        step its own short write transaction; return the steps that did work. A reindex writes every
        segment again beside its old version and the deletions that hide it, in ever more b-trees
        that automerge leaves alone (none at one level reaches its threshold): a search reads them
        all (an unranked query went from 2.8 to 57 ms at 1M segments). One 'optimize' does the same
        but holds the write lock for seconds (2.8 s of CPU at 1M segments)."""
        steps = 0
        while True:
            async with self._write():
                before = self._db.total_changes
                await self._db.execute(
                    "INSERT INTO segments_fts(segments_fts, rank) VALUES ('merge', ?)", (-MERGE_PAGES,)
                )
                worked = self._db.total_changes - before >= 2  # SQLite's documented test: fewer is a no-op
            if not worked:
                return steps
            steps += 1

    async def optimize(self) -> None:
        """Merge the FTS index's b-trees after a large change, and refresh planner statistics."""
        await self.merge_index()
        await self._db.execute("PRAGMA optimize")
