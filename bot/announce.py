"""New-episode posts: each server that chose a channel hears of each new feed episode once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.ingest.segmenter import sentences
from bot.limits import clip
from bot.ports import AnnounceStore
from bot.schedule import DeliveryError
from bot.summary.service import Summaries
from models.state import PendingPost

log = logging.getLogger(__name__)

SUMMARY_CHARACTERS = 300


@dataclass(frozen=True, slots=True)
class Announcement:
    """What a new-episode post says."""

    item_id: int  # the feed item, for a button that outlives reindexing
    episode_id: int
    show: str | None
    title: str
    published: str | None
    summary: str | None  # one line: the gist once the transcript is in, else the notes' first sentence
    url: str | None


Send = Callable[[int, Announcement], Awaitable[None]]  # channel id; raises DeliveryError


class Announcer:
    """Posts what the feeds brought to every server's announcement channel, exactly once."""

    def __init__(self, store: AnnounceStore, summaries: Summaries, send: Send) -> None:
        self.store, self.feeds, self.summaries, self.send = store, store.feeds, summaries, send

    async def tick(self) -> int:
        """Post every pending episode; a server whose channel fails is skipped until the next tick
        (its episodes stay pending), and never holds up the others. Return how many were posted."""
        posted = 0
        for row in await self.feeds.announce_channels():
            if not row.enabled:
                continue
            for pending in await self.feeds.pending_posts(row.guild_id, row.since):
                if not await self.feeds.claim_post(row.guild_id, pending):
                    continue  # another tick got there first
                try:
                    await self.send(row.channel_id, await self.announcement(pending))
                except Exception as error:
                    await self.feeds.release_post(row.guild_id, pending)  # pending again, for the next tick
                    await self._failed(row.guild_id, row.channel_id, error)
                    break
                posted += 1
                await self.feeds.record_announce_result(row.guild_id, None)
        return posted

    async def _failed(self, guild_id: int, channel_id: int, error: Exception) -> None:
        known = isinstance(error, DeliveryError)
        reason = str(error) if known else f"unexpected error: {error}"
        log.warning("new-episode post for guild %s in channel %s failed: %s", guild_id, channel_id, reason,
                    exc_info=not known)  # fmt: skip
        await self.feeds.record_announce_result(guild_id, reason)

    async def announcement(self, pending: PendingPost) -> Announcement:
        """The post for one episode."""
        episode_id = pending.episode_id
        row = await self.store.episode(episode_id)
        if row is None:
            raise LookupError(f"episode {episode_id} is not in the index")
        made = await self.summaries.summary(episode_id)
        if made is not None and made.source == "transcript" and made.gist:
            line = made.gist[0].text
        else:
            notes = await self.store.description(episode_id)
            line = next(iter(sentences(notes)), None) if notes else None
        line = clip(line, SUMMARY_CHARACTERS) if line else line
        return Announcement(pending.item_id, episode_id, row.show, row.title, row.published, line, row.url)
