"""Followed feeds, their items, failed downloads and new-episode announcements, on PostgreSQL:
the calls of `storage.feeds.FeedStore`, with the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from models.clock import now_text
from models.state import AnnounceRow, PendingPost, PollOutcome
from storage.common import FeedLookups

if TYPE_CHECKING:
    from storage.postgres.store import PostgresStore

_FEEDS_QUERY = """
    SELECT url, source_path, added_at, etag, last_modified, status, last_error, last_polled_at, failures,
           next_poll_at, items
    FROM feeds WHERE $1::text IS NULL OR url = $1::text ORDER BY url COLLATE "C"
"""
_ITEM_EPISODE = """
    FROM feed_items fi
    JOIN feeds f ON f.url = fi.feed_url
    JOIN episodes e ON e.source_path = f.source_path AND e.item_key = fi.item_key
"""


class PostgresFeedStore(FeedLookups):
    """The feed tables in the shared database."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self._pool = store._pool

    async def add(self, url: str, source_path: str) -> bool:
        """Follow a feed; False when it is followed already."""
        status = await self._pool.execute(
            "INSERT INTO feeds (url, source_path, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            url,
            source_path,
            now_text(),
        )
        return status == "INSERT 0 1"

    async def _forget(self, url: str) -> None:
        await self._pool.execute("DELETE FROM feeds WHERE url = $1", url)

    async def _feed_table(self, url: str | None) -> Sequence[Sequence[object]]:
        return await self._pool.fetch(_FEEDS_QUERY, url)

    async def _failed_table(self, url: str | None) -> Sequence[Sequence[str]]:
        return await self._pool.fetch(
            "SELECT feed_url, url, reason FROM feed_downloads WHERE $1::text IS NULL OR feed_url = $1::text"
            ' ORDER BY url COLLATE "C"',
            url,
        )

    async def record_poll(self, url: str, outcome: PollOutcome) -> None:
        """Keep a poll's outcome: a failure counts up (for the backoff) and keeps the validators."""
        await self._pool.execute(
            "UPDATE feeds SET status = $2, last_error = $3::text, last_polled_at = $4, next_poll_at = $5,"
            " failures = CASE WHEN $3::text IS NULL THEN 0 ELSE failures + 1 END,"
            " etag = CASE WHEN $3::text IS NULL THEN $6 ELSE etag END,"
            " last_modified = CASE WHEN $3::text IS NULL THEN $7 ELSE last_modified END,"
            " items = coalesce($8, items) WHERE url = $1",
            url,
            outcome.status,
            outcome.error,
            now_text(),
            outcome.next_poll_at,
            outcome.etag,
            outcome.last_modified,
            outcome.items,
        )

    async def note_items(self, url: str, keys: Sequence[str]) -> list[str]:
        """Remember a feed's items; return the keys not seen before. The items of a feed's first good
        poll were out before it was followed: they are never announced."""
        rows = await self._pool.fetch("SELECT item_key FROM feed_items WHERE feed_url = $1", url)
        known = {row[0] for row in rows}
        new = [key for key in dict.fromkeys(keys) if key not in known]
        now = now_text()
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.executemany(
                "INSERT INTO feed_items (feed_url, item_key, first_seen, announce) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT DO NOTHING",
                [(url, key, now, bool(known)) for key in new],
            )
        return new

    async def joined_elsewhere(self, source_path: str, folder: str) -> set[str]:
        """Keys of a feed's items joined to a transcript from outside the feed's folder (indexed already)."""
        rows = await self._pool.fetch(
            "SELECT i.item_key FROM episodes i JOIN episodes t ON t.id = i.merged_into"
            " WHERE i.source_path = $1 AND NOT starts_with(t.source_path, $2 || '/')",
            source_path,
            folder,
        )
        return {row[0] for row in rows}

    async def failed_downloads(self, feed_url: str) -> dict[str, tuple[int, str, str]]:
        """This feed's downloads that failed: URL to (failures, reason, next try)."""
        rows = await self._pool.fetch(
            "SELECT url, failures, reason, next_try_at FROM feed_downloads WHERE feed_url = $1", feed_url
        )
        return {url: (failures, reason, next_try) for url, failures, reason, next_try in rows}

    async def record_download(self, feed_url: str, url: str, reason: str | None, next_try_at: str = "") -> None:
        """Keep a failed download's reason and next try, or forget it after a success."""
        if reason is None:
            await self._pool.execute("DELETE FROM feed_downloads WHERE url = $1", url)
            return
        await self._pool.execute(
            "INSERT INTO feed_downloads (url, feed_url, reason, failures, next_try_at) VALUES ($1, $2, $3, 1, $4)"
            " ON CONFLICT (url) DO UPDATE SET reason = excluded.reason, failures = feed_downloads.failures + 1,"
            " next_try_at = excluded.next_try_at",
            url,
            feed_url,
            reason,
            next_try_at,
        )

    # --- announcements ----------------------------------------------------------------------

    async def save_announce(self, guild_id: int, channel_id: int, enabled: bool) -> None:
        """Set a server's new-episode channel; episodes first seen from now on are announced there."""
        await self._pool.execute(
            "INSERT INTO announce_channels (guild_id, channel_id, enabled, since) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, enabled = excluded.enabled,"
            " last_error = NULL, last_error_at = NULL",
            guild_id,
            channel_id,
            enabled,
            now_text(),
        )

    async def announce_channels(self, guild_id: int | None = None) -> list[AnnounceRow]:
        """Every server's new-episode channel, or one server's."""
        rows = await self._pool.fetch(
            "SELECT guild_id, channel_id, enabled, since, last_error, last_error_at FROM announce_channels"
            " WHERE $1::bigint IS NULL OR guild_id = $1::bigint ORDER BY guild_id",
            guild_id,
        )
        return [AnnounceRow(*row) for row in rows]

    async def pending_posts(self, guild_id: int, since: str) -> list[PendingPost]:
        """Episodes that came out in a followed feed since `since` and were not posted to this server."""
        rows = await self._pool.fetch(
            "SELECT fi.feed_url, fi.item_key, fi.id, coalesce(e.merged_into, e.id)"  # noqa: S608 (constant parts)
            + _ITEM_EPISODE
            + """WHERE fi.announce AND fi.first_seen >= $2 AND NOT EXISTS (
                SELECT 1 FROM announcements a
                WHERE a.guild_id = $1 AND a.feed_url = fi.feed_url AND a.item_key = fi.item_key)
            ORDER BY fi.first_seen, e.published NULLS FIRST, e.id""",
            guild_id,
            since,
        )
        return [PendingPost(*row) for row in rows]

    async def item_episode(self, item_id: int) -> int | None:
        """The visible episode a feed item is now (its own row, or the transcript it joined)."""
        return await self._pool.fetchval(
            "SELECT coalesce(e.merged_into, e.id)" + _ITEM_EPISODE + "WHERE fi.id = $1", item_id
        )

    async def claim_post(self, guild_id: int, post: PendingPost) -> bool:
        """Mark an episode posted to a server unless it already is; True when this call claimed it."""
        status = await self._pool.execute(
            "INSERT INTO announcements (guild_id, feed_url, item_key, posted_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING",
            guild_id,
            post.feed_url,
            post.item_key,
            now_text(),
        )
        return status == "INSERT 0 1"

    async def release_post(self, guild_id: int, post: PendingPost) -> None:
        """Undo a claim after a failed post, so a later round tries again."""
        await self._pool.execute(
            "DELETE FROM announcements WHERE guild_id = $1 AND feed_url = $2 AND item_key = $3",
            guild_id,
            post.feed_url,
            post.item_key,
        )

    async def record_announce_result(self, guild_id: int, error: str | None) -> None:
        """Keep the last post's failure (or clear it after a success) for /admin status."""
        await self._pool.execute(
            "UPDATE announce_channels SET last_error = $2, last_error_at = $3 WHERE guild_id = $1",
            guild_id,
            error,
            now_text() if error else None,
        )
