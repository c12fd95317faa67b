"""Followed feeds, their items, failed downloads, and new-episode announcements: every query,
written once for both engines (storage.common's `:name` statements)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from operator import itemgetter

from models.clock import now_text
from models.state import AnnounceRow, FeedRow, PendingPost, PollOutcome
from storage.common import Statements, first, first_value

_FEEDS = """
    SELECT url, source_path, added_at, etag, last_modified, status, last_error, last_polled_at, failures,
           next_poll_at, items
    FROM feeds WHERE CAST(:url AS text) IS NULL OR url = :url
"""
_ITEM_EPISODE = """
    FROM feed_items fi
    JOIN feeds f ON f.url = fi.feed_url
    JOIN episodes e ON e.source_path = f.source_path AND e.item_key = fi.item_key
"""
_FAILED = "SELECT feed_url, url, reason FROM feed_downloads WHERE CAST(:url AS text) IS NULL OR feed_url = :url"


class FeedStore:
    """The feed tables, through either engine's store; `item_id` names a feed item's row id
    (SQLite's implicit `rowid`, PostgreSQL's `id` column)."""

    def __init__(self, store: Statements, item_id: str) -> None:
        self.store = store
        self._item_id = item_id

    async def add(self, url: str, source_path: str) -> bool:
        """Follow a feed; False when it is followed already."""
        added = await self.store._rows(
            "INSERT INTO feeds (url, source_path, added_at) VALUES (:url, :source, :at) ON CONFLICT DO NOTHING"
            " RETURNING url",
            {"url": url, "source": source_path, "at": now_text()},
        )
        return bool(added)

    async def feeds(self) -> list[FeedRow]:
        """Every followed feed, by URL."""
        return await self._feed_rows(None)

    async def feed(self, url: str) -> FeedRow | None:
        """One followed feed, or None."""
        return first(await self._feed_rows(url))

    async def remove(self, url: str) -> FeedRow | None:
        """Stop following a feed; return what it was, or None when it was not followed."""
        row = await self.feed(url)
        if row is not None:
            await self.store._execute("DELETE FROM feeds WHERE url = :url", {"url": url})
        return row

    async def _feed_rows(self, url: str | None) -> list[FeedRow]:
        """Every feed (one for a URL) by URL, with its failed downloads by URL: sorted here, in code
        point order on both engines (their collations differ)."""
        parameters = {"url": url}
        failed: dict[str, list[tuple[str, str]]] = {}
        for feed_url, download, reason in sorted(await self.store._rows(_FAILED, parameters), key=itemgetter(1)):
            failed.setdefault(feed_url, []).append((download, reason))
        rows = sorted(await self.store._rows(_FEEDS, parameters), key=itemgetter(0))
        return [FeedRow(*row, failed_downloads=tuple(failed.get(row[0], ()))) for row in rows]

    async def record_poll(self, url: str, outcome: PollOutcome) -> None:
        """Keep a poll's outcome: a failure counts up (for the backoff) and keeps the validators."""
        await self.store._execute(
            "UPDATE feeds SET status = :status, last_error = :error, last_polled_at = :now,"
            " next_poll_at = :next_poll_at, failures = CASE WHEN :ok THEN 0 ELSE failures + 1 END,"
            " etag = CASE WHEN :ok THEN :etag ELSE etag END,"
            " last_modified = CASE WHEN :ok THEN :last_modified ELSE last_modified END,"
            " items = coalesce(:items, items) WHERE url = :url",
            {"url": url, "now": now_text(), "ok": outcome.error is None, **dataclasses.asdict(outcome)},
        )

    async def note_items(self, url: str, keys: Sequence[str]) -> list[str]:
        """Remember a feed's items; return the keys not seen before. The items of a feed's first good
        poll were out before it was followed: they are never announced."""
        rows = await self.store._rows("SELECT item_key FROM feed_items WHERE feed_url = :url", {"url": url})
        known = {key for (key,) in rows}
        new = [key for key in dict.fromkeys(keys) if key not in known]
        now = now_text()
        await self.store._execute_many(
            "INSERT INTO feed_items (feed_url, item_key, first_seen, announce) VALUES (:url, :key, :now, :announce)"
            " ON CONFLICT DO NOTHING",
            [{"url": url, "key": key, "now": now, "announce": bool(known)} for key in new],
        )
        return new

    async def failed_downloads(self, feed_url: str) -> dict[str, tuple[int, str, str]]:
        """This feed's downloads that failed: URL to (failures, reason, next try)."""
        rows = await self.store._rows(
            "SELECT url, failures, reason, next_try_at FROM feed_downloads WHERE feed_url = :feed", {"feed": feed_url}
        )
        return {url: (failures, reason, next_try) for url, failures, reason, next_try in rows}

    async def record_download(self, feed_url: str, url: str, reason: str | None, next_try_at: str = "") -> None:
        """Keep a failed download's reason and next try, or forget it after a success."""
        if reason is None:
            await self.store._execute("DELETE FROM feed_downloads WHERE url = :url", {"url": url})
            return
        await self.store._execute(
            "INSERT INTO feed_downloads (url, feed_url, reason, failures, next_try_at)"
            " VALUES (:url, :feed, :reason, 1, :next_try) ON CONFLICT (url) DO UPDATE SET reason = excluded.reason,"
            " failures = feed_downloads.failures + 1, next_try_at = excluded.next_try_at",
            {"url": url, "feed": feed_url, "reason": reason, "next_try": next_try_at},
        )

    async def joined_elsewhere(self, source_path: str, folder: str) -> set[str]:
        """Keys of a feed's items joined to a transcript from outside the feed's folder (indexed already)."""
        rows = await self.store._rows(
            "SELECT i.item_key FROM episodes i JOIN episodes t ON t.id = i.merged_into"
            " WHERE i.source_path = :feed AND substr(t.source_path, 1, :length) != :prefix",
            {"feed": source_path, "prefix": f"{folder}/", "length": len(folder) + 1},
        )
        return {key for (key,) in rows}

    # --- announcements ----------------------------------------------------------------------

    async def save_announce(self, guild_id: int, channel_id: int, enabled: bool) -> None:
        """Set a server's new-episode channel; episodes first seen from now on are announced there."""
        await self.store._execute(
            "INSERT INTO announce_channels (guild_id, channel_id, enabled, since) VALUES (:guild, :channel, :on, :at)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, enabled = excluded.enabled,"
            " last_error = NULL, last_error_at = NULL",
            {"guild": guild_id, "channel": channel_id, "on": enabled, "at": now_text()},
        )

    async def announce_channels(self, guild_id: int | None = None) -> list[AnnounceRow]:
        """Every server's new-episode channel, or one server's."""
        rows = await self.store._rows(
            "SELECT guild_id, channel_id, enabled, since, last_error, last_error_at FROM announce_channels"
            " WHERE CAST(:guild AS bigint) IS NULL OR guild_id = :guild ORDER BY guild_id",
            {"guild": guild_id},
        )
        return [AnnounceRow(r[0], r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows]

    async def pending_posts(self, guild_id: int, since: str) -> list[PendingPost]:
        """Episodes that came out in a followed feed since `since` and were not posted to this server."""
        rows = await self.store._rows(
            f"SELECT fi.feed_url, fi.item_key, fi.{self._item_id}, coalesce(e.merged_into, e.id)"  # noqa: S608
            + _ITEM_EPISODE
            + """WHERE fi.announce AND fi.first_seen >= :since AND NOT EXISTS (
                SELECT 1 FROM announcements a
                WHERE a.guild_id = :guild AND a.feed_url = fi.feed_url AND a.item_key = fi.item_key)
            ORDER BY fi.first_seen, e.published NULLS FIRST, e.id""",
            {"guild": guild_id, "since": since},
        )
        return [PendingPost(*row) for row in rows]

    async def item_episode(self, item_id: int) -> int | None:
        """The visible episode a feed item is now (its own row, or the transcript it joined)."""
        query = f"SELECT coalesce(e.merged_into, e.id) {_ITEM_EPISODE} WHERE fi.{self._item_id} = :item"
        return first_value(await self.store._rows(query, {"item": item_id}))

    async def claim_post(self, guild_id: int, post: PendingPost) -> bool:
        """Mark an episode posted to a server unless it already is; True when this call claimed it."""
        claimed = await self.store._rows(
            "INSERT INTO announcements (guild_id, feed_url, item_key, posted_at) VALUES (:guild, :feed, :item, :at)"
            " ON CONFLICT DO NOTHING RETURNING guild_id",
            {"guild": guild_id, "feed": post.feed_url, "item": post.item_key, "at": now_text()},
        )
        return bool(claimed)

    async def release_post(self, guild_id: int, post: PendingPost) -> None:
        """Undo a claim after a failed post, so a later round tries again."""
        await self.store._execute(
            "DELETE FROM announcements WHERE guild_id = :guild AND feed_url = :feed AND item_key = :item",
            {"guild": guild_id, "feed": post.feed_url, "item": post.item_key},
        )

    async def record_announce_result(self, guild_id: int, error: str | None) -> None:
        """Keep the last post's failure (or clear it after a success) for /admin status."""
        await self.store._execute(
            "UPDATE announce_channels SET last_error = :error, last_error_at = :at WHERE guild_id = :guild",
            {"guild": guild_id, "error": error, "at": now_text() if error else None},
        )
