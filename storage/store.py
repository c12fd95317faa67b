"""The one long-lived aiosqlite connection and every query Rewind runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bot.ingest.linking import LinkedEpisode, link_episodes
from bot.ingest.model import EpisodeFacts, ParsedEpisode
from storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The database cannot be opened or used; the message says what to do."""


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One file's outcome in an index run."""

    path: str
    shown_path: str
    content_hash: str
    status: str  # indexed | twin | rejected
    format: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class EpisodeRow:
    """An episode as the CLI and the bot list it."""

    id: int
    show: str | None
    number: int | None
    title: str
    published: str | None
    duration_seconds: float | None
    url: str | None
    source: str
    format: str
    segments: int
    speakers: list[str]

    def as_json(self) -> dict[str, object]:
        """The public JSON shape of `rewind episodes --json`."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching segment with its episode."""

    segment_id: int
    episode_id: int
    show: str | None
    title: str
    number: int | None
    published: str | None
    start_seconds: float | None
    speaker: str | None
    text: str
    url: str | None
    source: str
    score: float


class Store:
    """Rewind's database. Open with `await Store.open(path)`; close with `await store.close()`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) and migrate the database at `path`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: every write transaction below is an explicit BEGIN ... COMMIT.
        connection = await aiosqlite.connect(path, isolation_level=None)
        try:
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            await connection.execute("PRAGMA busy_timeout = 5000")
            store = cls(connection, path)
            await store._migrate()
        except sqlite3.DatabaseError as error:
            await connection.close()
            raise StoreError(f"{path} is not a usable Rewind database ({error})") from error
        return store

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            (version,) = await cursor.fetchone()
        if version > len(MIGRATIONS):
            raise StoreError(f"database schema {version} is newer than this Rewind ({len(MIGRATIONS)})")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
            log.info("database migrated to schema %d", number)

    async def schema_version(self) -> int:
        """The applied migration number."""
        async with self._db.execute("PRAGMA user_version") as cursor:
            (version,) = await cursor.fetchone()
        return int(version)

    # --- indexing -------------------------------------------------------------------------

    async def source_hashes(self) -> dict[str, str]:
        """Map every known file path to the content hash it was indexed with."""
        async with self._db.execute("SELECT path, content_hash FROM sources") as cursor:
            return {path: digest async for path, digest in cursor}

    async def replace_sources(
        self, records: Sequence[SourceRecord], episodes: Sequence[tuple[str, ParsedEpisode, str, EpisodeFacts]]
    ) -> int:
        """Replace these files' rows and episodes in one transaction; return segments written."""
        written = 0
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            await self._delete_sources([record.path for record in records])
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            await self._db.executemany(
                "INSERT INTO sources (path, shown_path, content_hash, format, status, detail, indexed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(r.path, r.shown_path, r.content_hash, r.format, r.status, r.detail, now) for r in records],
            )
            for source_path, episode, format_name, facts in episodes:
                written += await self._insert_episode(source_path, episode, format_name, facts)
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        return written

    async def remove_sources(self, paths: Sequence[str]) -> None:
        """Forget files that are gone, with their episodes, in one transaction."""
        if not paths:
            return
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            await self._delete_sources(paths)
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise

    async def _delete_sources(self, paths: Iterable[str]) -> None:
        rows = [(path,) for path in paths]
        # Segments first and explicitly, so the FTS delete trigger sees every row go.
        await self._db.executemany(
            "DELETE FROM segments WHERE episode_id IN (SELECT id FROM episodes WHERE source_path = ?)", rows
        )
        await self._db.executemany("DELETE FROM episodes WHERE source_path = ?", rows)
        await self._db.executemany("DELETE FROM sources WHERE path = ?", rows)

    async def _insert_episode(
        self, source_path: str, episode: ParsedEpisode, format_name: str, facts: EpisodeFacts
    ) -> int:
        speakers = sorted({s.speaker for s in episode.segments if s.speaker}) if episode.real_speakers else []
        cursor = await self._db.execute(
            "INSERT INTO episodes (source_path, item_key, title, format, speakers, from_listing, document)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                source_path,
                episode.key,
                facts.title or "",
                format_name,
                json.dumps(speakers),
                int(facts.from_listing),
                json.dumps(dataclasses.asdict(facts)),
            ),
        )
        episode_id = cursor.lastrowid
        await self._db.executemany(
            "INSERT INTO segments (episode_id, position, start_seconds, end_seconds, speaker, text)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(episode_id, position, s.start, s.end, s.speaker, s.text) for position, s in enumerate(episode.segments)],
        )
        return len(episode.segments)

    async def relink(self) -> None:
        """Recompute every episode's shown facts from the documents, joining feeds to transcripts."""
        async with self._db.execute("SELECT id, document FROM episodes ORDER BY id") as cursor:
            rows = [(row_id, EpisodeFacts(**json.loads(document))) async for row_id, document in cursor]
        linked = link_episodes(rows)
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            await self._db.execute("UPDATE episodes SET show_id = NULL, merged_into = NULL")
            await self._db.execute("DELETE FROM shows")
            shows = sorted({e.facts.show for e in linked if e.facts.show}, key=str.casefold)
            await self._db.executemany("INSERT OR IGNORE INTO shows (title) VALUES (?)", [(s,) for s in shows])
            await self._db.executemany(
                "UPDATE episodes SET show_id = (SELECT id FROM shows WHERE title = ?), number = ?, title = ?,"
                " published = ?, duration_seconds = ?, url = ?, description = ?, merged_into = ? WHERE id = ?",
                [_link_parameters(e) for e in linked],
            )
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise

    async def optimize(self) -> None:
        """Merge the FTS index's b-trees after a large change, and refresh planner statistics."""
        await self._db.execute("INSERT INTO segments_fts(segments_fts) VALUES ('optimize')")
        await self._db.execute("PRAGMA optimize")

    # --- reading ---------------------------------------------------------------------------

    async def list_episodes(self) -> list[EpisodeRow]:
        """Every visible episode, by show, then date and number."""
        query = """
            SELECT e.id, sh.title, e.number, e.title, e.published, e.duration_seconds, e.url,
                   so.shown_path, e.format, e.speakers,
                   (SELECT count(*) FROM segments s WHERE s.episode_id = e.id)
            FROM episodes e
            JOIN sources so ON so.path = e.source_path
            LEFT JOIN shows sh ON sh.id = e.show_id
            WHERE e.merged_into IS NULL
            ORDER BY sh.title COLLATE NOCASE, e.published, e.number, e.id
        """
        async with self._db.execute(query) as cursor:
            return [
                EpisodeRow(
                    row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[10], json.loads(row[9])
                )
                async for row in cursor
            ]

    async def rejected_sources(self) -> list[SourceRecord]:
        """Files the last runs could not index, with the reason."""
        query = "SELECT path, shown_path, content_hash, status, format, detail FROM sources WHERE status = 'rejected'"
        async with self._db.execute(query + " ORDER BY shown_path") as cursor:
            return [SourceRecord(*row) async for row in cursor]

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

    async def match_segments(self, expression: str, limit: int) -> list[SearchHit]:
        """Run a prepared FTS5 MATCH expression; best bm25 rank first."""
        query = """
            SELECT s.id, e.id, sh.title, e.title, e.number, e.published, s.start_seconds, s.speaker,
                   s.text, e.url, so.shown_path, f.rank
            FROM segments_fts f
            JOIN segments s ON s.id = f.rowid
            JOIN episodes e ON e.id = s.episode_id
            JOIN sources so ON so.path = e.source_path
            LEFT JOIN shows sh ON sh.id = e.show_id
            WHERE segments_fts MATCH ? AND e.merged_into IS NULL
            ORDER BY f.rank
            LIMIT ?
        """
        async with self._db.execute(query, (expression, limit)) as cursor:
            return [SearchHit(*row[:11], score=-float(row[11])) async for row in cursor]


def _link_parameters(episode: LinkedEpisode) -> tuple[object, ...]:
    facts = episode.facts
    title = facts.title or (f"Episode {facts.number}" if facts.number is not None else "Untitled episode")
    return (
        facts.show,
        facts.number,
        title,
        facts.published,
        facts.duration,
        facts.url,
        facts.description,
        episode.merged_into,
        episode.id,
    )
