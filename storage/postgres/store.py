"""Rewind's store on PostgreSQL: one database shared by several bot processes and the indexer.

The calls and the rows they return are those of the SQLite `Store`, so the indexer, the search
engine and the daily post run on either. Search is a `tsvector` column with a GIN index over
Rewind's own tokens; the time limit is the server's `statement_timeout`, set per statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from models.episodes import Candidate, EpisodeFacts, EpisodeRecord, EpisodeRow, LinkedEpisode, SourceRecord
from models.errors import QueryTimeout, StoreError
from models.search import IndexVersion, SegmentFilter, TermQuery
from models.state import PostClaim, ScheduleRow
from models.text import tokens
from models.vectors import EpisodeNotes, EpisodePassage, PassageRow, PassageSegments, VectorSnapshot
from storage.common import (
    CANDIDATE_COLUMNS,
    CANDIDATE_JOINS,
    EPISODES,
    EpisodeLookups,
    ScheduleLookups,
    episode_row,
    in_order,
    numbered,
)
from storage.documents import decoded_facts, link_columns
from storage.feeds import FeedStore
from storage.jobs import JobStore
from storage.postgres.migrations import MIGRATIONS

try:
    import asyncpg
except ImportError:  # the optional extra: `pip install 'rewind[postgres]'`
    asyncpg = None

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x5265_7769_6E64_0001  # pg_advisory_xact_lock key: one process migrates at a time
POOL_SIZE = 8
# A plan made for each statement's values: the filters are `$n IS NULL OR ...`, which a custom plan
# folds away, and the generic plan asyncpg's prepared statements get after five runs does not
# (measured: a search's statement took 2-12 ms generic, 1 ms custom, on 50k segments).
SESSION = {"plan_cache_mode": "force_custom_plan"}
RANDOM_SECONDS = 1.0
STAGE_LIMIT = 1.0
MAX_LEXEME_BYTES = 2046  # PostgreSQL's limit; a longer "word" (a run of digits in a log) is not searchable
# Episodes with no passages, or only passages embedded before segment vectors.
UNEMBEDDED_EPISODES = """
    SELECT e.id FROM episodes e
    WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.episode_id = e.id AND p.segment_vectors IS NOT NULL)
      AND EXISTS (SELECT 1 FROM segments s WHERE s.episode_id = e.id)
    ORDER BY e.id LIMIT $1
"""
COUNT_UNEMBEDDED = """
    SELECT count(*) FROM episodes e
    WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.episode_id = e.id AND p.segment_vectors IS NOT NULL)
      AND EXISTS (SELECT 1 FROM segments s WHERE s.episode_id = e.id)
"""
EPISODE_PASSAGES = """
    WITH ordered AS (
        SELECT id, ROW_NUMBER() OVER (ORDER BY position) - 1 AS n FROM segments WHERE episode_id = $1
    )
    SELECT f.n, l.n, p.vector, p.segment_vectors FROM passages p
    JOIN ordered f ON f.id = p.first_segment JOIN ordered l ON l.id = p.last_segment
    WHERE p.episode_id = $1 ORDER BY f.n
"""
MAX_POSITION = 16383  # tsvector positions stop here; later words keep the last position

# $1-$5 in every filtered query: SegmentFilter's show ids, episode ids, after, before, speaker.
_EPISODE_FILTERS = """
    e.merged_into IS NULL
    AND ($1::bigint[] IS NULL OR e.show_id = ANY($1::bigint[]))
    AND ($2::bigint[] IS NULL OR e.id = ANY($2::bigint[]))
    AND ($3::text IS NULL OR e.published >= $3::text)
    AND ($4::text IS NULL OR e.published <= $4::text)
