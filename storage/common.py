"""What both engines share: the candidate query's columns and joins, the calls each answers from
one engine-specific query (every row, or the row of one key), and the statements whose SQL is the
same on both, written once with named parameters (`:name`, as SQLite takes them)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from models.clock import now_text
from models.episodes import Candidate, EpisodeRow, SegmentRow
from models.shards import ShardSlice
from models.state import PostClaim, ScheduleRow

# A candidate: the segment, its rank, its neighbours' text and its episode (models.Candidate's fields).
CANDIDATE_COLUMNS = """
    s.id, s.episode_id, s.position, s.start_seconds, s.speaker, s.text, {rank},
    p.text, n.text, sh.title, e.title, e.number, e.published, e.url, so.shown_path
"""
CANDIDATE_JOINS = """
    JOIN episodes e ON e.id = s.episode_id
    JOIN sources so ON so.path = e.source_path
    LEFT JOIN shows sh ON sh.id = e.show_id
    LEFT JOIN segments p ON p.episode_id = s.episode_id AND p.position = s.position - 1
    LEFT JOIN segments n ON n.episode_id = s.episode_id AND n.position = s.position + 1
"""


# The episode query's columns, in the order `episode_row` reads them; each engine adds its WHERE and ORDER BY.
EPISODES = """
    SELECT e.id, sh.title, e.number, e.title, e.published, e.duration_seconds, e.url, e.speakers,
           so.shown_path, e.format, (SELECT count(*) FROM segments s WHERE s.episode_id = e.id)
    FROM episodes e
    JOIN sources so ON so.path = e.source_path
    LEFT JOIN shows sh ON sh.id = e.show_id
"""
Row = TypeVar("Row")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")  # `:name`, never a `::type` cast


@functools.cache
def numbered(query: str) -> tuple[str, tuple[str, ...]]:
    """A statement with named parameters in PostgreSQL's numbered style, and the names in their
    numbers' order: `id = :id AND x = :id` becomes `id = $1 AND x = $1`, ("id",)."""
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${names.setdefault(match[1], len(names) + 1)}"

    return _NAMED.sub(number, query), tuple(names)


def episode_row(row: Sequence[Any], speakers: Iterable[str]) -> EpisodeRow:
    """An EpisodeRow from the episode query's columns, in the model's order (the speakers decoded)."""
    return EpisodeRow(*row[:7], list(speakers), *row[8:])


def first(rows: Sequence[Row]) -> Row | None:
    """The first of the rows, or None when there are none."""
    return rows[0] if rows else None


def first_value(rows: Sequence[Sequence[Any]]) -> Any:
    """The first column of the first row, or None when there are no rows."""
    return rows[0][0] if rows else None


def in_order(segment_ids: Sequence[int], found: Sequence[Candidate]) -> list[Candidate]:
    """The candidates found for these segments, in the order asked, without those not found."""
    by_id = {c.segment_id: c for c in found}
    return [by_id[i] for i in segment_ids if i in by_id]


class Statements:
    """How an engine runs a statement written for both (see `numbered`)."""

    async def _rows(self, query: str, parameters: Mapping[str, object]) -> Sequence[Sequence[Any]]:
        raise NotImplementedError

    async def _execute(self, query: str, parameters: Mapping[str, object]) -> None:
        raise NotImplementedError

    async def _execute_many(self, query: str, parameters: Sequence[Mapping[str, object]]) -> None:
        """Run a statement once for each of `parameters`, in one transaction."""
        raise NotImplementedError


class EpisodeLookups(Statements):
    """Visible episodes, from the engine's `_episode_rows` (all of them for None), and the reads
    of one episode that both engines run alike."""

    async def _episode_rows(self, episode_id: int | None) -> list[EpisodeRow]:
        raise NotImplementedError

    async def list_episodes(self) -> list[EpisodeRow]:
        """Every visible episode, by show, then date and number."""
        return await self._episode_rows(None)

    async def episode(self, episode_id: int) -> EpisodeRow | None:
        """One visible episode, or None."""
        return first(await self._episode_rows(episode_id))

    async def description(self, episode_id: int) -> str | None:
        """An episode's show notes or description, if any."""
        return first_value(await self._rows("SELECT description FROM episodes WHERE id = :id", {"id": episode_id}))

    async def segments_of(self, episode_id: int) -> list[SegmentRow]:
        """An episode's segments in order: start, end, speaker, text."""
        query = (
            "SELECT start_seconds, end_seconds, speaker, text FROM segments WHERE episode_id = :id ORDER BY position"
        )
        return [tuple(row) for row in await self._rows(query, {"id": episode_id})]

    async def episode_titles(self) -> list[tuple[int, str, int | None, str | None]]:
        """Id, title, number and show of every visible episode, for matching by name."""
        query = """
            SELECT e.id, e.title, e.number, sh.title FROM episodes e LEFT JOIN shows sh ON sh.id = e.show_id
            WHERE e.merged_into IS NULL ORDER BY e.id
        """
        return [tuple(row) for row in await self._rows(query, {})]

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
        return [tuple(row) for row in await self._rows(query, parameters)]


