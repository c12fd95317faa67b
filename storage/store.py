"""The one long-lived aiosqlite connection and every query Rewind runs."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import math
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path

import aiosqlite

from models.episodes import (
    Candidate,
    EpisodeFacts,
    EpisodeRecord,
    EpisodeRow,
    LinkedEpisode,
    SegmentRow,
    SourceRecord,
)
from models.errors import QueryTimeout, StoreError
from models.search import IndexVersion, SegmentFilter, TermQuery
from models.state import ScheduleRow
from models.vectors import PassageRow, PassageSegments, VectorSnapshot
from storage import vectors
from storage.errors import database_problem
from storage.feeds import FeedStore
from storage.fts import match_expression
from storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)


def filter_parameters(where: SegmentFilter) -> dict[str, object]:
    """Named parameters for the candidate queries."""
    return {
        "show_ids": None if where.show_ids is None else json.dumps(where.show_ids),
        "episode_ids": None if where.episode_ids is None else json.dumps(where.episode_ids),
        "speaker": where.speaker,
        "after": where.after,
        "before": where.before,
    }


_CANDIDATE_COLUMNS = """
    s.id, s.episode_id, s.position, s.start_seconds, s.speaker, s.text, {rank},
    p.text, n.text, sh.title, e.title, e.number, e.published, e.url, so.shown_path
"""
_CANDIDATE_JOINS = """
    JOIN episodes e ON e.id = s.episode_id
    JOIN sources so ON so.path = e.source_path
    LEFT JOIN shows sh ON sh.id = e.show_id
    LEFT JOIN segments p ON p.episode_id = s.episode_id AND p.position = s.position - 1
    LEFT JOIN segments n ON n.episode_id = s.episode_id AND n.position = s.position + 1
"""
_EPISODE_FILTERS = """
    e.merged_into IS NULL
    AND (:show_ids IS NULL OR e.show_id IN (SELECT value FROM json_each(:show_ids)))
    AND (:episode_ids IS NULL OR e.id IN (SELECT value FROM json_each(:episode_ids)))
    AND (:after IS NULL OR e.published >= :after)
    AND (:before IS NULL OR e.published <= :before)
"""
_CANDIDATE_FILTERS = _EPISODE_FILTERS + "AND (:speaker IS NULL OR s.speaker = :speaker COLLATE NOCASE)\n"
MATCH_QUERY = (
    "SELECT"
    + _CANDIDATE_COLUMNS.format(rank="f.rank")
    + "FROM segments_fts f JOIN segments s ON s.id = f.rowid"
    + _CANDIDATE_JOINS
    + "WHERE segments_fts MATCH :expression AND"
    + _CANDIDATE_FILTERS
    + "ORDER BY f.rank LIMIT :limit"
)
# A random quote picks an episode, then a point in it: both are index lookups, so the time does
# not grow with the archive. (Scanning and sorting the joined rows took ~1 s at 1M segments.)
_EPISODE_SPEAKER = """
    AND (:speaker IS NULL OR EXISTS (SELECT 1 FROM json_each(e.speakers) WHERE value = :speaker COLLATE NOCASE))
