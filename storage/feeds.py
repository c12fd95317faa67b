"""Followed feeds, their items, failed downloads, and new-episode announcements: every query."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from models.clock import now_text
from models.state import AnnounceRow, PendingPost, PollOutcome
from storage.common import FeedLookups

if TYPE_CHECKING:
    from storage.store import Store

_FEEDS_QUERY = """
    SELECT url, source_path, added_at, etag, last_modified, status, last_error, last_polled_at, failures,
           next_poll_at, items
    FROM feeds WHERE :url IS NULL OR url = :url ORDER BY url
"""


class FeedStore(FeedLookups):
    """The feed tables, through the store's one connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._db = store._db

    async def add(self, url: str, source_path: str) -> bool:
        """Follow a feed; False when it is followed already."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO feeds (url, source_path, added_at) VALUES (?, ?, ?)", (url, source_path, now_text())
        )
        return cursor.rowcount == 1

    async def _forget(self, url: str) -> None:
        await self._db.execute("DELETE FROM feeds WHERE url = ?", (url,))

    async def _feed_table(self, url: str | None) -> Sequence[Sequence[object]]:
        return await self._db.execute_fetchall(_FEEDS_QUERY, {"url": url})

    async def _failed_table(self, url: str | None) -> Sequence[Sequence[str]]:
        return await self._db.execute_fetchall(
            "SELECT feed_url, url, reason FROM feed_downloads WHERE :url IS NULL OR feed_url = :url ORDER BY url",
            {"url": url},
        )

    async def record_poll(self, url: str, outcome: PollOutcome) -> None:
        """Keep a poll's outcome: a failure counts up (for the backoff) and keeps the validators."""
        await self._db.execute(
            "UPDATE feeds SET status = :status, last_error = :error, last_polled_at = :now,"
            " next_poll_at = :next_poll_at, failures = CASE WHEN :error IS NULL THEN 0 ELSE failures + 1 END,"
            " etag = CASE WHEN :error IS NULL THEN :etag ELSE etag END,"
            " last_modified = CASE WHEN :error IS NULL THEN :last_modified ELSE last_modified END,"
            " items = coalesce(:items, items) WHERE url = :url",
            {"url": url, "now": now_text(), **dataclasses.asdict(outcome)},
        )

    async def note_items(self, url: str, keys: Sequence[str]) -> list[str]:
        """Remember a feed's items; return the keys not seen before. The items of a feed's first good
        poll were out before it was followed: they are never announced."""
        known = {key for (key,) in await self._db.execute_fetchall(
            "SELECT item_key FROM feed_items WHERE feed_url = ?", (url,))}  # fmt: skip
        new = [key for key in dict.fromkeys(keys) if key not in known]
        now = now_text()
        async with self.store._write():  # one transaction, not one a row: the indexer writes meanwhile
            await self._db.executemany(
                "INSERT OR IGNORE INTO feed_items (feed_url, item_key, first_seen, announce) VALUES (?, ?, ?, ?)",
                [(url, key, now, int(bool(known))) for key in new],
            )
        return new

    async def joined_elsewhere(self, source_path: str, folder: str) -> set[str]:
        """Keys of a feed's items joined to a transcript from outside the feed's folder (indexed already)."""
        rows = await self._db.execute_fetchall(
            "SELECT i.item_key FROM episodes i JOIN episodes t ON t.id = i.merged_into"
            " WHERE i.source_path = :feed AND substr(t.source_path, 1, length(:folder) + 1) != :folder || '/'",
            {"feed": source_path, "folder": folder},
        )
        return {key for (key,) in rows}

    async def failed_downloads(self, feed_url: str) -> dict[str, tuple[int, str, str]]:
        """This feed's downloads that failed: URL to (failures, reason, next try)."""
        rows = await self._db.execute_fetchall(
            "SELECT url, failures, reason, next_try_at FROM feed_downloads WHERE feed_url = ?", (feed_url,)
        )
        return {url: (failures, reason, next_try) for url, failures, reason, next_try in rows}

    async def record_download(self, feed_url: str, url: str, reason: str | None, next_try_at: str = "") -> None:
        """Keep a failed download's reason and next try, or forget it after a success."""
        if reason is None:
            await self._db.execute("DELETE FROM feed_downloads WHERE url = ?", (url,))
            return
        await self._db.execute(
            "INSERT INTO feed_downloads (url, feed_url, reason, failures, next_try_at) VALUES (?, ?, ?, 1, ?)"
            " ON CONFLICT (url) DO UPDATE SET reason = excluded.reason, failures = failures + 1,"
            " next_try_at = excluded.next_try_at",
            (url, feed_url, reason, next_try_at),
        )

    # --- announcements ----------------------------------------------------------------------

    async def save_announce(self, guild_id: int, channel_id: int, enabled: bool) -> None:
        """Set a server's new-episode channel; episodes first seen from now on are announced there."""
        await self._db.execute(
            "INSERT INTO announce_channels (guild_id, channel_id, enabled, since) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, enabled = excluded.enabled,"
            " last_error = NULL, last_error_at = NULL",
            (guild_id, channel_id, int(enabled), now_text()),
        )

    async def announce_channels(self, guild_id: int | None = None) -> list[AnnounceRow]:
        """Every server's new-episode channel, or one server's."""
        rows = await self._db.execute_fetchall(
            "SELECT guild_id, channel_id, enabled, since, last_error, last_error_at FROM announce_channels"
            " WHERE :guild IS NULL OR guild_id = :guild ORDER BY guild_id",
            {"guild": guild_id},
        )
        return [AnnounceRow(r[0], r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows]

    async def pending_posts(self, guild_id: int, since: str) -> list[PendingPost]:
        """Episodes that came out in a followed feed since `since` and were not posted to this server."""
        rows = await self._db.execute_fetchall(
            """
            SELECT fi.feed_url, fi.item_key, fi.rowid, coalesce(e.merged_into, e.id)
            FROM feed_items fi
            JOIN feeds f ON f.url = fi.feed_url
            JOIN episodes e ON e.source_path = f.source_path AND e.item_key = fi.item_key
            WHERE fi.announce = 1 AND fi.first_seen >= :since AND NOT EXISTS (
                SELECT 1 FROM announcements a
                WHERE a.guild_id = :guild AND a.feed_url = fi.feed_url AND a.item_key = fi.item_key)
            ORDER BY fi.first_seen, e.published, e.id
            """,
            {"guild": guild_id, "since": since},
        )
        return [PendingPost(*row) for row in rows]

    async def item_episode(self, item_id: int) -> int | None:
        """The visible episode a feed item is now (its own row, or the transcript it joined)."""
        rows = await self._db.execute_fetchall(
            "SELECT coalesce(e.merged_into, e.id) FROM feed_items fi JOIN feeds f ON f.url = fi.feed_url"
            " JOIN episodes e ON e.source_path = f.source_path AND e.item_key = fi.item_key WHERE fi.rowid = ?",
            (item_id,),
        )
        return rows[0][0] if rows else None

    async def claim_post(self, guild_id: int, post: PendingPost) -> bool:
        """Mark an episode posted to a server unless it already is; True when this call claimed it."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO announcements (guild_id, feed_url, item_key, posted_at) VALUES (?, ?, ?, ?)",
            (guild_id, post.feed_url, post.item_key, now_text()),
        )
        return cursor.rowcount == 1

    async def release_post(self, guild_id: int, post: PendingPost) -> None:
        """Undo a claim after a failed post, so a later round tries again."""
        await self._db.execute(
            "DELETE FROM announcements WHERE guild_id = ? AND feed_url = ? AND item_key = ?",
            (guild_id, post.feed_url, post.item_key),
        )

    async def record_announce_result(self, guild_id: int, error: str | None) -> None:
        """Keep the last post's failure (or clear it after a success) for /admin status."""
        await self._db.execute(
            "UPDATE announce_channels SET last_error = ?, last_error_at = ? WHERE guild_id = ?",
            (error, now_text() if error else None, guild_id),
        )
