"""What both engines share: the candidate query's columns and joins, and the calls each answers
from one engine-specific query: every row, or the row of one key."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from models.episodes import Candidate, EpisodeRow
from models.shards import ShardSlice
from models.state import FeedRow, ScheduleRow

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


def episode_row(row: Sequence[Any], speakers: Iterable[str]) -> EpisodeRow:
    """An EpisodeRow from the episode query's columns, in the model's order (the speakers decoded)."""
    return EpisodeRow(*row[:7], list(speakers), *row[8:])


def in_order(segment_ids: Sequence[int], found: Sequence[Candidate]) -> list[Candidate]:
    """The candidates found for these segments, in the order asked, without those not found."""
    by_id = {c.segment_id: c for c in found}
    return [by_id[i] for i in segment_ids if i in by_id]


class EpisodeLookups:
    """Visible episodes, from the engine's `_episode_rows` (all of them for None)."""

    async def _episode_rows(self, episode_id: int | None) -> list[EpisodeRow]:
        raise NotImplementedError

    async def list_episodes(self) -> list[EpisodeRow]:
        """Every visible episode, by show, then date and number."""
        return await self._episode_rows(None)

    async def episode(self, episode_id: int) -> EpisodeRow | None:
        """One visible episode, or None."""
        rows = await self._episode_rows(episode_id)
        return rows[0] if rows else None


class ScheduleLookups:
    """Daily post settings, from the engine's `_schedule_rows` (every server's for None)."""

    async def _schedule_rows(self, guild_id: int | None) -> list[ScheduleRow]:
        raise NotImplementedError

    async def schedules(self, shards: ShardSlice | None = None) -> list[ScheduleRow]:
        """Every server's daily post settings (those of the servers on `shards`, if given)."""
        rows = await self._schedule_rows(None)
        return rows if shards is None else [row for row in rows if shards.owns(row.guild_id)]

    async def schedule(self, guild_id: int) -> ScheduleRow | None:
        """One server's daily post settings, or None."""
        rows = await self._schedule_rows(guild_id)
        return rows[0] if rows else None


class FeedLookups:
    """Followed feeds with their failed downloads, from the engine's `_feed_table` and
    `_failed_table` (every feed's for None), and `_forget` to stop following one."""

    async def _feed_table(self, url: str | None) -> Sequence[Sequence[object]]:
        """FeedRow's columns but the failed downloads, by URL."""
        raise NotImplementedError

    async def _failed_table(self, url: str | None) -> Sequence[Sequence[str]]:
        """Failed downloads as (feed URL, download URL, reason), by download URL."""
        raise NotImplementedError

    async def _forget(self, url: str) -> None:
        raise NotImplementedError

    async def feeds(self) -> list[FeedRow]:
        """Every followed feed, by URL."""
        return await self._feed_rows(None)

    async def feed(self, url: str) -> FeedRow | None:
        """One followed feed, or None."""
        rows = await self._feed_rows(url)
        return rows[0] if rows else None

    async def remove(self, url: str) -> FeedRow | None:
        """Stop following a feed; return what it was, or None when it was not followed."""
        row = await self.feed(url)
        if row is not None:
            await self._forget(url)
        return row

    async def _feed_rows(self, url: str | None) -> list[FeedRow]:
        failed: dict[str, list[tuple[str, str]]] = {}
        for feed_url, download, reason in await self._failed_table(url):
            failed.setdefault(feed_url, []).append((download, reason))
        return [FeedRow(*row, failed_downloads=tuple(failed.get(row[0], ()))) for row in await self._feed_table(url)]