class ScheduleLookups(Statements):
    """Daily post settings, from the engine's `_schedule_rows` (every server's for None), and the
    summaries, pagers and facts both engines keep alike."""

    read_only: bool  # a read-only store keeps no summary cache

    async def _schedule_rows(self, guild_id: int | None) -> list[ScheduleRow]:
        raise NotImplementedError

    async def schedules(self, shards: ShardSlice | None = None) -> list[ScheduleRow]:
        """Every server's daily post settings (those of the servers on `shards`, if given)."""
        rows = await self._schedule_rows(None)
        return rows if shards is None else [row for row in rows if shards.owns(row.guild_id)]

    async def schedule(self, guild_id: int) -> ScheduleRow | None:
        """One server's daily post settings, or None."""
        return first(await self._schedule_rows(guild_id))

    async def mark_sent(self, claim: PostClaim, message_id: int) -> None:
        """Keep the id of the claimed post's first message, which Discord has taken."""
        await self._update_claim(claim, "sent_message_id = :message", message=message_id)

    async def finish_post(self, claim: PostClaim) -> None:
        """The claimed date is done (posted, or given up for the day): it is not due again."""
        await self._update_claim(
            claim, "last_posted = claimed_day, claimed_day = NULL, claimed_by = NULL, claimed_until = NULL"
        )

    async def release_post(self, claim: PostClaim) -> None:
        """Drop a claim after a passing failure, nothing sent, so the next tick tries again."""
        await self._update_claim(
            claim, "claimed_day = NULL, claimed_by = NULL, claimed_until = NULL, sent_message_id = NULL"
        )

    async def _update_claim(self, claim: PostClaim, changes: str, **values: object) -> None:
        """Change a schedule's row while `claim` holds it (a claim lost to another process changes nothing)."""
        await self._execute(
            f"UPDATE schedules SET {changes}"  # noqa: S608 (constant parts)
            " WHERE guild_id = :guild AND claimed_by = :owner AND claimed_day = :day",
            {"guild": claim.guild_id, "owner": claim.owner, "day": claim.day, **values},
        )

    async def record_post_result(self, guild_id: int, error: str | None) -> None:
        """Keep the last attempt's failure (or clear it after a success) for /admin status."""
        await self._execute(
            "UPDATE schedules SET last_error = :error, last_error_at = :at WHERE guild_id = :guild",
            {"guild": guild_id, "error": error, "at": now_text() if error else None},
        )

    async def cached_summary(self, episode_id: int, method: int) -> str | None:
        """The stored summary JSON of an episode, if one was made by this method version."""
        query = "SELECT document FROM summaries WHERE episode_id = :episode AND method = :method"
        return first_value(await self._rows(query, {"episode": episode_id, "method": method}))

    async def save_summary(self, episode_id: int, method: int, document: str) -> None:
        """Keep an episode's summary until the index changes."""
        if self.read_only:
            return
        await self._execute(
            "INSERT INTO summaries (episode_id, method, document) SELECT id, :method, :document FROM episodes"
            " WHERE id = :episode ON CONFLICT (episode_id) DO UPDATE SET method = excluded.method,"
            " document = excluded.document",
            {"episode": episode_id, "method": method, "document": document},
        )

    async def pager(self, pager_id: int) -> tuple[int, str, str] | None:
        """A pager's owner, kind and payload, or None once forgotten."""
        rows = await self._rows("SELECT owner_id, kind, payload FROM pagers WHERE id = :id", {"id": pager_id})
        return tuple(rows[0]) if rows else None

    async def fact(self, key: str) -> str | None:
        """A stored bot fact (such as the hash of the last synced commands)."""
        return first_value(await self._rows("SELECT value FROM facts WHERE key = :key", {"key": key}))

    async def set_fact(self, key: str, value: str) -> None:
        """Store a bot fact."""
        await self._execute(
            "INSERT INTO facts (key, value) VALUES (:key, :value)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            {"key": key, "value": value},
        )