"""
_LAST_POSITION = " e.id, (SELECT max(position) FROM segments WHERE episode_id = e.id) AS last\n"
RANDOM_EPISODES = (
    "SELECT"
    + _LAST_POSITION
    + "FROM episodes e WHERE"
    + _EPISODE_FILTERS
    + _EPISODE_SPEAKER
    + "AND last IS NOT NULL ORDER BY e.id"
)
RANDOM_QUERY = (
    "SELECT"
    + _CANDIDATE_COLUMNS.format(rank="0.0")
    + "FROM segments s"
    + _CANDIDATE_JOINS
    + """WHERE s.episode_id = :episode AND s.position >= :from_position AND length(s.text) BETWEEN 40 AND 400
    AND (:speaker IS NULL OR s.speaker = :speaker COLLATE NOCASE)
    ORDER BY s.position LIMIT :limit"""
)
RANDOM_SECONDS = 1.0

SEGMENTS_QUERY = (
    "SELECT"  # noqa: S608 (constant fragments; the ids are a bound JSON parameter)
    + _CANDIDATE_COLUMNS.format(rank="0.0")
    + "FROM segments s"
    + _CANDIDATE_JOINS
    + "WHERE s.id IN (SELECT value FROM json_each(:ids)) AND"
    + _CANDIDATE_FILTERS
)
STAGE_LIMIT = 1.0

# What `rewind rebuild` carries over: set by server admins, not derived from the transcripts.
SETTINGS_TABLES = ("schedules", "feeds", "feed_items", "announce_channels", "announcements")
SETTINGS_COPIES = {  # both databases are at the same schema: open() migrates the old one first
    "schedules": "INSERT OR IGNORE INTO main.schedules SELECT * FROM old.schedules",
    "feeds": "INSERT OR IGNORE INTO main.feeds SELECT * FROM old.feeds",
    "feed_items": "INSERT OR IGNORE INTO main.feed_items SELECT * FROM old.feed_items",
    "announce_channels": "INSERT OR IGNORE INTO main.announce_channels SELECT * FROM old.announce_channels",
    "announcements": "INSERT OR IGNORE INTO main.announcements SELECT * FROM old.announcements",
}


class Store:
    """Rewind's database. Open with `await Store.open(path)`; close with `await store.close()`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self.writes = 0  # bumped on every committed write, so caches know to refresh
        self._write_lock = asyncio.Lock()
        self._readers: list[TimedReader] = []  # idle search connections, each with its own time limit
        self._closed = False
        self.read_only = False  # set by open(); a read-only store keeps no summary cache
        self.feeds = FeedStore(self)

    @classmethod
    async def open(
        cls, path: Path | str, *, check: bool = False, create: bool = True, read_only: bool = False
    ) -> Store:
        """Open and migrate the database at `path`, creating it (and its folder) unless `create` is
        false or `read_only`; with `check`, also verify its pages (`PRAGMA quick_check`, ~0.15 s
        for 140k segments) so damage shows at start-up. StoreError says what to do."""
        path = Path(path)
        if path.is_dir():
            raise StoreError(database_problem(path, sqlite3.OperationalError("a folder")))
        if (read_only or not create) and not path.is_file():
            raise StoreError(f"no index at {path}: run `rewind index FOLDER` first")
        target = f"{path.resolve().as_uri()}?mode=ro" if read_only else path
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: every write transaction below is an explicit BEGIN ... COMMIT.
            connection = await aiosqlite.connect(target, isolation_level=None, uri=read_only)
        except OSError as error:
            raise StoreError(f"cannot create {path}: {error.strerror or error}") from error
        except sqlite3.Error as error:
            raise StoreError(database_problem(path, error)) from error
        try:
            if not read_only:
                await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            await connection.execute("PRAGMA busy_timeout = 5000")
            await connection.execute("PRAGMA cache_size = -32000")  # 32 MB: FTS merges touch many pages
            store = cls(connection, path)
            store.read_only = read_only
            await store._migrate()
            if check:
                problems = [row[0] for row in await connection.execute_fetchall("PRAGMA quick_check(5)")]
                if problems != ["ok"]:
                    raise sqlite3.DatabaseError("quick_check: " + "; ".join(problems))
        except sqlite3.DatabaseError as error:
            await connection.close()
            raise StoreError(database_problem(path, error)) from error
        return store

    async def close(self) -> None:
        """Close the connection and the search connections."""
        self._closed = True
        while self._readers:
            self._readers.pop().close()
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            (version,) = await cursor.fetchone()
        if version > len(MIGRATIONS):
            raise StoreError(f"database schema {version} is newer than this Rewind ({len(MIGRATIONS)})")
        if self.read_only and version < len(MIGRATIONS):
            raise StoreError(f"{self.path} has schema {version}: run `rewind index` once to upgrade it")
        level = logging.DEBUG if version == 0 else logging.INFO  # a new database is no news
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
            log.log(level, "database migrated to schema %d", number)

    # --- indexing -------------------------------------------------------------------------

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
        written = 0
        async with self._write():
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            for records, episodes in groups:
                await self._delete_sources([record.path for record in records])
                await self._db.executemany(
                    "INSERT INTO sources (path, shown_path, content_hash, format, status, detail, indexed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(r.path, r.shown_path, r.content_hash, r.format, r.status, r.detail, now) for r in records],
                )
                for episode in episodes:
                    written += await self._insert_episode(episode)
        return written

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[None]:
        """One write transaction: committed whole or rolled back whole. A full disk becomes a
        StoreError saying so; the index stays as it was before the transaction."""
        async with self._write_lock:  # two tasks on this one connection: one transaction at a time
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                await self._db.execute("COMMIT")
                self.writes += 1
            except BaseException as error:
                if self._db.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
                    await self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.OperationalError) and "full" in str(error):
                    message = f"no room left for {self.path} ({error}); the index is as it was before this write"
                    raise StoreError(message) from error
                raise

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
        episode_id = cursor.lastrowid
        await self._db.executemany(
            "INSERT INTO segments (episode_id, position, start_seconds, end_seconds, speaker, text)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(episode_id, position, *row) for position, row in enumerate(episode.segments)],
        )
        await self._db.execute(
            "INSERT INTO segments_fts(rowid, text) SELECT id, text FROM segments_folded WHERE episode_id = ?",
            (episode_id,),
        )
        return len(episode.segments)

    async def episode_facts(self) -> list[tuple[int, EpisodeFacts]]:
        """Every episode's id and its documents' own facts, for linking."""
        documents = await self._db.execute_fetchall("SELECT id, document FROM episodes ORDER BY id")
        return await asyncio.to_thread(_decoded, documents)  # ~0.1 s a 15k episodes: off the loop

    async def save_links(self, linked: Sequence[LinkedEpisode]) -> None:
        """Show each episode with its linked facts, in one transaction; summaries made before go."""
        parameters = [_link_parameters(episode) for episode in linked]
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

    async def optimize(self) -> None:
        """Merge the FTS index's b-trees after a large change, and refresh planner statistics."""
        await self._db.execute("INSERT INTO segments_fts(segments_fts) VALUES ('optimize')")
        await self._db.execute("PRAGMA optimize")

    # --- reading ---------------------------------------------------------------------------

    async def list_episodes(self) -> list[EpisodeRow]:
        """Every visible episode, by show, then date and number."""
        return await self._episode_rows(None)

    async def episode(self, episode_id: int) -> EpisodeRow | None:
        """One visible episode, or None."""
        rows = await self._episode_rows(episode_id)
        return rows[0] if rows else None

    async def _episode_rows(self, episode_id: int | None) -> list[EpisodeRow]:
        query = """
            SELECT e.id, sh.title, e.number, e.title, e.published, e.duration_seconds, e.url,
                   so.shown_path, e.format, e.speakers,
                   (SELECT count(*) FROM segments s WHERE s.episode_id = e.id)
            FROM episodes e
            JOIN sources so ON so.path = e.source_path
            LEFT JOIN shows sh ON sh.id = e.show_id
            WHERE e.merged_into IS NULL AND (:id IS NULL OR e.id = :id)
            ORDER BY sh.title COLLATE NOCASE, e.published, e.number, e.id
        """
        async with self._db.execute(query, {"id": episode_id}) as cursor:
            return [
                EpisodeRow(
                    row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[10], json.loads(row[9])
                )
                async for row in cursor
            ]

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

    async def cached_summary(self, episode_id: int, method: int) -> str | None:
        """The stored summary JSON of an episode, if one was made by this method version."""
        rows = await self._db.execute_fetchall(
            "SELECT document FROM summaries WHERE episode_id = ? AND method = ?", (episode_id, method)
        )
        return rows[0][0] if rows else None

    async def save_summary(self, episode_id: int, method: int, document: str) -> None:
        """Keep an episode's summary until the index changes."""
        if self.read_only:
            return
        await self._db.execute(
            "INSERT OR REPLACE INTO summaries (episode_id, method, document)"
            " SELECT id, ?, ? FROM episodes WHERE id = ?",
            (method, document, episode_id),
        )

    async def schedules(self) -> list[ScheduleRow]:
        """Every server's daily post settings."""
        return await self._schedule_rows(None)

    async def schedule(self, guild_id: int) -> ScheduleRow | None:
        """One server's daily post settings, or None."""
        rows = await self._schedule_rows(guild_id)
        return rows[0] if rows else None

    async def _schedule_rows(self, guild_id: int | None) -> list[ScheduleRow]:
        query = """
            SELECT guild_id, channel_id, hour, timezone, enabled, last_posted, last_error, last_error_at
            FROM schedules WHERE :guild IS NULL OR guild_id = :guild ORDER BY guild_id
        """
        rows = await self._db.execute_fetchall(query, {"guild": guild_id})
        return [ScheduleRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows]

    async def save_schedule(self, guild_id: int, channel_id: int, hour: int, timezone: str, enabled: bool) -> None:
        """Set a server's channel, hour, timezone and on/off; what was posted when is kept."""
        await self._db.execute(
            "INSERT INTO schedules (guild_id, channel_id, hour, timezone, enabled) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, hour = excluded.hour,"
            " timezone = excluded.timezone, enabled = excluded.enabled, last_error = NULL, last_error_at = NULL",
            (guild_id, channel_id, hour, timezone, int(enabled)),
        )

    async def claim_post(self, guild_id: int, local_date: str) -> bool:
        """Mark `local_date` posted for this server unless it already is; True when this call claimed it.

        One UPDATE decides, so two loops (or a restart racing the old process) never both post.
        """
        cursor = await self._db.execute(
            "UPDATE schedules SET last_posted = :day"
            " WHERE guild_id = :guild AND (last_posted IS NULL OR last_posted < :day)",
            {"guild": guild_id, "day": local_date},
        )
        return cursor.rowcount == 1

    async def release_post(self, guild_id: int, local_date: str, previous: str | None) -> None:
        """Undo a claim after a passing failure, so the next tick tries again."""
        await self._db.execute(
            "UPDATE schedules SET last_posted = ? WHERE guild_id = ? AND last_posted = ?",
            (previous, guild_id, local_date),
        )

    async def record_post_result(self, guild_id: int, error: str | None) -> None:
        """Keep the last attempt's failure (or clear it after a success) for /admin status."""
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds") if error else None
        await self._db.execute(
            "UPDATE schedules SET last_error = ?, last_error_at = ? WHERE guild_id = ?", (error, at, guild_id)
        )

    async def save_pager(self, owner_id: int, kind: str, payload: str, *, keep_days: int = 30) -> int:
        """Keep what a message's paging buttons show; forget pagers older than `keep_days`."""
        now = dt.datetime.now(dt.UTC)
        oldest = (now - dt.timedelta(days=keep_days)).isoformat(timespec="seconds")
        await self._db.execute("DELETE FROM pagers WHERE created_at < ?", (oldest,))
        cursor = await self._db.execute(
            "INSERT INTO pagers (owner_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
            (owner_id, kind, payload, now.isoformat(timespec="seconds")),
        )
        return int(cursor.lastrowid)

    async def pager(self, pager_id: int) -> tuple[int, str, str] | None:
        """A pager's owner, kind and payload, or None once forgotten."""
        rows = await self._db.execute_fetchall("SELECT owner_id, kind, payload FROM pagers WHERE id = ?", (pager_id,))
        return tuple(rows[0]) if rows else None

    async def fact(self, key: str) -> str | None:
        """A stored bot fact (such as the hash of the last synced commands)."""
        rows = await self._db.execute_fetchall("SELECT value FROM facts WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    async def set_fact(self, key: str, value: str) -> None:
        """Store a bot fact."""
        await self._db.execute("INSERT OR REPLACE INTO facts (key, value) VALUES (?, ?)", (key, value))

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

    async def candidates(
        self, plan: TermQuery, where: SegmentFilter, limit: int, *, time_limit: float = 0.5
    ) -> list[Candidate]:
        """Segments matching `plan` that `where` allows, best bm25 first."""
        expression = match_expression(plan)
        if not expression:  # MATCH '' is a syntax error
            return []
        parameters = {"expression": expression, "limit": limit, **filter_parameters(where)}
        return await self._timed(MATCH_QUERY, parameters, time_limit)

    async def random_candidates(self, where: SegmentFilter, limit: int, seed: float) -> list[Candidate]:
        """A run of up to `limit` segments from a random point (`seed` in [0, 1)) of a random
        episode that `where` allows; every such episode is equally likely."""
        parameters = filter_parameters(where)
        episodes = await self._db.execute_fetchall(RANDOM_EPISODES, parameters)
        if not episodes:
            return []
        pick, within = divmod(seed * len(episodes), 1.0)
        episode, last = episodes[int(pick)]
        parameters |= {"episode": episode, "from_position": int(within * (last + 1)), "limit": limit}
        found = await self._timed(RANDOM_QUERY, parameters, RANDOM_SECONDS)
        if len(found) < limit and parameters["from_position"] > 0:  # wrap to the episode's start
            found += await self._timed(RANDOM_QUERY, parameters | {"from_position": 0}, RANDOM_SECONDS)
        return list({c.segment_id: c for c in found}.values())

    async def _timed(self, query: str, parameters: dict[str, object], time_limit: float) -> list[Candidate]:
        """Run a search statement on a read connection of its own, so its time limit bounds this
        statement only: overlapping searches, and this connection's other statements, never see it."""
        reader = self._readers.pop() if self._readers else None
        try:
            reader = reader or await asyncio.to_thread(TimedReader, self.path)
            rows = await asyncio.to_thread(reader.fetch, query, parameters, time_limit)
        except sqlite3.OperationalError as error:
            if "interrupted" in str(error):
                raise QueryTimeout(f"query stopped after {time_limit:.2f} s") from error
            raise
        finally:
            if reader is not None and self._closed:
                reader.close()
            elif reader is not None:
                self._readers.append(reader)
        return [Candidate(*row) for row in rows]

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

    async def segment_candidates(self, segment_ids: Sequence[int], where: SegmentFilter) -> list[Candidate]:
        """These segments as candidates, in the order given, less those `where` excludes."""
        parameters = {"ids": json.dumps(list(segment_ids)), **filter_parameters(where)}
        found = {c.segment_id: c for c in await self._timed(SEGMENTS_QUERY, parameters, STAGE_LIMIT)}
        return [found[i] for i in segment_ids if i in found]

    async def unembedded_episodes(self, limit: int) -> list[int]:
        """Episodes whose passages are not embedded yet (search by meaning)."""
        return await vectors.unembedded_episodes(self._db, limit)

    async def count_unembedded(self) -> int:
        """How many episodes are waiting for their passage vectors."""
        return await vectors.count_unembedded(self._db)

    async def segment_vectors(self, passage_ids: list[int]) -> dict[int, bytes]:
        """Passage id -> its segments' int8 vectors back to back, in order (search by meaning)."""
        return await vectors.segment_vectors(self._db, passage_ids)

    async def episode_segments(self, episode_id: int) -> PassageSegments:
        """An episode's segment ids and texts, in order."""
        return await vectors.episode_segments(self._db, episode_id)

    async def save_passages(self, episode_id: int, embedded_from: PassageSegments, rows: list[PassageRow]) -> bool:
        """Store an episode's passage vectors in one transaction, unless its text changed meanwhile."""
        async with self._write():
            return await vectors.save_passages(self._db, episode_id, embedded_from, rows)

    async def vector_snapshot(self) -> VectorSnapshot:
        """Every passage vector, read in a worker thread through a read-only connection of its own."""
        return await asyncio.to_thread(vectors.read_vectors, self.path)

    async def vocabulary_snapshot(self) -> tuple[dict[str, int], int]:
        """Every indexed term with the number of segments that contain it, and the segment total,
        read in a worker thread through a read-only connection of its own, so the scan (~0.2 s on
        a large index) holds up neither the event loop nor this connection's other queries."""
        return await asyncio.to_thread(read_vocabulary, self.path)

    async def change_marker(self) -> IndexVersion:
        """Changes whenever the index changes, through this connection or another."""
        async with self._db.execute("PRAGMA data_version") as cursor:
            (version,) = await cursor.fetchone()
        return IndexVersion(self.writes, int(version))

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


class TimedReader:
    """A read-only connection whose progress handler stops the one statement it runs past its limit."""

    def __init__(self, path: Path) -> None:
        uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        self._connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        self._connection.execute("PRAGMA busy_timeout = 5000")
        self._connection.execute("PRAGMA cache_size = -32000")
        self._deadline = math.inf
        self._connection.set_progress_handler(self._past_deadline, 2000)

    def fetch(self, query: str, parameters: dict[str, object], time_limit: float) -> list[tuple[object, ...]]:
        """All rows of `query`, interrupted (sqlite3.OperationalError) after `time_limit` seconds."""
        self._deadline = time.monotonic() + time_limit
        try:
            return self._connection.execute(query, parameters).fetchall()
        finally:
            self._deadline = math.inf

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def _past_deadline(self) -> bool:
        return time.monotonic() > self._deadline


def read_vocabulary(path: Path) -> tuple[dict[str, int], int]:
    """Term document counts and the segment total, from one snapshot of the database at `path`."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as connection:
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("BEGIN")  # both reads see the same commit
        counts = dict(connection.execute("SELECT term, doc FROM segments_vocab"))
        (segments,) = connection.execute("SELECT count(*) FROM segments").fetchone()
        connection.execute("COMMIT")
    return counts, segments


def _decoded(documents: Iterable[tuple[int, str]]) -> list[tuple[int, EpisodeFacts]]:
    return [(row_id, EpisodeFacts(**json.loads(document))) for row_id, document in documents]


def _link_parameters(episode: LinkedEpisode) -> tuple[object, ...]:
    facts = episode.facts
    return (
        facts.show,
        facts.number,
        episode.title,
        facts.published,
        facts.duration,
        facts.url,
        facts.description,
        episode.merged_into,
        episode.id,
    )