"""
_SPEAKER = "AND ($5::text IS NULL OR lower(s.speaker) = lower($5::text))\n"
MATCH_QUERY = (
    "SELECT"
    + CANDIDATE_COLUMNS.format(rank="-ts_rank(s.tsv, $6::tsquery, 1)")
    + "FROM segments s"
    + CANDIDATE_JOINS
    + "WHERE s.tsv @@ $6::tsquery AND"
    + _EPISODE_FILTERS
    + _SPEAKER
    + "ORDER BY 7, s.id LIMIT $7"
)
RANDOM_EPISODES = (
    "SELECT e.id, (SELECT max(position) FROM segments WHERE episode_id = e.id) AS last FROM episodes e WHERE"  # noqa: S608
    + _EPISODE_FILTERS
    + "AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM unnest(e.speakers) v WHERE lower(v) = lower($5::text)))"
    + " AND EXISTS (SELECT 1 FROM segments WHERE episode_id = e.id) ORDER BY e.id"
)
RANDOM_QUERY = (
    "SELECT"
    + CANDIDATE_COLUMNS.format(rank="0.0::float8")
    + "FROM segments s"
    + CANDIDATE_JOINS
    + """WHERE s.episode_id = $1 AND s.position >= $2 AND length(s.text) BETWEEN 40 AND 400
    AND ($3::text IS NULL OR lower(s.speaker) = lower($3::text))
    ORDER BY s.position LIMIT $4"""
)
SEGMENTS_QUERY = (
    "SELECT"
    + CANDIDATE_COLUMNS.format(rank="0.0::float8")
    + "FROM segments s"
    + CANDIDATE_JOINS
    + "WHERE s.id = ANY($6::bigint[]) AND"
    + _EPISODE_FILTERS
    + _SPEAKER
)
_STAGED_SEGMENTS = """
    CREATE TEMP TABLE IF NOT EXISTS segment_load (
        episode_id bigint, position integer, start_seconds double precision, end_seconds double precision,
        speaker text, text text, lexemes text
    ) ON COMMIT DELETE ROWS
