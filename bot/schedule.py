"""The daily "on this day" post: when each server is due, and posting it exactly once per local day.

A loop calls `DailyPoster.tick()` every minute or so. A server is due once its local hour has
reached the chosen one on a local date it has not posted yet, so downtime is caught up the same
day, and a DST change neither skips nor doubles a day (dates are compared, not clock times).

Several processes: each ticks over the servers of its own shards, claiming them in batches in the
shared store (a claim names the date and holds a lease), so a server gets one post a local date
even while its shard moves between processes. A claim whose process died is taken over once its
lease ends: if Discord had taken the post's first message (its id is stored) the post is only
marked done, else it is sent again, with the same nonce, which Discord then refuses to post twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import FALLBACKS
from bot.errors import InvalidInput
from bot.onthisday import DailyPost, build_post
from bot.ports import ScheduleStore
from bot.summary.service import Summaries
from models.clock import Clock, utc_now
from models.shards import ShardSlice
from models.state import PostClaim, ScheduleRow

log = logging.getLogger(__name__)

Sent = Callable[[int], Awaitable[None]]  # called with the post's first message id once Discord took it
Send = Callable[[int, DailyPost, Sent], Awaitable[None]]  # channel id, post
CLAIM_BATCH = 25  # servers claimed at once
CLAIM_LEASE = 60.0  # seconds a claim holds unrenewed (renewed before each send); well within the
# "few minutes" Discord keeps a nonce, so a taken-over post sent again is refused as a duplicate


class DeliveryError(Exception):
    """The post could not be delivered; `permanent` ones (no channel, no permission) wait a day."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def checked_timezone(name: str) -> str:
    """An IANA timezone name as given, or InvalidInput saying what is accepted."""
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        message = f"{name!r} is not a timezone: use an IANA name such as Europe/Berlin or America/New_York"
        raise InvalidInput(message) from None
    return name.strip()


def local_date(now: dt.datetime, timezone: str) -> dt.date:
    """The calendar date at `now` in `timezone`."""
    return now.astimezone(ZoneInfo(timezone)).date()


def due_date(row: ScheduleRow, now: dt.datetime) -> dt.date | None:
    """The local date this server should get its post for now, or None when not due."""
    if not row.enabled:
        return None
    local = now.astimezone(ZoneInfo(row.timezone))
    if local.hour < row.hour:
        return None
    today = local.date()
    if row.last_posted is not None and row.last_posted >= today.isoformat():
        return None
    return today


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one server's due post came to."""

    guild_id: int
    day: dt.date
    posted: bool
    error: str | None = None


class DailyPoster:
    """Posts each due server's "on this day" once per local date."""

    lease = CLAIM_LEASE

    def __init__(
        self,
        store: ScheduleStore,
        summaries: Summaries,
        send: Send,
        *,
        clock: Clock = utc_now,
        fallbacks: Sequence[str] = FALLBACKS,
        shards: ShardSlice | None = None,
    ) -> None:
        self.store, self.summaries, self.send, self.clock, self.fallbacks = store, summaries, send, clock, fallbacks
        self.shards = shards
        self.owner = uuid.uuid4().hex  # this process's name on its claims

    async def tick(self) -> list[Outcome]:
        """Post to every server of this process's shards that is due now; one server's failure
        never stops the others."""
        now = self.clock()
        rows = {row.guild_id: row for row in await self.store.schedules(self.shards)}
        due = [(guild, day.isoformat()) for guild, row in rows.items() if (day := due_date(row, now))]
        outcomes: list[Outcome] = []
        posts: dict[str, DailyPost] = {}  # by local date: every server due that day gets the same post
        for start in range(0, len(due), CLAIM_BATCH):
            for claim in await self.store.claim_posts(due[start : start + CLAIM_BATCH], self.owner, self.lease):
                outcomes.append(await self._post(rows[claim.guild_id], claim, posts))
        return outcomes

    async def _post(self, row: ScheduleRow, claim: PostClaim, posts: dict[str, DailyPost]) -> Outcome:
        day = dt.date.fromisoformat(claim.day)
        if claim.sent_message_id is not None:  # its process died after the post went out
            await self.store.finish_post(claim)
            log.info("daily post %s for guild %s was sent before a restart; marked done", day, row.guild_id)
            return Outcome(row.guild_id, day, True)
        try:
            if claim.day not in posts:
                posts[claim.day] = await build_post(self.store, self.summaries, day, self.fallbacks)
            post = posts[claim.day]
            if not post.episodes:
                await self.store.finish_post(claim)
                await self.store.record_post_result(row.guild_id, "nothing to post: no dated episodes for this day")
                return Outcome(row.guild_id, day, False, "nothing to post")
            if not await self.store.renew_claim(claim, self.lease):
                return Outcome(row.guild_id, day, False, "taken over by another process")
            await self.send(row.channel_id, post, lambda message_id: self.store.mark_sent(claim, message_id))
        except DeliveryError as error:
            await (self.store.finish_post(claim) if error.permanent else self.store.release_post(claim))
            log.warning("daily post for guild %s in channel %s failed: %s", row.guild_id, row.channel_id, error)
            await self.store.record_post_result(row.guild_id, str(error))
            return Outcome(row.guild_id, day, False, str(error))
        except Exception as error:
            await self.store.release_post(claim)
            log.exception("daily post for guild %s failed; retrying on the next tick", row.guild_id)
            await self.store.record_post_result(row.guild_id, f"unexpected error: {error}")
            return Outcome(row.guild_id, day, False, str(error))
        await self.store.finish_post(claim)
        await self.store.record_post_result(row.guild_id, None)
        log.info("posted on-this-day %s for guild %s (%d episodes)", day, row.guild_id, len(post.episodes))
        return Outcome(row.guild_id, day, True)
