"""What the bot keeps beside the index: cached summaries, daily post schedules, pagers, facts."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence

from models.clock import utc_now
from models.state import PostClaim, ScheduleRow
from storage.common import ScheduleLookups
from storage.connection import Connection


class StateTables(Connection, ScheduleLookups):
    """Summaries, schedules, pagers and facts."""

    async def _schedule_rows(self, guild_id: int | None) -> list[ScheduleRow]:
        query = """
            SELECT guild_id, channel_id, hour, timezone, enabled, last_posted, last_error, last_error_at
            FROM schedules WHERE :guild IS NULL OR guild_id = :guild ORDER BY guild_id
        """
        rows = await self._db.execute_fetchall(query, {"guild": guild_id})
        return [ScheduleRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows]

    async def save_schedule(self, guild_id: int, channel_id: int, hour: int, timezone: str, enabled: bool) -> None:
        """Set a server's channel, hour, timezone and on/off; what was posted when is kept."""
        await self._outlasting_locks(
            lambda: self._db.execute(
                "INSERT INTO schedules (guild_id, channel_id, hour, timezone, enabled) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, hour = excluded.hour,"
                " timezone = excluded.timezone, enabled = excluded.enabled, last_error = NULL, last_error_at = NULL",
                (guild_id, channel_id, hour, timezone, int(enabled)),
            )
        )

    async def claim_posts(self, due: Sequence[tuple[int, str]], owner: str, lease: float) -> list[PostClaim]:
        """Claim each (guild, local date) of `due` not posted yet nor claimed under a live lease, for
        `lease` seconds; the claims made. A dead claim on the same date keeps its sent message id."""
        now = time.time()
        query = """
            WITH due(guild, day) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
            UPDATE schedules SET claimed_day = due.day, claimed_by = ?, claimed_until = ?,
                sent_message_id = CASE WHEN schedules.claimed_day = due.day THEN schedules.sent_message_id END
            FROM due
            WHERE schedules.guild_id = due.guild AND schedules.enabled
                AND (schedules.last_posted IS NULL OR schedules.last_posted < due.day)
                AND (schedules.claimed_until IS NULL OR schedules.claimed_until < ?)
            RETURNING guild_id, claimed_day, sent_message_id
        """
        parameters = (json.dumps(list(due)), owner, now + lease, now)
        rows = await self._outlasting_locks(lambda: self._db.execute_fetchall(query, parameters))
        return [PostClaim(guild, day, owner, sent) for guild, day, sent in sorted(rows)]

    async def renew_claim(self, claim: PostClaim, lease: float) -> bool:
        """Hold the claim `lease` seconds more; False when another process has taken it over."""
        cursor = await self._outlasting_locks(
            lambda: self._db.execute(
                "UPDATE schedules SET claimed_until = ? WHERE guild_id = ? AND claimed_by = ? AND claimed_day = ?",
                (time.time() + lease, claim.guild_id, claim.owner, claim.day),
            )
        )
        return cursor.rowcount == 1

    async def save_pager(self, owner_id: int, kind: str, payload: str, *, keep_days: int = 30) -> int:
        """Keep what a message's paging buttons show; forget pagers older than `keep_days`."""
        now = utc_now()
        oldest = (now - dt.timedelta(days=keep_days)).isoformat(timespec="seconds")
        async with self._write():
            await self._db.execute("DELETE FROM pagers WHERE created_at < ?", (oldest,))
            cursor = await self._db.execute(
                "INSERT INTO pagers (owner_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                (owner_id, kind, payload, now.isoformat(timespec="seconds")),
            )
        return int(cursor.lastrowid)

    async def take_identify_turn(self, bucket: int, spacing: float) -> float:
        """Take `bucket`'s gateway IDENTIFY turn if `spacing` seconds have passed since the last one
        (0.0), else how many seconds are left: one statement decides, so two takers never both win."""
        key, now = f"identify:{bucket}", time.time()
        cursor = await self._outlasting_locks(
            lambda: self._db.execute(
                "INSERT INTO facts (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                " WHERE CAST(facts.value AS REAL) + ?3 <= ?2",
                (key, now, spacing),
            )
        )
        if cursor.rowcount == 1:
            return 0.0
        rows = await self._db.execute_fetchall("SELECT CAST(value AS REAL) FROM facts WHERE key = ?", (key,))
        return max(rows[0][0] + spacing - time.time(), 0.001) if rows else 0.001
