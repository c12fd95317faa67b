"""What the bot keeps beside the index: cached summaries, daily post schedules, pagers, facts."""

from __future__ import annotations

import datetime as dt

from models.clock import now_text, utc_now
from models.state import ScheduleRow
from storage.common import ScheduleLookups
from storage.connection import Connection


class StateTables(Connection, ScheduleLookups):
    """Summaries, schedules, pagers and facts."""

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
        at = now_text() if error else None
        await self._db.execute(
            "UPDATE schedules SET last_error = ?, last_error_at = ? WHERE guild_id = ?", (error, at, guild_id)
        )

    async def save_pager(self, owner_id: int, kind: str, payload: str, *, keep_days: int = 30) -> int:
        """Keep what a message's paging buttons show; forget pagers older than `keep_days`."""
        now = utc_now()
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
