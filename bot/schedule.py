"""The daily "on this day" post: when each server is due, and posting it exactly once per local day.

A loop calls `DailyPoster.tick()` every minute or so. A server is due once its local hour has
reached the chosen one on a local date it has not posted yet, so downtime is caught up the same
day, a restart never posts twice (the date is claimed in the database before sending), and a DST
change neither skips nor doubles a day (dates are compared, not clock times).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import FALLBACKS
from bot.errors import InvalidInput
from bot.onthisday import DailyPost, build_post
from bot.ports import ScheduleStore
from bot.summary.service import Summaries
from models.clock import Clock, utc_now
from models.state import ScheduleRow

log = logging.getLogger(__name__)

Send = Callable[[int, DailyPost], Awaitable[None]]  # channel id, post


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

    def __init__(
        self,
        store: ScheduleStore,
        summaries: Summaries,
        send: Send,
        *,
        clock: Clock = utc_now,
        fallbacks: Sequence[str] = FALLBACKS,
    ) -> None:
        self.store, self.summaries, self.send, self.clock, self.fallbacks = store, summaries, send, clock, fallbacks

    async def tick(self) -> list[Outcome]:
        """Post to every server that is due now; one server's failure never stops the others."""
        now = self.clock()
        outcomes = []
        for row in await self.store.schedules():
            day = due_date(row, now)
            if day is not None and await self.store.claim_post(row.guild_id, day.isoformat()):
                outcomes.append(await self._post(row, day))
        return outcomes

    async def _post(self, row: ScheduleRow, day: dt.date) -> Outcome:
        try:
            post = await build_post(self.store, self.summaries, day, self.fallbacks)
            if not post.episodes:
                await self.store.record_post_result(row.guild_id, "nothing to post: no dated episodes for this day")
                return Outcome(row.guild_id, day, False, "nothing to post")
            await self.send(row.channel_id, post)
        except DeliveryError as error:
            if not error.permanent:
                await self.store.release_post(row.guild_id, day.isoformat(), row.last_posted)
            log.warning("daily post for guild %s in channel %s failed: %s", row.guild_id, row.channel_id, error)
            await self.store.record_post_result(row.guild_id, str(error))
            return Outcome(row.guild_id, day, False, str(error))
        except Exception as error:
            await self.store.release_post(row.guild_id, day.isoformat(), row.last_posted)
            log.exception("daily post for guild %s failed; retrying on the next tick", row.guild_id)
            await self.store.record_post_result(row.guild_id, f"unexpected error: {error}")
            return Outcome(row.guild_id, day, False, str(error))
        await self.store.record_post_result(row.guild_id, None)
        log.info("posted on-this-day %s for guild %s (%d episodes)", day, row.guild_id, len(post.episodes))
        return Outcome(row.guild_id, day, True)
