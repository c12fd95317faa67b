"""`rewind migrate --to postgresql://...`: copy a SQLite index and its settings into an empty
PostgreSQL database, ids kept, then check every table's row count on both sides."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.errors import StoreError
from storage.postgres.store import PostgresStore, lexemes

BATCH = 20_000

Convert = Callable[[tuple[Any, ...]], tuple[Any, ...]]  # a SQLite row as the PostgreSQL table takes it


def _as_is(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row


def _episode(row: tuple[Any, ...]) -> tuple[Any, ...]:
    *head, speakers, from_listing, document, merged_into = row
    return (*head, json.loads(speakers), bool(from_listing), document, merged_into)


def _segment(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row, lexemes(row[-1]))


def _flag_at(index: int) -> Convert:
    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return (*row[:index], bool(row[index]), *row[index + 1 :])

    return convert


TABLES: tuple[tuple[str, str, Convert], ...] = (
    ("shows", "id, title", _as_is),
    ("sources", "path, shown_path, content_hash, format, status, detail, indexed_at", _as_is),
    (
        "episodes",
        "id, source_path, item_key, show_id, number, title, published, duration_seconds, url, description,"
        " format, speakers, from_listing, document, merged_into",
        _episode,
    ),
    ("segments", "id, episode_id, position, start_seconds, end_seconds, speaker, text", _segment),
    ("passages", "id, episode_id, first_segment, last_segment, vector, segment_vectors", _as_is),
    ("episode_vectors", "episode_id, vector", _as_is),
    ("summaries", "episode_id, method, document", _as_is),
    ("schedules", "guild_id, channel_id, hour, timezone, enabled, last_posted, last_error, last_error_at", _flag_at(4)),
    ("pagers", "id, owner_id, kind, payload, created_at", _as_is),
    ("facts", "key, value", _as_is),
    (
        "feeds",
        "url, source_path, added_at, etag, last_modified, status, last_error, last_polled_at, failures,"
        " next_poll_at, items",
        _as_is,
    ),
    ("feed_items", "rowid, feed_url, item_key, first_seen, announce", _flag_at(4)),
    ("feed_downloads", "url, feed_url, reason, failures, next_try_at", _as_is),
    ("announce_channels", "guild_id, channel_id, enabled, since, last_error, last_error_at", _flag_at(2)),
    ("announcements", "guild_id, feed_url, item_key, posted_at", _as_is),
)


async def copy_sqlite_into(source: Path, target: PostgresStore) -> dict[str, int]:
    """Copy every table of the (migrated) SQLite database at `source` into `target`, which must hold
    nothing yet, in one transaction; return each table's row count, checked equal on both sides."""
    with contextlib.closing(_reader(source)) as reader:
        async with target._pool.acquire() as connection, connection.transaction():
            if await connection.fetchval("SELECT EXISTS (SELECT 1 FROM sources) OR EXISTS (SELECT 1 FROM schedules)"):
                raise StoreError("the PostgreSQL database already holds an index: migrate into a new, empty one")
            await connection.execute(_SEGMENT_COPY)
            for table, columns, convert in TABLES:
                cursor = reader.execute(f"SELECT {columns} FROM {table} ORDER BY 1")  # noqa: S608 (constants)
                while rows := await asyncio.to_thread(_next_batch, cursor, convert):
                    await _copy(connection, table, columns, rows)
            await connection.execute(_DERIVED)
            copied = {}
            for table, *_ in TABLES:
                (expected,) = reader.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
                found = await connection.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
                if found != expected:
                    raise StoreError(f"{table}: {expected} rows in {source} but {found} copied; nothing was kept")
                copied[table] = found
    await target.optimize()
    return copied


def _reader(source: Path) -> sqlite3.Connection:
    uri = f"{source.resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    connection.execute("BEGIN")  # one snapshot of every table
    return connection


def _next_batch(cursor: sqlite3.Cursor, convert: Convert) -> list[tuple[Any, ...]]:
    return [convert(row) for row in cursor.fetchmany(BATCH)]


async def _copy(connection: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    names = [name.strip().replace("rowid", "id") for name in columns.split(",")]
    if table != "segments":
        await connection.copy_records_to_table(table, records=rows, columns=names)
        return
    await connection.copy_records_to_table("segment_copy", records=rows)  # COPY cannot encode a tsvector
    await connection.execute(
        "INSERT INTO segments (id, episode_id, position, start_seconds, end_seconds, speaker, text, tsv)"
        " SELECT id, episode_id, position, start_seconds, end_seconds, speaker, text, lexemes::tsvector"
        " FROM segment_copy"
    )
    await connection.execute("TRUNCATE segment_copy")


_SEGMENT_COPY = """
    CREATE TEMP TABLE segment_copy (
        id bigint, episode_id bigint, position integer, start_seconds double precision,
        end_seconds double precision, speaker text, text text, lexemes text
    ) ON COMMIT DROP
"""
_DERIVED = """
    INSERT INTO terms (term, doc)
        SELECT word, count(*) FROM segments, unnest(tsvector_to_array(tsv)) AS word GROUP BY word;
    UPDATE index_state SET version = version + 1, segments = (SELECT count(*) FROM segments);
    SELECT setval(pg_get_serial_sequence('shows', 'id'), coalesce(max(id), 0) + 1, false) FROM shows;
    SELECT setval(pg_get_serial_sequence('episodes', 'id'), coalesce(max(id), 0) + 1, false) FROM episodes;
    SELECT setval(pg_get_serial_sequence('segments', 'id'), coalesce(max(id), 0) + 1, false) FROM segments;
    SELECT setval(pg_get_serial_sequence('passages', 'id'), coalesce(max(id), 0) + 1, false) FROM passages;
    SELECT setval(pg_get_serial_sequence('pagers', 'id'), coalesce(max(id), 0) + 1, false) FROM pagers;
    SELECT setval(pg_get_serial_sequence('feed_items', 'id'), coalesce(max(id), 0) + 1, false) FROM feed_items;
"""