"""


class PostgresStore(EpisodeLookups, ScheduleLookups):
    """Rewind's shared database. Open with `await PostgresStore.open(url)`; close with `close()`."""

    def __init__(self, pool: Any, searches: Any, url: str) -> None:
        self._pool = pool
        self._searches = searches  # connections of their own, each keeping the statement_timeout last set
        self._time_limits: dict[int, str] = {}  # by server process id
        self.url = url
        self.writes = 0  # bumped on every committed index write by this process
        self.read_only = False
        self.feeds = FeedStore(self, item_id="id")
        self.jobs = JobStore(self)

    @classmethod
    async def open(
        cls, url: str, *, read_only: bool = False, check: bool = False, create: bool = True
    ) -> PostgresStore:
        """Connect to the database at `url` and migrate it (under an advisory lock, so processes
        starting together never race); StoreError says what to do. `check` and `create` are
        Store.open's: the server checks its own pages, and a database is created by its admin."""
        if asyncpg is None:
            raise StoreError("REWIND_DB is a PostgreSQL URL: install the driver with `pip install 'rewind[postgres]'`")
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE, server_settings=SESSION)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise StoreError(f"cannot connect to the database at {shown_url(url)}: {error}") from error
        try:
            searches = await asyncpg.create_pool(
                url, min_size=1, max_size=POOL_SIZE, server_settings=SESSION, reset=_keep_session
            )
        except BaseException:
            await pool.close()
            raise
        store = cls(pool, searches, url)
        store.read_only = read_only
        try:
            await store._migrate()
        except BaseException:
            await store.close()
            raise
        return store

    async def _rows(self, query: str, parameters: Mapping[str, object]) -> Sequence[Sequence[Any]]:
        """The rows of a statement written for both engines (storage.common), numbered."""
        text, names = numbered(query)
        return await self._pool.fetch(text, *(parameters[name] for name in names))

    async def _execute(self, query: str, parameters: Mapping[str, object]) -> None:
        text, names = numbered(query)
        await self._pool.execute(text, *(parameters[name] for name in names))

    async def _execute_many(self, query: str, parameters: Sequence[Mapping[str, object]]) -> None:
        text, names = numbered(query)
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.executemany(text, [[row[name] for name in names] for row in parameters])

    async def close(self) -> None:
        """Close every connection."""
        await self._searches.close()
        await self._pool.close()

    async def _migrate(self) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            version = await connection.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
            if version > len(MIGRATIONS):
                raise StoreError(f"database schema {version} is newer than this Rewind ({len(MIGRATIONS)})")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                await connection.execute(script)
                await connection.execute("INSERT INTO schema_migrations (version) VALUES ($1)", number)
                log.info("database migrated to schema %d", number)

    # --- indexing -------------------------------------------------------------------------

    async def source_hashes(self) -> dict[str, str]:
        """Map every known file path to the content hash it was indexed with."""
        return dict(await self._pool.fetch("SELECT path, content_hash FROM sources"))

    async def indexed_paths(self) -> set[str]:
        """Files whose episodes are in the index now."""
        return {row[0] for row in await self._pool.fetch("SELECT path FROM sources WHERE status = 'indexed'")}

    async def replace_sources(self, groups: Sequence[tuple[Sequence[SourceRecord], Sequence[EpisodeRecord]]]) -> int:
        """Replace these files' rows and episodes in one transaction; return segments written."""
        written = 0
        async with self._write() as connection:
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            for records, episodes in groups:
                await _delete_sources(connection, [record.path for record in records])
                await connection.executemany(
                    "INSERT INTO sources (path, shown_path, content_hash, format, status, detail, indexed_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [(r.path, r.shown_path, r.content_hash, r.format, r.status, r.detail, now) for r in records],
                )
                staged = [row for episode in episodes for row in await _insert_episode(connection, episode)]
                written += await _load_segments(connection, staged)
        return written

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[Any]:
        """One index write transaction, which bumps the shared index version every process polls."""
        async with self._pool.acquire() as connection, connection.transaction():
            yield connection
            await connection.execute("UPDATE index_state SET version = version + 1")
        self.writes += 1

    async def remove_sources(self, paths: Sequence[str]) -> None:
        """Forget files that are gone, with their episodes, in one transaction."""
        if not paths:
            return
        async with self._write() as connection:
            await _delete_sources(connection, paths)

    async def episode_facts(self) -> list[tuple[int, EpisodeFacts]]:
        """Every episode's id and its documents' own facts, for linking."""
        documents = await self._pool.fetch("SELECT id, document::text FROM episodes ORDER BY id")
        return await asyncio.to_thread(decoded_facts, [tuple(row) for row in documents])

    async def save_links(self, linked: Sequence[LinkedEpisode]) -> None:
        """Show each episode with its linked facts, in one transaction; summaries made before go."""
        parameters = [link_columns(episode) for episode in linked]
        async with self._write() as connection:
            await connection.execute("DELETE FROM summaries")
            await connection.execute("UPDATE episodes SET show_id = NULL, merged_into = NULL")
            await connection.execute("DELETE FROM shows")
            shows = sorted({row[0] for row in parameters if row[0]}, key=str.casefold)
            await connection.executemany(
                "INSERT INTO shows (title) VALUES ($1) ON CONFLICT DO NOTHING", [(s,) for s in shows]
            )
            await connection.executemany(
                "UPDATE episodes SET show_id = (SELECT id FROM shows WHERE lower(title) = lower($1)), number = $2,"
                " title = $3, published = $4, duration_seconds = $5, url = $6, description = $7, merged_into = $8"
                " WHERE id = $9",
                parameters,
            )

    async def merge_index(self) -> int:
        """A GIN index has no b-trees written beside each other to merge (its pending list is moved
        into it as inserts fill it): nothing to do."""
        return 0

    async def optimize(self) -> None:
        """Move new rows from the GIN index's pending list into the index proper (every search reads
        that list through until a vacuum does it: measured 8-9 ms a search after a fresh copy of
        50k segments), and refresh the planner's statistics, after a large change."""
        await self._pool.execute("SELECT gin_clean_pending_list('segments_tsv'::regclass)")
        await self._pool.execute("ANALYZE segments, episodes, terms")

    # --- reading ---------------------------------------------------------------------------

    async def _episode_rows(self, episode_id: int | None) -> list[EpisodeRow]:
        visible = """
            WHERE e.merged_into IS NULL AND ($1::bigint IS NULL OR e.id = $1::bigint)
            ORDER BY lower(sh.title) NULLS FIRST, e.published NULLS FIRST, e.number NULLS FIRST, e.id
        """
        return [episode_row(row, row[7]) for row in await self._pool.fetch(EPISODES + visible, episode_id)]

    async def chapters_of(self, episode_id: int) -> list[tuple[float, str]]:
        """An episode's chapters from its chapters file (start seconds, title); empty when it has none."""
        found = await self._pool.fetchval("SELECT document->>'chapters' FROM episodes WHERE id = $1", episode_id)
        return [(float(start), str(title)) for start, title in json.loads(found or "[]")]

    async def rejected_sources(self, limit: int = 10) -> list[tuple[str, str]]:
        """Files the last runs could not read: path as given and the reason, newest first."""
        rows = await self._pool.fetch(
            "SELECT shown_path, coalesce(detail, 'unreadable') FROM sources WHERE status = 'rejected'"
            ' ORDER BY indexed_at DESC, shown_path COLLATE "C" LIMIT $1',
            limit,
        )
        return [tuple(row) for row in rows]

    async def counts(self) -> dict[str, int]:
        """How many shows, episodes, segments and rejected files the index holds."""
        row = await self._pool.fetchrow(
            """SELECT (SELECT count(*) FROM shows), (SELECT count(*) FROM episodes WHERE merged_into IS NULL),
                      (SELECT segments FROM index_state), (SELECT count(*) FROM sources WHERE status = 'rejected')"""
        )
        return dict(zip(("shows", "episodes", "segments", "rejected"), row, strict=True))

    async def speaker_names(self) -> list[str]:
        """The real speakers of all visible episodes, by name."""
        rows = await self._pool.fetch(
            "SELECT name FROM (SELECT DISTINCT unnest(speakers) AS name FROM episodes WHERE merged_into IS NULL) n"
            ' ORDER BY lower(name), name COLLATE "C"'
        )
        return [row[0] for row in rows]

    async def show_titles(self) -> list[tuple[int, str]]:
        """Every show's id and title."""
        return [tuple(row) for row in await self._pool.fetch('SELECT id, title FROM shows ORDER BY title COLLATE "C"')]

    async def episode_ids(self, number: int | None, show_ids: Sequence[int] | None) -> list[int]:
        """Visible episodes with this number (or id when no episode has it), in these shows."""
        query = """
            SELECT id FROM episodes
            WHERE merged_into IS NULL AND (number = $1 OR (id = $1 AND NOT EXISTS (
                SELECT 1 FROM episodes WHERE number = $1 AND merged_into IS NULL)))
              AND ($2::bigint[] IS NULL OR show_id = ANY($2::bigint[]))
            ORDER BY id
        """
        shows = None if show_ids is None else list(show_ids)
        return [row[0] for row in await self._pool.fetch(query, number, shows)]

    async def candidates(
        self, plan: TermQuery, where: SegmentFilter, limit: int, *, time_limit: float = 0.5
    ) -> list[Candidate]:
        """Segments matching `plan` that `where` allows, best ts_rank first."""
        query = tsquery(plan)
        if not query:
            return []
        return await self._timed(MATCH_QUERY, [*_filters(where), query, limit], time_limit)

    async def random_candidates(self, where: SegmentFilter, limit: int, seed: float) -> list[Candidate]:
        """A run of up to `limit` segments from a random point (`seed` in [0, 1)) of a random
        episode that `where` allows; every such episode is equally likely."""
        episodes = await self._pool.fetch(RANDOM_EPISODES, *_filters(where))
        if not episodes:
            return []
        pick, within = divmod(seed * len(episodes), 1.0)
        episode, last = episodes[int(pick)]
        start = int(within * (last + 1))
        found = await self._timed(RANDOM_QUERY, [episode, start, where.speaker, limit], RANDOM_SECONDS)
        if len(found) < limit and start > 0:  # wrap to the episode's start
            found += await self._timed(RANDOM_QUERY, [episode, 0, where.speaker, limit], RANDOM_SECONDS)
        return list({c.segment_id: c for c in found}.values())

    async def segment_candidates(self, segment_ids: Sequence[int], where: SegmentFilter) -> list[Candidate]:
        """These segments as candidates, in the order given, less those `where` excludes."""
        return in_order(
            segment_ids, await self._timed(SEGMENTS_QUERY, [*_filters(where), list(segment_ids)], STAGE_LIMIT)
        )

    async def _timed(self, query: str, arguments: list[object], time_limit: float) -> list[Candidate]:
        """Run a search statement under a server-side `statement_timeout`, on a connection that runs
        only searches: it is set there once per value, not in a transaction per search (measured:
        the BEGIN, SET and COMMIT round trips took 2.3 ms of a 3.5 ms search on a loaded machine)."""
        limit = f"{max(1, round(time_limit * 1000))}ms"
        async with self._searches.acquire() as connection:
            server = connection.get_server_pid()
            if self._time_limits.get(server) != limit:
                await connection.execute("SELECT set_config('statement_timeout', $1, false)", limit)
                self._time_limits[server] = limit
            try:
                rows = await connection.fetch(query, *arguments)
            except asyncpg.QueryCanceledError as error:
                raise QueryTimeout(f"query stopped after {time_limit:.2f} s") from error
        return [Candidate(*row) for row in rows]

    async def segment_anchors(self, segment_ids: list[int]) -> dict[int, tuple[str, str, int]]:
        """Where each segment sits, in terms a reindex keeps: source path, item key, position."""
        rows = await self._pool.fetch(
            "SELECT s.id, e.source_path, e.item_key, s.position FROM segments s JOIN episodes e ON e.id = s.episode_id"
            " WHERE s.id = ANY($1::bigint[])",
            segment_ids,
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    async def vocabulary_snapshot(self) -> tuple[dict[str, int], int]:
        """Every indexed term with the number of segments that contain it, and the segment total,
        from one snapshot (the `terms` table the index writes keep current)."""
        async with self._pool.acquire() as connection, connection.transaction(isolation="repeatable_read"):
            counts = dict(await connection.fetch("SELECT term, doc FROM terms"))
            segments = await connection.fetchval("SELECT segments FROM index_state")
        return counts, int(segments)

    async def term_counts(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        """How many segments hold each of `terms` (those in none are left out), and the segment total."""
        async with self._pool.acquire() as connection, connection.transaction(isolation="repeatable_read"):
            rows = await connection.fetch("SELECT term, doc FROM terms WHERE term = ANY($1::text[])", list(terms))
            segments = await connection.fetchval("SELECT segments FROM index_state")
        return dict(rows), int(segments)

    async def change_marker(self) -> IndexVersion:
        """Changes whenever the index changes, through this process or another."""
        return IndexVersion(self.writes, int(await self._pool.fetchval("SELECT version FROM index_state")))

    # --- passages and their vectors (search by meaning) --------------------------------------

    async def unembedded_episodes(self, limit: int) -> list[int]:
        """Episodes whose passages are not embedded yet, or only without segment vectors."""
        rows = await self._pool.fetch(UNEMBEDDED_EPISODES, limit)
        return [row[0] for row in rows]

    async def count_unembedded(self) -> int:
        """How many episodes are waiting for their passage vectors."""
        return int(await self._pool.fetchval(COUNT_UNEMBEDDED))

    async def segment_vectors(self, passage_ids: Sequence[int]) -> dict[int, bytes]:
        """Passage id -> its segments' int8 vectors back to back, in order (search by meaning)."""
        rows = await self._pool.fetch(
            "SELECT id, segment_vectors FROM passages WHERE id = ANY($1::bigint[]) AND segment_vectors IS NOT NULL",
            list(passage_ids),
        )
        return {row[0]: bytes(row[1]) for row in rows}

    async def episode_segments(self, episode_id: int) -> PassageSegments:
        """An episode's segment ids and texts, in order."""
        return await _episode_segments(self._pool, episode_id)

    async def passages_of(self, episode_id: int) -> list[EpisodePassage]:
        """An episode's passages in order: first and last index into `segments_of`, vector, and
        its segments' vectors (None for passages embedded before segment vectors)."""
        rows = await self._pool.fetch(EPISODE_PASSAGES, episode_id)
        return [(row[0], row[1], bytes(row[2]), None if row[3] is None else bytes(row[3])) for row in rows]

    async def save_passages(self, episode_id: int, embedded_from: PassageSegments, rows: list[PassageRow]) -> bool:
        """Store an episode's passage vectors in one transaction, in place of any without segment
        vectors, unless its text changed meanwhile or another process saved them first."""
        async with self._write() as connection:
            await connection.execute("SELECT 1 FROM episodes WHERE id = $1 FOR UPDATE", episode_id)
            if await _episode_segments(connection, episode_id) != embedded_from:
                return False
            done = "SELECT EXISTS (SELECT 1 FROM passages WHERE episode_id = $1 AND segment_vectors IS NOT NULL)"
            if await connection.fetchval(done, episode_id):
                return False
            await connection.execute("DELETE FROM passages WHERE episode_id = $1", episode_id)
            await connection.executemany(
                "INSERT INTO passages (episode_id, first_segment, last_segment, vector, segment_vectors)"
                " VALUES ($1, $2, $3, $4, $5)",
                [(episode_id, *row) for row in rows],
            )
            return True

    async def unnoted_episodes(self, limit: int) -> list[EpisodeNotes]:
        """Embedded episodes whose title and notes have no vector yet: id, title, notes."""
        rows = await self._pool.fetch(
            "SELECT e.id, e.title, coalesce(e.description, '') FROM episodes e"
            " WHERE e.merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM episode_vectors v WHERE v.episode_id = e.id)"
            " AND EXISTS (SELECT 1 FROM passages p WHERE p.episode_id = e.id) ORDER BY e.id LIMIT $1",
            limit,
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def save_notes_vector(self, notes: EpisodeNotes, vector: bytes) -> bool:
        """Store the vector of an episode's title and notes, unless they changed meanwhile."""
        episode_id, title, description = notes
        async with self._write() as connection:
            status = await connection.execute(
                "INSERT INTO episode_vectors (episode_id, vector)"
                " SELECT id, $2 FROM episodes WHERE id = $1 AND title = $3 AND coalesce(description, '') = $4"
                " ON CONFLICT (episode_id) DO UPDATE SET vector = excluded.vector",
                episode_id,
                vector,
                title,
                description,
            )
            return status.endswith(" 1")

    async def vector_snapshot(self) -> VectorSnapshot:
        """Every visible passage's ids and vector, and every visible episode's notes vector."""
        async with self._pool.acquire() as connection, connection.transaction(isolation="repeatable_read"):
            notes = await connection.fetch(
                "SELECT v.episode_id, v.vector FROM episode_vectors v"
                " JOIN episodes e ON e.id = v.episode_id WHERE e.merged_into IS NULL"
            )
            rows = await connection.fetch(
                "SELECT p.id, p.episode_id, p.first_segment, p.last_segment, p.vector FROM passages p"
                " JOIN episodes e ON e.id = p.episode_id WHERE e.merged_into IS NULL ORDER BY p.id"
            )
        return VectorSnapshot.of_rows(rows, notes)

    # --- state -----------------------------------------------------------------------------

    async def _schedule_rows(self, guild_id: int | None) -> list[ScheduleRow]:
        query = """
            SELECT guild_id, channel_id, hour, timezone, enabled, last_posted, last_error, last_error_at
            FROM schedules WHERE $1::bigint IS NULL OR guild_id = $1::bigint ORDER BY guild_id
        """
        return [ScheduleRow(*row) for row in await self._pool.fetch(query, guild_id)]

    async def save_schedule(self, guild_id: int, channel_id: int, hour: int, timezone: str, enabled: bool) -> None:
        """Set a server's channel, hour, timezone and on/off; what was posted when is kept."""
        await self._pool.execute(
            "INSERT INTO schedules (guild_id, channel_id, hour, timezone, enabled) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, hour = excluded.hour,"
            " timezone = excluded.timezone, enabled = excluded.enabled, last_error = NULL, last_error_at = NULL",
            guild_id,
            channel_id,
            hour,
            timezone,
            enabled,
        )

    async def claim_posts(self, due: Sequence[tuple[int, str]], owner: str, lease: float) -> list[PostClaim]:
        """Claim each (guild, local date) of `due` not posted yet nor claimed under a live lease, for
        `lease` seconds; the claims made. Rows another process is claiming right now are skipped
        (SKIP LOCKED), not waited for. A dead claim on the same date keeps its sent message id."""
        query = """
            WITH due AS (
                SELECT s.guild_id, d.day FROM schedules s
                JOIN unnest($1::bigint[], $2::text[]) AS d (guild_id, day) ON d.guild_id = s.guild_id
                WHERE s.enabled AND (s.last_posted IS NULL OR s.last_posted < d.day)
                    AND (s.claimed_until IS NULL OR s.claimed_until < clock_timestamp())
                FOR UPDATE OF s SKIP LOCKED
            )
            UPDATE schedules s SET claimed_day = due.day, claimed_by = $3,
                claimed_until = clock_timestamp() + make_interval(secs => $4),
                sent_message_id = CASE WHEN s.claimed_day = due.day THEN s.sent_message_id END
            FROM due WHERE s.guild_id = due.guild_id
            RETURNING s.guild_id, s.claimed_day, s.sent_message_id
        """
        guilds, days = [guild for guild, _ in due], [day for _, day in due]
        rows = await self._pool.fetch(query, guilds, days, owner, lease)
        return [PostClaim(guild, day, owner, sent) for guild, day, sent in sorted(rows)]

    async def renew_claim(self, claim: PostClaim, lease: float) -> bool:
        """Hold the claim `lease` seconds more; False when another process has taken it over."""
        status = await self._pool.execute(
            "UPDATE schedules SET claimed_until = clock_timestamp() + make_interval(secs => $4)"
            " WHERE guild_id = $1 AND claimed_by = $2 AND claimed_day = $3",
            claim.guild_id,
            claim.owner,
            claim.day,
            lease,
        )
        return status == "UPDATE 1"

    async def save_pager(self, owner_id: int, kind: str, payload: str, *, keep_days: int = 30) -> int:
        """Keep what a message's paging buttons show; forget pagers older than `keep_days`. The
        ids come from one sequence, so they are unique across processes."""
        now = dt.datetime.now(dt.UTC)
        oldest = (now - dt.timedelta(days=keep_days)).isoformat(timespec="seconds")
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("DELETE FROM pagers WHERE created_at < $1", oldest)
            return await connection.fetchval(
                "INSERT INTO pagers (owner_id, kind, payload, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                owner_id,
                kind,
                payload,
                now.isoformat(timespec="seconds"),
            )

    async def take_identify_turn(self, bucket: int, spacing: float) -> float:
        """Take `bucket`'s gateway IDENTIFY turn if `spacing` seconds have passed since the last one
        (0.0), else how many seconds are left. One statement decides, on the server's clock: a
        second process's INSERT waits on the row, then finds the turn taken."""
        key = f"identify:{bucket}"
        taken = await self._pool.fetchval(
            "INSERT INTO facts (key, value) VALUES ($1, extract(epoch FROM clock_timestamp())::text)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            " WHERE facts.value::float8 + $2 <= extract(epoch FROM clock_timestamp()) RETURNING true",
            key,
            spacing,
        )
        if taken:
            return 0.0
        left = await self._pool.fetchval(
            "SELECT value::float8 + $2 - extract(epoch FROM clock_timestamp()) FROM facts WHERE key = $1", key, spacing
        )
        return max(left or 0.0, 0.001)


def shown_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def lexemes(text: str) -> str:
    """A segment's tsvector, as text: each of Rewind's tokens with its positions."""
    positions: dict[str, list[int]] = defaultdict(list)
    for position, token in enumerate(tokens(text), start=1):
        if len(token.encode()) <= MAX_LEXEME_BYTES:
            positions[token].append(min(position, MAX_POSITION))
    return " ".join(f"{_quoted(token)}:{','.join(map(str, places))}" for token, places in positions.items())


def tsquery(plan: TermQuery) -> str:
    """A search plan as a tsquery whose every lexeme is quoted: nothing a member typed is read as
    an operator. A NEAR group asks for its terms anywhere in the segment (tsquery's `<N>` is an
    exact distance, not "within N")."""
    near = [_phrase((term,)) for term in plan.near]
    required = " & ".join([*(_any_of(group) for group in plan.groups), *(_phrase(p) for p in plan.phrases), *near])
    if not plan.alternatives:
        return required
    either = " | ".join(f"( {' & '.join(_any_of(group) for group in option)} )" for option in plan.alternatives)
    return f"{required} & ( {either} )" if required else either


def _phrase(terms: Sequence[str]) -> str:
    return "(" + " <-> ".join(_quoted(term) for term in terms) + ")"


def _any_of(group: Sequence[str]) -> str:
    if len(group) == 1:
        return _phrase(group)
    return "( " + " | ".join(_phrase((term,)) for term in group) + " )"


def _quoted(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


async def _keep_session(connection: Any) -> None:
    """A search connection back in its pool keeps its settings (asyncpg's own reset runs RESET ALL)."""


async def _episode_segments(connection: Any, episode_id: int) -> PassageSegments:
    rows = await connection.fetch("SELECT id, text FROM segments WHERE episode_id = $1 ORDER BY position", episode_id)
    return [(row[0], row[1]) for row in rows]


def _filters(where: SegmentFilter) -> list[object]:
    """$1-$5 of the filtered queries."""
    shows = None if where.show_ids is None else list(where.show_ids)
    episodes = None if where.episode_ids is None else list(where.episode_ids)
    return [shows, episodes, where.after, where.before, where.speaker]


async def _delete_sources(connection: Any, paths: Iterable[str]) -> None:
    """Forget these files' episodes and segments, taking their words out of the vocabulary."""
    paths = list(paths)
    gone = await connection.fetchval(
        """WITH gone AS (
               SELECT s.tsv FROM segments s JOIN episodes e ON e.id = s.episode_id WHERE e.source_path = ANY($1::text[])
           ), words AS (
               SELECT word, count(*) AS n FROM gone, unnest(tsvector_to_array(gone.tsv)) AS word GROUP BY word
           ), counted AS (
               UPDATE terms SET doc = terms.doc - words.n FROM words WHERE terms.term = words.word
           )
           SELECT count(*) FROM gone""",
        paths,
    )
    await connection.execute("DELETE FROM terms WHERE doc = 0")
    await connection.execute("DELETE FROM sources WHERE path = ANY($1::text[])", paths)  # episodes, segments cascade
    await connection.execute("UPDATE index_state SET segments = segments - $1", gone)


async def _insert_episode(connection: Any, episode: EpisodeRecord) -> list[tuple[object, ...]]:
    """Insert the episode's row; return its segments as rows to load."""
    episode_id = await connection.fetchval(
        "INSERT INTO episodes (source_path, item_key, title, format, speakers, from_listing, document)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id",
        episode.source_path,
        episode.item_key,
        episode.facts.title or "",
        episode.format,
        list(episode.speakers),
        episode.facts.from_listing,
        json.dumps(dataclasses.asdict(episode.facts)),
    )
    return [(episode_id, position, *row, lexemes(row[3])) for position, row in enumerate(episode.segments)]


async def _load_segments(connection: Any, rows: list[tuple[object, ...]]) -> int:
    """Write segments through a COPY into a staging table (COPY cannot encode a tsvector), and add
    their words to the vocabulary."""
    if not rows:
        return 0
    await connection.execute(_STAGED_SEGMENTS)
    await connection.copy_records_to_table("segment_load", records=rows)
    await connection.execute(
        "INSERT INTO segments (episode_id, position, start_seconds, end_seconds, speaker, text, tsv)"
        " SELECT episode_id, position, start_seconds, end_seconds, speaker, text, lexemes::tsvector FROM segment_load"
    )
    await connection.execute(
        """INSERT INTO terms (term, doc)
           SELECT word, count(*) FROM segment_load, unnest(tsvector_to_array(lexemes::tsvector)) AS word GROUP BY word
           ON CONFLICT (term) DO UPDATE SET doc = terms.doc + excluded.doc"""
    )
    await connection.execute("TRUNCATE segment_load")
    await connection.execute("UPDATE index_state SET segments = segments + $1", len(rows))
    return len(rows)
